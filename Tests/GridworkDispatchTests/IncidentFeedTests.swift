import DispatchTestSupport
import Foundation
import Gridwork
@testable import GridworkDispatch
import Testing

/// The live feed in the domain: what the service publishes, and what each subscriber is handed.
@Suite("Incident feed: published changes, filtered by visibility")
struct IncidentFeedTests {
    /// Everything `stream` holds now (the feed yields synchronously, so published events are already queued).
    static func drain(_ stream: AsyncStream<FeedEvent>, count: Int) async -> [FeedEvent] {
        var out: [FeedEvent] = []
        var iterator = stream.makeAsyncIterator()
        while out.count < count, let e = await iterator.next() { out.append(e) }
        return out
    }

    static func summary(_ e: FeedEvent) -> String {
        switch e {
        case .incident(let c): "\(c.kind.rawValue) \(c.action) \(c.incident.id) \(c.incident.escalationLevel.name)"
        case .gone(let id): "gone \(id)"
        }
    }

    @Test("intake, actions and the sweep publish; a worker gets its grid's and its own, and `gone` when one leaves")
    func publishedAndFiltered() async throws {
        let f = try Fixture()
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let dispatcher = try f.service.authenticate(token: f.tokens["dispatcher"])
        let worker = try f.service.authenticate(token: f.tokens["worker"])
        let department = try f.service.authenticate(token: f.tokens["housing"])
        let all = f.service.feed.subscribe(dispatcher)
        let mine = f.service.feed.subscribe(worker)
        let dept = f.service.feed.subscribe(department)
        let reporterFeed = f.service.feed.subscribe(try f.service.authenticate(token: f.tokens["reporter2"]))
        #expect(f.service.feed.subscriberCount == 4)

        let p = f.workerPoint, v = f.vacantPoint
        let a = try f.service.intake(ServiceTests.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        let b = try f.service.intake(ServiceTests.report("garbage", at: (v.lon, v.lat)), by: reporter).incident
        // A retry with the same key stores nothing and publishes nothing.
        var keyed = ServiceTests.report("garbage", at: (v.lon, v.lat))
        keyed.idempotencyKey = "k1"
        let c = try f.service.intake(keyed, by: reporter).incident
        #expect(try f.service.intake(keyed, by: reporter).created == false)
        // B to the worker, then to the housing department (out of the worker's view).
        _ = try f.service.act(.dispatch, on: b.id, body: TransitionBody(assignee: .init(kind: .staff, id: p.worker)), by: dispatcher)
        _ = try f.service.act(.dispatch, on: b.id, body: TransitionBody(assignee: .init(kind: .department, id: "D06")), by: dispatcher)
        // A refused action publishes nothing.
        #expect(throws: DispatchError.self) { try f.service.act(.rate, on: a.id, body: TransitionBody(rating: 5), by: dispatcher) }
        // The sweep: every deadline has passed two days on; each escalated incident once, as it stands after.
        f.clock.advance(by: 2 * 86_400)
        let escalations = try f.service.sweep()
        #expect(Set(escalations.map(\.incidentID)) == [a.id, b.id, c.id])
        // Closing ends every subscription after what it holds, so the drains below cannot wait forever.
        f.service.feed.close()
        #expect(f.service.feed.subscriberCount == 0)

        let dispatched = await Self.drain(all, count: 100)
        #expect(dispatched.count == 8)
        #expect(dispatched.map(Self.summary).prefix(5) == [
            "created report \(a.id) grid", "created report \(b.id) grid", "created report \(c.id) grid",
            "changed dispatch \(b.id) grid", "changed dispatch \(b.id) grid"])
        #expect(Set(dispatched.suffix(3).map(Self.summary)).count == 3)
        #expect(dispatched.suffix(3).allSatisfy { if case .incident(let ch) = $0 { ch.action == "escalate" && ch.incident.escalationLevel > .grid } else { false } })

        let worked = await Self.drain(mine, count: 100)
        #expect(worked.count == 4)
        #expect(worked.map(Self.summary).prefix(3) == ["created report \(a.id) grid", "changed dispatch \(b.id) grid", "gone \(b.id)"])
        #expect(worked.last.map(Self.summary)?.hasPrefix("changed escalate \(a.id)") == true, "\(worked.map(Self.summary))")
        // The department saw only B, once it was its own.
        let departed = await Self.drain(dept, count: 100)
        #expect(departed.count == 2)
        #expect(departed.map(Self.summary).first == "changed dispatch \(b.id) grid")
        #expect(departed.map(Self.summary).last?.hasPrefix("changed escalate \(b.id)") == true)
        // Another reporter's app saw none of this.
        #expect(await Self.drain(reporterFeed, count: 1).isEmpty)
        // After close, a subscription ends at once.
        #expect(await Self.drain(f.service.feed.subscribe(dispatcher), count: 1).isEmpty)
    }

    @Test("a subscriber that falls bufferLimit events behind is ended; one that stops listening is removed")
    func overflowAndCancel() async throws {
        let f = try Fixture()
        let feed = IncidentFeed(bufferLimit: 3)
        let dispatcher = try f.service.authenticate(token: f.tokens["dispatcher"])
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let p = f.workerPoint
        let incident = try f.service.intake(ServiceTests.report("garbage", at: (p.lon, p.lat)), by: reporter).incident
        let slow = feed.subscribe(dispatcher)
        for _ in 0..<3 { feed.publish(IncidentChange(kind: .changed, incident: incident, before: incident, action: "accept")) }
        #expect(feed.subscriberCount == 1)
        feed.publish(IncidentChange(kind: .changed, incident: incident, before: incident, action: "start"))
        #expect(feed.subscriberCount == 0, "the fourth event did not fit: the subscriber is ended")
        // What was queued is still delivered, then the stream ends (the client reconnects and reloads).
        #expect(await Self.drain(slow, count: 10).count == 3)

        let listener = Task {
            var n = 0
            for await _ in feed.subscribe(dispatcher) { n += 1 }
            return n
        }
        let end = Date() + 5
        while feed.subscriberCount == 0 && Date() < end { try await Task.sleep(for: .milliseconds(5)) }
        #expect(feed.subscriberCount == 1)
        listener.cancel()
        _ = await listener.value
        #expect(feed.subscriberCount == 0)
    }
}
