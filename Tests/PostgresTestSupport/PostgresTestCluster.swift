import Foundation
import GridPostgres

/// A throwaway PostgreSQL + PostGIS cluster for the tests of one test process: started on first use by
/// `tools/pg-cluster` (initdb into a new directory under the temp dir, unix socket in that directory), stopped when
/// the process exits (an `atexit` hook), and — should a process die before its hook ran — stopped and removed by
/// the next test process (`tools/pg-cluster stale`, owner pid recorded in the directory).
///
/// Each test asks for a database of its own (`makeDatabase()`), created from a template that already has PostGIS,
/// so tests run in parallel without seeing each other's rows.
public final class PostgresTestCluster: Sendable {
    public let directory: String
    /// The maintenance database (`postgres`) of the cluster, as superuser.
    public let admin: PostgresLocation

    /// The cluster of this test process (started once; the error, when it cannot start, says why).
    public static func shared() throws -> PostgresTestCluster {
        try sharedCluster.get()
    }

    private static let sharedCluster: Result<PostgresTestCluster, any Error> = Result { try PostgresTestCluster() }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var script: String { repositoryRoot.appendingPathComponent("tools/pg-cluster").path }

    private init() throws {
        let root = "/tmp"
        _ = try? Self.shell([Self.script, "stale", root])
        let dir = "\(root)/gridwork-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        directory = dir
        _ = try Self.shell([Self.script, "start", dir], environment: ["PGCLUSTER_OWNER": "\(getpid())"])
        ClusterRegistry.directory = dir
        atexit {
            if let dir = ClusterRegistry.directory {
                _ = try? PostgresTestCluster.shell([PostgresTestCluster.script, "stop", dir])
                try? FileManager.default.removeItem(atPath: dir)
            }
        }
        admin = PostgresLocation(endpoint: .unixSocket(directory: dir, port: 5432), user: "postgres", database: "postgres")
        // The template every test database copies: PostGIS already created (CREATE EXTENSION takes about a second).
        let session = try PostgresSession.open(admin)
        defer { session.close() }
        try session.run("CREATE DATABASE gridwork_template")
        let template = try PostgresSession.open(admin.database("gridwork_template"))
        try template.run("CREATE EXTENSION postgis")
        template.close()
    }

    /// A new empty database (with PostGIS unless `postgis` is false) and its location.
    public func makeDatabase(postgis: Bool = true) throws -> PostgresLocation {
        let name = "t_\(UInt64.random(in: 0...UInt64.max))"
        let session = try PostgresSession.open(admin)
        defer { session.close() }
        // CREATE DATABASE cannot take parameters; the name is ours (t_ and digits).
        try session.run("CREATE DATABASE \(name) TEMPLATE \(postgis ? "gridwork_template" : "template0")")
        return admin.database(name)
    }

    /// The URL form of a location in this cluster (what a `--db` option takes).
    public func url(_ location: PostgresLocation) -> String {
        "postgres:///\(location.database)?host=\(directory)&user=postgres"
    }

    /// Runs a command and returns its standard output. Output goes through files, not pipes: the server that
    /// `pg-cluster start` leaves running inherits the descriptors, and a pipe would never reach end-of-file.
    @discardableResult
    static func shell(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let base = NSTemporaryDirectory() + "gridwork-pg-shell-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let outPath = base + ".out", errPath = base + ".err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        // posix_spawn and waitpid, not Foundation's Process: its wait never returned here once the daemonised
        // server outlived the script (seen from inside a static initialiser under Swift Testing).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_TRUNC, 0o600)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ["/usr/bin/env"] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, nil, &cArgs, &cEnv)
        guard spawned == 0 else {
            throw ClusterError(description: "cannot run \(arguments.joined(separator: " ")): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard exitCode == 0 else {
            throw ClusterError(description: "\(arguments.joined(separator: " ")) failed (\(exitCode)): "
                + ((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""))
        }
        return output
    }
}

public struct ClusterError: Error, CustomStringConvertible {
    public var description: String
}

enum ClusterRegistry {
    nonisolated(unsafe) static var directory: String?
}
