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

    @discardableResult
    static func shell(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClusterError(description: "\(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): "
                + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }
}

public struct ClusterError: Error, CustomStringConvertible {
    public var description: String
}

enum ClusterRegistry {
    nonisolated(unsafe) static var directory: String?
}
