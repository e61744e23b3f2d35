import DispatchTestSupport
import Foundation
import GridStore
import Gridwork
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Drives the real `gridwork serve` binary as a subprocess.
final class ServerProcess: @unchecked Sendable {
    static let binary = Fixture.packageRoot + "/.build/debug/gridwork"
    let process = Process()
    let port: Int

    init(db: String, arguments extra: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--db", db, "--port", "0", "--rules", Fixture.packageRoot + "/config/routing.json",
                             "--log-level", "warning"] + extra
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // Wait for "listening on HOST:PORT" (after the line naming the routing rules).
        var text = ""
        let deadline = Date() + 30
        func listening() -> Bool {
            text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().contains { $0.hasPrefix("listening on ") }
        }
        while !listening() {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty {
                if Date() > deadline || !process.isRunning { throw StoreError("gridwork serve did not start: \(text)") }
                continue
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
              let port = Int(line.split(separator: ":").last ?? "") else {
            throw StoreError("unexpected start-up output: \(text)")
        }
        self.port = port
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

actor Acknowledged {
    var ids: [Int: String] = [:]
    func add(_ id: Int, _ description: String) { ids[id] = description }
    var count: Int { ids.count }
}

@Suite("Crash safety of the real server")
struct KillRestartTests {
    @Test("kill -9 under concurrent load loses no acknowledged incident",
          .enabled(if: FileManager.default.isExecutableFile(atPath: ServerProcess.binary),
                   "needs .build/debug/gridwork: run `swift build` first"))
    func killUnderLoad() async throws {
        let f = try Fixture()
        let server = try ServerProcess(db: f.dbPath)
        let acked = Acknowledged()
        let p = f.workerPoint
        let token = f.tokens["reporter"]!
        let killed = Task {
            // Kill once a few hundred incidents are acknowledged, while the clients are still posting.
            let giveUp = Date() + 60
            while await acked.count < 300 && Date() < giveUp { try await Task.sleep(for: .milliseconds(5)) }
            server.kill9()
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let client = TestClient(host: "127.0.0.1", port: server.port)
                    client.connect()
                    defer { Task { try? await client.shutdown() } }
                    for n in 0..<100_000 {
                        let description = "load \(worker)-\(n)"
                        let body = incidentJSON(category: n % 2 == 0 ? "garbage" : "housing_safety", x: p.lon, y: p.lat,
                                                description: description)
                        do {
                            let r = try await client.post("/api/v1/incidents", headers: [.authorization: "Bearer \(token)",
                                                                                         .contentType: "application/json"],
                                                          body: ByteBuffer(string: body))
                            guard r.status == .created, let b = r.body,
                                  let o = try? JSONSerialization.jsonObject(with: Data(b.readableBytesView)) as? [String: Any],
                                  let id = o["id"] as? Int else { return }
                            await acked.add(id, description)
                        } catch {
                            return  // the server is gone
                        }
                    }
                }
            }
        }
        try await killed.value
        let acknowledged = await acked.ids
        #expect(acknowledged.count >= 300)

        let restarted = try ServerProcess(db: f.dbPath)
        defer { restarted.stop() }
        let c = try SQLiteConnection(path: f.dbPath, mode: .readOnly)
        var stored: [Int: String] = [:]
        for row in try c.query("SELECT incident_id, description FROM dispatch_incident") {
            stored[row[0].intValue ?? -1] = row[1].stringValue
        }
        let lost = acknowledged.filter { stored[$0.key] != $0.value }
        #expect(lost.isEmpty, "lost \(lost.count) of \(acknowledged.count) acknowledged incidents")
        // Every stored incident is whole: it has its report and dispatch events.
        let halfWritten = try c.query("""
            SELECT count(*) FROM dispatch_incident i WHERE (SELECT count(*) FROM dispatch_event e WHERE e.incident_id = i.incident_id) < 2
            """).first?[0].intValue
        #expect(halfWritten == 0)
        // And the restarted server answers.
        let client = TestClient(host: "127.0.0.1", port: restarted.port)
        client.connect()
        let r = try await client.get("/api/v1/incidents?limit=1", headers: [.authorization: "Bearer \(token)"])
        #expect(r.status == .ok)
        try await client.shutdown()
    }
}

@Suite("Live server on a free port")
struct LiveServerTests {
    @Test("intake and reading over a real socket")
    func live() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.live) { client in
            let r = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                          json: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            #expect(r.status == .created)
            let id = r.object["id"] as! Int
            let g = try await client.send(.get, "/api/v1/incidents/\(id)", token: f.tokens["worker"])
            #expect(g.object["state"] as? String == "dispatched")
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }
}
