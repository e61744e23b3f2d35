import DispatchTestSupport
import Foundation
import Gridwork
import GridPostgres
@testable import GridworkDispatch
import PostgresTestSupport
import Testing

/// The PostgreSQL incident store: the same answers as SQLite, and several server instances on one database at once
/// (each a `DispatchService` with a store and connection pool of its own).
@Suite("Dispatch store on PostgreSQL: engines agree, instances share")
struct PostgresStoreTests {
    static func report(_ category: String, at point: (lon: Double, lat: Double), description: String = "test report",
                       key: String? = nil) -> IntakeRequest {
        IntakeRequest(category: category, description: description, location: .init(x: point.lon, y: point.lat),
                      reporterContact: "13800000000", idempotencyKey: key)
    }

    /// A day of a county: reports in three grids, the closed loop on some, a rating, a repeat, and a sweep.
    static func scenario(_ f: Fixture) throws -> (DispatchReport, [Incident]) {
        let s = f.service
        let reporter = try s.authenticate(token: f.tokens["reporter"])
        let dispatcher = try s.authenticate(token: f.tokens["dispatcher"])
        let worker = try s.authenticate(token: f.tokens["worker"])
        var ids: [Int64] = []
        for (n, point) in [(f.workerPoint.lon, f.workerPoint.lat), (f.vacantPoint.lon, f.vacantPoint.lat),
                           (f.offDutyPoint.lon, f.offDutyPoint.lat)].enumerated() {
            for category in ["garbage", "housing_safety", "dispute", "garbage"] {
                ids.append(try s.intake(report(category, at: point, description: "\(n) \(category)"), by: reporter).incident.id)
                f.clock.advance(by: 600)
            }
        }
        for action in [IncidentAction.accept, .start, .resolve] { _ = try s.act(action, on: ids[0], body: TransitionBody(), by: worker) }
        _ = try s.act(.rate, on: ids[0], body: TransitionBody(rating: 5), by: reporter)
        _ = try s.act(.close, on: ids[0], body: TransitionBody(), by: reporter)
        _ = try s.act(.escalate, on: ids[5], body: TransitionBody(level: "town"), by: dispatcher)
        f.clock.advance(by: 4 * 86_400)
        try s.sweep()
        let report = try s.report(from: nil, to: nil, for: dispatcher)
        return (report, try s.store.incidents(IncidentQuery()))
    }

