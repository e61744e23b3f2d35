import Foundation
import GeoJSON
import OrderedCollections

/// The layers `gridwork export` writes.
public enum ExportLayer: String, Sendable, CaseIterable {
    case grids, villages, buildings, households, incidents, gaps, overlaps, slivers
}

/// Builds the features of one layer with the report attributes joined in. Export reads the reports; the reports
/// module does not know about export (the gap and overlap features are the coverage report's own).
///
/// Households carry only ids and counts unless `includePersonal` (then also the address); incidents carry their
/// description only with `includePersonal`, since reporters write names and phone numbers into it.
public struct LayerExport: Sendable {
    public var layers: CountyLayers
    public var coverage: CoverageReport
    public var workload: WorkloadReport
    public var includePersonal: Bool

    public init(layers: CountyLayers, coverage: CoverageReport, workload: WorkloadReport, includePersonal: Bool = false) {
        self.layers = layers
        self.coverage = coverage
        self.workload = workload
        self.includePersonal = includePersonal
    }

    /// Computes both reports and keeps them for the joins.
    public init(layers: CountyLayers, coverageOptions: CoverageOptions = CoverageOptions(),
                workloadOptions: WorkloadOptions = WorkloadOptions(), includePersonal: Bool = false) throws {
        self.init(layers: layers, coverage: try CoverageReport.compute(layers, options: coverageOptions),
                  workload: try WorkloadReport.compute(layers, options: workloadOptions), includePersonal: includePersonal)
    }

    public func features(_ layer: ExportLayer) throws -> [Feature] {
        switch layer {
        case .grids: gridFeatures()
        case .villages: villageFeatures()
        case .buildings: try buildingFeatures()
        case .households: try householdFeatures()
        case .incidents: try incidentFeatures()
        case .gaps: try coverage.outputLayers().gaps
        case .overlaps: try coverage.outputLayers().overlaps
        case .slivers: try coverage.outputLayers().slivers
        }
    }

    /// Writes one layer; returns the number of features. `precision` is the GeoJSON decimals, `encoding` a
    /// Shapefile's `.dbf` encoding (default UTF-8).
    @discardableResult
    public func write(_ layer: ExportLayer, to path: String, format: ExportFormat, precision: Int = 7,
                      encoding: String? = nil) throws -> Int {
        let features = try features(layer)
        if format.row.driver == nil {
            // Slivers keep full precision: 7 decimals would collapse them (CoverageReport.outputLayers).
            let decimals = layer == .slivers ? CoverageReport.sliverPrecision : precision
            let writer = try GeoJSONFeatureWriter(path: path, options: GeoJSONWriteOptions(precision: decimals))
            for f in features { try writer.write(f) }
            try writer.finish()
        } else {
            try OGRLayerWriter(path: path, format: format, encoding: encoding)
                .write(layer: layer.rawValue, features: features, description: "gridwork \(layer.rawValue)")
        }
        return features.count
    }

