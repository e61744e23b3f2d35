import Foundation
import GeoJSON
import GridPostgres
import PostgresTestSupport
import SampleCounty
import Testing
@testable import Gridwork

/// The county store's behaviour on both engines: every test here runs against SQLite and PostgreSQL.
@Suite struct CountyStoreEngineTests {
    @Test(arguments: StoreEngine.allCases)
    func importsTheTinySampleCompletely(engine: StoreEngine) throws {
        let scratch = Scratch()
        let store = try engine.makeStore(scratch)
        let figures = SamplePreset.tiny.figures
        let summary = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: store)
        #expect(summary.versionID == 1)
        let counts = try store.counts()
        #expect(counts.versionID == 1)
        #expect(counts.towns == figures.towns)
        #expect(counts.villages == figures.villages)
        #expect(counts.grids == figures.grids)
        #expect(counts.households == figures.households)
        #expect(counts.departments == figures.departments)
        #expect(counts.incidents == figures.incidents)
        #expect(counts.residents == (try store.households()).reduce(0) { $0 + $1.residents })
        #expect(counts.residents > figures.households)
        #expect(try store.grids().map(\.gridID) == (try store.grids().map(\.gridID)).sorted())
        #expect(try store.versions().map(\.versionID) == [1])
    }

    /// Behaviour cannot drift: the same import read back from both engines gives equal values, layer by layer.
    @Test func bothEnginesReadBackTheSameCounty() throws {
        let scratch = Scratch()
        let options = try SampleFiles.importOptions(.tiny)
        let stores = try StoreEngine.allCases.map { engine in
            let store = try engine.makeStore(scratch)
            _ = try CountyImporter(options: options).run(into: store)
            return store
        }
        let (a, b) = (stores[0], stores[1])
        #expect(a.engine == "SQLite" && b.engine == "PostgreSQL")
        #expect(try a.towns() == b.towns())
        #expect(try a.villages() == b.villages())
        #expect(try a.grids() == b.grids())
        #expect(try a.buildings() == b.buildings())
        #expect(try a.households() == b.households())
        #expect(try a.staff() == b.staff())
        #expect(try a.departments() == b.departments())
        #expect(try a.incidentHistory() == b.incidentHistory())
        var ca = try a.counts(), cb = try b.counts()
        ca.versionID = nil
        cb.versionID = nil
        #expect(ca == cb)
        // And the reports made from them.
        let reportA = try CoverageReport.compute(try CountyLayers.load(store: a))
        let reportB = try CoverageReport.compute(try CountyLayers.load(store: b))
        #expect(reportA == reportB)
    }

    @Test(arguments: StoreEngine.allCases)
    func reimportMakesANewVersionAndCarriesOverLayersNotGiven(engine: StoreEngine) throws {
        let scratch = Scratch()
        let store = try engine.makeStore(scratch)
        _ = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: store)
        let before = try store.buildings()
        let households = try store.households()
        // Only grids this time, with one grid renamed: towns, villages and buildings carry over, people stay.
        var grids = try store.grids()
        grids[0].name = "改名的网格"
        var batch = CountyImportBatch(source: "grids.geojson", note: "second", grids: grids)
        batch.incidents = []
        let v2 = try store.write(batch)
        #expect(v2 == 2)
        #expect(try store.versions().map(\.versionID) == [1, 2])
        #expect(try store.versions().last?.note == "second")
        #expect(try store.grids().first?.name == "改名的网格")
        #expect(try store.grids(version: 1).first?.name != "改名的网格")
        #expect(try store.buildings() == before)
        #expect(try store.towns(version: 2) == (try store.towns(version: 1)))
        #expect(try store.villages(version: 2) == (try store.villages(version: 1)))
        #expect(try store.households() == households)
        #expect(try store.counts().incidents == SamplePreset.tiny.figures.incidents)
    }

    @Test(arguments: StoreEngine.allCases)
    func aWriteThatFailsHalfWayLeavesNothing(engine: StoreEngine) throws {
        let scratch = Scratch()
        let store = try engine.makeStore(scratch)
        _ = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: store)
        let counts = try store.counts()
        let staff = try store.staff()
        // Grids go in before households; two households with one id break the primary key after the grids,
        // buildings and the staff deletion ran.
        var batch = CountyImportBatch(source: "x", note: "broken", grids: try store.grids())
        batch.staff = []
        let h = try store.households()[0]
        batch.households = [h, h]
        #expect(throws: (any Error).self) { try store.write(batch) }
        #expect(try store.counts() == counts)
        #expect(try store.versions().map(\.versionID) == [1])
        #expect(try store.staff() == staff)
    }

    @Test(arguments: StoreEngine.allCases)
    func unknownVersionsAndEmptyStoresSayWhatToDo(engine: StoreEngine) throws {
        let scratch = Scratch()
        let store = try engine.makeStore(scratch)
        #expect(try store.currentVersionID() == nil)
        let empty = try #require(throws: StoreError.self) { try store.grids() }
        #expect(empty.description.contains("gridwork import"))
        _ = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: store)
        let unknown = try #require(throws: StoreError.self) { try store.grids(version: 9) }
        #expect(unknown.description.contains("boundary version 9"))
        #expect(unknown.description.contains("gridwork versions"))
    }

    @Test(arguments: ["33018", "3301822", "33018a", "", "３３０１８２"])
    func countyCodesMustBeSixDigits(code: String) throws {
        let scratch = Scratch()
        for engine in StoreEngine.allCases {
            let db = try engine.makeDB(scratch)
            let error = try #require(throws: StoreError.self) { try CountyStores.open(db: db, county: code, create: true) }
            #expect(error.description.contains("6-digit administrative division code"), "\(engine): \(error)")
        }
    }
}

