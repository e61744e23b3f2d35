import Foundation
import GeoJSON

/// Where a layer's features come from: the streaming GeoJSON reader (`GeoJSONFeatureSource`, for `.geojson` and
/// `.json` files) or GDAL/OGR (`OGRFeatureSource`, every other vector format). A source opens the file, hands over
/// features one by one as `FeatureRecord`s (place, id, properties, and the geometry or why it cannot be read; a
/// source without line numbers gives line 0, which reads "feature #n"), says what it knows of the CRS, and throws
/// only when the rest of the file cannot be read (the reader lists that as the file's problem, after the features
/// read before it; a `FeatureSourceError` carries its own fix). Nothing is checked here; `LayerReader` checks every
/// source the same way.
public protocol FeatureSource {
    /// The file name used in messages, e.g. "grids.geojson".
    var name: String { get }
    /// The CRS of the coordinates as the file declares it (GeoJSON: longitude/latitude).
    var crs: SourceCRS { get }
    /// The next feature, or nil after the last one.
    mutating func next() throws -> FeatureRecord?
}

extension FeatureSource {
    public var crs: SourceCRS { .lonLat }
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
