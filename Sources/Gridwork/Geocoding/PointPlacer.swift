import Foundation
import GeoJSON
import GridProjection

/// Why a point cannot be placed in the county's grids. The descriptions say what is wrong and how to fix it.
public enum PlacementError: Error, Sendable, Hashable, CustomStringConvertible {
    /// There are no grids to place points in.
    case noGrids
    /// The CRS text is not one gridwork takes; `reason` is the parser's.
    case badCRS(text: String, reason: String)
    /// x or y is NaN or infinite.
    case notFinite
    /// Out of range for longitude/latitude, but (y, x) falls in the county: the caller swapped them.
    case looksSwapped(x: Double, y: Double)
    /// Out of range for longitude/latitude in a geographic CRS; `extent` describes the county's.
    case notLonLat(x: Double, y: Double, crs: CoordinateReferenceSystem, extent: String)
    /// PROJ cannot transform the point to longitude/latitude.
    case cannotTransform(x: Double, y: Double, crs: CoordinateReferenceSystem, reason: String)
    /// The point lies outside every grid (and beyond the snap distance); `hint` says what to check.
    case outside(x: Double, y: Double, crs: CoordinateReferenceSystem, extent: String, hint: String)

    public var description: String {
        switch self {
        case .noGrids:
            "the database has no grids: import them before locating points"
        case .badCRS(let text, let reason):
            "location.crs '\(text)' is not a CRS gridwork takes: \(reason). Use EPSG:4326 (GPS), EPSG:4490 " +
                "(CGCS2000), EPSG:4534–4554 (Gauss-Krüger metres), GCJ02 (Amap/Tencent) or BD09 (Baidu)"
        case .notFinite:
            "location x and y must be finite numbers"
        case .looksSwapped(let x, let y):
            "location (\(x), \(y)): x and y look swapped; x is the longitude, y the latitude"
        case .notLonLat(let x, let y, let crs, let extent):
            "location (\(x), \(y)) is not a longitude/latitude in \(crs): if these are projected metres give their " +
                "CRS, e.g. \"crs\": \"EPSG:4549\"; the \(extent)"
        case .cannotTransform(let x, let y, let crs, let reason):
            "location (\(x), \(y)) cannot be transformed from \(crs): \(reason); check the CRS and that x is the easting"
        case .outside(let x, let y, let crs, let extent, let hint):
            "location (\(x), \(y)) in \(crs) is outside the county's grids (\(extent)); \(hint)"
        }
    }
}

/// A point placed in the county: its longitude/latitude (WGS84), the CRS it came in, and its grid and building.
public struct PlacedPoint: Sendable, Hashable {
    public var lon: Double
    public var lat: Double
    public var crs: CoordinateReferenceSystem
    public var result: GeocodeResult

    public init(lon: Double, lat: Double, crs: CoordinateReferenceSystem, result: GeocodeResult) {
        self.lon = lon
        self.lat = lat
        self.crs = crs
        self.result = result
    }
}

/// Places points given in any CRS gridwork takes in the county's grids and buildings: the one set of placement
/// rules, used point by point (`locate`, for the dispatch server) and by the bulk geocoder (`GeocodeJob`, which
/// applies the same static rules per row and block).
///
/// Rules: the CRS text is parsed (`badCRS`); x and y must be finite (`notFinite`); in a geographic CRS they must be
/// a longitude/latitude, and when (y, x) falls in the county they were swapped (`looksSwapped`, else `notLonLat`);
/// EPSG points are transformed to longitude/latitude with PROJ (`cannotTransform`); GCJ-02 and BD-09 points are
/// located against grids moved into their frame (`frame(for:)`); a point outside every grid beyond the snap
/// distance is `outside`, with a hint (swapped, or the CRS phone apps send).
///
/// The longitude/latitude `GridLocator` is built at once; GCJ-02 and BD-09 locators on first need. PROJ
/// transformers are not shareable, so each CRS keeps a small pool and a call borrows one for one transform.
public final class PointPlacer: @unchecked Sendable {
    // Safety: `lock` guards `frameLocators` and `transformers`; locators are immutable values; a transformer is
    // used by the one call that checked it out.
    public let grids: [Grid]
    public let buildings: [Building]
    public let snapMetres: Double
    /// The county's extent (longitude/latitude): for swap detection and messages.
    public let bounds: BoundingBox
    private let lonLat: GridLocator
    private let lock = NSLock()
    private var frameLocators: [LocatorFrame: GridLocator] = [:]
    private var transformers: [CoordinateReferenceSystem: [CoordinateTransformer]] = [:]

    public init(grids: [Grid], buildings: [Building], snapMetres: Double) throws {
        guard !grids.isEmpty else { throw PlacementError.noGrids }
        self.grids = grids
        self.buildings = buildings
        self.snapMetres = snapMetres
        lonLat = try GridLocator(grids: grids, buildings: buildings, frame: .lonLat)
        var box = grids[0].geometry.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
        for g in grids.dropFirst() { if let b = g.geometry.boundingBox { box.extend(b) } }
        bounds = box
    }

