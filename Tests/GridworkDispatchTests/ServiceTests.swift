import DispatchTestSupport
import Foundation
import Gridwork
@testable import GridworkDispatch
import Testing

/// The dispatch service without HTTP: what it decides, and which domain error it throws.
@Suite("Dispatch service, store and visibility")
struct ServiceTests {
    static func report(_ category: String, at point: (lon: Double, lat: Double), description: String = "test report")
        -> IntakeRequest {
        IntakeRequest(category: category, description: description, location: .init(x: point.lon, y: point.lat),
                      reporterContact: "13800000000")
    }

    /// The kind of `DispatchError` `body` throws, or nil when it throws nothing (or something else).
    static func kind(_ body: () throws -> Void) -> DispatchError.Kind? {
        do {
            try body()
            return nil
        } catch let error as DispatchError {
            return error.kind
        } catch {
            return nil
        }
    }

    @Test("intake routes, stores and refuses with the domain's error kinds", arguments: StoreEngine.allCases)
    func intake(_ engine: StoreEngine) throws {
        let f = try Fixture(engine: engine)
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let (incident, created) = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter)
        #expect(created && incident.state == .dispatched)
        #expect(incident.gridID == p.grid && incident.assigneeKind == .staff && incident.assigneeID == p.worker)
        #expect(try f.service.store.events(of: incident.id).map(\.action) == ["report", "dispatch"])

