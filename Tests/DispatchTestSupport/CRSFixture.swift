import Foundation
import GridProjection

/// Moves a WGS84 point into the frames reporters send.
public enum ChineseOffsetFixture {
    public static func gcj(_ lon: Double, _ lat: Double) -> (Double, Double) {
        let p = ChineseOffset.wgs84ToGCJ02(.init(lon, lat))
        return (p.x, p.y)
    }

    public static func bd(_ lon: Double, _ lat: Double) -> (Double, Double) {
        let p = ChineseOffset.wgs84ToBD09(.init(lon, lat))
        return (p.x, p.y)
    }

    /// CGCS2000 / 3-degree Gauss-Krüger CM 120E (EPSG:4549), through PROJ.
    public static func gaussKruger(_ lon: Double, _ lat: Double) throws -> (Double, Double) {
        let p = try CoordinateTransformer(from: .wgs84, to: .epsg(4549)).transform(.init(lon, lat))
        return (p.x, p.y)
    }
}
