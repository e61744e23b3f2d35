import GeoJSON

/// Everything that can go wrong when naming a coordinate reference system or transforming coordinates.
///
/// Each case carries enough to find the fault: the text or code that was rejected, PROJ's own message,
/// and for coordinate failures the index of the position (in input order) and its value.
public enum ProjectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The CRS text matched none of the accepted forms.
    case unrecognizedCRSText(String)
    /// The text looked like an EPSG code but PROJ's database does not know it.
    case unknownEPSG(code: Int, projMessage: String)
    /// PROJ could not build a transformation between the two systems.
    case noTransformation(from: CoordinateReferenceSystem, to: CoordinateReferenceSystem, projMessage: String)
    /// An input coordinate is NaN or infinite; nothing was transformed.
    case nonFiniteCoordinate(index: Int, position: Position)
    /// PROJ failed on one position (for example it lies outside the projection's domain).
    case pointFailed(index: Int, position: Position, from: CoordinateReferenceSystem,
                     to: CoordinateReferenceSystem, projMessage: String)

    /// The CRS spellings `CoordinateReferenceSystem(parsing:)` accepts, for error messages and help text.
    public static let acceptedCRSForms =
        #""EPSG:<code>" (e.g. "EPSG:4549"), "<code>" (e.g. "4326"), "urn:ogc:def:crs:EPSG::<code>", "#
        + #""WGS84", "CGCS2000", "GCJ02" or "GCJ-02" (Amap/Tencent), "BD09" or "BD-09" (Baidu); case-insensitive"#

    public var description: String {
        switch self {
        case .unrecognizedCRSText(let text):
            return "unrecognized coordinate reference system \"\(text)\"; accepted forms: \(Self.acceptedCRSForms)"
        case .unknownEPSG(let code, let message):
            return "EPSG:\(code) is not in PROJ's database (PROJ: \(message)); "
                + "check the code, e.g. EPSG:4326 for WGS84 or EPSG:4534–4554 for CGCS2000 3-degree Gauss-Krüger zones"
        case .noTransformation(let from, let to, let message):
            return "PROJ cannot transform from \(from) to \(to) (PROJ: \(message))"
        case .nonFiniteCoordinate(let index, let p):
            return "position #\(index) (\(p.x), \(p.y)) is not a finite number; remove or fix it before transforming"
        case .pointFailed(let index, let p, let from, let to, let message):
            return "PROJ failed to transform position #\(index) (\(p.x), \(p.y)) from \(from) to \(to) (PROJ: \(message)); "
                + "check that the coordinates are in \(from) and in (east, north) / (longitude, latitude) order"
        }
    }
}