        #expect(Self.kind { _ = try f.service.authenticate(token: nil) } == .unauthenticated)
        #expect(Self.kind { _ = try f.service.authenticate(token: "gw_forged") } == .unauthenticated)
        #expect(Self.kind { _ = try f.service.intake(Self.report("spaceship", at: (p.lon, p.lat)), by: reporter) } == .invalidInput)
        #expect(Self.kind { _ = try f.service.intake(Self.report("garbage", at: (116.39, 39.9)), by: reporter) } == .unprocessable)
        let planner = try f.service.authenticate(token: f.tokens["planner"])
        #expect(Self.kind { _ = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: planner) } == .forbidden)
        #expect(try f.count() == 1, "refused reports write nothing")
    }

    @Test("the closed loop through the service: permissions, illegal transitions and invisible incidents", arguments: StoreEngine.allCases)
    func closedLoop(_ engine: StoreEngine) throws {
        let f = try Fixture(engine: engine)
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let worker = try f.service.authenticate(token: f.tokens["worker"])
        let other = try f.service.authenticate(token: f.tokens["otherWorker"])
        let p = f.workerPoint
        let id = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter).incident.id

        #expect(Self.kind { _ = try f.service.act(.resolve, on: id, body: TransitionBody(), by: reporter) } == .forbidden)
        #expect(Self.kind { _ = try f.service.act(.start, on: id, body: TransitionBody(), by: worker) } == .conflict)
        #expect(Self.kind { _ = try f.service.act(.accept, on: id, body: TransitionBody(), by: other) } == .notFound)
        #expect(Self.kind { _ = try f.service.incident(id: id, for: other) } == .notFound)
        #expect(Self.kind { _ = try f.service.act(.rate, on: id, body: TransitionBody(rating: 9), by: reporter) } == .invalidInput)
        for action in [IncidentAction.accept, .start, .resolve] {
            _ = try f.service.act(action, on: id, body: TransitionBody(), by: worker)
        }
        let rated = try f.service.act(.rate, on: id, body: TransitionBody(rating: 5), by: reporter)
        #expect(rated.state == .rated && rated.rating == 5)
        #expect(try f.service.store.events(of: id).map(\.toState) == [.reported, .dispatched, .accepted, .inProgress, .resolved, .rated])
    }

    @Test("the store escalates overdue incidents one level per passed step", arguments: StoreEngine.allCases)
    func escalation(_ engine: StoreEngine) throws {
        let f = try Fixture(engine: engine)
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let incident = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        let late = incident.dueAt + 2.5 * f.service.rules.escalationStepHours * 3600
        let done = try f.service.store.escalateOverdue(now: late, stepHours: f.service.rules.escalationStepHours)
        #expect(done.map(\.level) == [.village, .town, .county])
        #expect(try f.service.store.incident(id: incident.id)?.escalationLevel == .county)
        #expect(try f.service.store.escalateOverdue(now: late, stepHours: f.service.rules.escalationStepHours).isEmpty)
    }

    @Test("escalating keeps or raises the level; dispatching keeps it; the history says which", arguments: StoreEngine.allCases)
    func escalationByHand(_ engine: StoreEngine) throws {
        let f = try Fixture(engine: engine)
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let dispatcher = try f.service.authenticate(token: f.tokens["dispatcher"])
        let worker = try f.service.authenticate(token: f.tokens["worker"])
        let p = f.workerPoint
        let incident = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        let id = incident.id

        let village = try f.service.act(.escalate, on: id, body: TransitionBody(), by: dispatcher)
        #expect(village.escalationLevel == .village && village.state == .dispatched)
        #expect(village.dueAt == incident.dueAt && village.assigneeID == incident.assigneeID, "escalating keeps deadline and assignee")
        let county = try f.service.act(.escalate, on: id, body: TransitionBody(note: "press", level: "county"), by: dispatcher)
        #expect(county.escalationLevel == .county)
        // Dispatching to the village committee at the county level hands it over and keeps the level.
        let villageID = try #require(incident.villageID)
        f.clock.advance(by: 3600)
        let handed = try f.service.act(.dispatch, on: id, body: TransitionBody(assignee: .init(kind: .village, id: villageID)),
                                       by: dispatcher)
        #expect(handed.escalationLevel == .county && handed.assigneeKind == .village && handed.dueAt > incident.dueAt)

        #expect(Self.kind { _ = try f.service.act(.escalate, on: id, body: TransitionBody(), by: dispatcher) } == .conflict)
        #expect(Self.kind { _ = try f.service.act(.escalate, on: id, body: TransitionBody(level: "town"), by: dispatcher) } == .conflict)
        #expect(Self.kind { _ = try f.service.act(.escalate, on: id, body: TransitionBody(level: "moon"), by: dispatcher) } == .invalidInput)
        #expect(Self.kind { _ = try f.service.act(.dispatch, on: id, body: TransitionBody(level: "county"), by: dispatcher) } == .invalidInput)
        #expect(Self.kind { _ = try f.service.act(.escalate, on: id, body: TransitionBody(), by: worker) } == .forbidden)
        #expect(try f.service.store.incident(id: id)?.escalationLevel == .county, "refusals change nothing")

        let history = try f.service.store.events(of: id)
        #expect(history.map(\.action) == ["report", "dispatch", "escalate", "escalate", "dispatch"])
        #expect(history[2].note == "by hand from the grid to the village level")
        #expect(history[3].note == "by hand from the village to the county level: press")
        #expect(history[4].note == "to village \(villageID) at the county level")
        #expect(history[2].actor == dispatcher.actor && history[2].fromState == .dispatched && history[2].toState == .dispatched)

        // A resolved incident does not escalate; the sweep continues from a level raised by hand.
        let other = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat), description: "second"), by: reporter).incident
        for action in [IncidentAction.accept, .resolve] { _ = try f.service.act(action, on: other.id, body: TransitionBody(), by: worker) }
        #expect(Self.kind { _ = try f.service.act(.escalate, on: other.id, body: TransitionBody(), by: dispatcher) } == .conflict)
        let third = try f.service.intake(Self.report("garbage", at: (p.lon, p.lat), description: "third"), by: reporter).incident
        _ = try f.service.act(.escalate, on: third.id, body: TransitionBody(level: "town"), by: dispatcher)
        let done = try f.service.store.escalateOverdue(now: third.dueAt + 1, stepHours: f.service.rules.escalationStepHours)
        #expect(done.filter { $0.incidentID == third.id }.map(\.level) == [.county])
    }

    @Test("escalation levels: raised only upwards, named as in the API")
    func levels() throws {
        #expect(try EscalationLevel.grid.raised(to: nil) == .village)
        #expect(try EscalationLevel.village.raised(to: .county) == .county)
        #expect(throws: DispatchError.self) { try EscalationLevel.county.raised(to: nil) }
        #expect(throws: DispatchError.self) { try EscalationLevel.town.raised(to: .town) }
        #expect(EscalationLevel.allCases.allSatisfy { EscalationLevel(name: $0.name) == $0 })
        #expect(EscalationLevel(name: "province") == nil)
        #expect(Lifecycle.actions(from: .inProgress).contains(.escalate) && !Lifecycle.actions(from: .closed).contains(.escalate))
    }

    @Test("visibility: the store's SQL filter and Principal.canSee agree for every role", arguments: StoreEngine.allCases)
    func visibilityAgrees(_ engine: StoreEngine) throws {
        let f = try Fixture(engine: engine)
        let service = f.service
        let reporters = try ["reporter", "reporter2"].map { try service.authenticate(token: f.tokens[$0]) }
        let dispatcher = try service.authenticate(token: f.tokens["dispatcher"])
        // Incidents in three grids by two reporters, owned by grid workers, departments and a village, then
        // reassigned across grids so that "assigned to me" and "in my grid" differ.
        var ids: [Int64] = []
        for (n, point) in [(f.workerPoint.lon, f.workerPoint.lat), (f.vacantPoint.lon, f.vacantPoint.lat),
                           (f.offDutyPoint.lon, f.offDutyPoint.lat)].enumerated() {
            for category in ["garbage", "housing_safety", "dispute"] {
                ids.append(try service.intake(Self.report(category, at: point, description: "v \(n) \(category)"),
                                              by: reporters[n % 2]).incident.id)
            }
        }
        _ = try service.act(.dispatch, on: ids[1], body: TransitionBody(assignee: .init(kind: .staff, id: f.otherWorker)),
                            by: dispatcher)
        _ = try service.act(.dispatch, on: ids[3], body: TransitionBody(assignee: .init(kind: .department, id: "D01")),
                            by: dispatcher)
        _ = try service.act(.dispatch, on: ids[4], body: TransitionBody(assignee: .init(kind: .staff, id: f.workerPoint.worker)),
                            by: dispatcher)

        var principals = try f.tokens.keys.sorted().map { try service.authenticate(token: f.tokens[$0]) }
        principals += [
            Principal(tokenID: 999, role: .gridWorker, staffID: nil, gridIDs: []),
            Principal(tokenID: 998, role: .gridWorker, staffID: "NOBODY", gridIDs: [f.vacantPoint.grid, f.offDutyPoint.grid]),
            Principal(tokenID: 997, role: .department, departmentID: nil),
            Principal(tokenID: 996, role: .reporter),
        ]
        let all = try service.store.incidents(IncidentQuery())
        #expect(all.count == ids.count)
        var sawPartial = false
        for principal in principals {
            let fromSQL = Set(try service.store.incidents(IncidentQuery(visibleTo: principal)).map(\.id))
            let inMemory = Set(all.filter(principal.canSee).map(\.id))
            #expect(fromSQL == inMemory, "\(principal.role) \(principal.staffID ?? principal.departmentID ?? "")")
            if !inMemory.isEmpty && inMemory.count < all.count { sawPartial = true }
        }
        #expect(sawPartial, "some role sees some incidents but not all, so the comparison means something")
        let worker = try service.authenticate(token: f.tokens["worker"])
        let seen = Set(all.filter(worker.canSee).map(\.id))
        #expect(seen.contains(ids[4]) && seen.contains(ids[0]), "in the worker's grid, and assigned to them from elsewhere")
        #expect(!seen.contains(ids[3]), "another grid's incident assigned elsewhere is not seen")
    }

    @Test("routing: department categories, the least-loaded worker, part-timers, then the village")
    func routing() throws {
        let f = try Fixture()
        let router = f.service.router
        let department = try router.route(category: "housing_safety", gridID: nil, workload: [:])
        #expect(department.assigneeKind == .department && department.assigneeID == "D06")
        let worker = try router.route(category: "garbage", gridID: f.workerPoint.grid, workload: [:])
        #expect(worker.assigneeKind == .staff && worker.assigneeID == f.workerPoint.worker)
        #expect(worker.reason.contains(f.workerPoint.worker))
        let candidates = router.candidateStaff(grid: f.vacantPoint.grid)
        let partTime = try router.route(category: "dispute", gridID: f.vacantPoint.grid, workload: [:])
        #expect(partTime.assigneeID == f.vacantPoint.partTimer && partTime.reason.contains("part-time"))
        let busy = Dictionary(uniqueKeysWithValues: candidates.map { ($0, $0 == f.vacantPoint.partTimer ? 5 : 0) })
        let balanced = try router.route(category: "dispute", gridID: f.vacantPoint.grid, workload: busy)
        #expect(candidates.count < 2 || balanced.assigneeID != f.vacantPoint.partTimer, "the fewest open items win")
        let village = try router.route(category: "garbage", gridID: f.offDutyPoint.grid, workload: [:])
        #expect(village.assigneeKind == .village && village.assigneeID == f.offDutyPoint.village)
        #expect(Self.kind { _ = try router.route(category: "garbage", gridID: nil, workload: [:]) } == .unprocessable)
        #expect(Self.kind { _ = try router.route(category: "spaceship", gridID: nil, workload: [:]) } == .invalidInput)
    }
}
