import DispatchTestSupport
import Foundation
import Glibc

/// A failure of the fault tests' own plumbing (a socket, a child process), not of the server under test.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Text written by a child process, collected as it arrives (so a full pipe never blocks the child).
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func attach(_ pipe: Pipe) {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self, !chunk.isEmpty else { return }
            self.lock.withLock { self.data.append(chunk) }
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// A flag one thread clears and another watches.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = true
    var isSet: Bool { lock.withLock { value } }
    func clear() { lock.withLock { value = false } }
}

/// A finished child process: how it ended and what it wrote.
struct Finished {
    let status: Int32
    let reason: Process.TerminationReason
    let stdout: String
    let stderr: String
}

/// Runs `executable` with `arguments` to its end (at most `timeout` seconds, then it is killed).
func runToEnd(_ executable: String, _ arguments: [String], timeout: Double = 120) throws -> Finished {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe(), stdout = OutputCollector(), stderr = OutputCollector()
    process.standardOutput = out
    process.standardError = err
    stdout.attach(out)
    stderr.attach(err)
    try process.run()
    let deadline = Date() + timeout
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    Thread.sleep(forTimeInterval: 0.1)  // the last chunks of output
    out.fileHandleForReading.readabilityHandler = nil
    err.fileHandleForReading.readabilityHandler = nil
    return Finished(status: process.terminationStatus, reason: process.terminationReason, stdout: stdout.text, stderr: stderr.text)
}

/// The real `gridwork serve` as a child process, with its output kept (the server's log goes to it).
final class ServedProcess: @unchecked Sendable {
    static let binary = Fixture.packageRoot + "/.build/debug/gridwork"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let process = Process()
    let port: Int
    private let stdout = OutputCollector(), stderr = OutputCollector()

    init(db: String, arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--db", db, "--port", "0", "--rules", Fixture.packageRoot + "/config/routing.json",
                             "--no-console", "--log-level", "warning"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        stdout.attach(out)
        stderr.attach(err)
        try process.run()
        let deadline = Date() + 60
        var found: Int?
        while found == nil {
            let lines = stdout.text.split(separator: "\n")
            found = lines.first { $0.hasPrefix("listening on ") }.flatMap { Int($0.split(separator: ":").last ?? "") }
            if found == nil {
                guard process.isRunning, Date() < deadline else {
                    throw HarnessError("gridwork serve did not start: \(stdout.text) \(stderr.text)")
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        port = found!
    }

    deinit { stop() }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    /// Everything the server wrote (start-up lines and log).
    var output: String { stdout.text + stderr.text }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `timeout` seconds for the process to end; its exit status, or nil when it is still running.
    func waitForExit(timeout: Double) -> (status: Int32, reason: Process.TerminationReason)? {
        let deadline = Date() + timeout
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : (process.terminationStatus, process.terminationReason)
    }

    func stop() {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A plain TCP connection to 127.0.0.1, for what an HTTP client library will not do: send a request a byte at a
/// time, stop half-way, hold a connection open without a request.
final class RawConnection: @unchecked Sendable {  // the descriptor never changes; sockets take calls from any thread
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket(): errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("connect to port \(port): errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends all of `bytes`; false once the server has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the server closes the connection, a whole response has arrived (`untilResponse`), or `timeout`
    /// seconds pass. Returns what arrived and whether the server closed the connection.
    func read(timeout: Double, untilResponse: Bool = false) -> (bytes: [UInt8], closed: Bool) {
        let deadline = Date() + timeout
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if untilResponse, HTTPAnswer(bytes)?.isComplete == true { return (bytes, false) }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return (bytes, false) }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&ready, 1, Int32(max(1, left * 1000))) <= 0 { continue }  // timed out or interrupted: check the deadline
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (bytes, true) }  // 0: closed by the server; below: reset
            bytes += buffer[0..<count]
        }
    }
}

/// An HTTP/1.1 response as read off a `RawConnection`.
struct HTTPAnswer {
    let status: Int
    /// Header fields by lower-cased name.
    let headers: [String: String]
    let body: String
    /// Whether the body is all there (by `Content-Length`).
    let isComplete: Bool

    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let first = lines.first, first.hasPrefix("HTTP/1.1 "), let status = Int(first.dropFirst(9).prefix(3)) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.status = status
        self.headers = headers
        let body = Array(bytes[(text[..<split.upperBound].utf8.count)...])
        self.body = String(decoding: body, as: UTF8.self)
        isComplete = Int(headers["content-length"] ?? "").map { body.count >= $0 } ?? false
    }

    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    var errorMessage: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? body }
}

