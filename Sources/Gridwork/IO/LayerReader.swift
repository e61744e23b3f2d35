import Foundation
import GeoJSON
import GridGeometry
import GridProjection
import OrderedCollections

/// A polygon feature that passed the reader's checks (or, with `.keepInvalid`, one kept despite them).
public struct LayerFeature: Sendable {
    public var id: String
    public var properties: OrderedDictionary<String, JSONValue>
    public var geometry: Geometry
    /// Where the feature is in its file, for messages.
    public var place: String
}

/// The properties naming a feature's own id and the ids of the features it belongs to.
public struct LayerFields: Sendable, Hashable {
    public var town = "town_id"
    public var village = "village_id"
    public var grid = "grid_id"
    public var building = "building_id"

    public init(town: String = "town_id", village: String = "village_id", grid: String = "grid_id",
                building: String = "building_id") {
        self.town = town
        self.village = village
        self.grid = grid
        self.building = building
    }

    /// The property holding a feature's own id in a layer.
    public func id(of layer: BoundaryLayer) -> String {
        switch layer {
        case .town: town
        case .village: village
        case .grid: grid
        case .building: building
        }
    }
}

extension LayerFeature {
    /// The feature's `name`, or its id.
    public var name: String { properties["name"]?.stringValue ?? id }

    public func town() -> Town {
        Town(townID: id, name: name, geometry: geometry)
    }

    public func village(_ fields: LayerFields = LayerFields()) -> Village {
        Village(villageID: id, townID: properties[fields.town]?.identifierValue, name: name, geometry: geometry)
    }

    /// A grid; properties other than the ids and the name are kept as `extraProperties` (JSON).
    public func grid(_ fields: LayerFields = LayerFields()) -> Grid {
        var extra = properties
        for key in [fields.grid, fields.village, fields.town, "name"] { extra.removeValue(forKey: key) }
        return Grid(gridID: id, villageID: properties[fields.village]?.identifierValue,
                    townID: properties[fields.town]?.identifierValue, name: name, geometry: geometry,
                    extraProperties: JSONValue.object(extra).jsonText)
    }

    public func building(_ fields: LayerFields = LayerFields()) -> Building {
        Building(buildingID: id, gridID: properties[fields.grid]?.identifierValue,
                 villageID: properties[fields.village]?.identifierValue, kind: properties["kind"]?.stringValue ?? "urban",
                 floors: properties["floors"]?.doubleValue.map { Int($0) },
                 address: properties["address"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, geometry: geometry)
    }
}

/// Reads polygon layers (towns, villages, grids, buildings, a county outline) for every job that takes them from
/// files: the import, the reports, the planner and the geocoder. Each feature needs an id (the id property, else the
/// Feature `id`) unique in its file and a readable polygonal geometry; `PolygonValidator` checks the rest. Every
/// problem names the file, the feature's number and line/column, its id, the field, what is wrong and how to fix
/// it; an unreadable file or a syntax error is a problem of the file, listed after those of the features before it.
///
/// Two policies:
/// - `.strict`: a feature with any error is left out and its errors are listed (an import, the planner and the
///   geocoder then refuse the layer: `ImportFailed`).
/// - `.keepInvalid`: a polygonal geometry the validator refuses (GEOS-invalid, unclosed ring, out of range...) is
///   kept as it is, with those findings listed as warnings, so a report can name it; missing or duplicate ids,
///   unreadable and non-polygonal geometries are still errors.
public struct LayerReader {
    public enum Policy: Sendable, Hashable {
        case strict
        case keepInvalid
    }

    public let policy: Policy
    /// What a refusal says it was doing (the first line of `ImportFailed`).
    public let purpose: ImportFailed.Purpose
    public let fields: LayerFields
    /// `--crs`: the CRS of every file read, whatever the files declare.
    public let crs: CoordinateReferenceSystem?
    /// How files are opened (layer names, Shapefile encoding, axis order).
    public let sourceOptions: LayerSourceOptions
    let validator: PolygonValidator

