import Foundation
import GeoJSON
import GridProjection

/// How the workload report is built.
public struct WorkloadOptions: Sendable, Hashable {
    public var weights = WorkloadWeights()
    /// Incidents reported in the `windowDays` days up to `asOf` count.
    public var windowDays = 365
    /// The end of the window; nil means the newest incident's time (so an old export still gives a full window).
    public var asOf: Date?
    /// How many grids to list above and below the mean.
    public var extremes = 10

    public init(weights: WorkloadWeights = WorkloadWeights(), windowDays: Int = 365, asOf: Date? = nil, extremes: Int = 10) {
        self.weights = weights
        self.windowDays = windowDays
        self.asOf = asOf
        self.extremes = extremes
    }
}

/// Who carries how much: per grid counts, incidents and staff, a workload index, and the county's balance.
public struct WorkloadReport: Sendable, Hashable, Codable {
    public var windowDays: Int
    public var windowStart: String
    public var windowEnd: String
    public var weights: WorkloadWeights
    public var grids: [GridWorkload]
    public var balance: Balance

    public struct GridWorkload: Sendable, Hashable, Codable {
        public var gridID: String
        public var villageID: String?
        public var townID: String?
        public var name: String
        public var areaM2: Double
        public var households = 0
        public var residents = 0
        public var buildings = 0
        public var buildingHeads = 0
        /// Incidents reported in the window, by category.
        public var incidentsByCategory: [String: Int] = [:]
        public var incidents = 0
        /// Incidents not closed, whenever reported.
        public var openIncidents = 0
        public var gridWorkers = 0
        public var partTimeWorkers = 0
        public var staff = 0
        /// The weighted sum before normalising.
        public var rawWorkload = 0.0
        /// 100 · raw / county mean.
        public var workloadIndex = 0.0

        /// The inputs of the index.
        public var counts: WorkloadCounts {
            WorkloadCounts(households: households, residents: residents, buildings: buildings, areaM2: areaM2,
                           incidentsByCategory: incidentsByCategory, openIncidents: openIncidents)
        }

        enum CodingKeys: String, CodingKey {
            case name, households, residents, buildings, incidents, staff
            case gridID = "grid_id", villageID = "village_id", townID = "town_id", areaM2 = "area_m2"
            case buildingHeads = "building_heads", incidentsByCategory = "incidents_by_category"
            case openIncidents = "open_incidents", gridWorkers = "grid_workers", partTimeWorkers = "part_time_workers"
            case rawWorkload = "raw_workload", workloadIndex = "workload_index"
        }
    }

    /// The spread of raw workload across grids.
    public struct Balance: Sendable, Hashable, Codable {
        public var mean: Double
        public var max: Double
        public var maxOverMean: Double
        public var coefficientOfVariation: Double
        public var gini: Double
        /// Grids furthest above the mean, highest first: the list a planner starts from.
        public var mostAboveMean: [String]
        /// Grids furthest below the mean, lowest first.
        public var mostBelowMean: [String]
        enum CodingKeys: String, CodingKey {
            case mean, max, gini
            case maxOverMean = "max_over_mean", coefficientOfVariation = "coefficient_of_variation"
            case mostAboveMean = "most_above_mean", mostBelowMean = "most_below_mean"
        }
    }

    enum CodingKeys: String, CodingKey {
        case weights, grids, balance
        case windowDays = "window_days", windowStart = "window_start", windowEnd = "window_end"
    }
}

