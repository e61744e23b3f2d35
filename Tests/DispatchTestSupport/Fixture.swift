import Foundation
import Gridwork
import GridPostgres
import GridStore
import GridworkDispatch
import PostgresTestSupport
import SampleCounty

/// Which incident store a fixture's service runs on: the county file's SQLite tables, or PostgreSQL (a database of
/// its own in the test process's throwaway cluster, the county's directory and geocoder still from the file).
public enum StoreEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}

/// A temporary county database made from the tiny sample county, with tokens for every role and a manual clock.
public final class Fixture: @unchecked Sendable {
    public static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    public let dir: String
    public let dbPath: String
    public let county: SampleCounty
    public let clock = ManualDispatchClock(Fixture.start)
    public let service: DispatchService
    public var tokens: [String: String] = [:]
    /// A sample incident point in a grid with a full-time worker on duty, and that worker.
    public let workerPoint: (lon: Double, lat: Double, grid: String, worker: String)
    /// A point in a grid with no full-time worker (the tiny county has one), and the part-time worker expected.
    public let vacantPoint: (lon: Double, lat: Double, grid: String, partTimer: String)
    /// A point in a grid whose staff are all off duty, and its village.
    public let offDutyPoint: (lon: Double, lat: Double, grid: String, village: String)
    /// A grid worker of another grid than `workerPoint`'s.
    public let otherWorker: String
    public let engine: StoreEngine
    /// The PostgreSQL database of the incident store (engine `.postgres`).
    public let postgres: PostgresLocation?
    /// The county code of the PostgreSQL incident store (the tiny sample's synthetic code).
    public static let countyCode = "339901"

    public init(seed: UInt64 = 20260101, engine: StoreEngine = .sqlite) throws {
        self.engine = engine
        dir = NSTemporaryDirectory() + "gridwork-server-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        county = SampleCountyGenerator(preset: .tiny, seed: seed).generate()
        try county.write(to: dir + "/sample")
        dbPath = dir + "/county.sqlite"
        var options = ImportOptions(grids: dir + "/sample/grids.geojson")
        options.towns = dir + "/sample/towns.geojson"
        options.villages = dir + "/sample/villages.geojson"
        options.buildings = dir + "/sample/buildings.geojson"
        options.staff = dir + "/sample/staff.csv"
        options.departments = dir + "/sample/departments.csv"
        let store = try SQLiteCountyStore(path: dbPath)
        let summary = try CountyImporter(options: options).run(into: store)
        guard summary.versionID != nil else { throw StoreError("sample import failed: \(summary.problems)") }

        let staff = try store.staff()
        let grids = try store.grids()
        let fullTime = Dictionary(grouping: staff.filter { $0.role == .gridWorker }, by: { $0.gridID ?? "" })
        let partTime = Dictionary(grouping: staff.filter { $0.role == .partTimeWorker }, by: { $0.gridID ?? "" })
        let withWorker = county.incidents.first { fullTime[$0.gridID] != nil }!
        workerPoint = (withWorker.lon, withWorker.lat, withWorker.gridID, fullTime[withWorker.gridID]![0].staffID)
        let vacantGrid = grids.first { fullTime[$0.gridID] == nil && partTime[$0.gridID] != nil }!.gridID
        let inVacant = county.incidents.first { $0.gridID == vacantGrid }!
        vacantPoint = (inVacant.lon, inVacant.lat, vacantGrid, partTime[vacantGrid]!.map(\.staffID).min()!)
        let offGrid = county.incidents.first { $0.gridID != withWorker.gridID && $0.gridID != vacantGrid }!
        offDutyPoint = (offGrid.lon, offGrid.lat, offGrid.gridID, grids.first { $0.gridID == offGrid.gridID }!.villageID!)
        otherWorker = staff.first { $0.role == .gridWorker && $0.gridID != withWorker.gridID && $0.gridID != offGrid.gridID }!.staffID
        try store.connection.run("UPDATE staff SET on_duty = 0 WHERE grid_id = ?", [.text(offGrid.gridID)])

        let fileService = try DispatchService.open(databasePath: dbPath, rulesPath: Fixture.packageRoot + "/config/routing.json",
                                                   clock: clock)
        switch engine {
        case .sqlite:
            postgres = nil
            service = fileService
        case .postgres:
            let location = try PostgresTestCluster.shared().makeDatabase()
            postgres = location
            service = DispatchService(store: try PostgresIncidentStore(location: location, countyCode: Fixture.countyCode, connections: 4),
                                      router: fileService.router, geocoder: fileService.geocoder, clock: clock,
                                      media: fileService.media)
        }
        let issuer = TokenIssuer(store: service.store, directory: service.directory)
        for (name, role, staffID, department) in [
            ("reporter", TokenRole.reporter, nil, nil), ("reporter2", .reporter, nil, nil),
            ("dispatcher", .dispatcher, nil, nil), ("planner", .planner, nil, nil), ("admin", .admin, nil, nil),
            ("worker", .gridWorker, workerPoint.worker, nil), ("otherWorker", .gridWorker, otherWorker, nil),
            ("partTimer", .gridWorker, vacantPoint.partTimer, nil),
            ("housing", .department, nil, "D06"), ("justice", .department, nil, "D01"),
        ] as [(String, TokenRole, String?, String?)] {
            tokens[name] = try issuer.create(role: role, staffID: staffID, departmentID: department).token
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    public func count(_ sql: String = "SELECT count(*) FROM dispatch_incident") throws -> Int {
        if let postgres {
            let session = try PostgresSession.open(postgres)
            defer { session.close() }
            return try session.query(sql).first?.first?.intValue ?? -1
        }
        let c = try SQLiteConnection(path: dbPath, mode: .readOnly)
        return try c.query(sql).first?[0].intValue ?? -1
    }

    /// Another server instance on the same PostgreSQL database and county (engine `.postgres`): a service with a
    /// store (and connection pool) of its own, the same county directory, geocoder and clock.
    public func secondInstance() throws -> DispatchService {
        guard let postgres else { throw StoreError("a second instance shares a PostgreSQL database: use engine .postgres") }
        return DispatchService(store: try PostgresIncidentStore(location: postgres, countyCode: Fixture.countyCode, connections: 4),
                               router: service.router, geocoder: service.geocoder, clock: clock, media: service.media)
    }
}
