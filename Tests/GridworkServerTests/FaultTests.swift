import DispatchTestSupport
import Foundation
import Glibc
import GridStore
import Testing

/// The incidents a test saw acknowledged (201), by id, with their descriptions.
private func acknowledged(_ answer: HTTPAnswer, _ description: String, into acked: inout [Int: String]) {
    if answer.status == 201, let id = answer.object["id"] as? Int { acked[id] = description }
}

/// Incident descriptions stored in a database, by id.
private func storedIncidents(_ path: String) throws -> [Int: String] {
    let c = try SQLiteConnection(path: path, mode: .readOnly)
    var stored: [Int: String] = [:]
    for row in try c.query("SELECT incident_id, description FROM dispatch_incident") {
        stored[row[0].intValue ?? -1] = row[1].stringValue
    }
    return stored
}

private func integrity(_ path: String) throws -> String {
    try SQLiteConnection(path: path, mode: .readOnly).query("PRAGMA integrity_check").map { $0[0].stringValue ?? "" }
        .joined(separator: "; ")
}

/// Faults of the disk and the database file under the real `gridwork serve` and `gridwork import`
/// (docs/reliability.md). The disk is made "full" with a file-size limit (`RLIMIT_FSIZE`, set on the running process
/// with `prlimit`), which works unprivileged and in any container: writes past it fail with `EFBIG`, as they fail with
/// `ENOSPC` on a full disk; SQLite reports both as errors of the write.
@Suite("Faults: disk full, read-only and damaged database files", .serialized,
       .enabled(if: ServedProcess.available, "needs .build/debug/gridwork: run `swift build` first"))
struct StorageFaultTests {
    @Test("disk full during intake: 503 with Retry-After, reads go on, intake recovers when space returns, no acknowledged incident lost")
    func diskFullDuringIntake() throws {
        let f = try Fixture()
        let server = try ServedProcess(db: f.dbPath)
        let client = RawClient(port: server.port)
        let p = f.workerPoint
        let reporter = f.tokens["reporter"]!
        var acked: [Int: String] = [:]
        func post(_ description: String) throws -> HTTPAnswer {
            let answer = try client.send("POST", "/api/v1/incidents", token: reporter,
                                         body: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: description))
            acknowledged(answer, description, into: &acked)
            return answer
        }
        for n in 0..<10 { #expect(try post("before \(n)").status == 201) }

        try setFileSizeLimit(pid: server.pid, soft: "0")  // every write of a file now fails: the disk is "full"
        for n in 0..<10 {
            let answer = try post("while full \(n)")
            #expect(answer.status == 503)
            #expect(answer.headers["retry-after"] == "30")
            #expect(answer.errorMessage.contains("磁盘") && answer.errorMessage.contains("nothing of this request was stored"),
                    "\(answer.errorMessage)")
        }
        let list = try client.send("GET", "/api/v1/incidents?limit=100", token: f.tokens["dispatcher"])
        #expect(list.status == 200, "reads go on while the disk is full")
        #expect(server.isRunning)