/// A report that cannot be made, with the fix.
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension WorkloadReport {
    /// Counts households and incidents per grid by location (`GridLocator.gridIndices`, exact covers, lowest id on
    /// shared edges); households without a location count in their building's grid. Buildings count in the grid
    /// their `grid_id` names, or else the grid covering their first vertex. Building heads count in their
    /// building's grid, other staff in the grid they are assigned to.
    public static func compute(_ layers: CountyLayers, options: WorkloadOptions = WorkloadOptions()) throws -> WorkloadReport {
        let grids = layers.grids
        guard !grids.isEmpty else { throw ReportError("no grids: give --grids FILE or a database with grids") }
        let locator = try GridLocator(grids: grids)
        // The locator sorts by id; map its indices back to ours.
        let position = Dictionary(grids.enumerated().map { ($0.element.gridID, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let toOurs = locator.gridIDs.map { position[$0]! }
        var rows = grids.map {
            GridWorkload(gridID: $0.gridID, villageID: $0.villageID, townID: $0.townID, name: $0.name,
                         areaM2: Geodesic.area(of: $0.geometry))
        }
        func locate(_ points: [Position]) -> [Int?] {
            locator.gridIndices(xs: points.map(\.x), ys: points.map(\.y)).map { $0 < 0 ? nil : toOurs[Int($0)] }
        }

        // Buildings.
        var gridOfBuilding: [String: Int] = [:]
        let unassigned = layers.buildings.filter { $0.gridID.flatMap { position[$0] } == nil }
        let firstVertices = unassigned.map { $0.geometry.polygons.first?.exterior.positions.first ?? Position(.nan, .nan) }
        for (building, grid) in zip(unassigned, locate(firstVertices)) { if let grid { gridOfBuilding[building.buildingID] = grid } }
        for building in layers.buildings { if let g = building.gridID.flatMap({ position[$0] }) { gridOfBuilding[building.buildingID] = g } }
        for grid in gridOfBuilding.values { rows[grid].buildings += 1 }

        // Households.
        let located = layers.households.filter { $0.location != nil }
        for (household, grid) in zip(located, locate(located.map { $0.location! })) {
            guard let grid else { continue }
            rows[grid].households += 1
            rows[grid].residents += household.residents
        }
        for household in layers.households where household.location == nil {
            guard let grid = household.buildingID.flatMap({ gridOfBuilding[$0] }) else { continue }
            rows[grid].households += 1
            rows[grid].residents += household.residents
        }

        // Staff.
        for member in layers.staff where member.onDuty {
            let grid = member.role == .buildingHead
                ? member.buildingID.flatMap { gridOfBuilding[$0] } ?? member.gridID.flatMap { position[$0] }
                : member.gridID.flatMap { position[$0] }
            guard let grid else { continue }
            rows[grid].staff += 1
            switch member.role {
            case .gridWorker: rows[grid].gridWorkers += 1
            case .partTimeWorker: rows[grid].partTimeWorkers += 1
            case .buildingHead: rows[grid].buildingHeads += 1
            }
        }

        // Incidents in the window.
        let times = layers.incidents.map(\.reportedAt)
        let end = options.asOf ?? times.max() ?? Date()
        let start = end.addingTimeInterval(-Double(options.windowDays) * 86_400)
        for ((incident, time), grid) in zip(zip(layers.incidents, times), locate(layers.incidents.map(\.location))) {
            guard let grid else { continue }
            if incident.state != .closed { rows[grid].openIncidents += 1 }
            if time > start, time <= end {
                rows[grid].incidents += 1
                rows[grid].incidentsByCategory[incident.category, default: 0] += 1
            }
        }

        // The index.
        let w = options.weights
        for k in rows.indices {
            rows[k].rawWorkload = w.rawWorkload(of: rows[k].counts)
        }
        let values = rows.map(\.rawWorkload)
        let mean = values.reduce(0, +) / Double(values.count)
        for k in rows.indices { rows[k].workloadIndex = mean > 0 ? 100 * rows[k].rawWorkload / mean : 0 }
        let ranked = rows.sorted { ($0.rawWorkload, $1.gridID) > ($1.rawWorkload, $0.gridID) }
        let n = min(options.extremes, rows.count)
        let balance = Balance(mean: mean, max: values.max() ?? 0, maxOverMean: mean > 0 ? (values.max() ?? 0) / mean : 0,
                              coefficientOfVariation: coefficientOfVariation(values), gini: gini(values),
                              mostAboveMean: ranked.prefix(n).filter { $0.rawWorkload > mean }.map(\.gridID),
                              mostBelowMean: ranked.reversed().prefix(n).filter { $0.rawWorkload < mean }.map(\.gridID))
        let format = ISO8601DateFormatter()
        return WorkloadReport(windowDays: options.windowDays, windowStart: format.string(from: start),
                              windowEnd: format.string(from: end), weights: w, grids: rows, balance: balance)
    }

    /// Population standard deviation over the mean (0 when the mean is 0).
    static func coefficientOfVariation(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        guard mean > 0 else { return 0 }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return variance.squareRoot() / mean
    }

    /// Gini coefficient: `Σ_i (2i − n − 1)·x_(i) / (n·Σx)` over the sorted values (0 equal, → 1 one grid carries all).
    static func gini(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = Double(sorted.count)
        let total = sorted.reduce(0, +)
        guard n > 0, total > 0 else { return 0 }
        var sum = 0.0
        for (i, x) in sorted.enumerated() { sum += (2 * Double(i + 1) - n - 1) * x }
        return sum / (n * total)
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM` without a formatter (about 50 times faster than
/// `ISO8601DateFormatter`); nil for any other shape, which the caller hands to the formatter.
func fastISO8601(_ text: String) -> Date? {
    var utf8 = text.utf8.makeIterator()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(25)
    while let b = utf8.next() { bytes.append(b); if bytes.count > 25 { return nil } }
    func number(_ from: Int, _ count: Int) -> Int? {
        var v = 0
        for k in from..<(from + count) {
            guard k < bytes.count, bytes[k] >= 48, bytes[k] <= 57 else { return nil }
            v = v * 10 + Int(bytes[k] - 48)
        }
        return v
    }
    guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58, bytes[16] == 58,
          let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
          let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), (1...31).contains(day)
    else { return nil }
    var offset = 0
    if bytes.count == 20, bytes[19] == 90 {
        offset = 0
    } else if bytes.count == 25, bytes[19] == 43 || bytes[19] == 45, bytes[22] == 58,
              let oh = number(20, 2), let om = number(23, 2) {
        offset = (bytes[19] == 43 ? 1 : -1) * (oh * 3600 + om * 60)
    } else {
        return nil
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset))
}
