internal import CGDAL
import Foundation

/// An OGR spatial reference (`OGRSpatialReferenceH`), owned: released once with `OSRRelease` in `deinit`.
///
/// Every reference made here uses the traditional GIS axis order (`OAMS_TRADITIONAL_GIS_ORDER`: x = easting or
/// longitude), which is how files store coordinates and how gridwork's `Position` reads them.
/// Not `Sendable`: one owner at a time; hand `epsgCode` or `wkt` across threads instead.
public final class OGRSpatialReference {
    let handle: OGRSpatialReferenceH

    /// Takes ownership of `handle` (a clone or a new reference, never one a layer owns).
    init(owning handle: OGRSpatialReferenceH) {
        self.handle = handle
        OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
    }

    /// The CRS `EPSG:<code>` from PROJ's database (`OSRImportFromEPSG`).
    public convenience init(epsg code: Int) throws {
        GDALLibrary.ensureRegistered()
        // OSRNewSpatialReference returns NULL only when out of memory.
        guard let handle = OSRNewSpatialReference(nil) else { throw GDALLibrary.error("OSRNewSpatialReference") }
        self.init(owning: handle)
        GDALLibrary.resetError()
        try GDALLibrary.check(OSRImportFromEPSG(handle, Int32(code)), "OSRImportFromEPSG \(code)")
    }

    /// A CRS from any text GDAL reads (`OSRSetFromUserInput`): WKT, PROJ strings, `EPSG:n`.
    public convenience init(definition: String) throws {
        GDALLibrary.ensureRegistered()
        guard let handle = OSRNewSpatialReference(nil) else { throw GDALLibrary.error("OSRNewSpatialReference") }
        self.init(owning: handle)
        GDALLibrary.resetError()
        try GDALLibrary.check(OSRSetFromUserInput(handle, definition), "OSRSetFromUserInput")
    }

    deinit {
        OSRRelease(handle)
    }

    /// The CRS name (`OSRGetName`), e.g. "CGCS2000 / 3-degree Gauss-Kruger zone 40".
    public var name: String {
        OSRGetName(handle).map { String(cString: $0) } ?? ""
    }

    public var isGeographic: Bool { OSRIsGeographic(handle) != 0 }
    public var isProjected: Bool { OSRIsProjected(handle) != 0 }

    /// WKT2 (2019) text (`OSRExportToWktEx`, `FORMAT=WKT2_2019`); the string GDAL allocated is freed with `VSIFree`.
    public func wkt() throws -> String {
        var text: UnsafeMutablePointer<CChar>?
        let options = CStringList(["FORMAT=WKT2_2019"])
        GDALLibrary.resetError()
        let code = OSRExportToWktEx(handle, &text, options.constPointer)
        defer { VSIFree(text) }
        try GDALLibrary.check(code, "OSRExportToWktEx")
        return text.map { String(cString: $0) } ?? ""
    }

    /// The EPSG code of this CRS, or nil when it has none GDAL can find.
    ///
    /// First the code the definition carries (`OSRGetAuthorityName`/`OSRGetAuthorityCode` on the root: a GeoPackage
    /// SRS, a `.prj` GDAL already identified); else the best match in PROJ's database with at least `minimumConfidence`
    /// percent (`OSRFindMatches`, e.g. ESRI's "CGCS2000_3_Degree_GK_Zone_40" → 4528).
    public func epsgCode(minimumConfidence: Int = 90) -> Int? {
        if let authority = OSRGetAuthorityName(handle, nil).map({ String(cString: $0) }), authority.uppercased() == "EPSG",
           let code = OSRGetAuthorityCode(handle, nil).flatMap({ Int(String(cString: $0)) }) {
            return code
        }
        var count: Int32 = 0
        var confidences: UnsafeMutablePointer<Int32>?
        GDALLibrary.resetError()
        // Returns NULL when nothing matches; the array is freed with OSRFreeSRSArray, the confidences with VSIFree.
        guard let matches = OSRFindMatches(handle, nil, &count, &confidences) else {
            GDALLibrary.resetError()
            return nil
        }
        defer {
            OSRFreeSRSArray(matches)
            VSIFree(confidences)
        }
        for i in 0..<Int(count) {
            guard let confidences, Int(confidences[i]) >= minimumConfidence, let match = matches[i] else { continue }
            if let authority = OSRGetAuthorityName(match, nil).map({ String(cString: $0) }), authority.uppercased() == "EPSG",
               let code = OSRGetAuthorityCode(match, nil).flatMap({ Int(String(cString: $0)) }) {
                return code
            }
        }
        return nil
    }
}
