import Foundation
import GeoJSON
import GridAddress
import GridGeometry
import GridProjection
import GridStore
import OrderedCollections

/// What to import, and how.
public struct ImportOptions: Sendable {
    public var grids: String
    public var towns: String?
    public var villages: String?
    public var buildings: String?
    public var households: String?
    public var staff: String?
    public var departments: String?
    public var incidents: String?
    /// The property holding a grid's id; the Feature `id` is used when the property is absent.
    public var gridIDField = "grid_id"
    public var villageIDField = "village_id"
    public var townIDField = "town_id"
    public var buildingIDField = "building_id"
    /// Repair what can be repaired (unclosed rings, degenerate holes, self-intersections) and say what changed.
    public var makeValid = false
    /// The CRS of the input coordinates, overriding what the files declare (default: the file's `.prj` or
    /// GeoPackage SRS; longitude/latitude for GeoJSON, KML and CSV).
    public var crs: String?
    /// Layer choice in multi-layer files, Shapefile encoding, axis order (`--layer`, `--encoding`, `--axis-order`).
    public var sourceOptions = LayerSourceOptions()
    public var note = ""
    /// Check everything, write nothing.
    public var dryRun = false

    public init(grids: String) {
        self.grids = grids
    }
}

/// What an import did.
public struct ImportSummary: Sendable {
    public var versionID: Int?
    public var counts: OrderedDictionary<String, Int> = [:]
    /// Repairs and warnings (an import with errors throws `ImportFailed` instead).
    public var problems: [ImportProblem] = []
    public var dryRun = false
    /// Households that came with neither a building nor coordinates, by how their address matched a building
    /// (`GridAddress.AddressMatcher`); those placed (exact, building, road_number) got that building, the others
    /// are imported without one and listed as warnings.
    public var householdsByAddress: [AddressMatchStatus: Int] = [:]
}

/// Reads, validates and stores a county's layers in one transaction: either everything goes in as a new boundary
/// version, or nothing changes and every problem is reported.
public struct CountyImporter {
    public let options: ImportOptions

    public init(options: ImportOptions) {
        self.options = options
    }

    /// Gives households without a building or coordinates the building their address names, when it names one
    /// surely (exact, building, road_number); the others stay without a building and are listed as warnings.
    func placeByAddress(_ households: [Household], file: String, buildings: [Building], grids: [Grid],
                        counts: inout [AddressMatchStatus: Int], problems: inout [ImportProblem]) throws -> [Household] {
        let unplaced = households.indices.filter {
            households[$0].buildingID == nil && households[$0].location == nil && !households[$0].address.isEmpty
        }
        guard !unplaced.isEmpty, let matcher = try AddressMatcher.forBuildings(buildings, grids: grids) else { return households }
        var result = households
        for k in unplaced {
            let h = households[k]
            let m = matcher.match(h.address)
            counts[m.status, default: 0] += 1
            if let building = m.buildingID, [.exact, .building, .roadNumber].contains(m.status) {
                result[k].buildingID = building
            } else {
                problems.append(ImportProblem(
                    severity: .warning, file: file, place: "household \(h.householdID)", featureID: h.householdID,
                    field: "address",
                    reason: "address \(h.address) names no single building (\(m.status.rawValue)"
                        + (m.reason.map { ": \($0)" } ?? "")
                        + (m.candidates.isEmpty ? "" : "; candidates " + m.candidates.prefix(10).joined(separator: " ")) + ")",
                    fix: "give building_id or lon,lat, correct the address, or add an old name to an alias file"))
            }
        }
        return result
    }

