import Foundation
import GeoJSON
import OrderedCollections

/// One feature as a source hands it over: where it is, its own id, its properties, and its geometry (or why the
/// geometry cannot be read). Nothing is checked yet; `LayerReader` does that, the same way for every source.
public struct SourceFeature: Sendable {
    /// Where the feature is, for messages: "feature #3 at line 40, column 5" (GeoJSON), "feature #3" (other formats).
    public var place: String
    /// The feature's own id (GeoJSON's Feature `id`), when it has one.
    public var id: String?
    public var properties: OrderedDictionary<String, JSONValue>
    public var geometry: Result<Geometry?, GeometryDecodingError>

    public init(place: String, id: String?, properties: OrderedDictionary<String, JSONValue>,
                geometry: Result<Geometry?, GeometryDecodingError>) {
        self.place = place
        self.id = id
        self.properties = properties
        self.geometry = geometry
    }
}

/// Where a layer's features come from. GeoJSON is the one source today (`GeoJSONFeatureSource`); GIS formats read
/// through GDAL (issue 14) plug in here: open the file, hand over features one by one, and throw only when the rest
/// of the file cannot be read (the reader lists that as the file's problem, after the features read before it).
public protocol FeatureSource {
    /// The file name used in messages, e.g. "grids.geojson".
    var name: String { get }
    /// The next feature, or nil after the last one.
    mutating func next() throws -> SourceFeature?
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

    public mutating func next() throws -> SourceFeature? {
        guard let record = try reader.next() else { return nil }
        return SourceFeature(place: record.location.description, id: record.id?.description,
                             properties: record.properties, geometry: record.geometry)
    }
}

/// The last path component, as files are named in messages.
func fileName(_ path: String) -> String {
    (path as NSString).lastPathComponent
}
