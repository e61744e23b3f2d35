import Foundation
import Gridwork
import GridStore

/// A new incident after validation and geocoding, before routing.
public struct NewIncident: Sendable, Hashable {
    public var category: String
    public var description: String
    public var lon: Double
    public var lat: Double
    public var sourceX: Double
    public var sourceY: Double
    public var sourceCRS: String
    public var address: String
    public var boundaryVersion: Int
    public var gridID: String?
    public var buildingID: String?
    public var villageID: String?
    public var townID: String?
    public var geocodeStatus: String
    public var reporterContact: String
    public var idempotencyKey: String?
    /// Photos sent with the report, already written to the media directory (`MediaLibrary.save`).
    public var photos: [NewMedia] = []

    /// Where "the same place" is for repeat reports: the building, else a ~50 m cell of the grid.
    public var placeKey: String {
        if let buildingID { return "b:" + buildingID }
        let cx = Int((lon / 0.0005).rounded(.down)), cy = Int((lat / 0.0005).rounded(.down))
        return "g:\(gridID ?? "-"):\(cx):\(cy)"
    }
}

/// Which incidents a listing wants. Every field narrows; nil means "any".
public struct IncidentQuery: Sendable, Hashable {
    public var ids: [Int64]?
    public var states: [IncidentState]?
    public var categories: [String]?
    public var reportedFrom: Date?
    public var reportedTo: Date?
    /// Role filter: the caller's view (`Principal.visibility`, the rule `Principal.canSee` uses), applied in SQL.
    public var visibleTo: Principal?
    /// Text search: incidents whose description or address contains this text (case-insensitive for ASCII letters).
    public var text: String?
    public var limit: Int = 1000

    public init(ids: [Int64]? = nil, states: [IncidentState]? = nil, categories: [String]? = nil,
                reportedFrom: Date? = nil, reportedTo: Date? = nil, visibleTo: Principal? = nil, limit: Int = 1000) {
        self.ids = ids
        self.states = states
        self.categories = categories
        self.reportedFrom = reportedFrom
        self.reportedTo = reportedTo
        self.visibleTo = visibleTo
        self.limit = limit
    }
}

/// What a transition request asks for, checked inside the store's transaction.
public struct TransitionRequest: Sendable {
    public var action: IncidentAction
    public var note: String
    public var rating: Int?
    /// For `dispatch`: the new assignee; nil keeps the current one.
    public var assignee: (kind: AssigneeKind, id: String)?
    /// For `dispatch` and `reopen`: the new deadline.
    public var dueAt: Date?
    /// For `escalate`: the level to reach; nil is one level up (`EscalationLevel.raised(to:)`).
    public var level: EscalationLevel?
    /// Photos of this step (a worker's "resolved" photo), already written to the media directory.
    public var photos: [NewMedia]

    public init(action: IncidentAction, note: String = "", rating: Int? = nil,
                assignee: (kind: AssigneeKind, id: String)? = nil, dueAt: Date? = nil, level: EscalationLevel? = nil,
                photos: [NewMedia] = []) {
        self.photos = photos
        self.action = action
        self.note = note
        self.rating = rating
        self.assignee = assignee
        self.dueAt = dueAt
        self.level = level
    }
}

/// One escalation the sweep made.
public struct Escalation: Sendable, Hashable {
    public var incidentID: Int64
    public var level: EscalationLevel
    public var fellDueAt: Date
}

