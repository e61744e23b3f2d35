import Foundation
import Gridwork
import GridPostgres
import Logging
import PostgresNIO

/// The PostgreSQL implementation of `IncidentStore`: the dispatch tables of one county in a database that may hold
/// many (every row carries `county_code`, every statement is scoped to this store's county), shared by any number
/// of server instances at once.
///
/// - Every write is one transaction committed before the call returns (an acknowledged incident survives a crash).
/// - Idempotency keys hold across instances: `UNIQUE (county_code, reporter_token_id, idempotency_key)`; an intake
///   that loses the race to another instance returns the winner's incident with `created: false`.
/// - The escalation sweep takes the overdue rows `FOR UPDATE SKIP LOCKED`, so however many instances sweep at once,
///   each deadline is escalated by exactly one of them.
/// - Each committed change is announced with `NOTIFY gridwork_incident` (delivered only on commit), which
///   `PostgresIncidentListener` turns into feed events on every other instance.
///
/// The protocol is synchronous; each call runs its queries on a pooled connection (`PostgresClient`) through
/// `BlockingBridge`, so a caller on Swift's cooperative pool never needs the pool to finish it.
public final class PostgresIncidentStore: IncidentStore, @unchecked Sendable {
    public let countyCode: String
    public let location: PostgresLocation
    /// Identifies this store in its NOTIFY payloads, so its own announcements can be told from other instances'.
    public let instanceID: String
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    /// The NOTIFY channel of incident changes.
    public static let channel = "gridwork_incident"

    /// Connects a pool of at most `connections` to `location` and brings the dispatch tables up to date (under an
    /// advisory lock, so instances starting together migrate once). `countyCode` must be six digits.
    public init(location: PostgresLocation, countyCode: String, connections: Int = 8,
                logger: Logger = Logger(label: "gridwork.dispatch.postgres")) throws {
        guard PostgresDispatchSchema.isCountyCode(countyCode) else {
            throw DispatchError(.invalidInput, "county code '\(countyCode)' is not six digits (an administrative division code such as 330182)")
        }
        self.countyCode = countyCode
        self.location = location
        self.logger = logger
        self.instanceID = UUID().uuidString
        // One connection first: a wrong address or database fails here with the server's words (a pool would keep
        // retrying), and the schema is brought up to date before any pooled connection is used.
        let migrationLogger = logger
        try BlockingBridge.run {
            let session = try await PostgresSession.connect(location, logger: migrationLogger)
            defer { session.close() }
            try await PostgresDispatchSchema.migrate(session.connection, location: location.description, logger: migrationLogger)
        }
        var configuration = location.clientConfiguration()
        configuration.options.maximumConnections = max(1, connections)
        configuration.options.minimumConnections = 0
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        // On the bridge's thread: callers blocked on the cooperative pool must not keep the pool from running.
        runner = Task(executorPreference: BlockingBridge.executor) { await client.run() }
    }

    deinit { runner.cancel() }

    /// Ends the pool (also done when the store is released).
    public func close() { runner.cancel() }

    // MARK: Running queries

