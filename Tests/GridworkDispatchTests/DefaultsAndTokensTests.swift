import DispatchTestSupport
import Foundation
import Gridwork
@testable import GridworkDispatch
import Testing

/// What `gridwork serve` does out of the box (issue 12): the shipped routing rules without `--rules`, and tokens
/// that can be listed and revoked.
@Suite("Shipped rules and token revocation")
struct DefaultsAndTokensTests {
    @Test("the built-in rules are config/routing.json as shipped")
    func shippedIsTheFile() throws {
        let file = try RoutingRules.load(path: Fixture.packageRoot + "/config/routing.json")
        #expect(RoutingRules.shipped == file)
        #expect(RoutingRules.shipped.categories["garbage"]?.owner == .grid)
    }

    @Test("without --rules, grid categories go to the grid worker and department ones to their department")
    func defaultRouting() throws {
        let f = try Fixture()
        let service = try DispatchService.open(databasePath: f.dbPath, rulesPath: nil, clock: f.clock)
        #expect(service.rules == RoutingRules.shipped(fittedTo: service.directory))
        let reporter = try service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let report = { (category: String) in
            IntakeRequest(category: category, description: "x", location: .init(x: p.lon, y: p.lat))
        }
        let garbage = try service.intake(report("garbage"), by: reporter).incident
        #expect(garbage.assigneeKind == .staff && garbage.assigneeID == p.worker, "\(garbage.routingReason)")
        let housing = try service.intake(report("housing_safety"), by: reporter).incident
        #expect(housing.assigneeKind == .department && housing.assigneeID == "D06", "\(housing.routingReason)")
    }

    @Test("shipped department categories no department lists are left out, so such a county still starts")
    func fitted() throws {
        let f = try Fixture()
        var directory = f.service.directory
        directory.departmentOfCategory = [:]
        let rules = RoutingRules.shipped(fittedTo: directory)
        #expect(rules.categories.values.allSatisfy { $0.owner == .grid })
        #expect(rules.categories.count == RoutingRules.shipped.categories.values.filter { $0.owner == .grid }.count)
        #expect(rules.problems(against: directory).isEmpty)
    }

    @Test("tokens are listed without secrets and a revoked one is refused at once, revoked from another connection")
    func revoke() throws {
        let f = try Fixture()
        let token = try #require(f.tokens["worker"])
        let before = try f.service.authenticate(token: token)
        // `gridwork token revoke` runs in another process: its own store on the same file.
        let cli = try TokenIssuer.open(databasePath: f.dbPath)
        let listed = try cli.store.tokens()
        #expect(listed.count == f.tokens.count)
        let row = try #require(listed.first { $0.tokenID == before.tokenID })
        #expect(row.role == .gridWorker && row.staffID == f.workerPoint.worker && row.revokedAt == nil)
        #expect(try cli.store.revokeToken(id: before.tokenID, now: Fixture.start))
        #expect(try !cli.store.revokeToken(id: 9_999, now: Fixture.start))
        #expect(try cli.store.tokens().first { $0.tokenID == before.tokenID }?.revokedAt == Fixture.start)
        // Right after, without waiting: the running service refuses it.
        #expect(throws: DispatchError.self) { try f.service.authenticate(token: token) }
        #expect(try f.service.authenticate(token: f.tokens["dispatcher"]).role == .dispatcher)
        // Revoking again keeps the first time.
        #expect(try cli.store.revokeToken(id: before.tokenID, now: Fixture.start + 60))
        #expect(try cli.store.tokens().first { $0.tokenID == before.tokenID }?.revokedAt == Fixture.start)
    }
}
