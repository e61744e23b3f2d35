import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// An event stream read over a real socket by curl (an independent HTTP client): it writes what arrives, unbuffered,
/// to a file the test reads.
final class CurlStream: @unchecked Sendable {
    let process = Process()
    let file: String

    init(url: String) throws {
        file = NSTemporaryDirectory() + "gridwork-sse-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: file, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--no-buffer", "--max-time", "120", "--output", file, url]
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var text: String { (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }

    /// The events received so far: (name, data).
    var events: [(name: String, data: String)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var name = "message", data: [String] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            return data.isEmpty ? nil : (name, data.joined(separator: "\n"))
        }
    }

    /// The incident events' (change, action, id, state, assignee id).
    var incidents: [(change: String, action: String, id: Int, state: String, assignee: String)] {
        events.filter { $0.name == "incident" }.compactMap { e in
            guard let o = try? JSONSerialization.jsonObject(with: Data(e.data.utf8)) as? [String: Any],
                  let feature = o["feature"] as? [String: Any], let p = feature["properties"] as? [String: Any] else { return nil }
            return (o["change"] as? String ?? "", o["action"] as? String ?? "", p["id"] as? Int ?? 0,
                    p["state"] as? String ?? "", p["assignee_id"] as? String ?? "")
        }
    }

    var gone: [Int] {
        events.filter { $0.name == "gone" }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any])?["id"] as? Int
        }
    }

    /// Waits (up to `seconds`) until `condition` holds.
    func wait(_ seconds: Double = 10, until condition: (CurlStream) -> Bool) async throws -> Bool {
        let end = Date() + seconds
        while Date() < end {
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition(self)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: file)
    }
}

@Suite("Live feed: tickets and the Server-Sent Events stream over a real socket", .serialized)
struct EventsTests {
    /// Waits until the feed has `n` subscribers.
    static func subscribers(_ f: Fixture, _ n: Int) async throws {
        let end = Date() + 10
        while f.service.feed.subscriberCount != n && Date() < end { try await Task.sleep(for: .milliseconds(10)) }
        #expect(f.service.feed.subscriberCount == n)
    }

    static func ticket(_ client: some TestClientProtocol, _ token: String?) async throws -> String {
        let r = try await client.send(.post, "/api/v1/events/tickets", token: token)
        #expect(r.status == .created, "\(r.text)")
        let url = try #require(r.object["url"] as? String)
        #expect(url == "/api/v1/events?ticket=" + (r.object["ticket"] as? String ?? "?"))
        #expect(r.object["expires_at"] is String)
        return url
    }