    @Test("the same day gives the same incidents, histories and report on SQLite and PostgreSQL")
    func enginesAgree() throws {
        let sqlite = try Fixture(engine: .sqlite), postgres = try Fixture(engine: .postgres)
        let (a, incidentsA) = try Self.scenario(sqlite)
        let (b, incidentsB) = try Self.scenario(postgres)
        #expect(a == b)
        #expect(a.total == 12 && a.escalated > 0 && a.repeatReports > 0 && a.closed == 1)
        func comparable(_ i: Incident) -> Incident {
            var i = i
            i.id = 0
            i.repeatOf = i.repeatOf.map { _ in 1 }
            i.reporterTokenID = 0
            return i
        }
        #expect(incidentsA.map(comparable) == incidentsB.map(comparable))
        for (x, y) in zip(incidentsA, incidentsB) {
            let ha = try sqlite.service.store.events(of: x.id).map { "\($0.action) \($0.toState.rawValue) \($0.note)" }
            let hb = try postgres.service.store.events(of: y.id).map { "\($0.action) \($0.toState.rawValue) \($0.note)" }
            #expect(ha.map { $0.replacingOccurrences(of: "incident \(x.repeatOf ?? -1)", with: "incident N") }
                    == hb.map { $0.replacingOccurrences(of: "incident \(y.repeatOf ?? -1)", with: "incident N") })
        }
        #expect(try postgres.count("SELECT count(*) FROM dispatch_incident WHERE county_code = '\(Fixture.countyCode)'") == 12)
    }

    @Test("an incident posted to one instance is visible from the other at once, with its history and steps")
    func visibleAcrossInstances() throws {
        let f = try Fixture(engine: .postgres)
        let other = try f.secondInstance()
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let workerThere = try other.authenticate(token: f.tokens["worker"])
        let p = f.workerPoint
        let created = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        #expect(try other.incident(id: created.id, for: workerThere) == created)
        #expect(try other.incidents(IncidentQuery(), for: workerThere).map(\.id) == [created.id])
        _ = try other.act(.accept, on: created.id, body: TransitionBody(), by: workerThere)
        #expect(try f.service.store.incident(id: created.id)?.state == .accepted)
        #expect(try f.service.store.events(of: created.id).map(\.action) == ["report", "dispatch", "accept"])
    }

    @Test("idempotency keys hold across instances: the same report sent to both at once is stored once")
    func idempotentAcrossInstances() async throws {
        let f = try Fixture(engine: .postgres)
        let instances = [f.service, try f.secondInstance()]
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let keys = (0..<40).map { "retry-\($0)" }
        // Every key sent twice to each instance, from four threads at once.
        let results = try await withThrowingTaskGroup(of: [(String, Int64, Bool)].self) { group in
            for n in 0..<4 {
                group.addTask {
                    try await Task.detached {
                        try keys.map { key in
                            let r = try instances[n % 2].intake(Self.report("garbage", at: (p.lon, p.lat), description: key, key: key),
                                                                by: reporter)
                            return (key, r.incident.id, r.created)
                        }
                    }.value
                }
            }
            var all: [(String, Int64, Bool)] = []
            for try await part in group { all += part }
            return all
        }
        #expect(results.count == 160)
        let byKey = Dictionary(grouping: results, by: \.0)
        for (key, answers) in byKey {
            #expect(Set(answers.map(\.1)).count == 1, "key \(key) stored as \(Set(answers.map(\.1)))")
            #expect(answers.filter(\.2).count == 1, "key \(key) created \(answers.filter(\.2).count) times")
        }
        #expect(try f.count() == keys.count)
        #expect(try f.count("SELECT count(*) FROM dispatch_event") == 2 * keys.count, "no half-stored duplicate")
    }

    @Test("the escalation sweep escalates each deadline exactly once however many instances sweep at once")
    func sweepOnce() async throws {
        let f = try Fixture(engine: .postgres)
        let instances = [f.service, try f.secondInstance(), try f.secondInstance()]
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        var ids: [Int64] = []
        for n in 0..<60 {
            ids.append(try f.service.intake(Self.report(n % 2 == 0 ? "garbage" : "dispute", at: (p.lon, p.lat),
                                                        description: "late \(n)"), by: reporter).incident.id)
        }
        let step = f.service.rules.escalationStepHours
        let latest = try f.service.store.incidents(IncidentQuery()).map(\.dueAt).max()!
        let now = latest + 2.5 * step * 3600  // every incident has passed its deadline and two more steps
        let done = try await withThrowingTaskGroup(of: [Escalation].self) { group in
            for instance in instances {
                for _ in 0..<2 {
                    group.addTask { try await Task.detached { try instance.store.escalateOverdue(now: now, stepHours: step) }.value }
                }
            }
            var all: [Escalation] = []
            for try await part in group { all += part }
            return all
        }
        #expect(done.count == ids.count * 3, "\(done.count) escalations for \(ids.count) incidents three steps late")
        #expect(Set(done.map { "\($0.incidentID) \($0.level.name)" }).count == done.count, "an escalation repeated")
        for id in ids {
            let escalations = try f.service.store.events(of: id).filter { $0.action == "escalate" }
            #expect(escalations.count == 3, "incident \(id) escalated \(escalations.count) times")
            #expect(try f.service.store.incident(id: id)?.escalationLevel == .county)
        }
        #expect(try instances[1].store.escalateOverdue(now: now, stepHours: step).isEmpty)
    }

    @Test("committed changes reach the live feed of the other instance (LISTEN/NOTIFY), filtered by visibility")
    func feedAcrossInstances() async throws {
        let f = try Fixture(engine: .postgres)
        let other = try f.secondInstance()
        let store = try #require(other.store as? PostgresIncidentStore)
        let listener = PostgresIncidentListener(store: store, feed: other.feed, logger: other.logger)
        defer { listener.stop() }
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let dispatcher = try f.service.authenticate(token: f.tokens["dispatcher"])
        let worker = try other.authenticate(token: f.tokens["worker"])
        let otherWorker = try other.authenticate(token: f.tokens["otherWorker"])
        let workerEvents = other.feed.subscribe(worker)
        let otherEvents = other.feed.subscribe(otherWorker)
        try await listener.ready()
        let p = f.workerPoint
        let incident = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        _ = try f.service.act(.dispatch, on: incident.id, body: TransitionBody(assignee: .init(kind: .staff, id: f.otherWorker)),
                              by: dispatcher)
        let seen = await Self.first(2, of: workerEvents)
        #expect(seen.count == 2, "the worker's page got \(seen)")
        // The listener reads the committed row when a notice arrives, so a listener that lags (a loaded machine) may
        // already see the dispatch in the row of the "created" notice: pages converge on the current state, which
        // is what they show; the order of the notices is kept.
        if case .incident(let created)? = seen.first {
            #expect(created.kind == .created && created.incident.id == incident.id)
        } else {
            Issue.record("expected the new incident first, got \(seen)")
        }
        if seen.count == 2, case .incident(let moved) = seen[1] {
            #expect(moved.action == "dispatch" && moved.incident.assigneeID == f.otherWorker,
                    "the worker still sees it (in their grid), now assigned elsewhere")
        } else {
            Issue.record("expected the dispatch second, got \(seen)")
        }
        let handed = await Self.first(1, of: otherEvents)
        if case .incident(let arrived)? = handed.first {
            #expect(arrived.incident.id == incident.id && arrived.incident.assigneeID == f.otherWorker,
                    "the other worker is shown the incident as theirs")
        } else {
            Issue.record("expected the dispatched incident on the other worker's page, got \(handed)")
        }
    }

    /// The first `n` events of `stream`, or fewer when 10 seconds pass first.
    static func first(_ n: Int, of stream: AsyncStream<FeedEvent>) async -> [FeedEvent] {
        await withTaskGroup(of: [FeedEvent]?.self) { group in
            group.addTask {
                var out: [FeedEvent] = []
                for await event in stream {
                    out.append(event)
                    if out.count == n { break }
                }
                return out
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    @Test("two counties in one database do not see each other's incidents or tokens")
    func countiesApart() throws {
        let f = try Fixture(engine: .postgres)
        let neighbour = try PostgresIncidentStore(location: try #require(f.postgres), countyCode: "339902", connections: 1)
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let incident = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        #expect(try neighbour.incident(id: incident.id) == nil)
        #expect(try neighbour.incidents(IncidentQuery()).isEmpty)
        #expect(try neighbour.token(hash: APIToken.hash(f.tokens["dispatcher"]!)) == nil)
        #expect(try neighbour.tokens().isEmpty)
        #expect(try neighbour.escalateOverdue(now: incident.dueAt + 86_400 * 30, stepHours: 24).isEmpty)
        #expect(try f.service.store.incident(id: incident.id)?.escalationLevel == .grid)
    }

    @Test("bad input: a county code that is not six digits, an unreachable server; nothing is written")
    func badInput() throws {
        let f = try Fixture(engine: .postgres)
        let location = try #require(f.postgres)
        for code in ["33018", "3301820", "33O182", "", "３３０１８２"] {
            let error = #expect(throws: DispatchError.self) {
                _ = try PostgresIncidentStore(location: location, countyCode: code, connections: 1)
            }
            #expect(error?.kind == .invalidInput && error?.message.contains("six digits") == true)
        }
        var nowhere = location
        nowhere.endpoint = .tcp(host: "127.0.0.1", port: 1)
        let unreachable = #expect(throws: PostgresFailure.self) {
            _ = try PostgresIncidentStore(location: nowhere, countyCode: Fixture.countyCode, connections: 1)
        }
        #expect(unreachable?.kind == .unreachable && unreachable?.location.contains("127.0.0.1:1") == true,
                "\(String(describing: unreachable))")
        #expect(try f.count() == 0)
    }
}
