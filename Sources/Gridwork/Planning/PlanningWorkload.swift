import Foundation

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

/// The planner's workload of a set of buildings: the raw workload of the reports module's index
/// (`WorkloadReport.compute`, weights `WorkloadWeights`): households, residents, buildings, area, open incidents
/// and incidents of the window by category, weighted. The report's index is 100 × raw / mean raw, so balancing
/// raw workloads around their mean balances the index around 100.
///
/// This is the one place the planner defines workload; `PlanningTests` checks it against `WorkloadReport` grid by grid.
public func planningWorkload(_ counts: WorkloadCounts, weights: WorkloadWeights) -> Double {
    var raw = Double(counts.households) * weights.households + Double(counts.residents) * weights.residents
    raw += Double(counts.buildings) * weights.buildings + counts.areaM2 / 1e6 * weights.areaKm2
    raw += Double(counts.openIncidents) * weights.openIncidents
    for (category, count) in counts.incidentsByCategory {
        raw += Double(count) * weights.incidents * (weights.categories[category] ?? 1)
    }
    return raw
}

/// A planning job that cannot go on, with what to do about it.
public struct PlanningError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
