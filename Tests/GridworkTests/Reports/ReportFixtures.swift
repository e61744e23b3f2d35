import Foundation
import GeoJSON
import SampleCounty
@testable import Gridwork

/// The report layers of a seeded sample county.
func sampleLayers(_ preset: SamplePreset = .tiny, seed: UInt64 = 20260101) throws -> CountyLayers {
    let sample = SampleCountyGenerator(preset: preset, seed: seed).generate()
    func id(_ f: Feature, _ key: String) -> String? { f.properties[key]?.identifierValue }
    var layers = CountyLayers(
        county: sample.county.geometry,
        towns: sample.towns.map { Town(townID: id($0, "town_id")!, name: $0.properties["name"]?.stringValue ?? "", geometry: $0.geometry!) },
        villages: sample.villages.map {
            Village(villageID: id($0, "village_id")!, townID: id($0, "town_id"), name: $0.properties["name"]?.stringValue ?? "",
                    geometry: $0.geometry!)
        },
        grids: sample.grids.map {
            Grid(gridID: id($0, "grid_id")!, villageID: id($0, "village_id"), townID: id($0, "town_id"),
                 name: $0.properties["name"]?.stringValue ?? "", geometry: $0.geometry!)
        },
        buildings: sample.buildings.map {
            Building(buildingID: id($0, "building_id")!, gridID: id($0, "grid_id"), villageID: id($0, "village_id"),
                     kind: $0.properties["kind"]?.stringValue ?? "urban", floors: nil, geometry: $0.geometry!)
        },
        households: sample.households.map {
            Household(householdID: $0.id, buildingID: $0.buildingID, address: $0.address,
                      location: Position($0.lon, $0.lat), residents: $0.residents)
        },
        staff: sample.staff.map {
            StaffMember(staffID: $0.id, role: StaffRole(rawValue: $0.role.rawValue)!, gridID: $0.gridID.isEmpty ? nil : $0.gridID,
                        buildingID: $0.buildingID.isEmpty ? nil : $0.buildingID, name: $0.name, phone: $0.phone,
                        onDuty: $0.onDuty)
        },
        incidents: sample.incidents.map {
            IncidentRecord(incidentID: $0.id, reportedAt: IncidentTime.parse($0.reportedAt)!, category: $0.category,
                           location: Position($0.lon, $0.lat), state: IncidentState(registerStatus: $0.status)!,
                           description: $0.description)
        })
    try layers.checkGridValidity()
    return layers
}

func rectangle(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Geometry {
    .polygon(Polygon(exterior: LinearRing([Position(x0, y0), Position(x1, y0), Position(x1, y1), Position(x0, y1), Position(x0, y0)])))
}

/// Two villages side by side near (119.3, 29.5); V1 is tiled by 4 × 2 grids of 0.005°, V2 by two grids, with
/// planted faults:
/// - G00's east edge pulled 0.0003° west: a gap strip (about 29 m wide) in V1;
/// - a 0.001° square hole in G11: a gap;
/// - G20 pushed 0.0002° north into G21: an overlap (about 22 m wide);
/// - G31 pushed 0.000003° west into G21: a sliver overlap (about 0.3 m wide);
/// - G30's north edge pulled 0.000002° south: a sliver gap (about 0.2 m wide);
/// - G01 pushed 0.0003° north out of V1 into V2's grid H0: an overlap and a grid crossing its village boundary.
func plantedLayers() -> CountyLayers {
    let x = 119.3, y = 29.5, s = 0.005
    var grids: [Grid] = []
    for i in 0..<4 {
        for j in 0..<2 {
            var (x0, y0, x1, y1) = (x + Double(i) * s, y + Double(j) * s, x + Double(i + 1) * s, y + Double(j + 1) * s)
            switch (i, j) {
            case (0, 0): x1 -= 0.0003
            case (2, 0): y1 += 0.0002
            case (3, 1): x0 -= 0.000003
            case (3, 0): y1 -= 0.000002
            case (0, 1): y1 += 0.0003
            default: break
            }
            var geometry = rectangle(x0, y0, x1, y1)
            if (i, j) == (1, 1) {
                let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
                let hole = LinearRing([Position(cx - 0.0005, cy - 0.0005), Position(cx - 0.0005, cy + 0.0005),
                                       Position(cx + 0.0005, cy + 0.0005), Position(cx + 0.0005, cy - 0.0005),
                                       Position(cx - 0.0005, cy - 0.0005)])
                geometry = .polygon(Polygon(exterior: geometry.polygons[0].exterior, holes: [hole]))
            }
            grids.append(Grid(gridID: "G\(i)\(j)", villageID: "V1", townID: "T1", name: "G\(i)\(j)", geometry: geometry))
        }
    }
    grids.append(Grid(gridID: "H0", villageID: "V2", townID: "T1", name: "H0", geometry: rectangle(x, y + 2 * s, x + 2 * s, y + 3 * s)))
    grids.append(Grid(gridID: "H1", villageID: "V2", townID: "T1", name: "H1", geometry: rectangle(x + 2 * s, y + 2 * s, x + 4 * s, y + 3 * s)))
    let villages = [
        Village(villageID: "V1", townID: "T1", name: "一村", geometry: rectangle(x, y, x + 4 * s, y + 2 * s)),
        Village(villageID: "V2", townID: "T1", name: "二村", geometry: rectangle(x, y + 2 * s, x + 4 * s, y + 3 * s)),
    ]
    return CountyLayers(villages: villages, grids: grids)
}

func writeCollection(_ features: [Feature], _ path: String) throws {
    let writer = try GeoJSONFeatureWriter(path: path)
    for f in features { try writer.write(f) }
    try writer.finish()
}
