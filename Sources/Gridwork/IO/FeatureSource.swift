import Foundation
import GeoJSON

/// Where a layer's features come from. GeoJSON is the one source today (`GeoJSONFeatureSource`); GIS formats read
/// through GDAL (issue 14) plug in here: open the file, hand over features one by one as `FeatureRecord`s (place,
/// id, properties, and the geometry or why it cannot be read; a source without line numbers gives line 0, which
/// reads "feature #n"), and throw only when the rest of the file cannot be read (the reader lists that as the
/// file's problem, after the features read before it). Nothing is checked here; `LayerReader` checks every source
/// the same way.
public protocol FeatureSource {
    /// The file name used in messages, e.g. "grids.geojson".
    var name: String { get }
    /// The next feature, or nil after the last one.
    mutating func next() throws -> FeatureRecord?
}

/// Features streamed from a GeoJSON file (or bytes) by `GeoJSONFeatureReader`.
public struct GeoJSONFeatureSource: FeatureSource {
    public let name: String
    private let reader: GeoJSONFeatureReader

    /// Opens `path`; throws when the file cannot be opened.
    public init(path: String) throws {
        name = fileName(path)
        reader = try GeoJSONFeatureReader(path: path)
    }

    /// Reads GeoJSON held in memory (tests, request bodies).
    public init(bytes: [UInt8], name: String) {
        self.name = name
        reader = GeoJSONFeatureReader(bytes: bytes)
    }

    public mutating func next() throws -> FeatureRecord? {
        try reader.next()
    }
}

/// The last path component, as files are named in messages.
func fileName(_ path: String) -> String {
    (path as NSString).lastPathComponent
}
