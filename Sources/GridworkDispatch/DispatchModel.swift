import Foundation
import Gridwork

/// What an actor does to an incident. Each action is legal only from some states (`Lifecycle`).
public enum IncidentAction: String, Sendable, Codable, CaseIterable {
    /// Send to a handler (at intake by the router, later by a dispatcher).
    case dispatch
    case accept
    /// Begin handling (处置).
    case start
    case resolve
    /// The reporter rates the result (评单), 1–5.
    case rate
    case close
    /// The handler rejects or returns it to the dispatch centre (退单), with a reason.
    case `return`
    /// The reporter or a dispatcher reopens a resolved or closed incident.
    case reopen
    /// Raise the escalation level (grid → village → town → county) of an open incident: the deadline sweep does it
    /// one level per passed step, a dispatcher by hand. The state, assignee and deadline stay; the level never drops.
    case escalate
}

/// The legal transitions of the closed loop.
public enum Lifecycle {
    /// The state after `action` from `state`, or nil when the action is illegal there.
    public static func next(from state: IncidentState, action: IncidentAction) -> IncidentState? {
        switch (action, state) {
        case (.dispatch, .reported), (.dispatch, .dispatched): .dispatched
        case (.accept, .dispatched): .accepted
        case (.start, .accepted): .inProgress
        case (.resolve, .accepted), (.resolve, .inProgress): .resolved
        case (.return, .dispatched), (.return, .accepted), (.return, .inProgress): .reported
        case (.rate, .resolved): .rated
        case (.close, .resolved), (.close, .rated): .closed
        case (.reopen, .resolved), (.reopen, .rated), (.reopen, .closed): .dispatched
        case (.escalate, .reported), (.escalate, .dispatched), (.escalate, .accepted), (.escalate, .inProgress): state
        default: nil
        }
    }

    /// The actions legal from `state` (for error messages).
    public static func actions(from state: IncidentState) -> [IncidentAction] {
        IncidentAction.allCases.filter { next(from: state, action: $0) != nil }
    }
}

/// Who an incident is assigned to.
public enum AssigneeKind: String, Sendable, Codable {
    /// A full-time or part-time grid worker (`staff_id`).
    case staff
    /// The department that owns the category (`department_id`).
    case department
    /// The village committee, when its grid has nobody on duty.
    case village
}

/// The escalation ladder when a deadline passes: grid → village → town → county. Only `escalate` moves an incident
/// up it and nothing but `reopen` (a new round) moves it down: dispatching to a handler keeps the level.
public enum EscalationLevel: Int, Sendable, Codable, CaseIterable, Comparable {
    case grid = 0, village, town, county

    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The level an escalation from `self` reaches: `target`, or the next level up when nil. Refuses (`conflict`)
    /// a target that is not above `self`, and escalating at the county, the top.
    public func raised(to target: EscalationLevel?) throws -> EscalationLevel {
        guard let next = target ?? EscalationLevel(rawValue: rawValue + 1) else {
            throw DispatchError(.conflict, "cannot escalate: the incident is already at the county level, the top of the ladder")
        }
        guard next > self else {
            throw DispatchError(.conflict, "cannot escalate to the \(next.name) level: the incident is at the \(name) level and "
                + "escalation only raises it (to move it to another handler, dispatch it with an \"assignee\")")
        }
        return next
    }

    public var name: String {
        switch self {
        case .grid: "grid"
        case .village: "village"
        case .town: "town"
        case .county: "county"
        }
    }
}

/// The roles an API token carries.
public enum TokenRole: String, Sendable, Codable, CaseIterable {
    /// A reporting app (residents' phone app, hotline): creates incidents, sees and rates its own.
    case reporter
    /// A grid worker (full- or part-time): sees only the incidents of their grids, handles what is assigned to them.
    case gridWorker = "grid_worker"
    /// A department: sees and handles what is assigned to it.
    case department
    /// The dispatch centre: sees everything, dispatches, closes, reopens, runs the escalation sweep.
    case dispatcher
    /// Planners: read-only view of everything, reports and maps.
    case planner
    /// Everything a dispatcher can do.
    case admin
}

