import Foundation

/// A coordinate reference system gridwork accepts from users (see DOMAIN.md, "Coordinates users will send").
///
/// Coordinates are always in (east, north) order: (longitude, latitude) for geographic systems,
/// (easting, northing) in metres for projected ones, whatever the EPSG definition's axis order.
///
/// `.epsg(4326)` and `.wgs84` are the same system and compare equal (likewise `.epsg(4490)` and `.cgcs2000`);
/// `init(parsing:)` returns the named cases for those codes.
public enum CoordinateReferenceSystem: Sendable, Hashable, CustomStringConvertible {
    /// WGS84 longitude/latitude, EPSG:4326 (GPS).
    case wgs84
    /// CGCS2000 geographic longitude/latitude, EPSG:4490 (Chinese national survey datum).
    case cgcs2000
    /// Any system in PROJ's EPSG database, e.g. 4549 for CGCS2000 / 3-degree Gauss-Krüger CM 120E.
    case epsg(Int)
    /// GCJ-02 longitude/latitude ("Mars coordinates"): Amap, Tencent maps and apps built on them.
    case gcj02
    /// BD-09 longitude/latitude: Baidu maps.
    case bd09

    /// Parses a user's CRS text. Accepts `EPSG:4549`, `epsg:4326`, `4326`, `urn:ogc:def:crs:EPSG::4549`,
    /// `WGS84`, `CGCS2000`, `GCJ02`, `GCJ-02`, `BD09`, `BD-09` (case-insensitive, surrounding spaces ignored).
    ///
    /// EPSG codes are checked against PROJ's database (`proj_create`); an unknown code throws
    /// `ProjectionError.unknownEPSG` carrying PROJ's message. Other text throws `.unrecognizedCRSText`,
    /// whose description lists the accepted forms.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let upper = trimmed.uppercased()
        switch upper {
        case "WGS84", "WGS 84", "WGS-84": self = .wgs84; return
        case "CGCS2000": self = .cgcs2000; return
        case "GCJ02", "GCJ-02": self = .gcj02; return
        case "BD09", "BD-09": self = .bd09; return
        default: break
        }
        var digits = Substring(upper)
        for prefix in ["URN:OGC:DEF:CRS:EPSG::", "EPSG:"] where digits.hasPrefix(prefix) {
            digits = digits.dropFirst(prefix.count)
            break
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let code = Int(digits) else {
            throw ProjectionError.unrecognizedCRSText(text)
        }
        _ = try PROJCatalog.shared.lookup(epsg: code)
        self = CoordinateReferenceSystem.canonical(epsg: code)
    }

    /// `.wgs84` for 4326, `.cgcs2000` for 4490, otherwise `.epsg(code)`.
    static func canonical(epsg code: Int) -> CoordinateReferenceSystem {
        switch code {
        case 4326: .wgs84
        case 4490: .cgcs2000
        default: .epsg(code)
        }
    }

    /// The EPSG code PROJ is given: 4326 for WGS84, GCJ-02 and BD-09 (those two are offsets applied
    /// to WGS84 in Swift), 4490 for CGCS2000.
    var projEPSG: Int {
        switch self {
        case .wgs84, .gcj02, .bd09: 4326
        case .cgcs2000: 4490
        case .epsg(let code): code
        }
    }

    /// True for longitude/latitude systems (WGS84, CGCS2000, GCJ-02, BD-09 and geographic EPSG codes),
    /// false for projected ones and for codes PROJ does not know.
    /// For EPSG codes other than 4326/4490 and 4534–4554 the answer comes from PROJ (`proj_get_type`), cached.
    public var isGeographic: Bool {
        switch self {
        case .wgs84, .cgcs2000, .gcj02, .bd09: return true
        case .epsg(let code):
            switch code {
            case 4326, 4490: return true
            case GaussKruger.cgcs2000ZoneEPSGRange: return false
            default: return (try? PROJCatalog.shared.lookup(epsg: code).isGeographic) ?? false
            }
        }
    }

    /// `EPSG:<code>`, `GCJ-02` or `BD-09`; `init(parsing:)` reads it back.
    public var description: String {
        switch self {
        case .gcj02: "GCJ-02"
        case .bd09: "BD-09"
        default: "EPSG:\(projEPSG)"
        }
    }

    private enum Key: Hashable { case epsg(Int), gcj02, bd09 }

    private var key: Key {
        switch self {
        case .gcj02: .gcj02
        case .bd09: .bd09
        default: .epsg(projEPSG)
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.key == rhs.key }
    public func hash(into hasher: inout Hasher) { hasher.combine(key) }
}