/// The dispatch centre's figures for a period.
public struct DispatchReport: Sendable, Hashable, Codable {
    @Nullable public var from: String?
    @Nullable public var to: String?
    public var total: Int
    public var byState: [String: Int]
    public var closed: Int
    /// closed / total.
    @Nullable public var closureRate: Double?
    public var resolved: Int
    public var resolvedOnTime: Int
    /// Resolved before the first deadline / resolved.
    @Nullable public var onTimeRate: Double?
    public var rated: Int
    public var satisfied: Int
    /// Ratings of 4 or 5 / rated.
    @Nullable public var satisfactionRate: Double?
    @Nullable public var averageRating: Double?
    public var escalated: Int
    /// Incidents that repeat an earlier report of the same category at the same place.
    public var repeatReports: Int
    public var repeatPlaces: [RepeatPlace]
    /// The same figures per town, village and grid (by where each incident was placed; `id` null for incidents
    /// outside every grid), ordered by id.
    public var byTown: [AreaRow]
    public var byVillage: [AreaRow]
    public var byGrid: [AreaRow]

    /// One area's figures for the period.
    public struct AreaRow: Sendable, Hashable, Codable {
        @Nullable public var id: String?
        /// Reported in the period.
        public var received: Int
        public var closed: Int
        public var resolved: Int
        public var resolvedOnTime: Int
        /// Resolved before the first deadline / resolved.
        @Nullable public var onTimeRate: Double?
        public var rated: Int
        public var satisfied: Int
        /// Ratings of 4 or 5 / rated.
        @Nullable public var satisfactionRate: Double?
        /// Still open at the time of the report.
        public var open: Int
        /// Open and past the deadline, or already escalated, at the time of the report (as the console's overdue table).
        public var overdue: Int
    }

    public struct RepeatPlace: Sendable, Hashable, Codable {
        public var category: String
        public var place: String
        @Nullable public var gridID: String?
        public var reports: Int
    }
}

/// A stored API token.
public struct StoredToken: Sendable, Hashable {
    public var tokenID: Int64
    public var role: TokenRole
    public var staffID: String?
    public var departmentID: String?
}

/// A token as `gridwork token list` shows it: everything but the secret (which is not stored) and its hash.
public struct TokenRecord: Sendable, Hashable {
    public var tokenID: Int64
    public var role: TokenRole
    public var staffID: String?
    public var departmentID: String?
    public var label: String
    public var createdAt: Date
    public var revokedAt: Date?
}

/// Persistence of the dispatch service. `DispatchService` takes any implementation; production uses
/// `SQLiteIncidentStore`.
public protocol IncidentStore: Sendable {
    /// Stores a new incident, routed by `decide` (given the open items of `candidates`), with its `reported` and
    /// `dispatched` events, in one transaction committed before returning. With an idempotency key already used by
    /// the same reporter, returns the stored incident and `created: false`.
    func create(_ new: NewIncident, reporter: Principal, now: Date, candidates: [String], repeatWindow: TimeInterval,
                decide: ([String: Int]) throws -> RoutingDecision) throws -> (incident: Incident, created: Bool)
    func incident(id: Int64) throws -> Incident?
    func events(of id: Int64) throws -> [IncidentEvent]
    func incidents(_ query: IncidentQuery) throws -> [Incident]
    /// Applies one transition; `authorize` sees the current incident inside the transaction, throws to refuse, and
    /// returns a new deadline (or nil to keep `request.dueAt`).
    func transition(id: Int64, _ request: TransitionRequest, actor: String, now: Date,
                    authorize: (Incident) throws -> Date?) throws -> Incident
    /// Escalates every open incident whose deadline has passed, one level per elapsed step, up to the county.
    func escalateOverdue(now: Date, stepHours: Double) throws -> [Escalation]
    /// The figures of the incidents reported between `from` and `to`; `now` decides which open ones are overdue.
    func report(from: Date?, to: Date?, now: Date) throws -> DispatchReport
    func token(hash: String) throws -> StoredToken?
    func createToken(hash: String, role: TokenRole, staffID: String?, departmentID: String?, label: String,
                     now: Date) throws -> Int64
    /// Every token, oldest first, revoked ones included.
    func tokens() throws -> [TokenRecord]
    /// Marks a token revoked; false when there is no such token. Revoking twice keeps the first time.
    func revokeToken(id: Int64, now: Date) throws -> Bool
    /// The photos of these incidents, oldest first.
    func media(ofIncidents ids: [Int64]) throws -> [StoredMedia]
    /// One photo's record.
    func media(id: Int64) throws -> StoredMedia?
}