        try setFileSizeLimit(pid: server.pid, soft: "unlimited")  // space returns
        for n in 0..<10 { #expect(try post("after \(n)").status == 201) }

        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20)?.status == 0)
        #expect(server.output.contains("SQLITE_IOERR"), "the log tells the administrator: \(server.output.suffix(2000))")
        let stored = try storedIncidents(f.dbPath)
        #expect(acked.count == 20)
        let lost = acked.filter { stored[$0.key] != $0.value }
        #expect(lost.isEmpty, "lost \(lost.count) of \(acked.count) acknowledged incidents")
        #expect(!stored.values.contains { $0.hasPrefix("while full") }, "a refused incident was stored after all")
        #expect(try integrity(f.dbPath) == "ok")
    }

    @Test("a file system that really fills up (a tmpfs): SQLITE_FULL, 503 磁盘已满, intake recovers when space returns",
          .enabled(if: SmallFileSystem.mountable, "needs root allowed to mount a tmpfs"))
    func fullFileSystem() throws {
        let f = try Fixture()
        let size = (try FileManager.default.attributesOfItem(atPath: f.dbPath)[.size] as? Int ?? 0) >> 20
        let fs = try SmallFileSystem(megabytes: size + 16)
        defer { fs.unmount() }
        // The database, checkpointed so its WAL starts empty, copied onto the small file system.
        #expect(try SQLiteConnection(path: f.dbPath, mode: .readWrite).query("PRAGMA wal_checkpoint(TRUNCATE)").first?[0].intValue == 0)
        let db = fs.path + "/county.sqlite"
        try FileManager.default.copyItem(atPath: f.dbPath, toPath: db)
        let server = try ServedProcess(db: db)
        let client = RawClient(port: server.port)
        let p = f.workerPoint
        var acked: [Int: String] = [:]
        func post(_ description: String) throws -> HTTPAnswer {
            let answer = try client.send("POST", "/api/v1/incidents", token: f.tokens["reporter"],
                                         body: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: description))
            acknowledged(answer, description, into: &acked)
            return answer
        }
        for n in 0..<5 { #expect(try post("before \(n)").status == 201) }

        try fs.fill()
        // The WAL's last page may still have room for a commit or two; then every write needs a new page.
        var refused: [HTTPAnswer] = []
        for n in 0..<50 where refused.count < 5 {
            let answer = try post("while full \(n)")
            if answer.status != 201 { refused.append(answer) }
        }
        #expect(refused.count == 5, "intake went on while the file system was full")
        for answer in refused {
            #expect(answer.status == 503 && answer.headers["retry-after"] == "30")
            #expect(answer.errorMessage.contains("磁盘已满") && answer.errorMessage.contains("nothing of this request was stored"),
                    "\(answer.errorMessage)")
        }
        #expect(try client.send("GET", "/api/v1/incidents?limit=100", token: f.tokens["dispatcher"]).status == 200)

        try fs.release()
        for n in 0..<5 { #expect(try post("after \(n)").status == 201) }
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20)?.status == 0)
        #expect(server.output.contains("SQLITE_FULL"), "\(server.output.suffix(2000))")
        let stored = try storedIncidents(db)
        let lost = acked.filter { stored[$0.key] != $0.value }
        #expect(lost.isEmpty, "lost \(lost.count) of \(acked.count) acknowledged incidents")
        let writtenWhileFull = stored.values.filter { $0.hasPrefix("while full") }.count
        #expect(writtenWhileFull == acked.values.filter { $0.hasPrefix("while full") }.count, "only the acknowledged ones are stored")
        #expect(try integrity(db) == "ok")
    }

    @Test("disk full during import: refused with a clear message, the database unchanged; the same import passes once space returns")
    func diskFullDuringImport() throws {
        let f = try Fixture()
        let sample = f.dir + "/sample/"
        func state() throws -> [String] {
            let c = try SQLiteConnection(path: f.dbPath, mode: .readOnly)
            var lines = try c.query("SELECT version_id, source, note FROM boundary_version ORDER BY version_id").map { "\($0)" }
            for table in ["town", "village", "grid", "building", "staff", "department"] {
                lines.append("\(table) \(try c.query("SELECT count(*) FROM \(table)").first?[0].intValue ?? -1)")
            }
            return lines
        }
        let before = try state()
        let arguments = ["import", "--db", f.dbPath, "--towns", sample + "towns.geojson", "--villages", sample + "villages.geojson",
                         "--grids", sample + "grids.geojson", "--buildings", sample + "buildings.geojson", "--note", "second"]
        // 64 KiB per file: far less than the import writes.
        let full = try runToEnd("/usr/bin/prlimit", ["--fsize=65536:", "--", ServedProcess.binary] + arguments)
        #expect(full.reason == .exit && full.status == 3, "\(full.reason) \(full.status): \(full.stderr)")
        #expect(full.stderr.contains("import refused: nothing was imported") && full.stderr.contains("the database is as it was before"),
                "\(full.stderr)")
        #expect(full.stderr.contains("SQLITE_IOERR") && full.stderr.contains("nothing of this change was written"), "\(full.stderr)")
        #expect(try state() == before)
        #expect(try integrity(f.dbPath) == "ok")

        let roomy = try runToEnd(ServedProcess.binary, arguments)
        #expect(roomy.status == 0, "\(roomy.stderr)")
        #expect(try state().count == before.count + 1, "the import passes once space returns")
    }

    @Test("the database file made read-only under a running server: writes 503, reads go on, writes resume once writable",
          .enabled(if: immutableFlagWorks(in: NSTemporaryDirectory()), "needs chattr +i (root, on ext4, xfs or btrfs)"))
    func readOnlyUnderRunningServer() throws {
        let f = try Fixture()
        let server = try ServedProcess(db: f.dbPath)
        let client = RawClient(port: server.port)
        let p = f.workerPoint
        let reporter = f.tokens["reporter"]!
        func post(_ description: String) throws -> HTTPAnswer {
            try client.send("POST", "/api/v1/incidents", token: reporter,
                            body: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: description))
        }
        let first = try post("before read-only")
        #expect(first.status == 201)
        // chmod does not stop a process that has the file open (nor root at all): the immutable flag stops both.
        let files = [f.dbPath, f.dbPath + "-wal"]
        #expect(try runToEnd("/usr/bin/chattr", ["+i"] + files).status == 0)
        defer { _ = try? runToEnd("/usr/bin/chattr", ["-i"] + files) }

        for n in 0..<3 {
            let answer = try post("read-only \(n)")
            #expect(answer.status == 503)
            #expect(answer.errorMessage.contains("nothing of this request was stored"), "\(answer.errorMessage)")
        }
        let id = first.object["id"] as? Int ?? -1
        let read = try client.send("GET", "/api/v1/incidents/\(id)", token: f.tokens["dispatcher"])
        #expect(read.status == 200 && read.object["description"] as? String == "before read-only")
        #expect(server.isRunning)

        #expect(try runToEnd("/usr/bin/chattr", ["-i"] + files).status == 0)
        let after = try post("writable again")
        #expect(after.status == 201)
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20)?.status == 0)
        let stored = try storedIncidents(f.dbPath)
        #expect(Set(stored.values).isSuperset(of: ["before read-only", "writable again"]))
        #expect(!stored.values.contains { $0.hasPrefix("read-only") })
    }

    @Test("a damaged database page: serve, import and versions refuse it naming PRAGMA integrity_check, without crashing")
    func corruptPage() throws {
        let f = try Fixture()
        // Everything into the main file, then a copy of it with one page of the buildings' table overwritten.
        let source = try SQLiteConnection(path: f.dbPath, mode: .readWrite)
        #expect(try source.query("PRAGMA wal_checkpoint(TRUNCATE)").first?[0].intValue == 0)
        let pageSize = try source.query("PRAGMA page_size").first?[0].intValue ?? 4096
        let page = try source.query("SELECT rootpage FROM sqlite_schema WHERE name = 'building'").first?[0].intValue ?? 0
        #expect(page > 1)
        let damaged = f.dir + "/damaged.sqlite"
        try FileManager.default.copyItem(atPath: f.dbPath, toPath: damaged)
        let handle = try #require(FileHandle(forWritingAtPath: damaged))
        try handle.seek(toOffset: UInt64((page - 1) * pageSize))
        try handle.write(contentsOf: Data((0..<pageSize).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        try handle.close()

        for arguments in [["versions", "--db", damaged],
                          ["import", "--db", damaged, "--grids", f.dir + "/sample/grids.geojson"],
                          ["serve", "--db", damaged, "--port", "0", "--no-console"]] {
            let run = try runToEnd(ServedProcess.binary, arguments, timeout: 60)
            #expect(run.reason == .exit && run.status != 0, "\(arguments[0]): \(run.reason) \(run.status)")
            #expect(run.stderr.contains("database disk image is malformed") && run.stderr.contains("PRAGMA integrity_check")
                        && run.stderr.contains("restore the last backup"), "\(arguments[0]): \(run.stderr)")
            #expect(!run.stdout.contains("listening on"))
        }
    }
}

