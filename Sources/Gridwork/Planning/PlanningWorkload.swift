import Foundation

/// The weights of the planner's workload index of a set of buildings.
///
/// Until the reports module's `WorkloadReport` index is on main, the planner defines the workload of a set of
/// buildings in exactly one place, `planningWorkload(_:weights:)`, so that index can replace it later.
public struct WorkloadWeights: Sendable, Hashable, Codable {
    /// Weight of one household (户).
    public var household: Double
    /// Weight of one resident.
    public var resident: Double
    /// Weight of one incident reported in the window (by default the last 365 days of the history).
    public var incident: Double
    /// How many days of incident history count, ending at the newest incident (or at `asOf`).
    public var incidentDays: Int

    public init(household: Double = 1, resident: Double = 0.25, incident: Double = 2, incidentDays: Int = 365) {
        self.household = household
        self.resident = resident
        self.incident = incident
        self.incidentDays = incidentDays
    }

    /// Parses `household=1,resident=0.25,incident=2`; names left out keep their default.
    public init(parsing text: String) throws {
        self.init()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let value = Double(pair[1]), value.isFinite, value >= 0 else {
                throw PlanningError("weights: cannot read \"\(part)\"; write name=number pairs such as household=1,resident=0.25,incident=2")
            }
            switch pair[0] {
            case "household", "households": household = value
            case "resident", "residents": resident = value
            case "incident", "incidents": incident = value
            default:
                throw PlanningError("weights: unknown name \"\(pair[0])\"; the names are household, resident and incident")
            }
        }
    }

    public var description: String {
        "household=\(household),resident=\(resident),incident=\(incident) (incidents of the last \(incidentDays) days)"
    }
}

/// What a set of buildings (or parcels) holds: the inputs of the workload index.
public struct WorkloadCounts: Sendable, Hashable {
    public var households = 0
    public var residents = 0
    public var incidents = 0

    public init(households: Int = 0, residents: Int = 0, incidents: Int = 0) {
        self.households = households
        self.residents = residents
        self.incidents = incidents
    }

    public static func + (a: WorkloadCounts, b: WorkloadCounts) -> WorkloadCounts {
        WorkloadCounts(households: a.households + b.households, residents: a.residents + b.residents,
                       incidents: a.incidents + b.incidents)
    }

    public static func += (a: inout WorkloadCounts, b: WorkloadCounts) { a = a + b }
}

/// The planner's workload index of a set of buildings: households, residents and recent incidents, weighted.
///
/// This is the one function to swap for the reports module's `WorkloadReport` index once it lands.
public func planningWorkload(_ counts: WorkloadCounts, weights: WorkloadWeights) -> Double {
    weights.household * Double(counts.households) + weights.resident * Double(counts.residents)
        + weights.incident * Double(counts.incidents)
}

/// A planning job that cannot go on, with what to do about it.
public struct PlanningError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