/// What only a database of many counties has: counties side by side, choosing one, import locks.
@Suite struct PostgresCountyStoreTests {
    func twoCounties() throws -> (db: String, a: any CountyStore, b: any CountyStore) {
        let cluster = try PostgresTestCluster.shared()
        let db = cluster.url(try cluster.makeDatabase())
        let a = try CountyStores.open(db: db, county: "330182", create: true)
        _ = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: a)
        let b = try CountyStores.open(db: db, county: "320481", create: true)
        var options = try SampleFiles.importOptions(.tiny)
        options.households = nil
        _ = try CountyImporter(options: options).run(into: b)
        return (db, a, b)
    }

    @Test func countiesAreSeparateAndAnImportTouchesOnlyItsOwn() throws {
        let (db, a, b) = try twoCounties()
        #expect(try a.counts().households == SamplePreset.tiny.figures.households)
        #expect(try b.counts().households == 0)
        let aVersions = try a.versions(), aGrids = try a.grids()
        // Replace county b's grids twice: a is untouched.
        _ = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: b)
        #expect(try b.versions().map(\.versionID) == [1, 2])
        #expect(try a.versions() == aVersions)
        #expect(try a.grids() == aGrids)
        #expect(try b.counts().households == SamplePreset.tiny.figures.households)
        // Opening without --county: refused, with the counties listed.
        let error = try #require(throws: StoreError.self) { try CountyStores.open(db: db) }
        #expect(error.description.contains("2 counties (320481, 330182)"))
        #expect(error.description.contains("--county"))
        // A county the database does not hold.
        let missing = try #require(throws: StoreError.self) { try CountyStores.open(db: db, county: "110101") }
        #expect(missing.description.contains("county 110101 is not in"))
        #expect(missing.description.contains("320481, 330182"))
    }

    @Test func theOnlyCountyNeedsNoCode() throws {
        let cluster = try PostgresTestCluster.shared()
        let db = cluster.url(try cluster.makeDatabase())
        let reading = try #require(throws: StoreError.self) { try CountyStores.open(db: db) }
        #expect(reading.description.contains("no gridwork county tables"))
        let first = try #require(throws: StoreError.self) { try CountyStores.open(db: db, create: true) }
        #expect(first.description.contains("holds no county yet: give the county's 6-digit code with --county"))
        let a = try CountyStores.open(db: db, county: "330182", create: true)
        _ = try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: a)
        let again = try CountyStores.open(db: db)
        #expect(again.countyCode == "330182")
        #expect(try again.grids() == (try a.grids()))
    }

    @Test func concurrentImportIntoTheSameCountyIsRefusedAndWritesNothing() throws {
        let (db, a, _) = try twoCounties()
        let counts = try a.counts()
        // Another session is importing county 330182: it holds the county's advisory lock in its transaction.
        let other = try PostgresSession.open(db)
        defer { other.close() }
        try other.run("BEGIN")
        try other.run("SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
                      [.int(PostgresCountySchema.lockNamespace), .int(330182)])
        let error = try #require(throws: StoreError.self) {
            try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: a)
        }
        #expect(error.description.contains("another import into county 330182 is running"), "\(error)")
        #expect(error.description.contains("server process"))
        #expect(error.description.contains("nothing was written"))
        #expect(try a.counts() == counts)
        #expect(try a.versions().map(\.versionID) == [1])
        // Another county imports meanwhile.
        let c = try CountyStores.open(db: db, county: "320482", create: true)
        #expect(try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: c).versionID == 1)
        // Once the other import has finished, this one goes through.
        try other.run("COMMIT")
        #expect(try CountyImporter(options: try SampleFiles.importOptions(.tiny)).run(into: a).versionID == 2)
    }

    @Test func twoRealImportsAtOnceOneWinsOneIsRefused() throws {
        let cluster = try PostgresTestCluster.shared()
        let db = cluster.url(try cluster.makeDatabase())
        _ = try CountyStores.open(db: db, county: "330182", create: true)
        let options = try SampleFiles.importOptions(.tiny)
        let results = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let store = try CountyStores.open(db: db, county: "330182", create: true)
                let v = try CountyImporter(options: options).run(into: store).versionID ?? 0
                results.mutate { $0.append("v\(v)") }
            } catch {
                results.mutate { $0.append("\(error)") }
            }
        }
        let outcomes = results.value
        #expect(outcomes.count == 4)
        // Each either made its own version or was refused cleanly; versions are consecutive, none half-written.
        let made = outcomes.filter { $0.hasPrefix("v") }
        #expect(!made.isEmpty)
        #expect(outcomes.allSatisfy { $0.hasPrefix("v") || $0.contains("another import into county 330182") }, "\(outcomes)")
        let store = try CountyStores.open(db: db, county: "330182")
        #expect(try store.versions().map(\.versionID) == Array(1...made.count))
        for v in 1...made.count {
            #expect(try store.grids(version: v).count == SamplePreset.tiny.figures.grids)
        }
        #expect(try store.counts().households == SamplePreset.tiny.figures.households)
    }

    @Test func wrongURLAndDatabaseWithoutPostGIS() throws {
        let bad = try #require(throws: PostgresFailure.self) {
            try CountyStores.open(db: "postgres://u@h:notaport/db", county: "330182")
        }
        #expect(bad.kind == .badLocation)
        #expect(bad.description.contains("not a port"))
        let cluster = try PostgresTestCluster.shared()
        let plain = cluster.url(try cluster.makeDatabase(postgis: false))
        let noGIS = try #require(throws: PostgresFailure.self) {
            try CountyStores.open(db: plain, county: "330182", create: true)
        }
        #expect(noGIS.kind == .noPostGIS)
        #expect(noGIS.description.contains("CREATE EXTENSION postgis"))
        // Nothing was created in it.
        let session = try PostgresSession.open(plain)
        defer { session.close() }
        #expect(try session.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'gridwork'") == [[.int(0)]])
    }

    @Test func everyCountyTableHasTheCountyCodeInItsPrimaryKey() throws {
        let (db, _, _) = try twoCounties()
        let session = try PostgresSession.open(db)
        defer { session.close() }
        let rows = try session.query("""
            SELECT c.relname, a.attname
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
            WHERE n.nspname = 'gridwork' AND k.contype = 'p' AND c.relname <> 'schema_migration'
            ORDER BY c.relname
            """)
        #expect(rows.map { $0[0].stringValue ?? "" } == ["boundary_version", "building", "county", "department", "grid",
                                                          "household", "incident_history", "staff", "town", "village"])
        #expect(rows.allSatisfy { $0[1] == .text("county_code") }, "\(rows)")
        let srids = try session.query("""
            SELECT f_table_name, srid FROM geometry_columns WHERE f_table_schema = 'gridwork' ORDER BY 1
            """)
        #expect(srids.count == 5)
        #expect(srids.allSatisfy { $0[1] == .int(4326) })
    }
}

final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout Value) -> Void) { lock.lock(); body(&stored); lock.unlock() }
}