/// The caller of a request, from its token.
public struct Principal: Sendable, Hashable {
    public var tokenID: Int64
    public var role: TokenRole
    public var staffID: String?
    public var departmentID: String?
    /// For grid workers: the grids they work in.
    public var gridIDs: Set<String>

    public init(tokenID: Int64, role: TokenRole, staffID: String? = nil, departmentID: String? = nil,
                gridIDs: Set<String> = []) {
        self.tokenID = tokenID
        self.role = role
        self.staffID = staffID
        self.departmentID = departmentID
        self.gridIDs = gridIDs
    }

    /// Dispatchers and admins see and may act on every incident.
    public var isDispatch: Bool { role == .dispatcher || role == .admin }

    /// Actor text recorded with each transition: `role:id`.
    public var actor: String {
        switch role {
        case .gridWorker: "grid_worker:\(staffID ?? "?")"
        case .department: "department:\(departmentID ?? "?")"
        default: "\(role.rawValue):token\(tokenID)"
        }
    }

    /// Whether this caller may see `incident`: `visibility`, the same rule the store filters listings by.
    public func canSee(_ incident: Incident) -> Bool {
        visibility.admits(incident)
    }
}

/// One incident of the dispatch service. Times are UTC.
public struct Incident: Sendable, Hashable {
    public var id: Int64
    public var category: String
    public var description: String
    public var lon: Double
    public var lat: Double
    /// The coordinates and CRS as the reporter sent them.
    public var sourceX: Double
    public var sourceY: Double
    public var sourceCRS: String
    public var address: String
    public var gridID: String?
    public var buildingID: String?
    public var villageID: String?
    public var townID: String?
    public var geocodeStatus: String
    public var state: IncidentState
    public var assigneeKind: AssigneeKind
    public var assigneeID: String
    public var escalationLevel: EscalationLevel
    public var reportedAt: Date
    public var dueAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    public var closedAt: Date?
    public var rating: Int?
    public var reporterContact: String
    public var reporterTokenID: Int64
    public var idempotencyKey: String?
    public var routingReason: String
    /// An earlier incident of the same category at the same place within the repeat window.
    public var repeatOf: Int64?
    /// The first deadline, set at intake and never moved (`dueAt` moves with each escalation step and dispatch): how
    /// late an incident is, and whether it was resolved on time, count from it.
    public var deadlineAt: Date
}

/// One step of an incident's history.
public struct IncidentEvent: Sendable, Hashable, Codable {
    /// The event's row id (`dispatch_event.event_id`); photos of the step point to it.
    public var id: Int64
    public var at: Date
    public var actor: String
    /// An `IncidentAction`, or `report` for the intake.
    public var action: String
    /// Nil for the report that created the incident.
    public var fromState: IncidentState?
    public var toState: IncidentState
    public var note: String
}

/// A clock the service reads; tests hand in a controllable one.
public protocol DispatchClock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemDispatchClock: DispatchClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock moved by hand (tests, simulations). Thread-safe.
public final class ManualDispatchClock: DispatchClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    public func advance(by seconds: TimeInterval) {
        lock.lock()
        current += seconds
        lock.unlock()
    }
}

/// A refusal of the dispatch domain, with a message saying what to fix. It knows nothing of HTTP: the server maps
/// each kind to a status code in one place (`DispatchError.status` in GridworkServer).
public struct DispatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal: `invalidInput`, the request itself is wrong (a missing or malformed field, an unknown
    /// category or CRS); `unauthenticated`, no token or one the store does not know; `forbidden`, the caller is known
    /// but may not do this; `notFound`, no such incident (or none the caller may see), action or grid; `conflict`,
    /// the incident's state does not allow the action; `unprocessable`, well-formed but the county cannot take it
    /// (a point outside every grid, nobody to route to).
    public enum Kind: Sendable, CaseIterable { case invalidInput, unauthenticated, forbidden, notFound, conflict, unprocessable }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Timestamps in the API: ISO 8601 UTC with milliseconds.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parse(_ text: String) -> Date? {
        if let d = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return d }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func date(millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}
