import DispatchTestSupport
import Foundation
import Gridwork
import GridPostgres
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import PostgresTestSupport
import Testing

/// Two real `gridwork serve` processes on one PostgreSQL database and county: one is killed with SIGKILL under load.
@Suite("Crash safety of two servers on PostgreSQL")
struct PostgresKillRestartTests {
    /// Runs the gridwork binary to completion and returns its standard output.
    static func gridwork(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw StoreError("gridwork \(arguments.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    @Test("kill -9 of one of two instances under load loses no acknowledged incident; the other keeps serving",
          .enabled(if: FileManager.default.isExecutableFile(atPath: ServerProcess.binary),
                   "needs .build/debug/gridwork: run `swift build` first"))
    func killOneOfTwo() async throws {
        let f = try Fixture()  // the tiny sample on disk, its incident points
        let cluster = try PostgresTestCluster.shared()
        let location = try cluster.makeDatabase()
        let url = cluster.url(location)
        let county = Fixture.countyCode
        let s = f.dir + "/sample"
        _ = try Self.gridwork(["import", "--db", url, "--county", county, "--towns", s + "/towns.geojson",
                               "--villages", s + "/villages.geojson", "--grids", s + "/grids.geojson",
                               "--buildings", s + "/buildings.geojson", "--staff", s + "/staff.csv",
                               "--departments", s + "/departments.csv"])
        let token = try Self.gridwork(["token", "create", "--db", url, "--county", county, "--role", "reporter"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let extra = ["--county", county, "--media-dir", f.dir + "/media", "--no-console"]
        let servers = [try ServerProcess(db: url, arguments: extra), try ServerProcess(db: url, arguments: extra)]
        defer { servers[1].stop() }
        let acked = Acknowledged()
        let afterKill = Acknowledged()
        let p = f.workerPoint
        let killed = Task {
            let giveUp = Date() + 60
            while await acked.count < 300 && Date() < giveUp { try await Task.sleep(for: .milliseconds(5)) }
            servers[0].kill9()
            return Date()
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let server = servers[worker % 2]
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
                            if !servers[0].process.isRunning {
                                await afterKill.add(id, description)
                                if await afterKill.count >= 200 { return }  // the survivor kept serving
                            }
                        } catch {
                            return  // this client's server is gone
                        }
                    }
                }
            }
        }
        _ = try await killed.value
        let acknowledged = await acked.ids
        #expect(acknowledged.count >= 300)
        let survivorTook = await afterKill.count
        #expect(survivorTook >= 200, "the surviving instance took \(survivorTook) incidents after the kill")

        let session = try PostgresSession.open(location)
        defer { session.close() }
        var stored: [Int: String] = [:]
        for row in try session.query("SELECT incident_id, description FROM dispatch_incident WHERE county_code = $1", [.text(county)]) {
            stored[row[0].intValue ?? -1] = row[1].stringValue
        }
        let lost = acknowledged.filter { stored[$0.key] != $0.value }
        #expect(lost.isEmpty, "lost \(lost.count) of \(acknowledged.count) acknowledged incidents")
        let halfWritten = try session.query("""
            SELECT count(*) FROM dispatch_incident i WHERE (SELECT count(*) FROM dispatch_event e WHERE e.incident_id = i.incident_id) < 2
            """).first?.first?.intValue
        #expect(halfWritten == 0)
        let client = TestClient(host: "127.0.0.1", port: servers[1].port)
        client.connect()
        let r = try await client.get("/api/v1/incidents?limit=1", headers: [.authorization: "Bearer \(token)"])
        #expect(r.status == .ok)
        try await client.shutdown()
    }
}
