import Foundation
import GeoJSON

/// Balance figures of a set of grid workloads.
public struct BalanceFigures: Sendable, Hashable {
    public var grids: Int
    public var mean: Double
    public var min: Double
    public var max: Double
    /// Coefficient of variation (standard deviation / mean).
    public var cv: Double
    /// Largest |workload − mean| / mean.
    public var maxDeviation: Double
    /// Grids within ±band of the mean.
    public var inBand: Int
    public var band: Double
    public var meanPolsbyPopper: Double
    public var medianPolsbyPopper: Double
    public var minPolsbyPopper: Double

    public init(workloads: [Double], polsbyPopper: [Double], band: Double) {
        grids = workloads.count
        let n = Double(Swift.max(1, workloads.count))
        let mean = workloads.reduce(0, +) / n
        self.mean = mean
        min = workloads.min() ?? 0
        max = workloads.max() ?? 0
        let variance = workloads.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        cv = mean > 0 ? variance.squareRoot() / mean : 0
        maxDeviation = mean > 0 ? workloads.map { abs($0 - mean) / mean }.max() ?? 0 : 0
        inBand = workloads.filter { abs($0 - mean) <= band * mean + 1e-9 }.count
        self.band = band
        meanPolsbyPopper = polsbyPopper.reduce(0, +) / Double(Swift.max(1, polsbyPopper.count))
        minPolsbyPopper = polsbyPopper.min() ?? 0
        medianPolsbyPopper = GridPlanner.median(polsbyPopper)
    }
}

/// Workload and shape of each grid of a county, measured by the reports module on the grid polygons:
/// independent of parcels, so old and proposed grids are measured alike.
public struct GridMeasures: Sendable {
    public var gridIDs: [String]
    public var villageIDs: [String?]
    /// Raw workload of the reports module's index.
    public var workloads: [Double]
    /// Households of each grid, as the workload report counts them (by location, else by building).
    public var households: [Int]
    public var polsbyPopper: [Double]
    /// Households of each grid (ids), through their building.
    public var householdsOfGrid: [String: [String]]

