import Foundation
import GridPostgres
import PostgresTestSupport
import Testing

@Suite struct PostgresSessionTests {
    @Test func queriesTakeParametersAndReturnTypedValues() throws {
        let db = try PostgresSession.open(try PostgresTestCluster.shared().makeDatabase())
        defer { db.close() }
        let rows = try db.query("SELECT $1::text, $2::bigint, $3::float8, $4::bool, NULL::text, $5::bytea, 7::int4",
                                [.text("城厢街道 1号"), .int(330182), .double(0.5), .bool(true), .bytes([0, 255, 7])])
        #expect(rows == [[.text("城厢街道 1号"), .int(330182), .double(0.5), .bool(true), .null, .bytes([0, 255, 7]), .int(7)]])
        #expect(try db.requirePostGIS().hasPrefix("3."))
    }

    @Test func serverErrorsCarrySQLStateMessageAndContext() throws {
        let db = try PostgresSession.open(try PostgresTestCluster.shared().makeDatabase())
        defer { db.close() }
        do {
            try db.run("SELECT * FROM no_such_table")
            Issue.record("no error")
        } catch let failure as PostgresFailure {
            #expect(failure.kind == .server)
            #expect(failure.sqlState == "42P01")
            #expect(failure.message.contains("no_such_table"))
            #expect(failure.context == "SELECT * FROM no_such_table")
        }
        // A CHECK violation comes with its detail.
        try db.run("CREATE TABLE t (n int CHECK (n > 0))")
        do {
            try db.run("INSERT INTO t VALUES ($1)", [.int(-1)])
            Issue.record("no error")
        } catch let failure as PostgresFailure {
            #expect(failure.sqlState == "23514")
            #expect(failure.detail?.contains("-1") == true, "\(failure)")
        }
        // The session is still usable after errors.
        #expect(try db.query("SELECT count(*) FROM t") == [[.int(0)]])
    }

    @Test func databaseWithoutPostGISIsRefusedWithTheFix() throws {
        let db = try PostgresSession.open(try PostgresTestCluster.shared().makeDatabase(postgis: false))
        defer { db.close() }
        do {
            try db.requirePostGIS()
            Issue.record("no error")
        } catch let failure as PostgresFailure {
            #expect(failure.kind == .noPostGIS)
            #expect(failure.hint?.contains("CREATE EXTENSION postgis") == true)
        }
    }

    @Test func unreachableServerAndMissingDatabase() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-pg-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        do {
            _ = try PostgresSession.open("postgres:///x?host=\(empty)")
            Issue.record("no error")
        } catch let failure as PostgresFailure {
            #expect(failure.kind == .unreachable, "\(failure)")
            #expect(failure.description.contains(empty))
            #expect(failure.hint?.contains("pg_isready") == true)
        }
        let cluster = try PostgresTestCluster.shared()
        do {
            _ = try PostgresSession.open(cluster.admin.database("no_such_db"))
            Issue.record("no error")
        } catch let failure as PostgresFailure {
            #expect(failure.sqlState == "3D000", "\(failure)")
            #expect(failure.message.contains("no_such_db"))
        }
    }

    @Test func copyLoadsEscapedTextBytesNullsAndGeometries() throws {
        let db = try PostgresSession.open(try PostgresTestCluster.shared().makeDatabase())
        defer { db.close() }
        try db.run("CREATE TABLE c (id bigint, name text, raw bytea, x float8, g geometry(Geometry, 4326))")
        // POINT(120.5 29.5) as little-endian WKB.
        var wkb: [UInt8] = [1, 1, 0, 0, 0]
        withUnsafeBytes(of: Double(120.5).bitPattern.littleEndian) { wkb += $0 }
        withUnsafeBytes(of: Double(29.5).bitPattern.littleEndian) { wkb += $0 }
        var data = CopyText()
        let awkward = "tab\there, newline\nhere, back\\slash, 中文"
        for i in 0..<30_000 {
            data.append(rawRow: [String(i), nil, nil, nil, CopyText.ewkbHex(wkb: wkb, srid: 4326)])
        }
        data.append([.int(-1), .text(awkward), .bytes([1, 2, 255]), .double(-0.25), .null])
        #expect(data.rowCount == 30_001)
        #expect(data.allChunks.count > 1, "more than one chunk is sent")
        try db.copy(into: "c", columns: ["id", "name", "raw", "x", "g"], data: data)
        #expect(try db.query("SELECT count(*), count(g) FROM c") == [[.int(30_001), .int(30_000)]])
        #expect(try db.query("SELECT name, raw, x FROM c WHERE id = -1") == [[.text(awkward), .bytes([1, 2, 255]), .double(-0.25)]])
        #expect(try db.query("SELECT ST_AsText(g), ST_SRID(g) FROM c WHERE id = 7") == [[.text("POINT(120.5 29.5)"), .int(4326)]])
    }

    @Test func copyErrorsNameTheTableAndLeaveTheTransactionToRollBack() throws {
        let db = try PostgresSession.open(try PostgresTestCluster.shared().makeDatabase())
        defer { db.close() }
        try db.run("CREATE TABLE c (id bigint PRIMARY KEY)")
        var data = CopyText()
        data.append([.int(1)])
        data.append([.text("not a number")])
        do {
            try db.transaction {
                try db.run("INSERT INTO c VALUES (100)")
                try db.copy(into: "c", columns: ["id"], data: data)
            }
            Issue.record("no error")
        } catch let failure as PostgresFailure {
            #expect(failure.sqlState == "22P02", "\(failure)")
            #expect(failure.context == "COPY c")
        }
        #expect(try db.query("SELECT count(*) FROM c") == [[.int(0)]], "nothing half-written")
    }
}
