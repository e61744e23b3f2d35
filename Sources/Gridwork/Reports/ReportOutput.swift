import Foundation
import GeoJSON
import GridGeometry
import OrderedCollections

/// Writes reports into an output folder.
public enum ReportOutput {
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func prepare(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError("cannot create the output folder \(directory): \(error.localizedDescription)")
        }
    }

    static func write(_ data: Data, _ path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw ReportError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// `coverage.json`, `gaps.geojson`, `overlaps.geojson`, `slivers.geojson`, `problems.geojson` and `coverage.md`;
    /// returns the paths. Real gaps and overlaps are written at 7 decimals, snapped by GEOS so they stay valid;
    /// slivers have their own file at full precision (`CoverageReport.outputLayers`).
    @discardableResult
    public static func write(_ report: CoverageReport, layers: CountyLayers, to directory: String) throws -> [String] {
        try prepare(directory)
        let dir = URL(fileURLWithPath: directory)
        let paths = ["coverage.json", "gaps.geojson", "overlaps.geojson", "slivers.geojson", "problems.geojson",
                     "coverage.md"].map { dir.appendingPathComponent($0).path }
        try write(try json(report), paths[0])
        let output = try report.outputLayers()
        try writeFeatures(output.gaps, paths[1])
        try writeFeatures(output.overlaps, paths[2])
        try writeFeatures(output.slivers, paths[3], precision: CoverageReport.sliverPrecision)
        try writeFeatures(problemFeatures(report, layers), paths[4])
        try write(Data(markdown(report).utf8), paths[5])
        return paths
    }

    /// `workload.json`, `workload.csv` and `workload.md`; returns the paths.
    @discardableResult
    public static func write(_ report: WorkloadReport, to directory: String) throws -> [String] {
        try prepare(directory)
        let dir = URL(fileURLWithPath: directory)
        let paths = ["workload.json", "workload.csv", "workload.md"].map { dir.appendingPathComponent($0).path }
        try write(try json(report), paths[0])
        let csv = try CSVWriter(path: paths[1])
        try csv.write(["grid_id", "village_id", "town_id", "area_m2", "households", "residents", "buildings",
                       "building_heads", "incidents", "open_incidents", "grid_workers", "part_time_workers", "staff",
                       "raw_workload", "workload_index"])
        for g in report.grids {
            try csv.write([g.gridID, g.villageID ?? "", g.townID ?? "", String(format: "%.1f", g.areaM2),
                           "\(g.households)", "\(g.residents)", "\(g.buildings)", "\(g.buildingHeads)", "\(g.incidents)",
                           "\(g.openIncidents)", "\(g.gridWorkers)", "\(g.partTimeWorkers)", "\(g.staff)",
                           String(format: "%.2f", g.rawWorkload), String(format: "%.1f", g.workloadIndex)])
        }
        try csv.close()
        try write(Data(markdown(report).utf8), paths[2])
        return paths
    }

    static func writeFeatures(_ features: [Feature], _ path: String, precision: Int = 7) throws {
        let writer = try GeoJSONFeatureWriter(path: path, options: GeoJSONWriteOptions(precision: precision))
        for f in features { try writer.write(f) }
        try writer.finish()
    }

    /// One feature per problem: the grid, building or household concerned, with `problem` and `reason`.
    static func problemFeatures(_ report: CoverageReport, _ layers: CountyLayers) -> [Feature] {
        let grids = Dictionary(layers.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        let buildings = Dictionary(layers.buildings.map { ($0.buildingID, $0) }, uniquingKeysWith: { a, _ in a })
        let households = Dictionary(layers.households.map { ($0.householdID, $0) }, uniquingKeysWith: { a, _ in a })
        var features: [Feature] = []
        func add(_ problem: String, _ id: String, _ geometry: Geometry?, _ reason: String) {
            features.append(Feature(id: .string("\(problem):\(id)"), geometry: geometry, properties: [
                "problem": .string(problem), "id": .string(id), "reason": .string(reason),
            ]))
        }
        for g in report.invalidGrids { add("invalid_grid", g.gridID, grids[g.gridID]?.geometry, g.reason) }
        for c in report.gridsCrossingVillageBoundary {
            add("grid_crosses_village_boundary", c.gridID, grids[c.gridID]?.geometry,
                String(format: "%.1f m² lies outside village %@", c.areaOutsideM2, c.villageID))
        }
        for g in report.gridsWithoutVillage {
            add("grid_without_village", g, grids[g]?.geometry, "the grid lies in no village")
        }
        for g in report.gridsWithoutFullTimeWorker {
            add("grid_without_full_time_worker", g, grids[g]?.geometry, "no full-time grid worker assigned")
        }
        for b in report.buildingsNotWithinOneGrid {
            add("building_not_within_one_grid", b.buildingID, buildings[b.buildingID]?.geometry, b.reason)
        }
        for b in report.buildingsWithoutBuildingHead {
            add("building_without_head", b, buildings[b]?.geometry, "urban building with no building head assigned")
        }
        for h in report.householdsOutsideEveryGrid {
            add("household_outside_every_grid", h, households[h]?.location.map(Geometry.point), "the location is in no grid")
        }
        return features
    }

    static func area(_ m2: Double) -> String {
        m2 >= 10_000 ? String(format: "%.2f ha", m2 / 10_000) : String(format: "%.1f m²", m2)
    }

    static func markdown(_ r: CoverageReport) -> String {
        var s = "# Coverage report\n\n"
        s += "\(r.grids) grids in \(r.villages) villages. Tolerance for slivers: \(r.toleranceMetres) m.\n\n"
        s += "| check | found |\n|---|---|\n"
        s += "| gaps | \(r.gaps.count) (\(area(r.gapAreaM2))) |\n"
        s += "| overlaps | \(r.overlaps.count) (\(area(r.overlapAreaM2))) |\n"
        s += "| sliver gaps / overlaps | \(r.sliverGaps.count) / \(r.sliverOverlaps.count) |\n"
        s += "| invalid grids | \(r.invalidGrids.count) |\n"
        s += "| grids crossing their village boundary | \(r.gridsCrossingVillageBoundary.count) |\n"
        s += "| buildings not within one grid | \(r.buildingsNotWithinOneGrid.count) |\n"
        s += "| households outside every grid | \(r.householdsOutsideEveryGrid.count) |\n"
        s += "| grids without a full-time worker | \(r.gridsWithoutFullTimeWorker.count) |\n"
        s += "| grids whose full-time worker is off duty | \(r.gridsWithWorkerOffDuty.count) |\n"
        s += "| urban buildings without a building head | \(r.buildingsWithoutBuildingHead.count) |\n"
        s += "| urban buildings whose head is off duty | \(r.buildingsWithHeadOffDuty.count) |\n\n"
        if !r.gaps.isEmpty {
            s += "## Largest gaps\n\n| gap | village | area |\n|---|---|---|\n"
            for g in r.gaps.sorted(by: { $0.areaM2 > $1.areaM2 }).prefix(20) {
                s += "| \(g.id) | \(g.villageID ?? "-") | \(area(g.areaM2)) |\n"
            }
            s += "\n"
        }
        if !r.overlaps.isEmpty {
            s += "## Largest overlaps\n\n| overlap | grids | area |\n|---|---|---|\n"
            for o in r.overlaps.sorted(by: { $0.areaM2 > $1.areaM2 }).prefix(20) {
                s += "| \(o.id) | \(o.grids.joined(separator: ", ")) | \(area(o.areaM2)) |\n"
            }
            s += "\n"
        }
        for g in r.invalidGrids.prefix(20) { s += "- invalid grid \(g.gridID): \(g.reason)\n" }
        s += "\n## By town\n\n| town | grids | gaps | gap area | overlaps | overlap area | no worker |\n|---|---|---|---|---|---|---|\n"
        for t in r.byTown {
            s += "| \(t.id) \(t.name) | \(t.grids) | \(t.gaps) | \(area(t.gapAreaM2)) | \(t.overlaps) | " +
                "\(area(t.overlapAreaM2)) | \(t.gridsWithoutFullTimeWorker) |\n"
        }
        s += "\n## By village\n\n| village | grids | gaps | gap area | overlaps | overlap area | crossing |\n|---|---|---|---|---|---|---|\n"
        for v in r.byVillage {
            s += "| \(v.id) \(v.name) | \(v.grids) | \(v.gaps) | \(area(v.gapAreaM2)) | \(v.overlaps) | " +
                "\(area(v.overlapAreaM2)) | \(v.gridsCrossingVillageBoundary) |\n"
        }
        for note in r.notes { s += "\nNote: \(note)\n" }
        return s
    }

    static func markdown(_ r: WorkloadReport) -> String {
        let b = r.balance
        var s = "# Workload report\n\n"
        s += "\(r.grids.count) grids; incidents from \(r.windowStart) to \(r.windowEnd) (\(r.windowDays) days).\n\n"
        s += String(format: "Balance: mean raw workload %.1f, max/mean %.2f, coefficient of variation %.3f, Gini %.3f.\n\n",
                    b.mean, b.maxOverMean, b.coefficientOfVariation, b.gini)
        let byID = Dictionary(r.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        func table(_ title: String, _ ids: [String]) {
            s += "## \(title)\n\n| grid | index | households | residents | incidents | open | staff |\n|---|---|---|---|---|---|---|\n"
            for id in ids {
                guard let g = byID[id] else { continue }
                s += "| \(g.gridID) \(g.name) | \(String(format: "%.0f", g.workloadIndex)) | \(g.households) | " +
                    "\(g.residents) | \(g.incidents) | \(g.openIncidents) | \(g.staff) |\n"
            }
            s += "\n"
        }
        table("Furthest above the mean", b.mostAboveMean)
        table("Furthest below the mean", b.mostBelowMean)
        return s
    }
}

extension CoverageReport {
    /// Decimals slivers are written with: full double precision, so GEOS's valid result stays valid.
    public static let sliverPrecision = 15
    /// The grid real gaps and overlaps are snapped to: 1e-7°, GeoJSON's 7 decimals (about 1 cm).
    public static let outputGridSize = 1e-7

    /// The coverage layers as every output writes them (files, export, the console's map):
    /// - `gaps`, `overlaps`: the real ones, each polygon snapped to the 1e-7° grid by GEOS
    ///   (`GEOSGeom_setPrecision_r`, valid output), so writing 7 decimals keeps them valid;
    /// - `slivers`: the sliver gaps and overlaps (`kind` gap or overlap), at full precision, where they are valid;
    ///   rounding them to 7 decimals would collapse or twist their rings.
    /// A real gap or overlap that snapping collapses (thinner than a centimetre yet wider than the tolerance: only
    /// with a tolerance under 1 cm) goes to `slivers` as it is.
    public func outputLayers(context: GEOSContext = GEOSContext()) throws
        -> (gaps: [Feature], overlaps: [Feature], slivers: [Feature]) {
        var slivers: [Feature] = []
        func snapped(_ feature: Feature, kind: String) throws -> Feature? {
            guard let geometry = feature.geometry else { return feature }
            let reduced = try GEOSGeometry(geometry, context: context)
                .reducedPrecision(gridSize: Self.outputGridSize).polygonalPart()
            if try reduced.isEmpty() {
                slivers.append(Self.sliverFeature(feature, kind: kind))
                return nil
            }
            var out = feature
            out.geometry = try reduced.toGeometry()
            return out
        }
        let gapFeatures = try gaps.compactMap { try snapped($0.feature, kind: "gap") }
        let overlapFeatures = try overlaps.compactMap { try snapped($0.feature, kind: "overlap") }
        slivers += sliverGaps.map { Self.sliverFeature($0.feature, kind: "gap") }
            + sliverOverlaps.map { Self.sliverFeature($0.feature, kind: "overlap") }
        return (gapFeatures, overlapFeatures, slivers)
    }

    static func sliverFeature(_ feature: Feature, kind: String) -> Feature {
        var out = feature
        var properties: OrderedDictionary<String, JSONValue> = ["sliver_id": feature.id.map { .string($0.description) } ?? .null,
                                                                "kind": .string(kind)]
        for (key, value) in feature.properties where key != "sliver" { properties[key] = value }
        out.properties = properties
        return out
    }
}

extension CoverageReport.Gap {
    /// The gap as a feature (gaps.geojson, and the export's gaps layer).
    public var feature: Feature {
        Feature(id: .string(id), geometry: polygon.geometry, properties: [
            "gap_id": .string(id), "village_id": villageID.map(JSONValue.string) ?? .null,
            "town_id": townID.map(JSONValue.string) ?? .null, "area_m2": .number(reportRounded(areaM2)),
            "sliver": .bool(sliver),
        ])
    }
}

extension CoverageReport.Overlap {
    /// The overlap as a feature (overlaps.geojson, and the export's overlaps layer).
    public var feature: Feature {
        Feature(id: .string(id), geometry: polygon.geometry, properties: [
            "overlap_id": .string(id), "grid_a": .string(grids.first ?? ""),
            "grid_b": .string(grids.last ?? ""), "villages": .string(villages.joined(separator: ";")),
            "area_m2": .number(reportRounded(areaM2)), "sliver": .bool(sliver),
        ])
    }
}

/// `v` rounded to `1 / decimals` (centimetres or hundredths by default), for report and export attributes.
func reportRounded(_ v: Double, _ decimals: Double = 100) -> Double { (v * decimals).rounded() / decimals }