    /// `makeValid` repairs what can be repaired (reported as `.repaired`). Coordinates are moved to
    /// longitude/latitude from `crs` when given (an import's `--crs`), else from the CRS the file declares (a
    /// `.prj`, a GeoPackage SRS); a file that needs a CRS and has none is refused with the fix (`--crs`).
    public init(policy: Policy = .strict, purpose: ImportFailed.Purpose = .import, fields: LayerFields = LayerFields(),
                makeValid: Bool = false, crs: CoordinateReferenceSystem? = nil,
                sourceOptions: LayerSourceOptions = LayerSourceOptions(), context: GEOSContext = GEOSContext()) {
        self.policy = policy
        self.purpose = purpose
        self.fields = fields
        self.validator = PolygonValidator(context: context, makeValid: makeValid)
        self.crs = crs
        self.sourceOptions = sourceOptions
    }

    /// Whether `path` is read by the streaming GeoJSON reader: `.geojson` and `.json` files (faster than OGR's
    /// GeoJSON driver, and its messages give line and column; docs/benchmarks.md). Everything else goes to GDAL.
    public static func readsAsStreamingGeoJSON(_ path: String) -> Bool {
        let lower = path.lowercased()
        return !lower.hasPrefix("/vsi") && (lower.hasSuffix(".geojson") || lower.hasSuffix(".json"))
    }

    /// Opens a layer file as a feature source: the streaming GeoJSON reader for `.geojson`/`.json`, GDAL/OGR for
    /// every other format; `role` chooses the layer of a multi-layer file (see `OGRFeatureSource`).
    public static func source(path: String, role: BoundaryLayer? = nil,
                              options: LayerSourceOptions = LayerSourceOptions()) throws -> any FeatureSource {
        if readsAsStreamingGeoJSON(path) {
            return try GeoJSONFeatureSource(path: path)
        }
        return try OGRFeatureSource(path: path, role: role, options: options)
    }

    /// Reads the layer at `path`, whose ids are in `idField`; problems are appended to `problems`, never thrown.
    public func features(_ path: String, idField: String, role: BoundaryLayer? = nil,
                         problems: inout [ImportProblem]) -> [LayerFeature] {
        let file = fileName(path)
        var source: any FeatureSource
        do {
            source = try Self.source(path: path, role: role, options: sourceOptions)
        } catch let error as FeatureSourceError {
            problems.append(ImportProblem(file: file, place: "file", reason: error.reason, fix: error.fix))
            return []
        } catch {
            problems.append(ImportProblem(file: file, place: "file", reason: "cannot read the file: \(error)",
                                          fix: "check the path, and that the file is GeoJSON"))
            return []
        }
        return features(from: &source, idField: idField, problems: &problems)
    }

    /// The transformer from the source's coordinates to longitude/latitude (nil: they are longitude/latitude
    /// already), or the file's problem.
    func transformer(for source: any FeatureSource) -> Result<CoordinateTransformer?, FeatureSourceError> {
        let system: CoordinateReferenceSystem
        if let crs {
            system = crs
        } else {
            switch source.crs {
            case .lonLat: return .success(nil)
            case .declared(let declared): system = declared
            case .unidentified(let name):
                return .failure(FeatureSourceError(
                    reason: "the file's CRS \"\(name)\" matches no EPSG code",
                    fix: "pass --crs with its EPSG code (e.g. --crs EPSG:4549 for CGCS2000 Gauss-Krüger 120°E, " +
                        "EPSG:4528 for zone 40 with the zone number in front of the easting)"))
            case .missing(let why):
                return .failure(FeatureSourceError(
                    reason: "\(why), so the coordinates' CRS is unknown",
                    fix: "pass --crs with the CRS the coordinates are in (e.g. --crs EPSG:4490 for CGCS2000 " +
                        "longitude/latitude, EPSG:4549 for Gauss-Krüger 120°E, EPSG:4528 for zone 40 with the zone " +
                        "number in front of the easting), or add the .prj file"))
            }
        }
        if system == .wgs84 || system == .cgcs2000 { return .success(nil) }
        do {
            return .success(try CoordinateTransformer(from: system, to: .wgs84))
        } catch {
            return .failure(FeatureSourceError(reason: "cannot transform from \(system): \(error)",
                                               fix: "check the CRS of the file, or pass --crs"))
        }
    }