    @Test("each token gets what it may see: a worker no other grid's incidents, and `gone` when one leaves its view")
    func filteredStreams() async throws {
        let f = try Fixture()
        let p = f.workerPoint, vacant = f.vacantPoint
        let app = try buildApplication(service: f.service, options: DispatchServerOptions(
            port: 0, limits: ServerLimits(eventHeartbeat: .milliseconds(200)), sweepInterval: .seconds(3600)))
        let stream = try await app.test(.live) { client in
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)"
            let dispatcher = try CurlStream(url: base + (try await Self.ticket(client, f.tokens["dispatcher"])))
            let worker = try CurlStream(url: base + (try await Self.ticket(client, f.tokens["worker"])))
            defer { worker.stop() }
            try await Self.subscribers(f, 2)
            #expect(try await worker.wait { $0.events.first?.name == "hello" })
            #expect(worker.events.first?.data == #"{"role":"grid_worker"}"#)

            // A in the worker's grid; B in another grid.
            let a = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: "A"))
            let b = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: vacant.lon, y: vacant.lat, description: "B"))
            let idA = try #require(a.object["id"] as? Int), idB = try #require(b.object["id"] as? Int)
            // B dispatched to the worker (now theirs), then away to another grid's worker (gone for them).
            for target in [p.worker, f.otherWorker] {
                let r = try await client.send(.post, "/api/v1/incidents/\(idB)/dispatch", token: f.tokens["dispatcher"],
                                              json: #"{"assignee": {"kind": "staff", "id": "\#(target)"}}"#)
                #expect(r.status == .ok, "\(r.text)")
            }
            #expect(try await dispatcher.wait { $0.incidents.count == 4 }, "\(dispatcher.text)")
            #expect(dispatcher.incidents.map(\.change) == ["created", "created", "changed", "changed"])
            #expect(dispatcher.incidents.map(\.id) == [idA, idB, idB, idB])
            #expect(dispatcher.incidents.map(\.action) == ["report", "report", "dispatch", "dispatch"])
            #expect(dispatcher.incidents.last?.assignee == f.otherWorker)
            #expect(dispatcher.gone.isEmpty)

            #expect(try await worker.wait { $0.gone == [idB] }, "\(worker.text)")
            let seen = worker.incidents
            #expect(seen.map(\.id) == [idA, idB], "the worker never sees B's report in another grid: \(seen)")
            #expect(seen.last.map { $0.change == "changed" && $0.assignee == p.worker } == true)
            // The feature is the one incidents.geojson draws.
            let event = try #require(worker.events.first { $0.name == "incident" })
            let feature = try #require((try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])?["feature"] as? [String: Any])
            let list = try await client.send(.get, "/api/v1/incidents.geojson?state=open", token: f.tokens["worker"])
            let listed = (list.object["features"] as? [[String: Any]])?.first { ($0["properties"] as? [String: Any])?["id"] as? Int == idA }
            #expect(NSDictionary(dictionary: feature) == NSDictionary(dictionary: try #require(listed)))
            // Heartbeats keep the connection open.
            #expect(try await worker.wait(3) { $0.text.contains(": heartbeat\n\n") })

            // A revoked token's stream says so and ends at the next heartbeat.
            let stored = try #require(try f.service.store.token(hash: APIToken.hash(f.tokens["worker"]!)))
            #expect(try f.service.store.revokeToken(id: stored.tokenID, now: f.clock.now()))
            #expect(try await worker.wait(5) { !$0.process.isRunning })
            #expect(worker.events.last?.name == "revoked", "\(worker.text)")
            try await Self.subscribers(f, 1)
            return dispatcher
        }
        // The dispatcher's stream was still open when the server was told to stop: shutdown ended it.
        defer { stream.stop() }
        #expect(try await stream.wait(5) { !$0.process.isRunning }, "graceful shutdown ends open streams")
        #expect(f.service.feed.subscriberCount == 0)
    }

    @Test("a ticket opens the stream once, within its lifetime, and only for a valid token")
    func tickets() async throws {
        let f = try Fixture()
        try await f.application().test(.router) { client in
            let none = try await client.send(.post, "/api/v1/events/tickets", token: nil)
            #expect(none.status == .unauthorized)
            #expect(none.errorMessage.contains("Authorization: Bearer"))
            let noTicket = try await client.send(.get, "/api/v1/events", token: nil)
            #expect(noTicket.status == .unauthorized)
            #expect(noTicket.errorMessage.contains("POST /api/v1/events/tickets"), "\(noTicket.errorMessage)")
            let bogus = try await client.send(.get, "/api/v1/events?ticket=gwt_nothing", token: nil)
            #expect(bogus.status == .unauthorized)
            #expect(bogus.errorMessage.contains("unknown, used or expired ticket"))
            // A token in the header does not open the stream: only a ticket does.
            #expect(try await client.send(.get, "/api/v1/events", token: f.tokens["dispatcher"]).status == .unauthorized)
        }
        // Spent once; expired after its lifetime (the fixture's clock moves by hand); revoked in between: refused.
        let first = try f.service.issueEventTicket(token: f.tokens["planner"])
        #expect(first.principal.role == .planner)
        #expect(first.expiresAt == f.clock.now() + f.service.eventTickets.lifetime)
        let subscription = try f.service.subscribe(ticket: first.ticket)
        withExtendedLifetime(subscription.events) { #expect(f.service.feed.subscriberCount == 1) }
        let again = #expect(throws: DispatchError.self) { try f.service.subscribe(ticket: first.ticket) }
        #expect(again?.kind == .unauthenticated)
        let late = try f.service.issueEventTicket(token: f.tokens["planner"])
        f.clock.advance(by: f.service.eventTickets.lifetime + 1)
        #expect(throws: DispatchError.self) { try f.service.subscribe(ticket: late.ticket) }
        let revoked = try f.service.issueEventTicket(token: f.tokens["admin"])
        let stored = try #require(try f.service.store.token(hash: APIToken.hash(f.tokens["admin"]!)))
        _ = try f.service.store.revokeToken(id: stored.tokenID, now: f.clock.now())
        let refused = #expect(throws: DispatchError.self) { try f.service.subscribe(ticket: revoked.ticket) }
        #expect(refused?.message == "unknown or revoked API token")
    }
}
