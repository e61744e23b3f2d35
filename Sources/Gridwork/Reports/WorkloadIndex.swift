import Foundation

/// The weights of the workload index, read from a JSON file (`--weights`); missing keys keep their defaults.
///
/// For each grid: `raw = households·w_h + residents·w_r + buildings·w_b + area_km2·w_a + open_incidents·w_o
/// + Σ_category incidents_in_window(category)·w_i·category_weight(category)` (category weight 1 unless given).
/// The index is `100 · raw / mean(raw)`: 100 is the county's average grid, 150 carries half as much again.
public struct WorkloadWeights: Sendable, Hashable, Codable {
    public var households = 1.0
    public var residents = 0.0
    public var buildings = 0.5
    public var areaKm2 = 2.0
    public var incidents = 3.0
    public var openIncidents = 5.0
    public var categories: [String: Double] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case households, residents, buildings, incidents, categories
        case areaKm2 = "area_km2", openIncidents = "open_incidents"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = WorkloadWeights()
        households = try c.decodeIfPresent(Double.self, forKey: .households) ?? d.households
        residents = try c.decodeIfPresent(Double.self, forKey: .residents) ?? d.residents
        buildings = try c.decodeIfPresent(Double.self, forKey: .buildings) ?? d.buildings
        areaKm2 = try c.decodeIfPresent(Double.self, forKey: .areaKm2) ?? d.areaKm2
        incidents = try c.decodeIfPresent(Double.self, forKey: .incidents) ?? d.incidents
        openIncidents = try c.decodeIfPresent(Double.self, forKey: .openIncidents) ?? d.openIncidents
        categories = try c.decodeIfPresent([String: Double].self, forKey: .categories) ?? [:]
    }

    /// Reads a weights file, saying which key is wrong when it cannot.
    public static func load(path: String) throws -> WorkloadWeights {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ReportError("cannot read the weights file \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(WorkloadWeights.self, from: data) } catch {
            throw ReportError("the weights file \(path) is not valid: \(error); expected a JSON object such as " +
                              #"{"households": 1, "incidents": 3, "categories": {"dispute": 2}}"#)
        }
    }
}

/// What a set of buildings (a parcel, or a grid made of parcels) holds: the inputs of the workload index.
/// Every field adds up over parcels, so a grid's counts are the sum of its parcels' counts.
public struct WorkloadCounts: Sendable, Hashable {
    public var households = 0
    public var residents = 0
    public var buildings = 0
    public var areaM2 = 0.0
    /// Incidents reported in the window, by category.
    public var incidentsByCategory: [String: Int] = [:]
    /// Incidents not closed (whenever reported).
    public var openIncidents = 0

    public init(households: Int = 0, residents: Int = 0, buildings: Int = 0, areaM2: Double = 0,
                incidentsByCategory: [String: Int] = [:], openIncidents: Int = 0) {
        self.households = households
        self.residents = residents
        self.buildings = buildings
        self.areaM2 = areaM2
        self.incidentsByCategory = incidentsByCategory
        self.openIncidents = openIncidents
    }

    /// Incidents reported in the window, all categories.
    public var incidents: Int { incidentsByCategory.values.reduce(0, +) }

    public static func + (a: WorkloadCounts, b: WorkloadCounts) -> WorkloadCounts {
        WorkloadCounts(households: a.households + b.households, residents: a.residents + b.residents,
                       buildings: a.buildings + b.buildings, areaM2: a.areaM2 + b.areaM2,
                       incidentsByCategory: a.incidentsByCategory.merging(b.incidentsByCategory, uniquingKeysWith: +),
                       openIncidents: a.openIncidents + b.openIncidents)
    }

    public static func += (a: inout WorkloadCounts, b: WorkloadCounts) { a = a + b }
}

extension WorkloadWeights {
    /// The raw workload of `counts`: the one formula of the workload index, used by the workload report (per grid;
    /// the index is 100 × raw / mean raw) and by the planner (per parcel and per proposed grid, so balancing raw
    /// workloads around their mean balances the index around 100).
    public func rawWorkload(of counts: WorkloadCounts) -> Double {
        var raw = Double(counts.households) * households + Double(counts.residents) * residents
        raw += Double(counts.buildings) * buildings + counts.areaM2 / 1e6 * areaKm2
            + Double(counts.openIncidents) * openIncidents
        for (category, count) in counts.incidentsByCategory {
            raw += Double(count) * incidents * (categories[category] ?? 1)
        }
        return raw
    }
}
