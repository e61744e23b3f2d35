import DispatchTestSupport
import Foundation
import Gridwork
@testable import GridworkDispatch
import Testing

@Suite("Lifecycle, rules and tokens")
struct UnitTests {
    @Test("the transition table: every legal pair, and nothing else")
    func lifecycle() {
        var legal: [String] = []
        for state in IncidentState.allCases {
            for action in IncidentAction.allCases {
                if let next = Lifecycle.next(from: state, action: action) {
                    legal.append("\(state.rawValue) -\(action.rawValue)-> \(next.rawValue)")
                }
            }
        }
        #expect(legal.sorted() == [
            "accepted -escalate-> accepted", "accepted -resolve-> resolved", "accepted -return-> reported",
            "accepted -start-> in_progress", "closed -reopen-> dispatched", "dispatched -accept-> accepted",
            "dispatched -dispatch-> dispatched", "dispatched -escalate-> dispatched", "dispatched -return-> reported",
            "in_progress -escalate-> in_progress", "in_progress -resolve-> resolved", "in_progress -return-> reported",
            "rated -close-> closed", "rated -reopen-> dispatched", "reported -dispatch-> dispatched",
            "reported -escalate-> reported", "resolved -close-> closed", "resolved -rate-> rated",
            "resolved -reopen-> dispatched",
        ])
        #expect(Lifecycle.actions(from: .closed) == [.reopen])
        #expect(IncidentState.openStates == [.reported, .dispatched, .accepted, .inProgress])
    }

    @Test("routing rules are checked against the county, with the fix named")
    func ruleProblems() throws {
        let f = try Fixture()
        var rules = RoutingRules(categories: [
            "fire_hazard": CategoryRule(owner: .department),
            "garbage": CategoryRule(owner: .department, department: "D99"),
            "dispute": CategoryRule(owner: .grid, deadlineHours: -1),
        ])
        rules.escalationStepHours = 0
        let problems = rules.problems(against: f.service.directory)
        #expect(problems.count == 4)
        #expect(problems.contains { $0.contains("fire_hazard") && $0.contains("\"department\"") })
        #expect(problems.contains { $0.contains("D99") && $0.contains("not in the database") })
        #expect(problems.contains { $0.contains("escalationStepHours") })
        let decoded = try JSONDecoder().decode(RoutingRules.self, from: Data("{\"categories\": {}}".utf8))
        #expect(decoded.defaultDeadlineHours == 72 && decoded.escalationStepHours == 24)
    }

    @Test("tokens: only the hash is stored, bindings are checked, the hash finds the role", arguments: StoreEngine.allCases)
    func tokens(_ engine: StoreEngine) throws {
        let f = try Fixture(engine: engine)
        let issuer = TokenIssuer(store: f.service.store, directory: f.service.directory)
        #expect(throws: DispatchError.self) { try issuer.create(role: .gridWorker, staffID: nil, departmentID: nil) }
        #expect(throws: DispatchError.self) { try issuer.create(role: .gridWorker, staffID: "NOBODY", departmentID: nil) }
        #expect(throws: DispatchError.self) { try issuer.create(role: .department, staffID: nil, departmentID: "D99") }
        #expect(throws: DispatchError.self) { try issuer.create(role: .reporter, staffID: "S00001", departmentID: nil) }
        let (token, id) = try issuer.create(role: .department, staffID: nil, departmentID: "D03")
        #expect(token.hasPrefix("gw_") && token.count == 46)
        #expect(APIToken.hash(token).count == 64)
        #expect(try f.count("SELECT count(*) FROM dispatch_token WHERE token_hash LIKE 'gw_%'") == 0)
        let stored = try f.service.store.token(hash: APIToken.hash(token))
        #expect(stored == StoredToken(tokenID: id, role: .department, staffID: nil, departmentID: "D03"))
        let principal = try f.service.authenticate(token: token)
        #expect(principal.role == .department && principal.departmentID == "D03")
        let worker = try f.service.authenticate(token: f.tokens["worker"])
        #expect(worker.gridIDs == [f.workerPoint.grid])
    }
}