/// Slow and excess clients, and a graceful stop, against the real `gridwork serve` (docs/reliability.md).
@Suite("Faults: slow clients, connection limit, SIGTERM", .serialized,
       .enabled(if: ServedProcess.available, "needs .build/debug/gridwork: run `swift build` first"))
struct ConnectionFaultTests {
    @Test("slowloris: 200 connections sending a byte a second do not starve intake, and are closed by the timeouts")
    func slowClients() throws {
        let f = try Fixture()
        let server = try ServedProcess(db: f.dbPath, arguments: ["--idle-timeout-seconds", "2", "--body-timeout-seconds", "3"])
        let client = RawClient(port: server.port)
        let p = f.workerPoint
        let opened = Date()
        let slow = try (0..<200).map { _ in try RawConnection(port: server.port) }
        // One more sends its head whole, then its body a byte every half second: steady, but never done.
        let trickle = try RawConnection(port: server.port)
        #expect(trickle.send("POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"))
        let head = Array("POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".utf8)
        let sending = Flag()
        let sender = Thread {
            var tick = 0
            while sending.isSet {
                if tick % 2 == 0 { for connection in slow { connection.send([head[(tick / 2) % head.count]]) } }
                trickle.send([UInt8(ascii: "x")])
                tick += 1
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        sender.start()
        defer { sending.clear() }

        // Meanwhile, intake on fresh connections, for longer than the idle timeout.
        var seconds: [Double] = []
        while Date().timeIntervalSince(opened) < 4.5 {
            let started = Date()
            let answer = try client.send("POST", "/api/v1/incidents", token: f.tokens["reporter"],
                                         body: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: "during slowloris"))
            seconds.append(Date().timeIntervalSince(started))
            #expect(answer.status == 201)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(seconds.count >= 10)
        #expect((seconds.max() ?? 99) < 2.0, "slowest intake during the attack: \(seconds.max() ?? 0) s")

        // By now (idle timeout 2 s after they opened) the server has closed every slow connection, and the trickling
        // body (body timeout 3 s after its head).
        let deadline = Date() + 2
        let closed = slow.filter { $0.read(timeout: max(0.01, deadline.timeIntervalSinceNow)).closed }.count
        #expect(closed == slow.count, "\(closed) of \(slow.count) slow connections closed by the idle timeout")
        #expect(trickle.read(timeout: 2).closed, "the trickling body is closed by the body timeout")
        sending.clear()
        #expect(try client.send("GET", "/health", token: nil).status == 200)
        #expect(server.isRunning)
    }

    @Test("connection limit: one past --max-connections gets 503 at once; intake resumes as connections close")
    func connectionLimit() throws {
        let f = try Fixture()
        let server = try ServedProcess(db: f.dbPath, arguments: ["--max-connections", "20"])
        let client = RawClient(port: server.port)
        var held = try (0..<20).map { _ in try RawConnection(port: server.port) }
        Thread.sleep(forTimeInterval: 0.3)  // all accepted
        let extra = try RawConnection(port: server.port)
        let (bytes, closed) = extra.read(timeout: 3)
        let answer = HTTPAnswer(bytes)
        #expect(closed)
        #expect(answer?.status == 503 && answer?.headers["retry-after"] == "5")
        #expect(answer?.errorMessage.contains("--max-connections") == true, "\(String(decoding: bytes, as: UTF8.self))")

        held.removeAll()  // closes them
        Thread.sleep(forTimeInterval: 0.3)
        let p = f.workerPoint
        let intake = try client.send("POST", "/api/v1/incidents", token: f.tokens["reporter"],
                                     body: incidentJSON(category: "garbage", x: p.lon, y: p.lat))
        #expect(intake.status == 201)
    }

    @Test("SIGTERM: no new connections, the request in flight is answered, then exit 0")
    func sigtermDrains() throws {
        let f = try Fixture()
        let server = try ServedProcess(db: f.dbPath)
        let p = f.workerPoint
        let request = RawClient.request("POST", "/api/v1/incidents", token: f.tokens["reporter"],
                                        body: incidentJSON(category: "garbage", x: p.lon, y: p.lat, description: "in flight at SIGTERM"))
        let bytes = Array(request.utf8)
        let inFlight = try RawConnection(port: server.port)
        #expect(inFlight.send(Array(bytes[..<(bytes.count - 20)])))  // the head and most of the body
        Thread.sleep(forTimeInterval: 0.3)

        server.signal(SIGTERM)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(server.isRunning, "the server waits for the request in flight")
        #expect(throws: HarnessError.self, "no new connections once stopping") { try RawConnection(port: server.port) }

        #expect(inFlight.send(Array(bytes[(bytes.count - 20)...])))
        let (reply, _) = inFlight.read(timeout: 10, untilResponse: true)
        #expect(HTTPAnswer(reply)?.status == 201, "\(String(decoding: reply, as: UTF8.self))")
        let exit = server.waitForExit(timeout: 20)
        #expect(exit?.reason == .exit && exit?.status == 0, "\(String(describing: exit)): \(server.output.suffix(2000))")
        #expect(try storedIncidents(f.dbPath).values.contains("in flight at SIGTERM"))
    }
}