    public func run(into store: any CountyStore) throws -> ImportSummary {
        var problems: [ImportProblem] = []
        let context = GEOSContext()
        var system: CoordinateReferenceSystem?
        if let crs = options.crs {
            do {
                system = try CoordinateReferenceSystem(parsing: crs)
            } catch {
                throw ImportFailed(problems: [ImportProblem(file: "--crs", place: "option", reason: "\(error)",
                                                            fix: "give an EPSG code such as EPSG:4549")])
            }
            if let system, system != .wgs84 && system != .cgcs2000 {
                // Fails early, once, when PROJ has no way from this CRS to longitude/latitude.
                _ = try CoordinateTransformer(from: system, to: .wgs84)
            }
        }
        let reader = LayerReader(policy: .strict, purpose: .import,
                                 fields: LayerFields(town: options.townIDField, village: options.villageIDField,
                                                     grid: options.gridIDField, building: options.buildingIDField),
                                 makeValid: options.makeValid, crs: system, sourceOptions: options.sourceOptions,
                                 context: context)
        let towns = options.towns.map { reader.features(.town, $0, problems: &problems) }
        let villages = options.villages.map { reader.features(.village, $0, problems: &problems) }
        let grids = reader.features(.grid, options.grids, problems: &problems)
        let buildings = options.buildings.map { reader.features(.building, $0, problems: &problems) }

        // References between layers: a grid's village must exist, a village's town must exist.
        let previous = try store.currentVersionID()
        let villageIDs: Set<String>? = try villages.map { Set($0.map(\.id)) }
            ?? (previous != nil ? Set(try store.villages(version: previous).map(\.villageID)) : nil)
        let townIDs: Set<String>? = try towns.map { Set($0.map(\.id)) }
            ?? (previous != nil ? Set(try store.towns(version: previous).map(\.townID)) : nil)
        if let villageIDs, !villageIDs.isEmpty {
            for grid in grids {
                if let v = grid.properties[options.villageIDField]?.identifierValue, !villageIDs.contains(v) {
                    problems.append(ImportProblem(file: fileName(options.grids), place: grid.place, featureID: grid.id,
                                                  field: options.villageIDField,
                                                  reason: "village \(v) is not among the imported villages",
                                                  fix: "correct the village id, or add the village to the villages file"))
                }
            }
        }
        if let townIDs, !townIDs.isEmpty, let villages, let villagesPath = options.villages {
            for village in villages {
                if let t = village.properties[options.townIDField]?.identifierValue, !townIDs.contains(t) {
                    problems.append(ImportProblem(file: fileName(villagesPath), place: village.place,
                                                  featureID: village.id, field: options.townIDField,
                                                  reason: "town \(t) is not among the imported towns",
                                                  fix: "correct the town id, or add the town to the towns file"))
                }
            }
        }

        let gridIDs = Set(grids.map(\.id))
        let buildingIDs: Set<String> = Set(buildings?.map(\.id) ?? [])
        let tables = TableReader(gridIDs: gridIDs, buildingIDs: buildingIDs)
        var households = try options.households.map { try tables.households($0, &problems) }
        var householdsByAddress: [AddressMatchStatus: Int] = [:]
        if let list = households, let path = options.households {
            let buildingList = try buildings.map { $0.map { $0.building(reader.fields) } }
                ?? (previous == nil ? [] : store.buildings(version: previous))
            households = try placeByAddress(list, file: fileName(path), buildings: buildingList,
                                            grids: grids.map { $0.grid(reader.fields) }, counts: &householdsByAddress,
                                            problems: &problems)
        }
        let staff = try options.staff.map { try tables.staff($0, &problems) }
        let departments = try options.departments.map { try tables.departments($0, &problems) }
        let incidents = try options.incidents.map { try tables.incidents($0, &problems) }

        if problems.contains(where: { $0.severity == .error }) {
            throw ImportFailed(problems: problems)
        }

        var summary = ImportSummary()
        summary.problems = problems
        summary.householdsByAddress = householdsByAddress
        summary.dryRun = options.dryRun
        summary.counts["grids"] = grids.count
        if let towns { summary.counts["towns"] = towns.count }
        if let villages { summary.counts["villages"] = villages.count }
        if let buildings { summary.counts["buildings"] = buildings.count }
        if let households { summary.counts["households"] = households.count }
        if let staff { summary.counts["staff"] = staff.count }
        if let departments { summary.counts["departments"] = departments.count }
        if let incidents { summary.counts["incidents"] = incidents.count }
        if options.dryRun { return summary }

        let source = ([options.grids] + [options.towns, options.villages, options.buildings].compactMap { $0 })
            .map(fileName).joined(separator: ", ")
        let fields = reader.fields
        var batch = CountyImportBatch(source: source, note: options.note, grids: grids.map { $0.grid(fields) })
        batch.towns = towns?.map { $0.town() }
        batch.villages = villages?.map { $0.village(fields) }
        batch.buildings = buildings?.map { $0.building(fields) }
        batch.households = households
        batch.staff = staff
        batch.departments = departments
        batch.incidents = incidents
        summary.versionID = try store.write(batch)
        return summary
    }
}
