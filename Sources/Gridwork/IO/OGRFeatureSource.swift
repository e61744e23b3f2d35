import Foundation
import GeoJSON
import GridGDAL
import GridProjection
import OrderedCollections

/// How a layer file is opened: which layer of a multi-layer file, the attribute encoding of a Shapefile without
/// `.cpg`, and the axis order of surveyors' files.
public struct LayerSourceOptions: Sendable, Hashable {
    /// Layer names chosen per role (`--layer grids=wangge`); `nil` key: the layer for a file given without a role.
    public var layers: [BoundaryLayer?: String] = [:]
    /// `--encoding` (GBK, GB18030, UTF-8, CP936...): the text encoding of a Shapefile's `.dbf` when it has no `.cpg`
    /// (and no code page byte); a `.cpg` wins.
    public var encoding: String?
    /// `--axis-order northing-first`: the file's x is the northing (surveyors' X), y the easting.
    public var northingFirst = false

    public init(layers: [BoundaryLayer?: String] = [:], encoding: String? = nil, northingFirst: Bool = false) {
        self.layers = layers
        self.encoding = encoding
        self.northingFirst = northingFirst
    }

    /// The encodings `--encoding` accepts (any GDAL/iconv name works; these are the ones documented).
    public static let documentedEncodings = ["UTF-8", "GBK", "GB18030", "CP936"]
}

/// What a source says about its coordinates' CRS.
public enum SourceCRS: Sendable, Hashable {
    /// Longitude/latitude by the format's definition (GeoJSON per RFC 7946, KML) or by gridwork's default for
    /// formats that carry no CRS (CSV with WKT, GeoJSONSeq).
    case lonLat
    /// The CRS the file declares (a `.prj`, a GeoPackage SRS), identified as an EPSG code.
    case declared(CoordinateReferenceSystem)
    /// The file declares a CRS that matches no EPSG code closely enough: its name.
    case unidentified(String)
    /// The format keeps its CRS beside the data and this file has none (a Shapefile without `.prj`).
    case missing(String)
}

/// A problem that stops a source reading the rest of its file, with the fix.
public struct FeatureSourceError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var fix: String

    public init(reason: String, fix: String) {
        self.reason = reason
        self.fix = fix
    }

    public var description: String { reason }
}

/// Features read through GDAL/OGR from any vector format it opens: Shapefile (also zipped: `/vsizip/`), GeoPackage,
/// KML/KMZ, OpenFileGDB, GeoJSON, GeoJSONSeq, CSV with a WKT column, FlatGeobuf...
///
/// The place of a feature is its OGR feature id (FID: 0-based in a Shapefile, 1-based in a GeoPackage), which reads
/// "feature #FID" in messages. Attributes become JSON values (integers and reals as numbers, booleans, text, lists
/// as arrays); a Shapefile's short field names from `ShapefileFieldNames` are read back under their long names.
public struct OGRFeatureSource: FeatureSource {
    public let name: String
    public let crs: SourceCRS
    /// The GDAL driver that opened the file (e.g. "ESRI Shapefile", "GPKG").
    public let driver: String
    /// The layer read.
    public let layerName: String
    private let layer: OGRLayer
    private let fieldNames: [String]
    private let northingFirst: Bool