    func gridFeatures() -> [Feature] {
        let work = Dictionary(workload.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        let invalid = Dictionary(coverage.invalidGrids.map { ($0.gridID, $0.reason) }, uniquingKeysWith: { a, _ in a })
        let crossing = Set(coverage.gridsCrossingVillageBoundary.map(\.gridID))
        let noWorker = Set(coverage.gridsWithoutFullTimeWorker)
        var overlapArea: [String: Double] = [:]
        for o in coverage.overlaps { for g in o.grids { overlapArea[g, default: 0] += o.areaM2 } }
        return layers.grids.map { grid in
            var p: OrderedDictionary<String, JSONValue> = [
                "grid_id": .string(grid.gridID), "name": .string(grid.name),
                "village_id": grid.villageID.map(JSONValue.string) ?? .null,
                "town_id": grid.townID.map(JSONValue.string) ?? .null,
            ]
            if let w = work[grid.gridID] {
                p["area_m2"] = .number(reportRounded(w.areaM2))
                p["households"] = .number(Double(w.households))
                p["residents"] = .number(Double(w.residents))
                p["buildings"] = .number(Double(w.buildings))
                p["building_heads"] = .number(Double(w.buildingHeads))
                p["incidents"] = .number(Double(w.incidents))
                p["open_incidents"] = .number(Double(w.openIncidents))
                p["grid_workers"] = .number(Double(w.gridWorkers))
                p["staff"] = .number(Double(w.staff))
                p["workload_index"] = .number(reportRounded(w.workloadIndex))
            }
            p["overlap_area_m2"] = .number(reportRounded(overlapArea[grid.gridID] ?? 0))
            p["invalid_reason"] = invalid[grid.gridID].map(JSONValue.string) ?? .null
            p["crosses_village_boundary"] = .bool(crossing.contains(grid.gridID))
            p["has_full_time_worker"] = .bool(!noWorker.contains(grid.gridID))
            return Feature(id: .string(grid.gridID), geometry: grid.geometry, properties: p)
        }
    }

    func villageFeatures() -> [Feature] {
        let rollUps = Dictionary(coverage.byVillage.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var households: [String: Int] = [:]
        var index: [String: (sum: Double, count: Int)] = [:]
        for w in workload.grids {
            guard let v = w.villageID else { continue }
            households[v, default: 0] += w.households
            index[v, default: (0, 0)].sum += w.workloadIndex
            index[v, default: (0, 0)].count += 1
        }
        return layers.villages.map { village in
            let r = rollUps[village.villageID]
            let mean = index[village.villageID].map { $0.count > 0 ? $0.sum / Double($0.count) : 0 } ?? 0
            return Feature(id: .string(village.villageID), geometry: village.geometry, properties: [
                "village_id": .string(village.villageID), "name": .string(village.name),
                "town_id": village.townID.map(JSONValue.string) ?? .null,
                "grids": .number(Double(r?.grids ?? 0)), "gaps": .number(Double(r?.gaps ?? 0)),
                "gap_area_m2": .number(reportRounded(r?.gapAreaM2 ?? 0)), "overlaps": .number(Double(r?.overlaps ?? 0)),
                "overlap_area_m2": .number(reportRounded(r?.overlapAreaM2 ?? 0)),
                "households": .number(Double(households[village.villageID] ?? 0)),
                "mean_workload_index": .number(reportRounded(mean)),
            ])
        }
    }

    func buildingFeatures() throws -> [Feature] {
        let misplaced = Dictionary(coverage.buildingsNotWithinOneGrid.map { ($0.buildingID, $0.reason) },
                                   uniquingKeysWith: { a, _ in a })
        let withoutHead = Set(coverage.buildingsWithoutBuildingHead)
        var households: [String: Int] = [:]
        for h in layers.households { if let b = h.buildingID { households[b, default: 0] += 1 } }
        return layers.buildings.map { b in
            Feature(id: .string(b.buildingID), geometry: b.geometry, properties: [
                "building_id": .string(b.buildingID), "grid_id": b.gridID.map(JSONValue.string) ?? .null,
                "village_id": b.villageID.map(JSONValue.string) ?? .null, "kind": .string(b.kind),
                "floors": b.floors.map { .number(Double($0)) } ?? .null,
                "households": .number(Double(households[b.buildingID] ?? 0)),
                "placement_problem": misplaced[b.buildingID].map(JSONValue.string) ?? .null,
                "has_building_head": .bool(b.kind != "urban" || !withoutHead.contains(b.buildingID)),
            ])
        }
    }

    func householdFeatures() throws -> [Feature] {
        let located = layers.households.filter { $0.location != nil }
        let locator = try GridLocator(grids: layers.grids)
        let indices = locator.gridIndices(xs: located.map { $0.location!.x }, ys: located.map { $0.location!.y })
        return zip(located, indices).map { h, index in
            var p: OrderedDictionary<String, JSONValue> = [
                "household_id": .string(h.householdID), "building_id": h.buildingID.map(JSONValue.string) ?? .null,
                "grid_id": index >= 0 ? .string(locator.gridIDs[Int(index)]) : .null,
                "residents": .number(Double(h.residents)),
            ]
            if includePersonal { p["address"] = .string(h.address) }
            return Feature(id: .string(h.householdID), geometry: .point(h.location!), properties: p)
        }
    }

    func incidentFeatures() throws -> [Feature] {
        let valid = layers.incidents.filter { $0.location.x.isFinite && $0.location.y.isFinite }
        let locator = try GridLocator(grids: layers.grids)
        let indices = locator.gridIndices(xs: valid.map(\.location.x), ys: valid.map(\.location.y))
        return zip(valid, indices).map { i, index in
            var p: OrderedDictionary<String, JSONValue> = [
                "incident_id": .string(i.incidentID), "reported_at": .string(IncidentTime.string(i.reportedAt)),
                "category": .string(i.category), "status": .string(i.state.rawValue),
                "grid_id": index >= 0 ? .string(locator.gridIDs[Int(index)]) : .null,
            ]
            if includePersonal { p["description"] = .string(i.description) }
            return Feature(id: .string(i.incidentID), geometry: .point(i.location), properties: p)
        }
    }
}