/// The SQLite implementation: one `SQLiteDatabase` (one writer under a lock, pooled WAL readers).
/// Every write commits before the call returns, so an acknowledged incident survives a crash.
public final class SQLiteIncidentStore: IncidentStore {
    public let database: SQLiteDatabase

    /// Opens the county database and brings the county and dispatch schemas up to date.
    public init(path: String, readers: Int = 4) throws {
        database = try SQLiteDatabase(path: path, readers: readers, migrator: Migrator(CountySchema.migrations))
        try database.withWriter { try DispatchSchema.migrate($0) }
    }

    static let columns = """
        incident_id, category, description, lon, lat, source_x, source_y, source_crs, address, grid_id, building_id,
        village_id, town_id, geocode_status, state, assignee_kind, assignee_id, escalation_level, reported_at, due_at,
        updated_at, resolved_at, closed_at, rating, reporter_contact, reporter_token_id, idempotency_key,
        routing_reason, repeat_of, deadline_at
        """

    static func incident(_ r: SQLiteRow) -> Incident {
        func date(_ i: Int) -> Date? { r[i].int64Value.map(Timestamp.date(millis:)) }
        return Incident(
            id: r[0].int64Value ?? 0, category: r[1].stringValue ?? "", description: r[2].stringValue ?? "",
            lon: r[3].doubleValue ?? .nan, lat: r[4].doubleValue ?? .nan, sourceX: r[5].doubleValue ?? .nan,
            sourceY: r[6].doubleValue ?? .nan, sourceCRS: r[7].stringValue ?? "", address: r[8].stringValue ?? "",
            gridID: r[9].stringValue, buildingID: r[10].stringValue, villageID: r[11].stringValue,
            townID: r[12].stringValue, geocodeStatus: r[13].stringValue ?? "",
            state: IncidentState(rawValue: r[14].stringValue ?? "") ?? .reported,
            assigneeKind: AssigneeKind(rawValue: r[15].stringValue ?? "") ?? .village, assigneeID: r[16].stringValue ?? "",
            escalationLevel: EscalationLevel(rawValue: r[17].intValue ?? 0) ?? .grid,
            reportedAt: date(18) ?? .distantPast, dueAt: date(19) ?? .distantPast, updatedAt: date(20) ?? .distantPast,
            resolvedAt: date(21), closedAt: date(22), rating: r[23].intValue, reporterContact: r[24].stringValue ?? "",
            reporterTokenID: r[25].int64Value ?? 0, idempotencyKey: r[26].stringValue,
            routingReason: r[27].stringValue ?? "", repeatOf: r[28].int64Value, deadlineAt: date(29) ?? .distantPast)
    }

    private static func fetch(_ c: SQLiteConnection, id: Int64) throws -> Incident? {
        try c.query("SELECT \(columns) FROM dispatch_incident WHERE incident_id = ?", [.integer(id)]).first.map(incident)
    }