    /// Reads every feature of `source`.
    public func features(from source: inout any FeatureSource, idField: String,
                         problems: inout [ImportProblem]) -> [LayerFeature] {
        let file = source.name
        var features: [LayerFeature] = []
        var seen: [String: String] = [:]
        var fileProblems = false
        func problem(_ place: String, _ id: String?, _ field: String?, _ reason: String, _ fix: String) {
            problems.append(ImportProblem(file: file, place: place, featureID: id, field: field,
                                          reason: reason, fix: fix))
            fileProblems = true
        }
        let transformer: CoordinateTransformer?
        switch self.transformer(for: source) {
        case .success(let t): transformer = t
        case .failure(let error):
            problem("file", nil, nil, error.reason, error.fix)
            return features
        }
        while true {
            let record: FeatureRecord
            do {
                guard let next = try source.next() else { break }
                record = next
            } catch let error as FeatureSourceError {
                problem("file", nil, nil, error.reason, error.fix)
                return features
            } catch {
                problem("file", nil, nil, "not valid GeoJSON: \(error)", "repair the JSON syntax at that line and column")
                return features
            }
            let place = record.location.description
            guard let id = record.properties[idField]?.identifierValue ?? record.id?.description, !id.isEmpty else {
                problem(place, nil, idField, "the feature has no id",
                        "set the Feature \"id\" or a \"\(idField)\" property (or name the id property with --id-field)")
                continue
            }
            if let first = seen[id] {
                problem(place, id, idField, "duplicate id: \(id) is also the id of \(first)", "give every feature its own id")
                continue
            }
            seen[id] = place
            var geometry: Geometry?
            switch record.geometry {
            case .failure(let error):
                problem(place, id, error.path, "unreadable geometry: \(error.reason)",
                        source is GeoJSONFeatureSource ? "write the geometry as GeoJSON Polygon or MultiPolygon coordinates"
                            : "export the layer as Polygon or MultiPolygon")
                continue
            case .success(let g):
                geometry = g
            }
            if let transformer, let g = geometry {
                do {
                    geometry = try transformer.transform(g)
                } catch {
                    problem(place, id, "geometry", "cannot transform to longitude/latitude: \(error)",
                            crs != nil ? "check that --crs names the file's real CRS"
                                : "check the file's CRS, or pass --crs with the real one")
                    continue
                }
            }
            var (valid, found) = validator.validate(
                geometry, at: PolygonValidator.Place(file: file, place: place, featureID: id))
            if valid == nil, policy == .keepInvalid, let geometry, geometry.isPolygonal {
                // Kept for the report to name: what the validator found is said, but does not refuse the layer.
                for k in found.indices where found[k].severity == .error { found[k].severity = .warning }
                valid = geometry
            }
            if !found.isEmpty { fileProblems = true }
            problems += found
            if let valid {
                features.append(LayerFeature(id: id, properties: record.properties, geometry: valid, place: place))
            }
        }
        if features.isEmpty && !fileProblems {
            problem("file", nil, nil, "the file holds no features",
                    "export the layer again; a FeatureCollection needs at least one feature")
        }
        return features
    }

    /// Reads one boundary layer, its ids in `fields.id(of: layer)`.
    public func features(_ layer: BoundaryLayer, _ path: String, problems: inout [ImportProblem]) -> [LayerFeature] {
        features(path, idField: fields.id(of: layer), role: layer, problems: &problems)
    }

    public func towns(_ path: String, problems: inout [ImportProblem]) -> [Town] {
        features(.town, path, problems: &problems).map { $0.town() }
    }

    public func villages(_ path: String, problems: inout [ImportProblem]) -> [Village] {
        features(.village, path, problems: &problems).map { $0.village(fields) }
    }

    public func grids(_ path: String, problems: inout [ImportProblem]) -> [Grid] {
        features(.grid, path, problems: &problems).map { $0.grid(fields) }
    }

    public func buildings(_ path: String, problems: inout [ImportProblem]) -> [Building] {
        features(.building, path, problems: &problems).map { $0.building(fields) }
    }

    /// Reads one layer on its own and refuses it when anything is wrong: throws `ImportFailed` (with this reader's
    /// purpose) listing every problem.
    public func read<T>(_ body: (Self, inout [ImportProblem]) -> T) throws -> T {
        var problems: [ImportProblem] = []
        let result = body(self, &problems)
        try refuseOnErrors(problems)
        return result
    }

    /// Throws `ImportFailed` with this reader's purpose when any of `problems` is an error.
    public func refuseOnErrors(_ problems: [ImportProblem]) throws {
        if problems.contains(where: { $0.severity == .error }) {
            throw ImportFailed(problems: problems, purpose: purpose)
        }
    }
}

extension Geometry {
    /// A Polygon or a MultiPolygon.
    var isPolygonal: Bool {
        switch self {
        case .polygon, .multiPolygon: true
        default: false
        }
    }
}
