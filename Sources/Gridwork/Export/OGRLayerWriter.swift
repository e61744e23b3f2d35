import Foundation
import GeoJSON
import GridGDAL
import OrderedCollections

/// The file formats of an export, and how each is written: the one table `--format`, its help and the docs come
/// from (`ExportFormat.table`).
public enum ExportFormat: String, Sendable, CaseIterable {
    case geojson, gpkg, shp, fgb, kml, csv

    /// One row of the format table.
    public struct Row: Sendable {
        public var format: ExportFormat
        /// File name endings that choose this format when `--format` is not given.
        public var extensions: [String]
        /// The GDAL driver that writes it; nil for gridwork's own RFC 7946 GeoJSON writer.
        public var driver: String?
        public var summary: String
        /// Driver options: dataset creation and layer creation.
        var datasetOptions: [String: String] = [:]
        var layerOptions: [String: String] = [:]
    }

    /// Every format, in the order `--format` lists them.
    public static let table: [Row] = [
        Row(format: .geojson, extensions: [".geojson", ".json"], driver: nil,
            summary: "RFC 7946 GeoJSON: longitude/latitude, counter-clockwise exteriors, bbox, 7 decimals " +
                "(gridwork's streaming writer)"),
        Row(format: .gpkg, extensions: [".gpkg"], driver: "GPKG",
            summary: "OGC GeoPackage with an R-tree spatial index; adds or replaces the layer in the file",
            layerOptions: ["SPATIAL_INDEX": "YES", "OVERWRITE": "YES", "FID": "fid", "GEOMETRY_NAME": "geom"]),
        Row(format: .shp, extensions: [".shp"], driver: "ESRI Shapefile",
            summary: "ESRI Shapefile, UTF-8 with a .cpg (--encoding GBK for old ArcGIS); long field names shortened",
            layerOptions: ["SPATIAL_INDEX": "YES"]),
        Row(format: .fgb, extensions: [".fgb"], driver: "FlatGeobuf",
            summary: "FlatGeobuf with its packed Hilbert R-tree", layerOptions: ["SPATIAL_INDEX": "YES"]),
        Row(format: .kml, extensions: [".kml"], driver: "KML",
            summary: "KML for Google Earth-style tools (the name field labels each placemark)",
            datasetOptions: ["NameField": "name"]),
        Row(format: .csv, extensions: [".csv"], driver: "CSV",
            summary: "CSV with the geometry as WKT in the first column",
            layerOptions: ["GEOMETRY": "AS_WKT", "CREATE_CSVT": "NO"]),
    ]

    public var row: Row { Self.table.first { $0.format == self }! }

    /// The format a file name asks for (its ending), or nil.
    public static func forPath(_ path: String) -> ExportFormat? {
        let lower = path.lowercased()
        return table.first { $0.extensions.contains { lower.hasSuffix($0) } }?.format
    }
}

/// Writes feature layers through GDAL/OGR in longitude/latitude (EPSG:4326), one layer per call.
///
/// Fields are typed from the values (whole numbers → Integer64, other numbers → Real, booleans → Boolean, text and
/// JSON → String); polygonal layers are written as MultiPolygon, point layers as Point, so each layer has one
/// geometry type. A GeoPackage gets an R-tree spatial index and keeps its other layers (writing a layer again
/// replaces it); other formats replace the file. In a Shapefile, long field names are written under the short names
/// of `ShapefileFieldNames`.
public struct OGRLayerWriter {
    public let path: String
    public let format: ExportFormat
    /// The Shapefile `.dbf` encoding (default UTF-8, with a `.cpg` saying so).
    public var encoding: String?

    public init(path: String, format: ExportFormat, encoding: String? = nil) {
        precondition(format.row.driver != nil, "\(format) is written by the GeoJSON writer")
        self.path = path
        self.format = format
        self.encoding = encoding
    }