    // MARK: The rules, shared with the bulk geocoder

    /// The frame a locator must be built in for points in `crs`: GCJ-02 and BD-09 have their own, every other CRS
    /// is located as longitude/latitude.
    public static func frame(for crs: CoordinateReferenceSystem) -> LocatorFrame {
        switch crs {
        case .gcj02: .gcj02
        case .bd09: .bd09
        default: .lonLat
        }
    }

    /// Whether points in `crs` go through PROJ first (every CRS but WGS84, CGCS2000 and the two offset frames;
    /// CGCS2000 is taken as WGS84: they differ by centimetres).
    public static func needsTransform(_ crs: CoordinateReferenceSystem) -> Bool {
        switch crs {
        case .wgs84, .cgcs2000, .gcj02, .bd09: false
        default: true
        }
    }

    /// Whether `(x, y)` in a geographic CRS is out of range only because x and y were swapped: (y, x) is in `bounds`.
    public static func looksSwapped(x: Double, y: Double, geographic: Bool, bounds: BoundingBox) -> Bool {
        geographic && bounds.contains(Position(y, x))
    }

    // MARK: One point

    /// The locator for `frame`, built on first need.
    public func locator(_ frame: LocatorFrame) throws -> GridLocator {
        if frame == .lonLat { return lonLat }
        lock.lock()
        defer { lock.unlock() }
        if let existing = frameLocators[frame] { return existing }
        let built = try GridLocator(grids: grids, buildings: buildings, frame: frame)
        frameLocators[frame] = built
        return built
    }

    private func transform(_ p: Position, from crs: CoordinateReferenceSystem) throws -> Position {
        lock.lock()
        let pooled = transformers[crs]?.popLast()
        lock.unlock()
        let transformer = try pooled ?? CoordinateTransformer(from: crs, to: .wgs84)
        defer {
            lock.lock()
            transformers[crs, default: []].append(transformer)
            lock.unlock()
        }
        return try transformer.transform(p)
    }

    /// Locates `(x, y)` given in the CRS named by `crsText`; throws `PlacementError` saying what to fix.
    public func locate(x: Double, y: Double, crsText: String) throws -> PlacedPoint {
        let crs: CoordinateReferenceSystem
        do {
            crs = try CoordinateReferenceSystem(parsing: crsText)
        } catch {
            throw PlacementError.badCRS(text: crsText, reason: "\(error)")
        }
        return try locate(x: x, y: y, crs: crs)
    }

    /// Locates `(x, y)` given in `crs`; throws `PlacementError` saying what to fix.
    public func locate(x: Double, y: Double, crs: CoordinateReferenceSystem) throws -> PlacedPoint {
        guard x.isFinite, y.isFinite else { throw PlacementError.notFinite }
        let geographic = crs.isGeographic
        if geographic && (abs(x) > 180 || abs(y) > 90) {
            if Self.looksSwapped(x: x, y: y, geographic: geographic, bounds: bounds) {
                throw PlacementError.looksSwapped(x: x, y: y)
            }
            throw PlacementError.notLonLat(x: x, y: y, crs: crs, extent: extent)
        }
        let frame = Self.frame(for: crs)
        let lonLatPoint: Position
        let probe = Position(x, y)
        switch crs {
        case .gcj02: lonLatPoint = ChineseOffset.gcj02ToWGS84(probe)
        case .bd09: lonLatPoint = ChineseOffset.bd09ToWGS84(probe)
        case _ where !Self.needsTransform(crs): lonLatPoint = probe
        default:
            do {
                lonLatPoint = try transform(probe, from: crs)
            } catch {
                throw PlacementError.cannotTransform(x: x, y: y, crs: crs, reason: "\(error)")
            }
        }
        let result = try locator(frame).locate(frame == .lonLat ? lonLatPoint : probe, snapMetres: snapMetres)
        switch result.status {
        case .outside, .invalid:
            let hint = Self.looksSwapped(x: x, y: y, geographic: geographic, bounds: bounds)
                ? "x and y look swapped: x is the longitude"
                : "check the CRS (phone apps on Amap/Tencent send GCJ02, Baidu sends BD09) and that x is the longitude or easting"
            throw PlacementError.outside(x: x, y: y, crs: crs, extent: extent, hint: hint)
        default:
            return PlacedPoint(lon: lonLatPoint.x, lat: lonLatPoint.y, crs: crs, result: result)
        }
    }

    /// "county extent lon 119.0000…119.5000, lat 29.2000…29.8000", for messages.
    public var extent: String {
        "county extent lon \(fmt(bounds.minX))…\(fmt(bounds.maxX)), lat \(fmt(bounds.minY))…\(fmt(bounds.maxY))"
    }

    private func fmt(_ v: Double) -> String { String(format: "%.4f", v) }
}