    /// Opens `path` (a `.zip` is read through `/vsizip/`), chooses the layer for `role` and works out the CRS.
    /// Throws `FeatureSourceError` with the fix when the file cannot be opened or the layer is ambiguous.
    public init(path: String, role: BoundaryLayer? = nil, options: LayerSourceOptions = LayerSourceOptions()) throws {
        name = fileName(path)
        var gdalPath = path
        let lower = path.lowercased()
        if !path.hasPrefix("/vsi") && lower.hasSuffix(".zip") { gdalPath = "/vsizip/" + path }
        var dataset: OGRDataset
        do {
            dataset = try OGRDataset.open(gdalPath)
        } catch {
            throw FeatureSourceError(reason: "GDAL cannot open the file: \(error)",
                                     fix: "check the path, and that it is a vector format GDAL reads " +
                                        "(Shapefile with its .shx and .dbf, GeoPackage, KML/KMZ, File Geodatabase " +
                                        "folder, GeoJSON, CSV with a WKT column)")
        }
        var layer = try Self.chooseLayer(dataset, role: role, options: options, file: name)
        driver = dataset.driverName
        if driver == "ESRI Shapefile" {
            let declared = layer.metadataItem("SOURCE_ENCODING", domain: "SHAPEFILE") ?? ""
            if declared.isEmpty {
                if let encoding = options.encoding {
                    do {
                        dataset = try OGRDataset.open(gdalPath, openOptions: ["ENCODING": encoding])
                    } catch {
                        throw FeatureSourceError(reason: "GDAL cannot open the file with --encoding \(encoding): \(error)",
                                                 fix: "give an encoding GDAL knows: " +
                                                    LayerSourceOptions.documentedEncodings.joined(separator: ", "))
                    }
                    layer = try Self.chooseLayer(dataset, role: role, options: options, file: name)
                }
            }
        }
        self.layer = layer
        layerName = layer.name
        let isShapefile = driver == "ESRI Shapefile", isKML = driver == "KML" || driver == "LIBKML"
        let names = layer.fields.map(\.name)
        fieldNames = names.map { name in
            if isShapefile { return ShapefileFieldNames.longName(of: name) }
            // KML keeps a placemark's name and description as elements; GDAL reads them as "Name", "Description".
            if isKML, name == "Name" || name == "Description", !names.contains(name.lowercased()) {
                return name.lowercased()
            }
            return name
        }
        northingFirst = options.northingFirst

        if let srs = layer.spatialReference {
            if srs.name.hasPrefix("Undefined") {
                // GeoPackage's srs_id 0 and -1 ("Undefined geographic/cartesian SRS"): declared as unknown.
                crs = .missing("the \(driver) layer \(layerName) has an undefined CRS (\(srs.name))")
            } else if let code = srs.epsgCode(), let system = try? CoordinateReferenceSystem(parsing: "EPSG:\(code)") {
                crs = .declared(system)
            } else {
                crs = .unidentified(srs.name)
            }
        } else {
            switch driver {
            case "CSV", "GeoJSON", "GeoJSONSeq", "KML", "LIBKML": crs = .lonLat
            case "ESRI Shapefile":
                crs = .missing("the Shapefile has no .prj file")
            default:
                crs = .missing("the \(driver) layer \(layerName) declares no CRS")
            }
        }
    }

    static func chooseLayer(_ dataset: OGRDataset, role: BoundaryLayer?, options: LayerSourceOptions,
                            file: String) throws -> OGRLayer {
        let names = dataset.layerNames
        let listed = names.map { "\"\($0)\"" }.joined(separator: ", ")
        let option = role.map { "--layer \($0.rawValue)s=NAME" } ?? "--layer NAME"
        if let wanted = options.layers[role] ?? (role == .grid ? options.layers[nil] : nil) {
            guard let layer = dataset.layer(named: wanted) else {
                throw FeatureSourceError(reason: "the file has no layer \"\(wanted)\"; its layers are \(listed)",
                                         fix: "name one of those layers with \(option)")
            }
            return layer
        }
        if names.count == 1 { return try dataset.layer(at: 0) }
        if names.isEmpty {
            throw FeatureSourceError(reason: "the file holds no vector layer", fix: "export the layer again")
        }
        if let role {
            for candidate in ["\(role.rawValue)s", role.rawValue] {
                if let layer = dataset.layer(named: candidate) { return layer }
            }
        }
        throw FeatureSourceError(reason: "the file holds \(names.count) layers (\(listed)) and none is chosen",
                                 fix: "choose one with \(option)")
    }

