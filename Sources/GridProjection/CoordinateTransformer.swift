internal import CPROJ
import GeoJSON

/// Transforms positions from one coordinate reference system to another with PROJ
/// (`proj_create_crs_to_crs`, `proj_normalize_for_visualization`, `proj_trans_generic`),
/// composing the Chinese GCJ-02 / BD-09 offsets, which PROJ lacks, in Swift.
///
/// Input and output are always in (east, north) order: (longitude, latitude) for geographic systems,
/// (easting, northing) in metres for projected ones — also for EPSG:4326 and the Gauss-Krüger zones,
/// whose official axis order is the other way round.
///
/// GCJ-02 and BD-09 on either side are handled as source → WGS84 (PROJ) then WGS84 → GCJ-02/BD-09
/// (`ChineseOffset`), and the reverse; GCJ-02 ↔ BD-09 uses Baidu's formula directly.
///
/// **One transformer per thread.** A transformer owns a `PJ_CONTEXT` and a `PJ`, which PROJ does not
/// allow two threads to use at once, so the type is not `Sendable`: create one in each thread or task
/// that transforms. The first transformer for a pair of systems costs tens of milliseconds (PROJ searches
/// its database); later ones reuse the operation PROJ chose and cost microseconds (see `OperationCache`).
/// Both handles are freed once, in `deinit`.
public final class CoordinateTransformer {
    public let source: CoordinateReferenceSystem
    public let target: CoordinateReferenceSystem

    /// Owned; destroyed last, with `proj_context_destroy`.
    private let context: OpaquePointer
    /// Owned; nil when the PROJ stage is the identity (e.g. GCJ-02 → WGS84). Destroyed with `proj_destroy`.
    private let operation: OpaquePointer?
    /// Receives PROJ's log messages for `context`; outlives it.
    private let log: PROJMessageLog
    private let before: OffsetStep?
    private let after: OffsetStep?
    /// Work buffer for batches, allocated on first use and reused; freed in `deinit`.
    private var scratch: UnsafeMutableBufferPointer<Position>?

    private static let chunkSize = 4096
    private static let positionStride = MemoryLayout<Position>.stride
    private static let xOffset = MemoryLayout<Position>.offset(of: \Position.x)!
    private static let yOffset = MemoryLayout<Position>.offset(of: \Position.y)!

    /// A transformer from `source` to `target` (WGS84 by default).
    ///
    /// Throws `ProjectionError.unknownEPSG` for a code PROJ's database lacks and `.noTransformation`
    /// when PROJ finds no way between the two systems; both carry PROJ's message.
    public init(from source: CoordinateReferenceSystem, to target: CoordinateReferenceSystem = .wgs84) throws {
        self.source = source
        self.target = target
        for crs in [source, target] { _ = try PROJCatalog.shared.lookup(epsg: crs.projEPSG) }

        switch (source, target) {
        case _ where source == target: (before, after) = (nil, nil)
        case (.gcj02, .bd09): (before, after) = (.gcj02ToBD09, nil)
        case (.bd09, .gcj02): (before, after) = (.bd09ToGCJ02, nil)
        default:
            before = source == .gcj02 ? .gcj02ToWGS84 : source == .bd09 ? .bd09ToWGS84 : nil
            after = target == .gcj02 ? .wgs84ToGCJ02 : target == .bd09 ? .wgs84ToBD09 : nil
        }

        let log = PROJMessageLog()
        guard let context = makePROJContext(log: log) else {
            throw ProjectionError.noTransformation(from: source, to: target, projMessage: "proj_context_create failed")
        }
        self.log = log
        self.context = context

        let projSource = source.projEPSG
        let projTarget = target.projEPSG
        let needsPROJ = projSource != projTarget && !(before == .gcj02ToBD09 || before == .bd09ToGCJ02)
        guard needsPROJ else {
            operation = nil
            return
        }
        switch OperationCache.shared.makeOperation(context: context, log: log, source: projSource, target: projTarget) {
        case .success(let created):
            operation = created
        case .failure(let failure):
            proj_context_destroy(context)
            throw ProjectionError.noTransformation(from: source, to: target, projMessage: failure.message)
        }
    }

    deinit {
        scratch?.deallocate()
        if let operation { proj_destroy(operation) }
        proj_context_destroy(context)
    }

    /// Transforms one position (`proj_trans_generic` on one coordinate, no allocation). Throws `.nonFiniteCoordinate` for NaN/infinite input and `.pointFailed`
    /// (index 0, PROJ's message) when PROJ cannot transform it.
    public func transform(_ p: Position) throws -> Position {
        var work = p
        try withUnsafeMutablePointer(to: &work) { pointer in
            try withUnsafePointer(to: p) { original in
                try run(UnsafeMutableBufferPointer(start: pointer, count: 1),
                        originals: UnsafeBufferPointer(start: original, count: 1), firstIndex: 0)
            }
        }
        return work
    }

