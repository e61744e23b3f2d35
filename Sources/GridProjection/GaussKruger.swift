/// CGCS2000 3-degree Gauss-Krüger zones, the projected systems planners and land surveys use.
public enum GaussKruger {
    /// EPSG codes of the zones without zone-number prefix on the easting:
    /// EPSG:4534 (central meridian 75°E) … EPSG:4554 (135°E), one code per 3°.
    public static let cgcs2000ZoneEPSGRange = 4534...4554

    /// The central meridian (degrees east) of a zone code in `cgcs2000ZoneEPSGRange`, or nil.
    public static func centralMeridian(ofCGCS2000ZoneEPSG code: Int) -> Double? {
        guard cgcs2000ZoneEPSGRange.contains(code) else { return nil }
        return 75.0 + 3.0 * Double(code - 4534)
    }

    /// Longitudes covered by the zones 4534…4554 (each spans its central meridian ± 1.5°).
    /// All of China lies inside; check it before trusting `cgcs2000ZoneEPSG(forLongitude:)` on foreign data.
    public static let cgcs2000ZoneLongitudeRange = 73.5..<136.5

    /// The EPSG code of the CGCS2000 3-degree zone (no prefix) whose central meridian is nearest to
    /// `longitude`, e.g. 118.5…121.5°E → EPSG:4549 (CM 120°E); a longitude on a zone edge goes east.
    /// Longitudes outside `cgcs2000ZoneLongitudeRange` are clamped to the edge zones 4534 / 4554;
    /// NaN and infinities give 4534.
    public static func cgcs2000ZoneEPSG(forLongitude longitude: Double) -> Int {
        guard longitude.isFinite else { return cgcs2000ZoneEPSGRange.lowerBound }
        let zone = Int((longitude / 3.0).rounded(.toNearestOrAwayFromZero)) - 25  // CM 75°E is 3 × 25
        return cgcs2000ZoneEPSGRange.lowerBound + min(max(zone, 0), 20)
    }
}
