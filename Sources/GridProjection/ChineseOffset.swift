import Foundation
import GeoJSON

/// The Chinese map offsets PROJ does not implement: GCJ-02 (Amap, Tencent) and BD-09 (Baidu).
///
/// Positions are (longitude, latitude) in degrees. GCJ-02 is the publicly documented obfuscation:
/// a series in (lon - 105, lat - 35) scaled on the Krasovsky 1940 ellipsoid (a = 6378245,
/// e² = 0.00669342162296594323); outside the rectangle tested by `isOutsideChina(_:)` it is the identity.
/// BD-09 adds a polar-coordinate twist (x_pi = π·3000/180) and a fixed shift on top of GCJ-02.
///
/// The inverses (`gcj02ToWGS84`, `bd09ToGCJ02`) are iterative: they refine the guess until applying
/// the forward offset reproduces the input to below 1e-12 degrees (about 0.1 µm), instead of the
/// common one-step approximation that is off by up to a few metres.
public enum ChineseOffset {
    static let krasovskyA = 6378245.0
    static let krasovskyEE = 0.00669342162296594323
    static let xPi = Double.pi * 3000.0 / 180.0
    /// Stop refining an inverse once the forward offset of the guess matches the input this closely (degrees).
    static let inverseTolerance = 1e-12
    static let inverseMaxIterations = 30

    /// True outside the rectangle lon 72.004…137.8347, lat 0.8293…55.8271, where GCJ-02 equals WGS84.
    public static func isOutsideChina(_ p: Position) -> Bool {
        p.x < 72.004 || p.x > 137.8347 || p.y < 0.8293 || p.y > 55.8271
    }

    /// WGS84 → GCJ-02 (the forward offset, exact by definition).
    public static func wgs84ToGCJ02(_ p: Position) -> Position {
        if isOutsideChina(p) { return p }
        let x = p.x - 105.0
        let y = p.y - 35.0
        var dLat = transformLat(x, y)
        var dLon = transformLon(x, y)
        let radLat = p.y / 180.0 * .pi
        let sinLat = sin(radLat)
        let magic = 1 - krasovskyEE * sinLat * sinLat
        let sqrtMagic = magic.squareRoot()
        dLat = (dLat * 180.0) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * .pi)
        dLon = (dLon * 180.0) / (krasovskyA / sqrtMagic * cos(radLat) * .pi)
        return Position(p.x + dLon, p.y + dLat)
    }

    /// GCJ-02 → WGS84 by fixed-point iteration on `wgs84ToGCJ02`; error below 1e-9 degrees
    /// (the offset's Jacobian differs from identity by about 1e-3, so each step gains ~3 digits).
    public static func gcj02ToWGS84(_ p: Position) -> Position {
        if isOutsideChina(p) { return p }
        return invert(p, forward: wgs84ToGCJ02, initialGuess: { q in
            let shifted = wgs84ToGCJ02(q)
            return Position(2 * q.x - shifted.x, 2 * q.y - shifted.y)
        })
    }

    /// GCJ-02 → BD-09 (Baidu's forward formula, exact by definition).
    public static func gcj02ToBD09(_ p: Position) -> Position {
        let x = p.x
        let y = p.y
        let z = (x * x + y * y).squareRoot() + 0.00002 * sin(y * xPi)
        let theta = atan2(y, x) + 0.000003 * cos(x * xPi)
        return Position(z * cos(theta) + 0.0065, z * sin(theta) + 0.006)
    }

    /// BD-09 → GCJ-02: Baidu's published approximate inverse, then refined by iteration on
    /// `gcj02ToBD09` so the round trip is exact to below 1e-9 degrees.
    public static func bd09ToGCJ02(_ p: Position) -> Position {
        invert(p, forward: gcj02ToBD09, initialGuess: { q in
            let x = q.x - 0.0065
            let y = q.y - 0.006
            let z = (x * x + y * y).squareRoot() - 0.00002 * sin(y * xPi)
            let theta = atan2(y, x) - 0.000003 * cos(x * xPi)
            return Position(z * cos(theta), z * sin(theta))
        })
    }

    /// WGS84 → BD-09 (via GCJ-02).
    public static func wgs84ToBD09(_ p: Position) -> Position { gcj02ToBD09(wgs84ToGCJ02(p)) }

    /// BD-09 → WGS84 (via GCJ-02).
    public static func bd09ToWGS84(_ p: Position) -> Position { gcj02ToWGS84(bd09ToGCJ02(p)) }

    // MARK: - Internals

    /// Solves forward(x) = target by x ← x + (target − forward(x)). Non-finite input is returned as is.
    @inline(__always)
    static func invert(_ target: Position, forward: (Position) -> Position,
                       initialGuess: (Position) -> Position) -> Position {
        guard target.x.isFinite, target.y.isFinite else { return target }
        var guess = initialGuess(target)
        for _ in 0..<inverseMaxIterations {
            let image = forward(guess)
            let dx = target.x - image.x
            let dy = target.y - image.y
            guess.x += dx
            guess.y += dy
            if abs(dx) < inverseTolerance && abs(dy) < inverseTolerance { break }
        }
        return guess
    }

    static func transformLat(_ x: Double, _ y: Double) -> Double {
        var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
        ret += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        ret += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        ret += (160.0 * sin(y / 12.0 * .pi) + 320.0 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        return ret
    }

    static func transformLon(_ x: Double, _ y: Double) -> Double {
        var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
        ret += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        ret += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        ret += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        return ret
    }
}
