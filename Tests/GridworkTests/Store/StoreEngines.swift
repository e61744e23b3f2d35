import Foundation
import GridPostgres
import PostgresTestSupport
import SampleCounty
import Testing
@testable import Gridwork

/// The two county store engines, for tests parameterised over both (`@Test(arguments: StoreEngine.allCases)`):
/// the same test runs against a SQLite file and against a fresh PostgreSQL + PostGIS database of the test cluster.
enum StoreEngine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A new empty store: a SQLite file in `scratch`, or a new database of the test cluster (county `county`).
    func makeStore(_ scratch: Scratch, county: String = "330182") throws -> any CountyStore {
        try CountyStores.open(db: try makeDB(scratch), county: county, create: true)
    }

    /// A new empty `--db` value for this engine.
    func makeDB(_ scratch: Scratch) throws -> String {
        switch self {
        case .sqlite: return scratch.db
        case .postgres:
            let cluster = try PostgresTestCluster.shared()
            return cluster.url(try cluster.makeDatabase())
        }
    }
}

/// Sample counties written once per test process (the generator is seeded: the same files every time).
enum SampleFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var written: [SamplePreset: String] = [:]

    /// The folder holding `preset`'s files (towns.geojson, …, incidents.csv).
    static func directory(_ preset: SamplePreset) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let dir = written[preset] { return dir }
        let dir = NSTemporaryDirectory() + "gridwork-sample-\(preset.rawValue)-\(getpid())"
        try SampleCountyGenerator(preset: preset).generate().write(to: dir)
        written[preset] = dir
        return dir
    }

    /// Import options for every layer and table of `preset`.
    static func importOptions(_ preset: SamplePreset) throws -> ImportOptions {
        let dir = try directory(preset)
        var options = ImportOptions(grids: dir + "/grids.geojson")
        options.towns = dir + "/towns.geojson"
        options.villages = dir + "/villages.geojson"
        options.buildings = dir + "/buildings.geojson"
        options.households = dir + "/households.csv"
        options.staff = dir + "/staff.csv"
        options.departments = dir + "/departments.csv"
        options.incidents = dir + "/incidents.csv"
        return options
    }
}