    /// Runs `body` to completion for a synchronous caller (see the type's note).
    func blocking<T>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        do {
            return try BlockingBridge.run(body)
        } catch let error as PSQLError {
            throw PostgresFailure.from(error, location: location.description, context: "dispatch store")
        }
    }

    /// A read outside any transaction.
    func read<T>(_ body: @escaping @Sendable (PGConnection) async throws -> T) throws -> T {
        let client = self.client, logger = self.logger, location = self.location.description
        return try blocking {
            try await client.withConnection { connection in
                try await body(PGConnection(connection: connection, location: location, logger: logger))
            }
        }
    }

    /// A transaction: committed when `body` returns, rolled back when it throws.
    func write<T>(_ body: @escaping @Sendable (PGConnection) async throws -> T) throws -> T {
        let client = self.client, logger = self.logger, location = self.location.description
        return try blocking {
            try await client.withConnection { connection in
                let c = PGConnection(connection: connection, location: location, logger: logger)
                try await c.run("BEGIN")
                do {
                    let value = try await body(c)
                    try await c.run("COMMIT")
                    return value
                } catch {
                    _ = try? await c.run("ROLLBACK")
                    throw error
                }
            }
        }
    }

    // MARK: Rows

    static let columns = """
        incident_id, category, description, lon, lat, source_x, source_y, source_crs, address, grid_id, building_id,
        village_id, town_id, geocode_status, state, assignee_kind, assignee_id, escalation_level, reported_at, due_at,
        updated_at, resolved_at, closed_at, rating, reporter_contact, reporter_token_id, idempotency_key,
        routing_reason, repeat_of, deadline_at
        """

    static func incident(_ r: [PGValue]) -> Incident {
        func int64(_ i: Int) -> Int64? { r[i].intValue.map(Int64.init) }
        func date(_ i: Int) -> Date? { int64(i).map(Timestamp.date(millis:)) }
        return Incident(
            id: int64(0) ?? 0, category: r[1].stringValue ?? "", description: r[2].stringValue ?? "",
            lon: r[3].doubleValue ?? .nan, lat: r[4].doubleValue ?? .nan, sourceX: r[5].doubleValue ?? .nan,
            sourceY: r[6].doubleValue ?? .nan, sourceCRS: r[7].stringValue ?? "", address: r[8].stringValue ?? "",
            gridID: r[9].stringValue, buildingID: r[10].stringValue, villageID: r[11].stringValue,
            townID: r[12].stringValue, geocodeStatus: r[13].stringValue ?? "",
            state: IncidentState(rawValue: r[14].stringValue ?? "") ?? .reported,
            assigneeKind: AssigneeKind(rawValue: r[15].stringValue ?? "") ?? .village, assigneeID: r[16].stringValue ?? "",
            escalationLevel: EscalationLevel(rawValue: r[17].intValue ?? 0) ?? .grid,
            reportedAt: date(18) ?? .distantPast, dueAt: date(19) ?? .distantPast, updatedAt: date(20) ?? .distantPast,
            resolvedAt: date(21), closedAt: date(22), rating: r[23].intValue, reporterContact: r[24].stringValue ?? "",
            reporterTokenID: int64(25) ?? 0, idempotencyKey: r[26].stringValue,
            routingReason: r[27].stringValue ?? "", repeatOf: int64(28), deadlineAt: date(29) ?? .distantPast)
    }

    private static func fetch(_ c: PGConnection, county: String, id: Int64) async throws -> Incident? {
        try await c.query("SELECT \(columns) FROM dispatch_incident WHERE county_code = $1 AND incident_id = $2",
                          [.text(county), .int(Int(id))]).first.map(incident)
    }

    @discardableResult
    private static func event(_ c: PGConnection, county: String, _ id: Int64, at: Date, actor: String, action: String,
                              from: IncidentState?, to: IncidentState, note: String, photos: [NewMedia] = []) async throws -> Int64 {
        let rows = try await c.query("""
            INSERT INTO dispatch_event (county_code, incident_id, at, actor, action, from_state, to_state, note)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING event_id
            """, [.text(county), .int(Int(id)), .int(Int(Timestamp.millis(at))), .text(actor), .text(action),
                  from.map { .text($0.rawValue) } ?? .null, .text(to.rawValue), .text(note)])
        let eventID = Int64(rows.first?.first?.intValue ?? 0)
        for photo in photos {
            try await c.run("""
                INSERT INTO dispatch_media (county_code, incident_id, event_id, content_type, bytes, sha256, original_name, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [.text(county), .int(Int(id)), .int(Int(eventID)), .text(photo.type.rawValue), .int(photo.bytes),
                      .text(photo.sha256), .text(photo.originalName), .int(Int(Timestamp.millis(at)))])
        }
        return eventID
    }

    /// Announces a committed change to every instance (delivered at commit; nothing when the transaction rolls back).
    private func notify(_ c: PGConnection, _ id: Int64, kind: IncidentChange.Kind, action: String,
                        before: Incident? = nil) async throws {
        try await c.run("SELECT pg_notify($1, $2)", [
            .text(Self.channel), .text(IncidentNotice(instanceID: instanceID, countyCode: countyCode, incidentID: id,
                                                      kind: kind, action: action, before: before).payload),
        ])
    }

    // MARK: IncidentStore

    public func create(_ new: NewIncident, reporter: Principal, now: Date, candidates: [String], repeatWindow: TimeInterval,
                       decide: ([String: Int]) throws -> RoutingDecision) throws -> (incident: Incident, created: Bool) {
        // `decide` runs inside the transaction, which this call waits for: it never outlives the call.
        try withoutActuallyEscaping(decide) { decide in
            let box = UncheckedBox(decide)
            defer { box.release() }  // the task that ran it may outlive this call by a moment; the closure must not
            return try create(new, reporter: reporter, now: now, candidates: candidates, repeatWindow: repeatWindow,
                              decider: box)
        }
    }

    private func create(_ new: NewIncident, reporter: Principal, now: Date, candidates: [String], repeatWindow: TimeInterval,
                        decider: UncheckedBox<([String: Int]) throws -> RoutingDecision>) throws -> (incident: Incident, created: Bool) {
        let county = countyCode
        let existing: @Sendable (PGConnection) async throws -> Incident? = { c in
            guard let key = new.idempotencyKey else { return nil }
            return try await c.query(
                "SELECT \(Self.columns) FROM dispatch_incident WHERE county_code = $1 AND reporter_token_id = $2 AND idempotency_key = $3",
                [.text(county), .int(Int(reporter.tokenID)), .text(key)]).first.map(Self.incident)
        }
        return try write { c in
            if let found = try await existing(c) { return (found, false) }
            var workload: [String: Int] = [:]
            if !candidates.isEmpty {
                // One query for all candidates (the router passes a grid's few workers).
                let rows = try await c.query(
                    "SELECT assignee_id, count(*) FROM dispatch_incident WHERE county_code = $1 AND assignee_kind = 'staff' "
                        + "AND assignee_id = ANY($2::text[]) AND state = ANY($3::text[]) GROUP BY assignee_id",
                    [.text(county), .text(PGArray.text(candidates)), .text(PGArray.text(IncidentState.openStates.map(\.rawValue)))])
                for row in rows { if let id = row[0].stringValue { workload[id] = row[1].intValue ?? 0 } }
            }
            let decision = try decider.value(workload)
            let nowMs = Timestamp.millis(now)
            let due = nowMs + Int64(decision.deadlineHours * 3_600_000)
            let place = new.placeKey
            let repeatOf = try await c.query(
                "SELECT incident_id FROM dispatch_incident WHERE county_code = $1 AND category = $2 AND place_key = $3 "
                    + "AND reported_at >= $4 ORDER BY reported_at DESC, incident_id DESC LIMIT 1",
                [.text(county), .text(new.category), .text(place), .int(Int(nowMs - Int64(repeatWindow * 1000)))]
            ).first?.first?.intValue.map(Int64.init)
            func text(_ s: String?) -> PGValue { s.map { .text($0) } ?? .null }
            // Another instance may be storing the same key right now: the unique constraint decides, and the loser
            // (whose INSERT waits for the winner's commit, then does nothing) returns the winner's incident.
            let inserted = try await c.query("""
                INSERT INTO dispatch_incident (county_code, category, description, lon, lat, source_x, source_y, source_crs,
                    address, boundary_version, grid_id, building_id, village_id, town_id, geocode_status, place_key, state,
                    assignee_kind, assignee_id, escalation_level, reported_at, deadline_at, due_at, updated_at,
                    reporter_contact, reporter_token_id, idempotency_key, routing_reason, repeat_of)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'dispatched', $17, $18, 0,
                        $19, $20, $20, $19, $21, $22, $23, $24, $25)
                ON CONFLICT (county_code, reporter_token_id, idempotency_key) DO NOTHING
                RETURNING incident_id
                """, [
                    .text(county), .text(new.category), .text(new.description), .double(new.lon), .double(new.lat),
                    .double(new.sourceX), .double(new.sourceY), .text(new.sourceCRS), .text(new.address),
                    .int(new.boundaryVersion), text(new.gridID), text(new.buildingID), text(new.villageID),
                    text(new.townID), .text(new.geocodeStatus), .text(place), .text(decision.assigneeKind.rawValue),
                    .text(decision.assigneeID), .int(Int(nowMs)), .int(Int(due)), .text(new.reporterContact),
                    .int(Int(reporter.tokenID)), text(new.idempotencyKey), .text(decision.reason),
                    repeatOf.map { .int(Int($0)) } ?? .null,
                ])
            guard let id = inserted.first?.first?.intValue.map(Int64.init) else {
                guard let found = try await existing(c) else {
                    throw StoreError("incident with idempotency key \(new.idempotencyKey ?? "") vanished while storing it")
                }
                return (found, false)
            }
            try await Self.event(c, county: county, id, at: now, actor: reporter.actor, action: "report", from: nil, to: .reported,
                                 note: "geocoded \(new.geocodeStatus) to grid \(new.gridID ?? "none")"
                                     + (repeatOf.map { "; repeats incident \($0)" } ?? ""), photos: new.photos)
            try await Self.event(c, county: county, id, at: now, actor: "router", action: IncidentAction.dispatch.rawValue,
                                 from: .reported, to: .dispatched, note: decision.reason)
            try await self.notify(c, id, kind: .created, action: "report")
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
        let county = countyCode
        return try read { try await Self.fetch($0, county: county, id: id) }
    }

    /// `incident(id:)` for an async caller (the notice listener).
    public func incidentAsync(id: Int64) async throws -> Incident? {
        let county = countyCode, logger = self.logger, location = self.location.description
        return try await client.withConnection { connection in
            try await Self.fetch(PGConnection(connection: connection, location: location, logger: logger), county: county, id: id)
        }
    }

    public func events(of id: Int64) throws -> [IncidentEvent] {
        let county = countyCode
        return try read { c in
            try await c.query("SELECT at, actor, action, from_state, to_state, note, event_id FROM dispatch_event "
                                + "WHERE county_code = $1 AND incident_id = $2 ORDER BY event_id",
                              [.text(county), .int(Int(id))]).map { r in
                IncidentEvent(id: Int64(r[6].intValue ?? 0), at: Timestamp.date(millis: Int64(r[0].intValue ?? 0)),
                              actor: r[1].stringValue ?? "", action: r[2].stringValue ?? "",
                              fromState: r[3].stringValue.flatMap(IncidentState.init(rawValue:)),
                              toState: IncidentState(rawValue: r[4].stringValue ?? "") ?? .reported,
                              note: r[5].stringValue ?? "")
            }
        }
    }

    public func incidents(_ q: IncidentQuery) throws -> [Incident] {
        var p = PGParameters()
        var clauses = ["county_code = " + p.add(.text(countyCode))]
        if let ids = q.ids { clauses.append("incident_id = ANY(" + p.add(.text(PGArray.ints(ids))) + "::bigint[])") }
        if let states = q.states { clauses.append("state = ANY(" + p.add(.text(PGArray.text(states.map(\.rawValue)))) + "::text[])") }
        if let categories = q.categories { clauses.append("category = ANY(" + p.add(.text(PGArray.text(categories))) + "::text[])") }
        if let from = q.reportedFrom { clauses.append("reported_at >= " + p.add(.int(Int(Timestamp.millis(from))))) }
        if let to = q.reportedTo { clauses.append("reported_at <= " + p.add(.int(Int(Timestamp.millis(to))))) }
        if let text = q.text, !text.isEmpty {
            // LIKE with the pattern's own % and _ escaped, so the text is matched as written.
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            let mark = p.add(.text("%" + escaped + "%"))
            clauses.append("(description LIKE \(mark) ESCAPE '\\' OR address LIKE \(mark) ESCAPE '\\')")
        }
        if let filter = q.visibleTo?.visibility.postgres(&p) { clauses.append(filter) }
        let limit = p.add(.int(max(0, q.limit)))
        let sql = "SELECT \(Self.columns) FROM dispatch_incident WHERE " + clauses.joined(separator: " AND ")
            + " ORDER BY incident_id DESC LIMIT \(limit)"
        let params = p.values
        return try read { c in try await c.query(sql, params).map(Self.incident) }
    }

    public func transition(id: Int64, _ request: TransitionRequest, actor: String, now: Date,
                           authorize: (Incident) throws -> Date?) throws -> Incident {
        // `authorize` runs inside the transaction, which this call waits for: it never outlives the call.
        try withoutActuallyEscaping(authorize) { authorize in
            let box = UncheckedBox(authorize)
            defer { box.release() }  // the task that ran it may outlive this call by a moment; the closure must not
            return try transition(id: id, UncheckedBox(request), actor: actor, now: now, authorizer: box)
        }
    }

    private func transition(id: Int64, _ request: UncheckedBox<TransitionRequest>, actor: String, now: Date,
                            authorizer: UncheckedBox<(Incident) throws -> Date?>) throws -> Incident {
        let county = countyCode
        return try write { c in
            // The row is locked for the transaction: concurrent steps on one incident, from any instance, queue.
            guard let current = try await c.query(
                "SELECT \(Self.columns) FROM dispatch_incident WHERE county_code = $1 AND incident_id = $2 FOR UPDATE",
                [.text(county), .int(Int(id))]).first.map(Self.incident) else {
                throw DispatchError(.notFound, "no incident \(id)")
            }
            var request = request.value
            if let due = try authorizer.value(current) { request.dueAt = due }
            guard let next = Lifecycle.next(from: current.state, action: request.action) else {
                let allowed = Lifecycle.actions(from: current.state).map(\.rawValue)
                throw DispatchError(.conflict, "cannot \(request.action.rawValue) incident \(id): it is \(current.state.rawValue); "
                    + "from \(current.state.rawValue) the allowed actions are: " + (allowed.isEmpty ? "none" : allowed.joined(separator: ", ")))
            }
            let nowMs = Int(Timestamp.millis(now))
            var p = PGParameters()
            var sets = ["state = " + p.add(.text(next.rawValue)), "updated_at = " + p.add(.int(nowMs))]
            switch request.action {
            case .resolve:
                sets.append("resolved_at = " + p.add(.int(nowMs)))
            case .rate:
                sets.append("rating = " + p.add(.int(request.rating ?? 0)))
            case .close:
                sets.append("closed_at = " + p.add(.int(nowMs)))
            case .reopen:
                sets += ["resolved_at = NULL", "closed_at = NULL", "rating = NULL", "escalation_level = 0"]
            case .escalate:
                // Checked after the state, so an escalation of a resolved incident says that it is resolved.
                let level = try current.escalationLevel.raised(to: request.level)
                sets.append("escalation_level = " + p.add(.int(level.rawValue)))
                let by = "by hand from the \(current.escalationLevel.name) to the \(level.name) level"
                request.note = request.note.isEmpty ? by : by + ": " + request.note
            default:
                break  // dispatch keeps the escalation level: a new handler does not undo a missed deadline
            }
            if let a = request.assignee {
                sets += ["assignee_kind = " + p.add(.text(a.kind.rawValue)), "assignee_id = " + p.add(.text(a.id))]
            }
            if let due = request.dueAt {
                sets.append("due_at = " + p.add(.int(Int(Timestamp.millis(due)))))
            }
            let where_ = " WHERE county_code = " + p.add(.text(county)) + " AND incident_id = " + p.add(.int(Int(id)))
            try await c.run("UPDATE dispatch_incident SET " + sets.joined(separator: ", ") + where_, p.values)
            var note = request.note
            if let a = request.assignee {
                let level = current.escalationLevel == .grid ? "" : " at the \(current.escalationLevel.name) level"
                note = "to \(a.kind.rawValue) \(a.id)\(level)" + (note.isEmpty ? "" : ": " + note)
            }
            if let r = request.rating { note = "rating \(r)" + (note.isEmpty ? "" : ": " + note) }
            try await Self.event(c, county: county, id, at: now, actor: actor, action: request.action.rawValue,
                                 from: current.state, to: next, note: note, photos: request.photos)
            try await self.notify(c, id, kind: .changed, action: request.action.rawValue, before: current)
            guard let updated = try await Self.fetch(c, county: county, id: id) else { throw StoreError("incident \(id) vanished") }
            return updated
        }
    }

    public func escalateOverdue(now: Date, stepHours: Double) throws -> [Escalation] {
        let nowMs = Timestamp.millis(now)
        let step = Int64(stepHours * 3_600_000)
        let county = countyCode
        return try write { c in
            // SKIP LOCKED: rows another instance is sweeping (or stepping) right now are left to it; once it commits,
            // their deadline lies in the future, so no instance escalates the same deadline twice.
            let rows = try await c.query("""
                SELECT incident_id, escalation_level, due_at, state FROM dispatch_incident
                WHERE county_code = $1 AND state IN ('reported','dispatched','accepted','in_progress') AND due_at <= $2
                  AND escalation_level < 3
                ORDER BY due_at, incident_id
                FOR UPDATE SKIP LOCKED
                """, [.text(county), .int(Int(nowMs))])
            var done: [Escalation] = []
            for r in rows {
                guard let id = r[0].intValue.map(Int64.init), var level = r[1].intValue, var due = r[2].intValue.map(Int64.init),
                      let state = IncidentState(rawValue: r[3].stringValue ?? "") else { continue }
                // Catch up: a server that was down for several steps moves the incident up one level per step missed.
                while due <= nowMs && level < EscalationLevel.county.rawValue {
                    level += 1
                    let fellDue = due
                    due += step
                    let target = EscalationLevel(rawValue: level)!
                    try await Self.event(c, county: county, id, at: now, actor: "system", action: IncidentAction.escalate.rawValue,
                                         from: state, to: state,
                                         note: "deadline \(Timestamp.string(Timestamp.date(millis: fellDue))) passed; escalated to \(target.name) level, "
                                             + "next deadline \(Timestamp.string(Timestamp.date(millis: due)))")
                    done.append(Escalation(incidentID: id, level: target, fellDueAt: Timestamp.date(millis: fellDue)))
                }
                try await c.run("UPDATE dispatch_incident SET escalation_level = $1, due_at = $2, updated_at = $3 "
                                    + "WHERE county_code = $4 AND incident_id = $5",
                                [.int(level), .int(Int(due)), .int(Int(nowMs)), .text(county), .int(Int(id))])
                try await self.notify(c, id, kind: .changed, action: IncidentAction.escalate.rawValue)
            }
            return done
        }
    }

    public func report(from: Date?, to: Date?, now: Date) throws -> DispatchReport {
        let lo = Int(from.map(Timestamp.millis) ?? Int64.min), hi = Int(to.map(Timestamp.millis) ?? Int64.max)
        let county = countyCode
        let range: [PGValue] = [.text(county), .int(lo), .int(hi)]
        return try read { c in
            let w = "county_code = $1 AND reported_at BETWEEN $2 AND $3"
            func count(_ extra: String) async throws -> Int {
                try await c.query("SELECT count(*) FROM dispatch_incident WHERE \(w)\(extra)", range).first?[0].intValue ?? 0
            }
            var byState: [String: Int] = [:]
            for r in try await c.query("SELECT state, count(*) FROM dispatch_incident WHERE \(w) GROUP BY state", range) {
                byState[r[0].stringValue ?? ""] = r[1].intValue ?? 0
            }
            let total = byState.values.reduce(0, +)
            let closed = byState[IncidentState.closed.rawValue] ?? 0
            let resolved = try await count(" AND resolved_at IS NOT NULL")
            let onTime = try await count(" AND resolved_at IS NOT NULL AND resolved_at <= deadline_at")
            let rated = try await count(" AND rating IS NOT NULL")
            let satisfied = try await count(" AND rating >= 4")
            let average = try await c.query("SELECT avg(rating)::float8 FROM dispatch_incident WHERE \(w) AND rating IS NOT NULL",
                                            range).first?[0].doubleValue
            let escalated = try await count(" AND escalation_level > 0")
            let repeats = try await count(" AND repeat_of IS NOT NULL")
            let places = try await c.query("""
                SELECT category, place_key, max(grid_id), count(*) FROM dispatch_incident WHERE \(w)
                GROUP BY category, place_key HAVING count(*) > 1 ORDER BY count(*) DESC, category, place_key LIMIT 20
                """, range).map { r in
                DispatchReport.RepeatPlace(category: r[0].stringValue ?? "", place: r[1].stringValue ?? "",
                                           gridID: r[2].stringValue, reports: r[3].intValue ?? 0)
            }
            func rate(_ a: Int, _ b: Int) -> Double? { b == 0 ? nil : Double(a) / Double(b) }
            let open = IncidentState.openStates.map { "'\($0.rawValue)'" }.joined(separator: ",")
            func areas(_ column: String) async throws -> [DispatchReport.AreaRow] {
                // `column` is one of three fixed names (below), never input.
                try await c.query("""
                    SELECT \(column), count(*), count(*) FILTER (WHERE state = 'closed'),
                           count(*) FILTER (WHERE resolved_at IS NOT NULL),
                           count(*) FILTER (WHERE resolved_at IS NOT NULL AND resolved_at <= deadline_at),
                           count(*) FILTER (WHERE rating IS NOT NULL), count(*) FILTER (WHERE rating >= 4),
                           count(*) FILTER (WHERE state IN (\(open))),
                           count(*) FILTER (WHERE state IN (\(open)) AND (due_at < $4 OR escalation_level > 0))
                    FROM dispatch_incident WHERE \(w) GROUP BY \(column) ORDER BY \(column) COLLATE "C" NULLS FIRST
                    """, range + [.int(Int(Timestamp.millis(now)))]).map { r in
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
                repeatReports: repeats, repeatPlaces: places, byTown: try await areas("town_id"),
                byVillage: try await areas("village_id"), byGrid: try await areas("grid_id"))
        }
    }

    public func token(hash: String) throws -> StoredToken? {
        let county = countyCode
        return try read { c in
            try await c.query("SELECT token_id, role, staff_id, department_id FROM dispatch_token "
                                + "WHERE county_code = $1 AND token_hash = $2 AND revoked_at IS NULL",
                              [.text(county), .text(hash)]).first.flatMap { r in
                TokenRole(rawValue: r[1].stringValue ?? "").map {
                    StoredToken(tokenID: Int64(r[0].intValue ?? 0), role: $0, staffID: r[2].stringValue, departmentID: r[3].stringValue)
                }
            }
        }
    }

    public func createToken(hash: String, role: TokenRole, staffID: String?, departmentID: String?, label: String,
                            now: Date) throws -> Int64 {
        let county = countyCode
        return try write { c in
            let rows = try await c.query("""
                INSERT INTO dispatch_token (county_code, token_hash, role, staff_id, department_id, label, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING token_id
                """, [.text(county), .text(hash), .text(role.rawValue), staffID.map { .text($0) } ?? .null,
                      departmentID.map { .text($0) } ?? .null, .text(label), .int(Int(Timestamp.millis(now)))])
            return Int64(rows.first?.first?.intValue ?? 0)
        }
    }

    public func tokens() throws -> [TokenRecord] {
        let county = countyCode
        return try read { c in
            try await c.query("SELECT token_id, role, staff_id, department_id, label, created_at, revoked_at FROM dispatch_token "
                                + "WHERE county_code = $1 ORDER BY token_id", [.text(county)]).compactMap { r in
                TokenRole(rawValue: r[1].stringValue ?? "").map {
                    TokenRecord(tokenID: Int64(r[0].intValue ?? 0), role: $0, staffID: r[2].stringValue,
                                departmentID: r[3].stringValue, label: r[4].stringValue ?? "",
                                createdAt: Timestamp.date(millis: Int64(r[5].intValue ?? 0)),
                                revokedAt: r[6].intValue.map { Timestamp.date(millis: Int64($0)) })
                }
            }
        }
    }

    public func revokeToken(id: Int64, now: Date) throws -> Bool {
        let county = countyCode
        return try write { c in
            let rows = try await c.query(
                "UPDATE dispatch_token SET revoked_at = coalesce(revoked_at, $1) WHERE county_code = $2 AND token_id = $3 RETURNING 1",
                [.int(Int(Timestamp.millis(now))), .text(county), .int(Int(id))])
            return !rows.isEmpty
        }
    }

    static let mediaColumns = """
        m.media_id, m.incident_id, m.event_id, e.action, m.content_type, m.bytes, m.sha256, m.original_name, m.created_at, e.actor
        """

    static func media(_ r: [PGValue]) -> StoredMedia {
        StoredMedia(id: Int64(r[0].intValue ?? 0), incidentID: Int64(r[1].intValue ?? 0), eventID: Int64(r[2].intValue ?? 0),
                    step: r[3].stringValue ?? "", type: PhotoType(rawValue: r[4].stringValue ?? "") ?? .jpeg,
                    bytes: r[5].intValue ?? 0, sha256: r[6].stringValue ?? "", originalName: r[7].stringValue ?? "",
                    createdAt: Timestamp.date(millis: Int64(r[8].intValue ?? 0)), actor: r[9].stringValue ?? "")
    }

    public func media(ofIncidents ids: [Int64]) throws -> [StoredMedia] {
        guard !ids.isEmpty else { return [] }
        let county = countyCode
        return try read { c in
            try await c.query("SELECT \(Self.mediaColumns) FROM dispatch_media m JOIN dispatch_event e ON e.event_id = m.event_id "
                                + "WHERE m.county_code = $1 AND m.incident_id = ANY($2::bigint[]) ORDER BY m.media_id",
                              [.text(county), .text(PGArray.ints(ids))]).map(Self.media)
        }
    }

    public func media(id: Int64) throws -> StoredMedia? {
        let county = countyCode
        return try read { c in
            try await c.query("SELECT \(Self.mediaColumns) FROM dispatch_media m JOIN dispatch_event e ON e.event_id = m.event_id "
                                + "WHERE m.county_code = $1 AND m.media_id = $2", [.text(county), .int(Int(id))]).first.map(Self.media)
        }
    }
}

/// What one NOTIFY on `PostgresIncidentStore.channel` says, space-separated: the instance, the county, the incident,
/// the kind of change, the action, and the assignee before the change (`kind:id`, or `-`), from which the other
/// instances tell who could see the incident before and cannot now (`FeedEvent.gone`).
public struct IncidentNotice: Sendable, Hashable {
    public var instanceID: String
    public var countyCode: String
    public var incidentID: Int64
    public var kind: IncidentChange.Kind
    public var action: String
    public var beforeAssigneeKind: AssigneeKind?
    public var beforeAssigneeID: String?

    public var payload: String {
        let before = beforeAssigneeKind.map { "\($0.rawValue):\(beforeAssigneeID ?? "")" } ?? "-"
        return "\(instanceID) \(countyCode) \(incidentID) \(kind.rawValue) \(action) \(before)"
    }

    public init(instanceID: String, countyCode: String, incidentID: Int64, kind: IncidentChange.Kind, action: String,
                before: Incident? = nil) {
        self.instanceID = instanceID
        self.countyCode = countyCode
        self.incidentID = incidentID
        self.kind = kind
        self.action = action
        beforeAssigneeKind = before?.assigneeKind
        beforeAssigneeID = before?.assigneeID
    }

    /// Reads a payload; nil for anything else (a notice from another program on the channel is ignored).
    public init?(payload: String) {
        let parts = payload.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, let id = Int64(parts[2]), let kind = IncidentChange.Kind(rawValue: parts[3]) else { return nil }
        self.init(instanceID: parts[0], countyCode: parts[1], incidentID: id, kind: kind, action: parts[4])
        if parts[5] != "-", let colon = parts[5].firstIndex(of: ":"),
           let assigneeKind = AssigneeKind(rawValue: String(parts[5][..<colon])) {
            beforeAssigneeKind = assigneeKind
            beforeAssigneeID = String(parts[5][parts[5].index(after: colon)...])
        }
    }

    /// The incident as it was before the change, as far as visibility goes (only the assignee moves); nil for a new one.
    public func before(of incident: Incident) -> Incident? {
        guard kind == .changed else { return nil }
        var before = incident
        if let beforeAssigneeKind, let beforeAssigneeID {
            before.assigneeKind = beforeAssigneeKind
            before.assigneeID = beforeAssigneeID
        }
        return before
    }
}

/// `$n` placeholders and their values, numbered as they are added.
struct PGParameters {
    private(set) var values: [PGValue] = []

    /// Adds a value and returns its placeholder.
    mutating func add(_ value: PGValue) -> String {
        values.append(value)
        return "$\(values.count)"
    }
}

/// PostgreSQL array literals for `= ANY($n::type[])`, passed as one text parameter (never spliced into SQL).
enum PGArray {
    static func text(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    static func ints(_ values: [Int64]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }
}

/// A value carried across a `@Sendable` boundary to a task the caller waits for (so it is never used concurrently).
final class UncheckedBox<T>: @unchecked Sendable {
    private var stored: T?
    init(_ value: T) { stored = value }
    var value: T { stored! }
    /// Drops the value (a non-escaping closure must be gone when its `withoutActuallyEscaping` block ends).
    func release() { stored = nil }
}

extension IncidentVisibility {
    /// The same rule over `dispatch_incident` in PostgreSQL, its values added to `p`; nil when everything is visible.
    func postgres(_ p: inout PGParameters) -> String? {
        switch self {
        case .everything:
            return nil
        case .anyOf(let conditions):
            guard !conditions.isEmpty else { return "false" }
            return "(" + conditions.map { $0.postgres(&p) }.joined(separator: " OR ") + ")"
        }
    }
}

extension IncidentVisibility.Condition {
    func postgres(_ p: inout PGParameters) -> String {
        switch self {
        case .reportedBy(let tokenID):
            "reporter_token_id = " + p.add(.int(Int(tokenID)))
        case .inGrids(let grids) where grids.isEmpty:
            "false"
        case .inGrids(let grids):
            "grid_id = ANY(" + p.add(.text(PGArray.text(grids.sorted()))) + "::text[])"
        case .assignedTo(let kind, let id):
            "(assignee_kind = " + p.add(.text(kind.rawValue)) + " AND assignee_id = " + p.add(.text(id)) + ")"
        }
    }
}

/// Carries every other instance's committed incident changes into this instance's `IncidentFeed`: one connection
/// of its own LISTENs on `PostgresIncidentStore.channel`; each notice of this store's county from another instance
/// is read back (the committed row) and published, so live pages on every instance see every change at once.
/// Reconnects after a lost connection (changes made meanwhile are not replayed: pages reload on reconnect).
public final class PostgresIncidentListener: Sendable {
    private let task: Task<Void, Never>
    private let listening: ListeningFlag

    public init(store: PostgresIncidentStore, feed: IncidentFeed, logger: Logger) {
        let listening = ListeningFlag()
        self.listening = listening
        task = Task(executorPreference: BlockingBridge.executor) {
            while !Task.isCancelled {
                do {
                    let session = try await PostgresSession.connect(store.location, logger: logger)
                    defer { session.close() }
                    try await session.connection.listen(on: PostgresIncidentStore.channel) { notices in
                        listening.set(true)
                        for try await notification in notices {
                            guard let notice = IncidentNotice(payload: notification.payload),
                                  notice.instanceID != store.instanceID, notice.countyCode == store.countyCode else { continue }
                            guard let incident = try await store.incidentAsync(id: notice.incidentID) else { continue }
                            feed.publish(IncidentChange(kind: notice.kind, incident: incident,
                                                        before: notice.before(of: incident), action: notice.action))
                        }
                    }
                    listening.set(false)
                } catch {
                    listening.set(false)
                    if Task.isCancelled { break }
                    logger.warning("incident notices from PostgreSQL interrupted (\(error)); listening again in 1 s")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Waits until the channel is listened to (at most `timeout`); throws when it is not by then.
    public func ready(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !listening.value {
            guard ContinuousClock.now < deadline else {
                throw StoreError("not listening for incident notices after \(timeout); is the database reachable?")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func stop() { task.cancel() }
    deinit { task.cancel() }
}

/// Whether the listener's LISTEN is in place.
final class ListeningFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var state = false
    var value: Bool { lock.withLock { state } }
    func set(_ value: Bool) { lock.withLock { state = value } }
}
