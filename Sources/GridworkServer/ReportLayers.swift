import Foundation
import GeoJSON
import Gridwork
import GridworkDispatch
import Hummingbird
import OrderedCollections

/// The report layers of the web console, computed once per boundary version and kept as ready-to-send GeoJSON.
///
/// `CoverageReport.compute` and `WorkloadReport.compute` take about a second on a 951-grid county, so they run once
/// (in the background, started when the server starts) and every request reuses the result.
struct ReportLayers: Sendable {
    /// The boundary version the layers were computed from.
    let boundaryVersion: Int
    /// Grids with the workload figures and coverage flags joined in (`LayerExport` grid features).
    let workloadGeoJSON: String
    /// Coverage gaps and overlaps (`LayerExport` features).
    let gapsGeoJSON, overlapsGeoJSON: String
    let gridCount: Int
    /// Per grid: the workload row, coverage flags and staff, for `GET /api/v1/grids/{id}`.
    let gridDetails: [String: GridDetail]
    /// Buildings with their bounding boxes, for `bbox` queries.
    let buildings: [(box: BoundingBox, feature: Feature)]

    /// The precision of coordinates sent to the map: 6 decimals of a degree is about 10 cm.
    static let mapOptions = GeoJSONWriteOptions(precision: 6, featureBBox: false, collectionBBox: true)

    /// Computes both reports from the layers of `boundaryVersion`.
    init(layers: CountyLayers, boundaryVersion: Int) throws {
        let export = try LayerExport(layers: layers)
        self.boundaryVersion = boundaryVersion
        let grids = try export.features(.grids)
        gridCount = grids.count
        workloadGeoJSON = GeoJSONEncoder.encodeCollection(grids, options: Self.mapOptions)
        gapsGeoJSON = GeoJSONEncoder.encodeCollection(try export.features(.gaps), options: Self.mapOptions)
        overlapsGeoJSON = GeoJSONEncoder.encodeCollection(try export.features(.overlaps), options: Self.mapOptions)
        buildings = try export.features(.buildings).compactMap { f in
            guard let box = f.geometry?.boundingBox else { return nil }
            return (box, f)
        }

        let staffByGrid = Dictionary(grouping: layers.staff.filter { $0.gridID != nil }, by: { $0.gridID! })
        let byID = Dictionary(export.workload.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        let noWorker = Set(export.coverage.gridsWithoutFullTimeWorker)
        let crossing = Set(export.coverage.gridsCrossingVillageBoundary.map(\.gridID))
        let invalid = Dictionary(export.coverage.invalidGrids.map { ($0.gridID, $0.reason) }, uniquingKeysWith: { a, _ in a })
        var overlapping: [String: Set<String>] = [:]
        for o in export.coverage.overlaps {
            for g in o.grids { overlapping[g, default: []].formUnion(o.grids.filter { $0 != g }) }
        }
        var details: [String: GridDetail] = [:]
        for grid in layers.grids {
            let staff = (staffByGrid[grid.gridID] ?? []).sorted {
                ($0.role.sortKey, $0.staffID) < ($1.role.sortKey, $1.staffID)
            }
            details[grid.gridID] = GridDetail(
                gridId: grid.gridID, name: grid.name, villageId: grid.villageID, townId: grid.townID,
                boundaryVersion: boundaryVersion, workload: byID[grid.gridID],
                hasFullTimeWorker: !noWorker.contains(grid.gridID), crossesVillageBoundary: crossing.contains(grid.gridID),
                invalidReason: invalid[grid.gridID], overlapsWith: (overlapping[grid.gridID] ?? []).sorted(),
                staff: staff.map { GridDetail.Staff(staffId: $0.staffID, name: $0.name, role: $0.role.rawValue,
                                                    buildingId: $0.buildingID, onDuty: $0.onDuty, phone: $0.phone) })
        }
        gridDetails = details
    }

    /// Buildings whose bounding box meets `box`, at most `limit` of them, and how many met it in all.
    func buildings(in box: BoundingBox, limit: Int) -> (geoJSON: String, matched: Int, sent: Int) {
        var chosen: [Feature] = []
        var matched = 0
        for b in buildings where b.box.minX <= box.maxX && b.box.maxX >= box.minX && b.box.minY <= box.maxY && b.box.maxY >= box.minY {
            matched += 1
            if chosen.count < limit { chosen.append(b.feature) }
        }
        return (GeoJSONEncoder.encodeCollection(chosen, options: Self.mapOptions), matched, chosen.count)
    }
}

/// One grid as the console's side panel shows it (`GET /api/v1/grids/{id}`, snake_case through the API's encoder
/// like the GeoJSON properties).
struct GridDetail: Sendable, Hashable, Encodable {
    struct Staff: Sendable, Hashable, Encodable {
        var staffId, name, role: String
        @Nullable var buildingId: String?
        var onDuty: Bool
        /// Shown to dispatcher and admin tokens only (nil for the others).
        @Nullable var phone: String?
    }