    @discardableResult
    private static func event(_ c: SQLiteConnection, _ id: Int64, at: Date, actor: String, action: String,
                              from: IncidentState?, to: IncidentState, note: String, photos: [NewMedia] = []) throws -> Int64 {
        try c.run("INSERT INTO dispatch_event (incident_id, at, actor, action, from_state, to_state, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  [.integer(id), .integer(Timestamp.millis(at)), .text(actor), .text(action), SQLiteValue(from?.rawValue),
                   .text(to.rawValue), .text(note)])
        let eventID = c.lastInsertRowID
        for photo in photos {
            try c.run("""
                INSERT INTO dispatch_media (incident_id, event_id, content_type, bytes, sha256, original_name, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, [.integer(id), .integer(eventID), .text(photo.type.rawValue), .integer(Int64(photo.bytes)),
                      .text(photo.sha256), .text(photo.originalName), .integer(Timestamp.millis(at))])
        }
        return eventID
    }

    public func create(_ new: NewIncident, reporter: Principal, now: Date, candidates: [String], repeatWindow: TimeInterval,
                       decide: ([String: Int]) throws -> RoutingDecision) throws -> (incident: Incident, created: Bool) {
        try database.write { c in
            if let key = new.idempotencyKey,
               let row = try c.query("SELECT \(Self.columns) FROM dispatch_incident WHERE reporter_token_id = ? AND idempotency_key = ?",
                                     [.integer(reporter.tokenID), .text(key)]).first {
                return (Self.incident(row), false)
            }
            var workload: [String: Int] = [:]
            if !candidates.isEmpty {
                // One query for all candidates (the router passes a grid's few workers).
                let marks = Array(repeating: "?", count: candidates.count).joined(separator: ",")
                try c.forEachRow(
                    "SELECT assignee_id, count(*) FROM dispatch_incident WHERE assignee_kind = 'staff' AND assignee_id IN (\(marks)) "
                        + "AND state IN (?, ?, ?, ?) GROUP BY assignee_id",
                    candidates.map { .text($0) } + IncidentState.openStates.map { .text($0.rawValue) }
                ) { row, _ in
                    if let id = row.string(at: 0) { workload[id] = Int(row.int64(at: 1)) }
                }
            }
            let decision = try decide(workload)
            let nowMs = Timestamp.millis(now)
            let due = nowMs + Int64(decision.deadlineHours * 3_600_000)
            let place = new.placeKey
            let repeatOf = try c.query(
                "SELECT incident_id FROM dispatch_incident WHERE category = ? AND place_key = ? AND reported_at >= ? ORDER BY reported_at DESC LIMIT 1",
                [.text(new.category), .text(place), .integer(nowMs - Int64(repeatWindow * 1000))]).first?[0].int64Value
            try c.run("""
                INSERT INTO dispatch_incident (category, description, lon, lat, source_x, source_y, source_crs, address,
                    boundary_version, grid_id, building_id, village_id, town_id, geocode_status, place_key, state,
                    assignee_kind, assignee_id, escalation_level, reported_at, deadline_at, due_at, updated_at,
                    reporter_contact, reporter_token_id, idempotency_key, routing_reason, repeat_of)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'dispatched', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [
                    .text(new.category), .text(new.description), .real(new.lon), .real(new.lat), .real(new.sourceX),
                    .real(new.sourceY), .text(new.sourceCRS), .text(new.address), .integer(Int64(new.boundaryVersion)),
                    SQLiteValue(new.gridID), SQLiteValue(new.buildingID), SQLiteValue(new.villageID), SQLiteValue(new.townID),
                    .text(new.geocodeStatus), .text(place), .text(decision.assigneeKind.rawValue), .text(decision.assigneeID),
                    .integer(nowMs), .integer(due), .integer(due), .integer(nowMs), .text(new.reporterContact),
                    .integer(reporter.tokenID), SQLiteValue(new.idempotencyKey), .text(decision.reason),
                    repeatOf.map { .integer($0) } ?? .null,
                ])
            let id = c.lastInsertRowID
            try Self.event(c, id, at: now, actor: reporter.actor, action: "report", from: nil, to: .reported,
                           note: "geocoded \(new.geocodeStatus) to grid \(new.gridID ?? "none")"
                               + (repeatOf.map { "; repeats incident \($0)" } ?? ""), photos: new.photos)
            try Self.event(c, id, at: now, actor: "router", action: IncidentAction.dispatch.rawValue, from: .reported,
                           to: .dispatched, note: decision.reason)
            let reportedAt = Timestamp.date(millis: nowMs)
            let stored = Incident(
                id: id, category: new.category, description: new.description, lon: new.lon, lat: new.lat,
                sourceX: new.sourceX, sourceY: new.sourceY, sourceCRS: new.sourceCRS, address: new.address,
                gridID: new.gridID, buildingID: new.buildingID, villageID: new.villageID, townID: new.townID,
                geocodeStatus: new.geocodeStatus, state: .dispatched, assigneeKind: decision.assigneeKind,
                assigneeID: decision.assigneeID, escalationLevel: .grid, reportedAt: reportedAt,
                dueAt: Timestamp.date(millis: due), updatedAt: reportedAt, resolvedAt: nil, closedAt: nil, rating: nil,
                reporterContact: new.reporterContact, reporterTokenID: reporter.tokenID, idempotencyKey: new.idempotencyKey,
                routingReason: decision.reason, repeatOf: repeatOf, deadlineAt: Timestamp.date(millis: due))
            return (stored, true)
        }
    }

    public func incident(id: Int64) throws -> Incident? {
        try database.read { try Self.fetch($0, id: id) }
    }

    public func events(of id: Int64) throws -> [IncidentEvent] {
        try database.read { c in
            try c.query("SELECT at, actor, action, from_state, to_state, note, event_id FROM dispatch_event WHERE incident_id = ? ORDER BY event_id",
                        [.integer(id)]).map { r in
                IncidentEvent(id: r[6].int64Value ?? 0, at: Timestamp.date(millis: r[0].int64Value ?? 0), actor: r[1].stringValue ?? "",
                              action: r[2].stringValue ?? "", fromState: r[3].stringValue.flatMap(IncidentState.init(rawValue:)),
                              toState: IncidentState(rawValue: r[4].stringValue ?? "") ?? .reported,
                              note: r[5].stringValue ?? "")
            }
        }
    }

    public func incidents(_ q: IncidentQuery) throws -> [Incident] {
        var clauses: [String] = []
        var params: [SQLiteValue] = []
        func list(_ column: String, _ values: [SQLiteValue]) {
            clauses.append(values.isEmpty ? "0" : "\(column) IN (" + Array(repeating: "?", count: values.count).joined(separator: ",") + ")")
            params += values
        }
        if let ids = q.ids { list("incident_id", ids.map { .integer($0) }) }
        if let states = q.states { list("state", states.map { .text($0.rawValue) }) }
        if let categories = q.categories { list("category", categories.map { .text($0) }) }
        if let from = q.reportedFrom { clauses.append("reported_at >= ?"); params.append(.integer(Timestamp.millis(from))) }
        if let to = q.reportedTo { clauses.append("reported_at <= ?"); params.append(.integer(Timestamp.millis(to))) }
        if let text = q.text, !text.isEmpty {
            // LIKE with the pattern's own % and _ escaped, so the text is matched as written.
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            clauses.append("(description LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\')")
            params += [.text("%" + escaped + "%"), .text("%" + escaped + "%")]
        }
        if let filter = q.visibleTo?.visibility.sql {
            clauses.append(filter.text); params += filter.parameters
        }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        params.append(.integer(Int64(max(0, q.limit))))
        return try database.read { c in
            try c.query("SELECT \(Self.columns) FROM dispatch_incident\(whereSQL) ORDER BY incident_id DESC LIMIT ?", params)
                .map(Self.incident)
        }
    }

    public func transition(id: Int64, _ request: TransitionRequest, actor: String, now: Date,
                           authorize: (Incident) throws -> Date?) throws -> Incident {
        try database.write { c in
            guard let current = try Self.fetch(c, id: id) else {
                throw DispatchError(.notFound, "no incident \(id)")
            }
            var request = request
            if let due = try authorize(current) { request.dueAt = due }
            guard let next = Lifecycle.next(from: current.state, action: request.action) else {
                let allowed = Lifecycle.actions(from: current.state).map(\.rawValue)
                throw DispatchError(.conflict, "cannot \(request.action.rawValue) incident \(id): it is \(current.state.rawValue); "
                    + "from \(current.state.rawValue) the allowed actions are: " + (allowed.isEmpty ? "none" : allowed.joined(separator: ", ")))
            }
            let nowMs = Timestamp.millis(now)
            var sets = ["state = ?", "updated_at = ?"]
            var params: [SQLiteValue] = [.text(next.rawValue), .integer(nowMs)]
            switch request.action {
            case .resolve:
                sets.append("resolved_at = ?"); params.append(.integer(nowMs))
            case .rate:
                sets.append("rating = ?"); params.append(.integer(Int64(request.rating ?? 0)))
            case .close:
                sets.append("closed_at = ?"); params.append(.integer(nowMs))
            case .reopen:
                sets += ["resolved_at = NULL", "closed_at = NULL", "rating = NULL", "escalation_level = 0"]
            case .escalate:
                // Checked after the state, so an escalation of a resolved incident says that it is resolved.
                let level = try current.escalationLevel.raised(to: request.level)
                sets.append("escalation_level = ?"); params.append(.integer(Int64(level.rawValue)))
                let by = "by hand from the \(current.escalationLevel.name) to the \(level.name) level"
                request.note = request.note.isEmpty ? by : by + ": " + request.note
            default:
                break  // dispatch keeps the escalation level: a new handler does not undo a missed deadline
            }
            if let a = request.assignee {
                sets += ["assignee_kind = ?", "assignee_id = ?"]; params += [.text(a.kind.rawValue), .text(a.id)]
            }
            if let due = request.dueAt {
                sets.append("due_at = ?"); params.append(.integer(Timestamp.millis(due)))
            }
            params.append(.integer(id))
            try c.run("UPDATE dispatch_incident SET " + sets.joined(separator: ", ") + " WHERE incident_id = ?", params)
            var note = request.note
            if let a = request.assignee {
                let level = current.escalationLevel == .grid ? "" : " at the \(current.escalationLevel.name) level"
                note = "to \(a.kind.rawValue) \(a.id)\(level)" + (note.isEmpty ? "" : ": " + note)
            }
            if let r = request.rating { note = "rating \(r)" + (note.isEmpty ? "" : ": " + note) }
            try Self.event(c, id, at: now, actor: actor, action: request.action.rawValue, from: current.state, to: next, note: note,
                           photos: request.photos)
            guard let updated = try Self.fetch(c, id: id) else { throw StoreError("incident \(id) vanished") }
            return updated
        }
    }

    public func escalateOverdue(now: Date, stepHours: Double) throws -> [Escalation] {
        let nowMs = Timestamp.millis(now)
        let step = Int64(stepHours * 3_600_000)
        return try database.write { c in
            let rows = try c.query("""
                SELECT incident_id, escalation_level, due_at, state FROM dispatch_incident
                WHERE state IN ('reported','dispatched','accepted','in_progress') AND due_at <= ? AND escalation_level < 3
                ORDER BY due_at
                """, [.integer(nowMs)])
            var done: [Escalation] = []
            for r in rows {
                guard let id = r[0].int64Value, var level = r[1].intValue, var due = r[2].int64Value,
                      let state = IncidentState(rawValue: r[3].stringValue ?? "") else { continue }
                // Catch up: a server that was down for several steps moves the incident up one level per step missed.
                while due <= nowMs && level < EscalationLevel.county.rawValue {
                    level += 1
                    let fellDue = due
                    due += step
                    let target = EscalationLevel(rawValue: level)!
                    try Self.event(c, id, at: now, actor: "system", action: IncidentAction.escalate.rawValue, from: state, to: state,
                                   note: "deadline \(Timestamp.string(Timestamp.date(millis: fellDue))) passed; escalated to \(target.name) level, "
                                       + "next deadline \(Timestamp.string(Timestamp.date(millis: due)))")
                    done.append(Escalation(incidentID: id, level: target, fellDueAt: Timestamp.date(millis: fellDue)))
                }
                try c.run("UPDATE dispatch_incident SET escalation_level = ?, due_at = ?, updated_at = ? WHERE incident_id = ?",
                          [.integer(Int64(level)), .integer(due), .integer(nowMs), .integer(id)])
            }
            return done
        }
    }

    public func report(from: Date?, to: Date?, now: Date) throws -> DispatchReport {
        let lo = from.map(Timestamp.millis) ?? Int64.min, hi = to.map(Timestamp.millis) ?? Int64.max
        let range: [SQLiteValue] = [.integer(lo), .integer(hi)]
        return try database.read { c in
            let w = "reported_at BETWEEN ? AND ?"
            func count(_ extra: String) throws -> Int {
                try c.query("SELECT count(*) FROM dispatch_incident WHERE \(w)\(extra)", range).first?[0].intValue ?? 0
            }
            var byState: [String: Int] = [:]
            for r in try c.query("SELECT state, count(*) FROM dispatch_incident WHERE \(w) GROUP BY state", range) {
                byState[r[0].stringValue ?? ""] = r[1].intValue ?? 0
            }
            let total = byState.values.reduce(0, +)
            let closed = byState[IncidentState.closed.rawValue] ?? 0
            let resolved = try count(" AND resolved_at IS NOT NULL")
            let onTime = try count(" AND resolved_at IS NOT NULL AND resolved_at <= deadline_at")
            let rated = try count(" AND rating IS NOT NULL")
            let satisfied = try count(" AND rating >= 4")
            let average = try c.query("SELECT avg(rating) FROM dispatch_incident WHERE \(w) AND rating IS NOT NULL", range).first?[0].doubleValue
            let escalated = try count(" AND escalation_level > 0")
            let repeats = try count(" AND repeat_of IS NOT NULL")
            let places = try c.query("""
                SELECT category, place_key, max(grid_id), count(*) AS n FROM dispatch_incident WHERE \(w)
                GROUP BY category, place_key HAVING n > 1 ORDER BY n DESC, category, place_key LIMIT 20
                """, range).map { r in
                DispatchReport.RepeatPlace(category: r[0].stringValue ?? "", place: r[1].stringValue ?? "",
                                           gridID: r[2].stringValue, reports: r[3].intValue ?? 0)
            }
            func rate(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
            let open = IncidentState.openStates.map { "'\($0.rawValue)'" }.joined(separator: ",")
            func areas(_ column: String) throws -> [DispatchReport.AreaRow] {
                // `column` is one of three fixed names (below), never input.
                try c.query("""
                    SELECT \(column), count(*), sum(state = 'closed'), sum(resolved_at IS NOT NULL),
                           sum(resolved_at IS NOT NULL AND resolved_at <= deadline_at), sum(rating IS NOT NULL),
                           sum(rating >= 4), sum(state IN (\(open))),
                           sum(state IN (\(open)) AND (due_at < ? OR escalation_level > 0))
                    FROM dispatch_incident WHERE \(w) GROUP BY \(column) ORDER BY \(column)
                    """, [.integer(Timestamp.millis(now))] + range).map { r in
                    let resolved = r[3].intValue ?? 0, onTime = r[4].intValue ?? 0
                    let rated = r[5].intValue ?? 0, satisfied = r[6].intValue ?? 0
                    return DispatchReport.AreaRow(
                        id: r[0].stringValue, received: r[1].intValue ?? 0, closed: r[2].intValue ?? 0, resolved: resolved,
                        resolvedOnTime: onTime, onTimeRate: rate(onTime, resolved), rated: rated, satisfied: satisfied,
                        satisfactionRate: rate(satisfied, rated), open: r[7].intValue ?? 0, overdue: r[8].intValue ?? 0)
                }
            }
            return DispatchReport(
                from: from.map(Timestamp.string), to: to.map(Timestamp.string), total: total, byState: byState,
                closed: closed, closureRate: rate(closed, total), resolved: resolved, resolvedOnTime: onTime,
                onTimeRate: rate(onTime, resolved), rated: rated, satisfied: satisfied,
                satisfactionRate: rate(satisfied, rated), averageRating: average, escalated: escalated,
                repeatReports: repeats, repeatPlaces: places, byTown: try areas("town_id"), byVillage: try areas("village_id"),
                byGrid: try areas("grid_id"))
        }
    }

    public func token(hash: String) throws -> StoredToken? {
        try database.read { c in
            try c.query("SELECT token_id, role, staff_id, department_id FROM dispatch_token WHERE token_hash = ? AND revoked_at IS NULL",
                        [.text(hash)]).first.flatMap { r in
                TokenRole(rawValue: r[1].stringValue ?? "").map {
                    StoredToken(tokenID: r[0].int64Value ?? 0, role: $0, staffID: r[2].stringValue, departmentID: r[3].stringValue)
                }
            }
        }
    }

    public func createToken(hash: String, role: TokenRole, staffID: String?, departmentID: String?, label: String,
                            now: Date) throws -> Int64 {
        try database.write { c in
            try c.run("INSERT INTO dispatch_token (token_hash, role, staff_id, department_id, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                      [.text(hash), .text(role.rawValue), SQLiteValue(staffID), SQLiteValue(departmentID), .text(label),
                       .integer(Timestamp.millis(now))])
            return c.lastInsertRowID
        }
    }

    public func tokens() throws -> [TokenRecord] {
        try database.read { c in
            try c.query("SELECT token_id, role, staff_id, department_id, label, created_at, revoked_at FROM dispatch_token ORDER BY token_id")
                .compactMap { r in
                    TokenRole(rawValue: r[1].stringValue ?? "").map {
                        TokenRecord(tokenID: r[0].int64Value ?? 0, role: $0, staffID: r[2].stringValue,
                                    departmentID: r[3].stringValue, label: r[4].stringValue ?? "",
                                    createdAt: Timestamp.date(millis: r[5].int64Value ?? 0),
                                    revokedAt: r[6].int64Value.map(Timestamp.date(millis:)))
                    }
                }
        }
    }

    public func revokeToken(id: Int64, now: Date) throws -> Bool {
        try database.write { c in
            guard try !c.query("SELECT 1 FROM dispatch_token WHERE token_id = ?", [.integer(id)]).isEmpty else { return false }
            try c.run("UPDATE dispatch_token SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?",
                      [.integer(Timestamp.millis(now)), .integer(id)])
            return true
        }
    }

    static let mediaColumns = """
        m.media_id, m.incident_id, m.event_id, e.action, m.content_type, m.bytes, m.sha256, m.original_name, m.created_at, e.actor
        """

    static func media(_ r: SQLiteRow) -> StoredMedia {
        StoredMedia(id: r[0].int64Value ?? 0, incidentID: r[1].int64Value ?? 0, eventID: r[2].int64Value ?? 0,
                    step: r[3].stringValue ?? "", type: PhotoType(rawValue: r[4].stringValue ?? "") ?? .jpeg,
                    bytes: r[5].intValue ?? 0, sha256: r[6].stringValue ?? "", originalName: r[7].stringValue ?? "",
                    createdAt: Timestamp.date(millis: r[8].int64Value ?? 0), actor: r[9].stringValue ?? "")
    }

    public func media(ofIncidents ids: [Int64]) throws -> [StoredMedia] {
        guard !ids.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        return try database.read { c in
            try c.query("SELECT \(Self.mediaColumns) FROM dispatch_media m JOIN dispatch_event e ON e.event_id = m.event_id "
                            + "WHERE m.incident_id IN (\(marks)) ORDER BY m.media_id", ids.map { .integer($0) }).map(Self.media)
        }
    }

    public func media(id: Int64) throws -> StoredMedia? {
        try database.read { c in
            try c.query("SELECT \(Self.mediaColumns) FROM dispatch_media m JOIN dispatch_event e ON e.event_id = m.event_id "
                            + "WHERE m.media_id = ?", [.integer(id)]).first.map(Self.media)
        }
    }
}