    /// Transforms positions in place, in chunks through one reused buffer (no allocation per point;
    /// PROJ is called once per 4,096 positions with `proj_trans_generic`).
    ///
    /// Errors name the index of the first failing position and its original value. If it throws,
    /// positions before the failing chunk are already transformed and the rest are not: discard the array.
    public func transform(_ positions: inout [Position]) throws {
        let total = positions.count
        guard total > 0 else { return }
        let scratch = self.scratch ?? {
            let buffer = UnsafeMutableBufferPointer<Position>.allocate(capacity: Self.chunkSize)
            self.scratch = buffer
            return buffer
        }()
        try positions.withUnsafeMutableBufferPointer { all in
            var start = 0
            while start < total {
                let count = min(Self.chunkSize, total - start)
                let input = UnsafeMutableBufferPointer(rebasing: all[start..<(start + count)])
                let work = UnsafeMutableBufferPointer(rebasing: scratch[0..<count])
                _ = work.initialize(fromContentsOf: input)
                try run(work, originals: UnsafeBufferPointer(input), firstIndex: start)
                _ = input.update(fromContentsOf: work)
                start += count
            }
        }
    }

    /// Transforms every position of a geometry in one batch (`proj_trans_generic`), keeping its structure.
    /// A failing position is named by
    /// its index in the order `Geometry.forEachPosition` visits them.
    public func transform(_ geometry: Geometry) throws -> Geometry {
        var flat: [Position] = []
        flat.reserveCapacity(geometry.positionCount)
        geometry.forEachPosition { flat.append($0) }
        try transform(&flat)
        var cursor = 0
        return geometry.mapPositions { _ in
            defer { cursor += 1 }
            return flat[cursor]
        }
    }

    // MARK: - Core

    /// Transforms `work` in place; `originals[i]` is the caller's value of `work[i]`, for error messages.
    private func run(_ work: UnsafeMutableBufferPointer<Position>, originals: UnsafeBufferPointer<Position>,
                     firstIndex: Int) throws {
        for i in work.indices {
            let p = work[i]
            guard p.x.isFinite && p.y.isFinite else {
                throw ProjectionError.nonFiniteCoordinate(index: firstIndex + i, position: originals[i])
            }
            if let before { work[i] = before.apply(p) }
        }
        if let operation {
            proj_errno_reset(operation)
            let base = UnsafeMutableRawPointer(work.baseAddress!)
            let xs = (base + Self.xOffset).assumingMemoryBound(to: Double.self)
            let ys = (base + Self.yOffset).assumingMemoryBound(to: Double.self)
            let stride = Self.positionStride
            // Failed points come back as HUGE_VAL and set the PJ's errno; the call returns the point count.
            _ = proj_trans_generic(operation, PJ_FWD, xs, stride, work.count, ys, stride, work.count,
                                   nil, 0, 0, nil, 0, 0)
            for i in work.indices where !(work[i].x.isFinite && work[i].y.isFinite) {
                let message = projMessage(context: context, errno: proj_errno(operation), log: log)
                proj_errno_reset(operation)
                throw ProjectionError.pointFailed(index: firstIndex + i, position: originals[i],
                                                  from: source, to: target, projMessage: message)
            }
        }
        if let after {
            for i in work.indices { work[i] = after.apply(work[i]) }
        }
    }
}

@available(*, unavailable, message: "a CoordinateTransformer owns a PROJ context: create one per thread")
extension CoordinateTransformer: Sendable {}

/// A Chinese offset applied before or after PROJ.
private enum OffsetStep: Equatable {
    case gcj02ToWGS84, bd09ToWGS84, wgs84ToGCJ02, wgs84ToBD09, gcj02ToBD09, bd09ToGCJ02

    @inline(__always)
    func apply(_ p: Position) -> Position {
        switch self {
        case .gcj02ToWGS84: ChineseOffset.gcj02ToWGS84(p)
        case .bd09ToWGS84: ChineseOffset.bd09ToWGS84(p)
        case .wgs84ToGCJ02: ChineseOffset.wgs84ToGCJ02(p)
        case .wgs84ToBD09: ChineseOffset.wgs84ToBD09(p)
        case .gcj02ToBD09: ChineseOffset.gcj02ToBD09(p)
        case .bd09ToGCJ02: ChineseOffset.bd09ToGCJ02(p)
        }
    }
}

extension Geometry {
    /// The number of positions `forEachPosition` visits.
    var positionCount: Int {
        switch self {
        case .point: 1
        case .multiPoint(let ps), .lineString(let ps): ps.count
        case .multiLineString(let lines): lines.reduce(0) { $0 + $1.count }
        case .polygon(let polygon): polygon.rings.reduce(0) { $0 + $1.positions.count }
        case .multiPolygon(let multi):
            multi.polygons.reduce(0) { total, polygon in polygon.rings.reduce(total) { $0 + $1.positions.count } }
        case .geometryCollection(let members): members.reduce(0) { $0 + $1.positionCount }
        }
    }
}
