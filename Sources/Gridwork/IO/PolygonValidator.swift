import GeoJSON
import GridGeometry

/// Checks one polygon feature before it is stored, and repairs what can be repaired when asked to.
///
/// The checks run cheapest first: presence and type, finite numbers, longitude/latitude range, closed rings with
/// enough points, then GEOS's OGC validity (self-intersections, ring crossings, nested shells, ...) with the place
/// GEOS found the fault. With `makeValid`, unclosed rings are closed, degenerate holes dropped, and invalid
/// polygons rebuilt by GEOS's make-valid ("structure" method); each change is reported as `.repaired`.
public struct PolygonValidator {
    public let context: GEOSContext
    public let makeValid: Bool
    /// Whether coordinates must be longitude/latitude (true for every stored layer).
    public let requireLonLat: Bool

    public init(context: GEOSContext, makeValid: Bool, requireLonLat: Bool = true) {
        self.context = context
        self.makeValid = makeValid
        self.requireLonLat = requireLonLat
    }

    /// Where a problem is, for building `ImportProblem`s.
    public struct Place: Sendable {
        public var file: String
        public var place: String
        public var featureID: String?

        public init(file: String, place: String, featureID: String?) {
            self.file = file
            self.place = place
            self.featureID = featureID
        }
    }

    /// The polygonal geometry to store (nil when the feature cannot be imported) and what was found.
    public func validate(_ geometry: Geometry?, at place: Place) -> (Geometry?, [ImportProblem]) {
        var problems: [ImportProblem] = []
        func problem(_ severity: ImportProblem.Severity, _ field: String?, _ reason: String, _ fix: String) {
            problems.append(ImportProblem(severity: severity, file: place.file, place: place.place,
                                          featureID: place.featureID, field: field, reason: reason, fix: fix))
        }

        guard let geometry else {
            problem(.error, "geometry", "the geometry is empty (null)",
                    "draw the polygon, or remove the feature from the file")
            return (nil, problems)
        }
        var polygons: [Polygon]
        switch geometry {
        case .polygon(let p): polygons = [p]
        case .multiPolygon(let m): polygons = m.polygons
        default:
            problem(.error, "geometry.type", "expected a Polygon or MultiPolygon, found a \(geometry.typeName)",
                    "export the layer as polygons")
            return (nil, problems)
        }
        if polygons.isEmpty || polygons.allSatisfy({ $0.exterior.positions.isEmpty }) {
            problem(.error, "geometry.coordinates", "the geometry is empty (no coordinates)",
                    "draw the polygon, or remove the feature from the file")
            return (nil, problems)
        }

        // Finite numbers and the longitude/latitude range: reported once per feature, with the first bad position.
        let multi = polygons.count > 1 || { if case .multiPolygon = geometry { return true } else { return false } }()
        func path(_ p: Int, _ r: Int, _ i: Int) -> String {
            multi ? "geometry.coordinates[\(p)][\(r)][\(i)]" : "geometry.coordinates[\(r)][\(i)]"
        }
        for (pi, polygon) in polygons.enumerated() {
            for (ri, ring) in polygon.rings.enumerated() {
                for (i, position) in ring.positions.enumerated() {
                    if !position.x.isFinite || !position.y.isFinite {
                        problem(.error, path(pi, ri, i), "a coordinate is not a finite number: \(describe(position))",
                                "replace NaN or infinite values with the real coordinates")
                        return (nil, problems)
                    }
                    if requireLonLat && (abs(position.x) > 180 || abs(position.y) > 90) {
                        problem(.error, path(pi, ri, i),
                                "coordinates are not longitude/latitude: \(describe(position)) is out of range " +
                                    "(longitude must be within ±180, latitude within ±90)",
                                "reproject the file to EPSG:4326 or EPSG:4490, or pass --crs with its real CRS " +
                                    "(e.g. --crs EPSG:4549 for CGCS2000 Gauss-Krüger 120°E)")
                        return (nil, problems)
                    }
                }
            }
        }

        // Rings: closed, at least four positions (three distinct corners).
        var fatal = false
        for pi in polygons.indices {
            var keptHoles: [LinearRing] = []
            for (ri, var ring) in polygons[pi].rings.enumerated() {
                let where_ = multi ? "polygon \(pi) ring \(ri)" : "ring \(ri)"
                let field = multi ? "geometry.coordinates[\(pi)][\(ri)]" : "geometry.coordinates[\(ri)]"
                if !ring.isClosed {
                    let first = ring.positions.first!, last = ring.positions.last!
                    if makeValid {
                        ring.positions.append(first)
                        problem(.repaired, field, "\(where_) was not closed; closed it by repeating its first position \(describe(first))", "")
                    } else {
                        problem(.error, field,
                                "\(where_) is not closed: it starts at \(describe(first)) and ends at \(describe(last))",
                                "repeat the first position at the end of the ring, or re-run with --make-valid")
                        fatal = true
                    }
                }
                if ring.positions.count < 4 {
                    if ri > 0 && makeValid {
                        problem(.repaired, field, "\(where_) (a hole) had only \(ring.positions.count) positions; dropped it", "")
                        continue
                    }
                    problem(.error, field,
                            "\(where_) has too few points: \(ring.positions.count) positions, a ring needs at least 4 " +
                                "(3 corners and the closing repeat)",
                            ri == 0 ? "redraw the polygon, or remove the feature" : "remove the degenerate hole")
                    fatal = true
                }
                if ri == 0 { polygons[pi].exterior = ring } else { keptHoles.append(ring) }
            }
            polygons[pi].holes = keptHoles
        }
        if fatal { return (nil, problems) }

        let cleaned: Geometry = polygons.count == 1 && !multi ? .polygon(polygons[0]) : .multiPolygon(MultiPolygon(polygons))
        do {
            let g = try GEOSGeometry(cleaned, context: context)
            switch try g.validity() {
            case .valid:
                return (cleaned, problems)
            case .invalid(let reason, let location):
                let at = location.map { " at \(describe($0))" } ?? ""
                guard makeValid else {
                    problem(.error, "geometry", "invalid polygon: \(reason)\(at)",
                            "fix the polygon in a GIS tool (QGIS: Vector › Geometry Tools › Fix Geometries), " +
                                "or re-run with --make-valid")
                    return (nil, problems)
                }
                let repaired = try g.makeValid().polygonalPart()
                if try repaired.isEmpty() {
                    problem(.error, "geometry", "invalid polygon: \(reason)\(at); make-valid left no area",
                            "redraw the polygon")
                    return (nil, problems)
                }
                let before = try g.area(), after = try repaired.area()
                problem(.repaired, "geometry",
                        "invalid polygon (\(reason)\(at)) rebuilt by GEOS make-valid; planar area " +
                            "\(formatCoordinate(before)) → \(formatCoordinate(after)) square degrees, " +
                            "\(try repaired.partCount()) part(s)",
                        "check the repaired shape")
                return (try repaired.toGeometry(), problems)
            }
        } catch {
            problem(.error, "geometry", "GEOS could not read the polygon: \(error)", "redraw the polygon")
            return (nil, problems)
        }
    }
}