    /// Writes `features` as the layer `name` (letters, digits and underscores).
    public func write(layer name: String, features: [Feature], description: String = "") throws {
        guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
            throw ReportError("layer name \(name) must be letters, digits and underscores")
        }
        let row = format.row
        let driver = row.driver!
        let dataset: OGRDataset
        if format == .gpkg && FileManager.default.fileExists(atPath: path) {
            dataset = try OGRDataset.open(path, drivers: [driver], update: true)
        } else {
            try removeExisting()
            dataset = try OGRDataset.create(path, driver: driver, options: row.datasetOptions)
        }
        var layerOptions = row.layerOptions
        if format == .gpkg && !description.isEmpty { layerOptions["DESCRIPTION"] = description }
        if format == .shp { layerOptions["ENCODING"] = Self.shapefileEncoding(encoding) }
        let kind = Self.geometryKind(features)
        let layer = try dataset.createLayer(name, geometryType: kind, spatialReference: try OGRSpatialReference(epsg: 4326),
                                            options: layerOptions)
        let columns = Self.columns(of: features)
        // Where each column lands: a driver may start the layer with fields of its own (KML's Name and Description,
        // which take the name and description columns) and may rename what it creates (Shapefile's 10 characters).
        var slots: [Int] = []
        for column in columns {
            let existing = layer.fields.map { $0.name.lowercased() }
            if let index = existing.firstIndex(of: column.name.lowercased()) {
                slots.append(index)
                continue
            }
            let fieldName = format == .shp ? ShapefileFieldNames.shortName(of: column.name) : column.name
            try layer.createField(OGRFieldDefinition(name: fieldName, kind: column.kind))
            slots.append(layer.fields.count - 1)
        }
        let fieldCount = layer.fields.count
        try dataset.transaction {
            for feature in features {
                var values = [OGRValue](repeating: .null, count: fieldCount)
                for (column, slot) in zip(columns, slots) {
                    values[slot] = Self.value(feature.properties[column.name], kind: column.kind)
                }
                let geometry = feature.geometry.map { g -> Geometry in
                    if kind == .multiPolygon, case .polygon(let p) = g { return .multiPolygon(MultiPolygon([p])) }
                    return g
                }
                try layer.write(values: values, wkb: geometry.map(WKB.encode))
            }
        }
        try dataset.close()
    }

    /// GDAL's name for a `--encoding`: GBK is written as code page 936 (`CP936`, what ArcGIS reads from a `.cpg`).
    static func shapefileEncoding(_ encoding: String?) -> String {
        switch encoding?.uppercased() {
        case nil, "UTF-8", "UTF8": "UTF-8"
        case "GBK", "CP936", "936": "CP936"
        case let other?: other
        }
    }

    /// Removes an earlier file (and a Shapefile's side files) so the format's driver can create it afresh.
    func removeExisting() throws {
        let manager = FileManager.default
        var paths = [path]
        if format == .shp {
            let base = (path as NSString).deletingPathExtension
            paths += [".shx", ".dbf", ".prj", ".cpg", ".qix"].map { base + $0 }
        }
        for p in paths where manager.fileExists(atPath: p) { try manager.removeItem(atPath: p) }
    }

    static func geometryKind(_ features: [Feature]) -> OGRGeometryKind {
        var point = false, polygonal = false, other = false
        for f in features {
            switch f.geometry {
            case .point?: point = true
            case .polygon?, .multiPolygon?: polygonal = true
            case nil: break
            default: other = true
            }
        }
        switch (point, polygonal, other) {
        case (true, false, false): return .point
        case (false, _, false): return .multiPolygon
        default: return .unknown
        }
    }

    struct Column {
        var name: String
        var kind: OGRFieldKind
    }

    /// One column per property key: Integer64 (whole numbers), Real, Boolean or String (text, JSON); a key whose
    /// values disagree becomes Real (numbers) or String. The `fid` and `geom` names are the GeoPackage's own.
    static func columns(of features: [Feature]) -> [Column] {
        var order: OrderedDictionary<String, OGRFieldKind?> = [:]
        for f in features {
            for (key, value) in f.properties {
                let kind: OGRFieldKind? = switch value {
                case .null: nil
                case .bool: .boolean
                case .number(let n): n.rounded() == n && abs(n) < 9e15 ? .integer64 : .real
                default: .string
                }
                guard let seen = order[key] else {
                    order[key] = kind
                    continue
                }
                switch (seen, kind) {
                case (nil, let k): order[key] = k
                case (_, nil): break
                case (.integer64?, .real?), (.real?, .integer64?): order[key] = .real
                case (let s?, let k?) where s != k: order[key] = .string
                default: break
                }
            }
        }
        return order.filter { $0.key.lowercased() != "fid" && $0.key.lowercased() != "geom" }
            .map { Column(name: $0.key, kind: $0.value ?? .string) }
    }

    static func value(_ json: JSONValue?, kind: OGRFieldKind) -> OGRValue {
        switch json {
        case nil, .null?: return .null
        case .bool(let b)?: return kind == .boolean ? .boolean(b) : .string(b ? "true" : "false")
        case .number(let n)?:
            switch kind {
            case .integer64: return .integer(Int64(n))
            case .real: return .real(n)
            default: return .string(JSONValue.number(n).jsonText)
            }
        case .string(let s)?: return .string(s)
        case let other?: return .string(other.jsonText)
        }
    }
}
