import Foundation
import GeoJSON
import Gridwork
import GridProjection

/// Turns a reported location in any CRS the geocoder takes into longitude/latitude, grid and building.
///
/// The longitude/latitude `GridLocator` is built once at start-up; GCJ-02 and BD-09 locators (grids moved into
/// those frames) are built on first need. PROJ transformers are not shareable, so each CRS keeps a small pool and
/// a request borrows one for the duration of one transform.
public final class IncidentGeocoder: @unchecked Sendable {
    // Safety: `lock` guards `frameLocators` and `transformers`; locators are immutable values; a transformer is
    // used by the one request that checked it out.
    public let grids: [Grid]
    public let buildings: [Building]
    public let snapMetres: Double
    /// The county's extent (longitude/latitude), for error messages.
    public let bounds: BoundingBox
    private let lonLat: GridLocator
    private let lock = NSLock()
    private var frameLocators: [LocatorFrame: GridLocator] = [:]
    private var transformers: [CoordinateReferenceSystem: [CoordinateTransformer]] = [:]

    public init(grids: [Grid], buildings: [Building], snapMetres: Double) throws {
        guard !grids.isEmpty else { throw StoreError("the database has no grids: import them before serving") }
        self.grids = grids
        self.buildings = buildings
        self.snapMetres = snapMetres
        lonLat = try GridLocator(grids: grids, buildings: buildings, frame: .lonLat)
        var box = grids[0].geometry.boundingBox ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
        for g in grids.dropFirst() { if let b = g.geometry.boundingBox { box.extend(b) } }
        bounds = box
    }

    private func locator(_ frame: LocatorFrame) throws -> GridLocator {
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

    /// Where a point is.
    public struct Located: Sendable {
        public var lon: Double
        public var lat: Double
        public var crs: CoordinateReferenceSystem
        public var result: GeocodeResult
    }

    /// Locates `(x, y)` given in `crsText`. Throws `DispatchError` (`invalidInput` or `unprocessable`) saying what to fix.
    public func locate(x: Double, y: Double, crsText: String) throws -> Located {
        let crs: CoordinateReferenceSystem
        do {
            crs = try CoordinateReferenceSystem(parsing: crsText)
        } catch {
            throw DispatchError(.invalidInput, "location.crs '\(crsText)' is not a CRS gridwork takes: \(error). "
                + "Use EPSG:4326 (GPS), EPSG:4490 (CGCS2000), EPSG:4534–4554 (Gauss-Krüger metres), GCJ02 (Amap/Tencent) or BD09 (Baidu)")
        }
        guard x.isFinite, y.isFinite else {
            throw DispatchError(.invalidInput, "location x and y must be finite numbers")
        }
        let box = "county extent lon \(fmt(bounds.minX))…\(fmt(bounds.maxX)), lat \(fmt(bounds.minY))…\(fmt(bounds.maxY))"
        if crs.isGeographic && (abs(x) > 180 || abs(y) > 90) {
            if bounds.contains(Position(y, x)) {
                throw DispatchError(.invalidInput, "location (\(x), \(y)): x and y look swapped; x is the longitude, y the latitude")
            }
            throw DispatchError(.invalidInput, "location (\(x), \(y)) is not a longitude/latitude in \(crs): "
                + "if these are projected metres give their CRS, e.g. \"crs\": \"EPSG:4549\"; the \(box)")
        }
        let frame: LocatorFrame
        let lonLatPoint: Position
        let probe: Position
        switch crs {
        case .gcj02:
            frame = .gcj02; probe = Position(x, y); lonLatPoint = ChineseOffset.gcj02ToWGS84(probe)
        case .bd09:
            frame = .bd09; probe = Position(x, y); lonLatPoint = ChineseOffset.bd09ToWGS84(probe)
        case .wgs84, .cgcs2000:
            frame = .lonLat; probe = Position(x, y); lonLatPoint = probe
        default:
            frame = .lonLat
            do {
                lonLatPoint = try transform(Position(x, y), from: crs)
            } catch {
                throw DispatchError(.invalidInput, "location (\(x), \(y)) cannot be transformed from \(crs): \(error); "
                    + "check the CRS and that x is the easting")
            }
            probe = lonLatPoint
        }
        let result = try locator(frame).locate(probe, snapMetres: snapMetres)
        switch result.status {
        case .outside, .invalid:
            var hint = "check the CRS (phone apps on Amap/Tencent send GCJ02, Baidu sends BD09) and that x is the longitude or easting"
            if crs.isGeographic && bounds.contains(Position(y, x)) { hint = "x and y look swapped: x is the longitude" }
            throw DispatchError(.unprocessable, "location (\(x), \(y)) in \(crs) is outside the county's grids "
                + "(\(box)); \(hint)")
        default:
            return Located(lon: lonLatPoint.x, lat: lonLatPoint.y, crs: crs, result: result)
        }
    }

    private func fmt(_ v: Double) -> String { String(format: "%.4f", v) }
}