    public mutating func next() throws -> FeatureRecord? {
        let feature: OGRFeature
        do {
            guard let next = try layer.nextFeature() else { return nil }
            feature = next
        } catch {
            throw FeatureSourceError(reason: "GDAL stopped reading the layer: \(error)",
                                     fix: "check that the file is complete (a Shapefile needs its .shp, .shx and .dbf)")
        }
        var properties: OrderedDictionary<String, JSONValue> = [:]
        for (i, value) in feature.values.enumerated() where i < fieldNames.count {
            properties[fieldNames[i]] = try json(value, field: fieldNames[i], fid: feature.fid)
        }
        let location = SourceLocation(line: 0, column: 0, featureIndex: Int(feature.fid))
        let geometry: Result<Geometry?, GeometryDecodingError>
        do {
            var g = try feature.geometry()
            if northingFirst { g = g?.mapPositions { Position($0.y, $0.x) } }
            // KML keeps a multipart polygon as a MultiGeometry, which GDAL reads as a collection of polygons.
            if case .geometryCollection(let parts)? = g, !parts.isEmpty, parts.allSatisfy(\.isPolygonal) {
                g = .multiPolygon(MultiPolygon(parts.flatMap(\.polygons)))
            }
            geometry = .success(g)
        } catch {
            geometry = .failure(GeometryDecodingError(path: "geometry", reason: error.reason))
        }
        // A GeoJSON string id converted by GDAL becomes an "id" field; it stands in for the Feature id.
        let id: FeatureID? = switch properties["id"] {
        case .string(let s)?: .string(s)
        case .number(let n)?: .number(n)
        default: nil
        }
        return FeatureRecord(location: location, id: id, properties: properties, geometry: geometry)
    }

    func json(_ value: OGRValue, field: String, fid: Int64) throws -> JSONValue {
        switch value {
        case .null: return .null
        case .integer(let v): return .number(Double(v))
        case .real(let v): return .number(v)
        case .boolean(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .undecodedText(let bytes):
            let hex = bytes.prefix(6).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw FeatureSourceError(
                reason: "feature #\(fid), field \(field): the text is not UTF-8 (bytes \(hex)...) and the file " +
                    "says nothing of its encoding (no .cpg file)",
                fix: "pass --encoding GBK (or GB18030) for a Chinese Shapefile from ArcGIS, or add a .cpg file " +
                    "holding the encoding name")
        case .integers(let vs): return .array(vs.map { .number(Double($0)) })
        case .reals(let vs): return .array(vs.map { .number($0) })
        case .strings(let ss): return .array(ss.map { .string($0) })
        case .binary(let bytes): return .string(bytes.map { String(format: "%02x", $0) }.joined())
        }
    }
}

/// Shapefile attribute names are at most 10 characters. gridwork writes its longer field names under these short
/// names (and reads them back under the long ones); any other long name is cut to 10 characters by GDAL. The
/// second column of `aliases` holds the names GDAL's own truncation gives (e.g. by `ogr2ogr`), also read back.
public enum ShapefileFieldNames {
    /// Long name → short name written to the `.dbf`. Documented in docs/formats.md.
    public static let short: OrderedDictionary<String, String> = [
        "building_id": "bldg_id",
        "household_id": "hh_id",
        "incident_id": "inc_id",
        "reported_at": "reported",
        "description": "descr",
        "building_heads": "bldg_heads",
        "open_incidents": "open_inc",
        "grid_workers": "grid_wrkrs",
        "workload_index": "workload",
        "overlap_area_m2": "overlap_m2",
        "invalid_reason": "invalid",
        "crosses_village_boundary": "crosses_vb",
        "has_full_time_worker": "has_worker",
        "gap_area_m2": "gap_m2",
        "mean_workload_index": "mean_wload",
        "placement_problem": "placement",
        "has_building_head": "has_head",
    ]

    /// Short or GDAL-truncated name → long name.
    static let long: [String: String] = {
        var map: [String: String] = [:]
        for (longName, shortName) in short {
            map[shortName] = longName
            map[String(longName.prefix(10))] = longName
        }
        return map
    }()

    /// The name a `.dbf` field is read under.
    public static func longName(of name: String) -> String {
        long[name] ?? name
    }

    /// The name a field is written under in a `.dbf`.
    public static func shortName(of name: String) -> String {
        short[name] ?? name
    }
}
