import Foundation
import Gridwork
import GridStore
import GridworkDispatch
import SampleCounty

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

    public init(seed: UInt64 = 20260101) throws {
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

        service = try DispatchService.open(databasePath: dbPath, rulesPath: Fixture.packageRoot + "/config/routing.json",
                                           clock: clock)
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
        let c = try SQLiteConnection(path: dbPath, mode: .readOnly)
        return try c.query(sql).first?[0].intValue ?? -1
    }
}