    var gridId, name: String
    @Nullable var villageId: String?
    @Nullable var townId: String?
    var boundaryVersion: Int
    @Nullable var workload: WorkloadReport.GridWorkload?
    var hasFullTimeWorker, crossesVillageBoundary: Bool
    @Nullable var invalidReason: String?
    var overlapsWith: [String]
    var staff: [Staff]

    /// The detail as a caller sees it: phones only for the dispatch centre.
    func shown(withPhones: Bool) -> GridDetail {
        var copy = self
        if !withPhones { copy.staff = staff.map { var s = $0; s.phone = nil; return s } }
        return copy
    }
}

extension StaffRole {
    /// Full-time workers first, then part-time workers, then building heads.
    fileprivate var sortKey: Int {
        switch self {
        case .gridWorker: 0
        case .partTimeWorker: 1
        case .buildingHead: 2
        }
    }
}

/// Computes the report layers once, in the background, and hands the result to every request that waits for it.
///
/// The computation (about a second of CPU for 951 grids) runs on a thread of its own at the lowest CPU priority
/// (`BackgroundThread`), not on Swift's cooperative pool: the pool has one thread per core, and taking one for a
/// second at start-up left intake half the threads and a contended CPU (issue 12: p99 of 100–200 ms in the first
/// second). At nice 19 it takes the cores when requests leave them free.
final class ReportLayerCache: Sendable {
    private let task: Task<ReportLayers, any Error>

    /// Starts loading the county layers of `version` (the version the service serves) from `databasePath`.
    init(databasePath: String, county: String? = nil, version: Int) {
        task = Task {
            try await BackgroundThread.run {
                let store = try CountyStores.open(db: databasePath, county: county)
                return try ReportLayers(layers: try CountyLayers.load(store: store, version: version), boundaryVersion: version)
            }
        }
    }

    /// Uses layers already computed (tests).
    init(_ layers: ReportLayers) {
        task = Task { layers }
    }

    /// The layers; a failure to compute them is a 500 that says why.
    func layers() async throws -> ReportLayers {
        do {
            return try await task.value
        } catch {
            throw HTTPError(.internalServerError, message: "the coverage and workload reports could not be computed: \(error)")
        }
    }
}

/// Work that must not compete with request handling: a new thread at the lowest CPU priority (nice 19: under
/// Linux's scheduler it gets about 1/70 of a core's time while request threads want all of it, and everything
/// when they are idle, so it is slowed, never starved).
enum BackgroundThread {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                lowerPriority()
                continuation.resume(with: Result { try work() })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// `setpriority(PRIO_PROCESS, 0, 19)`: on Linux the nice value belongs to each thread and `who` 0 is the calling
    /// thread, so only this one is lowered. Returns -1 on failure, which keeps the normal priority.
    private static func lowerPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #else
        Thread.current.threadPriority = 0
        #endif
    }
}