    /// Workloads come from the reports module (`WorkloadReport.compute`, raw workload), so the planner's figures
    /// are the ones the workload report shows.
    public init(county: PlanningCounty, weights: WorkloadWeights, windowDays: Int = 365) throws {
        gridIDs = county.grids.map(\.gridID)
        villageIDs = county.grids.map(\.villageID)
        let report = try WorkloadReport.compute(
            CountyLayers(villages: county.villages, grids: county.grids, buildings: county.buildings,
                         households: county.households, staff: county.staff, incidents: county.incidents),
            options: WorkloadOptions(weights: weights, windowDays: windowDays))
        let rows = Dictionary(report.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        workloads = gridIDs.map { rows[$0]?.rawWorkload ?? 0 }
        households = gridIDs.map { rows[$0]?.households ?? 0 }
        let index = Dictionary(county.grids.enumerated().map { ($1.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        let gridOfBuilding = Dictionary(county.buildings.map { ($0.buildingID, $0.gridID) }, uniquingKeysWith: { a, _ in a })
        var byGrid: [String: [String]] = [:]
        let buckets = PointBuckets(boxes: county.grids.map { $0.geometry.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) })
        for h in county.households {
            let g = h.buildingID.flatMap { gridOfBuilding[$0] ?? nil }.flatMap { index[$0] }
                ?? h.location.flatMap { p in buckets.first(containing: p) { PlanarGeometry.covers(county.grids[$0].geometry, p) } }
            if let g { byGrid[county.grids[g].gridID, default: []].append(h.householdID) }
        }
        householdsOfGrid = byGrid
        polsbyPopper = county.grids.map { grid in
            let frame = MetricFrame(latitude: ParcelMap.centre(of: grid.geometry).y)
            let area = frame.area(grid.geometry), perimeter = frame.perimeter(grid.geometry)
            return perimeter > 0 ? 4 * .pi * area / (perimeter * perimeter) : 0
        }
    }

    public func figures(villages: Set<String>?, band: Double) -> BalanceFigures {
        let chosen = gridIDs.indices.filter { villages == nil || villageIDs[$0].map(villages!.contains) == true }
        return BalanceFigures(workloads: chosen.map { workloads[$0] }, polsbyPopper: chosen.map { polsbyPopper[$0] }, band: band)
    }
}

/// Old versus proposed grids: who changes grid, what each worker gains or loses, balance before and after.
public struct PlanDiff: Sendable {
    public struct BuildingMove: Sendable, Hashable {
        public var buildingID: String
        public var households: Int
        public var from: String?
        public var to: String?
    }

    public struct WorkerChange: Sendable, Hashable {
        public var staffID: String
        public var name: String
        public var gridID: String
        /// nil when the worker's grid is retired.
        public var householdsBefore: Int
        public var householdsAfter: Int?
        public var workloadBefore: Double
        public var workloadAfter: Double?
        public var gainedHouseholds: Int
        public var lostHouseholds: Int
    }

    public var buildingMoves: [BuildingMove]
    public var householdsMoved: Int
    public var workers: [WorkerChange]
    public var newGrids: [String]
    public var retiredGrids: [String]
    public var before: BalanceFigures
    public var after: BalanceFigures

    /// Compares two states of one county (same buildings and people, different grids). Figures are over the grids
    /// of `villages` (all when nil).
    public init(before: PlanningCounty, after: PlanningCounty, weights: WorkloadWeights, windowDays: Int = 365,
                band: Double, villages: Set<String>? = nil) throws {
        let old = try GridMeasures(county: before, weights: weights, windowDays: windowDays)
        let new = try GridMeasures(county: after, weights: weights, windowDays: windowDays)
        let newGrid = Dictionary(after.buildings.map { ($0.buildingID, $0.gridID) }, uniquingKeysWith: { a, _ in a })
        var householdsOfBuilding: [String: Int] = [:]
        for h in before.households { if let b = h.buildingID { householdsOfBuilding[b, default: 0] += 1 } }
        var moves: [BuildingMove] = []
        var gained: [String: Int] = [:], lost: [String: Int] = [:]
        for b in before.buildings {
            let to = newGrid[b.buildingID] ?? nil
            guard to != b.gridID else { continue }
            let n = householdsOfBuilding[b.buildingID, default: 0]
            moves.append(BuildingMove(buildingID: b.buildingID, households: n, from: b.gridID, to: to))
            if let from = b.gridID { lost[from, default: 0] += n }
            if let to { gained[to, default: 0] += n }
        }
        buildingMoves = moves
        householdsMoved = moves.reduce(0) { $0 + $1.households }
        let newIndex = Dictionary(new.gridIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let oldIndex = Dictionary(old.gridIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        workers = before.staff.filter { $0.role == .gridWorker }.compactMap { s in
            guard let g = s.gridID, let o = oldIndex[g] else { return nil }
            let n = newIndex[g]
            guard n == nil || gained[g, default: 0] > 0 || lost[g, default: 0] > 0 else { return nil }
            return WorkerChange(staffID: s.staffID, name: s.name, gridID: g, householdsBefore: old.households[o],
                                householdsAfter: n.map { new.households[$0] }, workloadBefore: old.workloads[o],
                                workloadAfter: n.map { new.workloads[$0] }, gainedHouseholds: gained[g, default: 0],
                                lostHouseholds: lost[g, default: 0])
        }
        newGrids = new.gridIDs.filter { oldIndex[$0] == nil }
        retiredGrids = old.gridIDs.filter { newIndex[$0] == nil }
        self.before = old.figures(villages: villages, band: band)
        self.after = new.figures(villages: villages, band: band)
    }

    /// The before/after table in Markdown.
    public func balanceTable() -> String {
        func row(_ name: String, _ a: String, _ b: String) -> String { "| \(name) | \(a) | \(b) |" }
        func f(_ x: Double) -> String { String(format: "%.1f", x) }
        func p(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        return [
            "| figure | before | after |", "|---|---|---|",
            row("grids", "\(before.grids)", "\(after.grids)"),
            row("mean workload", f(before.mean), f(after.mean)),
            row("min workload", f(before.min), f(after.min)),
            row("max workload", f(before.max), f(after.max)),
            row("coefficient of variation", p(before.cv), p(after.cv)),
            row("largest deviation from the mean", p(before.maxDeviation), p(after.maxDeviation)),
            row("grids within ±\(Int((before.band * 100).rounded()))% of the mean",
                "\(before.inBand) (\(p(Double(before.inBand) / Double(max(1, before.grids)))))",
                "\(after.inBand) (\(p(Double(after.inBand) / Double(max(1, after.grids)))))"),
            row("Polsby-Popper mean / median / min",
                [before.meanPolsbyPopper, before.medianPolsbyPopper, before.minPolsbyPopper].map { String(format: "%.3f", $0) }.joined(separator: " / "),
                [after.meanPolsbyPopper, after.medianPolsbyPopper, after.minPolsbyPopper].map { String(format: "%.3f", $0) }.joined(separator: " / ")),
        ].joined(separator: "\n")
    }

    /// A one-page Markdown report of the changes.
    public func markdown(title: String) -> String {
        var lines = ["# \(title)", "", balanceTable(), "",
                     "- buildings changing grid: \(buildingMoves.count), households changing grid: \(householdsMoved)",
                     "- new grids: \(newGrids.isEmpty ? "none" : newGrids.prefix(30).joined(separator: ", "))\(newGrids.count > 30 ? " …" : "")",
                     "- retired grids: \(retiredGrids.isEmpty ? "none" : retiredGrids.prefix(30).joined(separator: ", "))\(retiredGrids.count > 30 ? " …" : "")",
                     ""]
        if !workers.isEmpty {
            lines += ["## Grid workers affected", "", "| worker | grid | households before | after | gains | loses |", "|---|---|---|---|---|---|"]
            for w in workers.prefix(60) {
                lines.append("| \(w.staffID) \(w.name) | \(w.gridID) | \(w.householdsBefore) | " +
                             "\(w.householdsAfter.map(String.init) ?? "grid retired") | \(w.gainedHouseholds) | \(w.lostHouseholds) |")
            }
            if workers.count > 60 { lines += ["", "… and \(workers.count - 60) more in moves.csv"] }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension PlanDiff {
    /// Writes `moves.csv` (`building_id,households,from_grid_id,to_grid_id`): each building that changes grid, with
    /// its households. The one writer of that file, for proposal folders and `plan diff --out`.
    public func writeMoves(to path: String) throws {
        let csv = try CSVWriter(path: path)
        try csv.write(["building_id", "households", "from_grid_id", "to_grid_id"])
        for m in buildingMoves { try csv.write([m.buildingID, String(m.households), m.from ?? "", m.to ?? ""]) }
        try csv.close()
    }
}
