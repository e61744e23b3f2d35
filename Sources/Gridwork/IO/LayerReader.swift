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
    let validator: PolygonValidator
    let transformer: CoordinateTransformer?

    /// `makeValid` repairs what can be repaired (reported as `.repaired`); `transformer` moves coordinates to
    /// longitude/latitude first (an import's `--crs`).
    public init(policy: Policy = .strict, purpose: ImportFailed.Purpose = .import, fields: LayerFields = LayerFields(),
                makeValid: Bool = false, transformer: CoordinateTransformer? = nil, context: GEOSContext = GEOSContext()) {
        self.policy = policy
        self.purpose = purpose
        self.fields = fields
        self.validator = PolygonValidator(context: context, makeValid: makeValid)
        self.transformer = transformer
    }

    /// Opens a layer file as a feature source (GeoJSON; the place where other formats will be chosen).
    public static func source(path: String) throws -> any FeatureSource {
        try GeoJSONFeatureSource(path: path)
    }

    /// Reads the layer at `path`, whose ids are in `idField`; problems are appended to `problems`, never thrown.
    public func features(_ path: String, idField: String, problems: inout [ImportProblem]) -> [LayerFeature] {
        let file = fileName(path)
        var source: any FeatureSource
        do {
            source = try Self.source(path: path)
        } catch {
            problems.append(ImportProblem(file: file, place: "file", reason: "cannot read the file: \(error)",
                                          fix: "check the path, and that the file is GeoJSON"))
            return []
        }
        return features(from: &source, idField: idField, problems: &problems)
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
        while true {
            let record: FeatureRecord
            do {
                guard let next = try source.next() else { break }
                record = next
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
                        "write the geometry as GeoJSON Polygon or MultiPolygon coordinates")
                continue
            case .success(let g):
                geometry = g
            }
            if let transformer, let g = geometry {
                do {
                    geometry = try transformer.transform(g)
                } catch {
                    problem(place, id, "geometry", "cannot transform to longitude/latitude: \(error)",
                            "check that --crs names the file's real CRS")
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
        features(path, idField: fields.id(of: layer), problems: &problems)
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