/// Requests to a served process, one connection each (`Connection: close`).
struct RawClient {
    let port: Int

    /// The request's text: request line, `Host`, `Connection: close`, the given fields and the body's length.
    static func request(_ method: String, _ path: String, token: String?, body: String?) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { text += "Authorization: Bearer \(token)\r\n" }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        } else {
            text += "\r\n"
        }
        return text
    }

    func send(_ method: String, _ path: String, token: String?, body: String? = nil, timeout: Double = 10) throws -> HTTPAnswer {
        let connection = try RawConnection(port: port)
        guard connection.send(Self.request(method, path, token: token, body: body)) else {
            throw HarnessError("\(method) \(path): the server closed the connection while the request was sent")
        }
        let (bytes, _) = connection.read(timeout: timeout, untilResponse: true)
        guard let answer = HTTPAnswer(bytes) else {
            throw HarnessError("\(method) \(path): no HTTP response in \(timeout) s (got \(bytes.count) bytes)")
        }
        return answer
    }
}

/// Sets the file-size limit (`RLIMIT_FSIZE`) of a running process with util-linux's `prlimit`: the soft limit only,
/// so it can be raised again without privilege. `"unlimited"` lifts it.
func setFileSizeLimit(pid: Int32, soft: String) throws {
    let result = try runToEnd("/usr/bin/prlimit", ["--pid", String(pid), "--fsize=\(soft):"])
    guard result.reason == .exit, result.status == 0 else {
        throw HarnessError("prlimit --pid \(pid) --fsize=\(soft): failed: \(result.stderr)")
    }
}

/// Whether `chattr +i` works on files in `directory` (root, and a file system with the immutable flag: ext4, xfs, btrfs).
func immutableFlagWorks(in directory: String) -> Bool {
    let probe = directory + "/chattr-probe"
    guard FileManager.default.createFile(atPath: probe, contents: Data("x".utf8)),
          let set = try? runToEnd("/usr/bin/chattr", ["+i", probe]) else { return false }
    defer {
        _ = try? runToEnd("/usr/bin/chattr", ["-i", probe])
        try? FileManager.default.removeItem(atPath: probe)
    }
    guard set.status == 0 else { return false }
    // Immutable means refused even to root.
    return !FileManager.default.isWritableFile(atPath: probe) || (try? Data("y".utf8).write(to: URL(fileURLWithPath: probe))) == nil
}

/// A small tmpfs mounted for one test: a file system that really fills up (`ENOSPC`). Needs root allowed to mount
/// (a VM or a privileged container); `mountable` says whether it is.
final class SmallFileSystem {
    let path: String
    private var mounted = false
    private var filler: String { path + "/filler" }

    static let mountable: Bool = {
        guard getuid() == 0, let probe = try? SmallFileSystem(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    init(megabytes: Int) throws {
        path = NSTemporaryDirectory() + "gridwork-tmpfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try runToEnd("/usr/bin/env", ["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
        guard result.reason == .exit, result.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw HarnessError("mount -t tmpfs: \(result.stderr)")
        }
        mounted = true
    }

    deinit { unmount() }

    /// Fills the file system with a file of zeros until a write fails with `ENOSPC`.
    func fill() throws {
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw HarnessError("open \(filler): errno \(errno)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < chunk.count {
                guard written >= 0 || errno == ENOSPC else { throw HarnessError("write \(filler): errno \(errno)") }
                if written < 0 { return }
            }
        }
    }

    /// Gives the space back.
    func release() throws { try FileManager.default.removeItem(atPath: filler) }

    func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? runToEnd("/usr/bin/env", ["umount", "-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}
