/// One step of a captured `coordinates` value: the value is recorded as a flat list of events so
/// that it can be interpreted once the geometry's `type` is known (members may come in any order).
enum CoordinateEvent {
    case open
    case close
    case number(Double)
    /// A value that is neither an array nor a number (it is a structural error in coordinates).
    case other(JSONValueKind)

    var phrase: String {
        switch self {
        case .open: "an array"
        case .close: "the end of the array"
        case .number: "a number"
        case .other(let kind): kind.phrase
        }
    }
}

/// Decodes geometry objects from a scanner, turning structural problems into
/// `GeometryDecodingError`s (and only JSON syntax errors into thrown `GeoJSONError`s).
struct GeometryDecoder {
    /// Captured coordinate events; a stack shared by nested geometries (each truncates back to
    /// where it started), reused from feature to feature so steady-state reading does not allocate it.
    var events: [CoordinateEvent] = []

    /// Reads a `geometry` member value: a geometry object or null. `path` is its JSON path
    /// (`geometry`, or empty for a top-level geometry).
    mutating func readGeometry(_ scanner: JSONScanner, path: String, depth: Int) throws -> Result<Geometry?, GeometryDecodingError> {
        let c = try scanner.skipWhitespace()
        if c == UInt8(ascii: "n") {
            try scanner.readLiteral("null")
            return .success(nil)
        }
        guard c == UInt8(ascii: "{") else {
            let kind = try scanner.skipValue(depth: depth)
            return .failure(GeometryDecodingError(path: path.isEmpty ? "(document)" : path,
                                                  reason: "expected a geometry object or null, found \(kind.phrase)"))
        }
        return try readGeometryObject(scanner, path: path, depth: depth).map { $0 }
    }

    /// Reads a geometry object; `scanner.pos` must be at its `{`.
    mutating func readGeometryObject(_ scanner: JSONScanner, path: String, depth: Int) throws -> Result<Geometry, GeometryDecodingError> {
        try scanner.checkDepth(depth)
        let start = events.count
        defer { events.removeLast(events.count - start) }
        var typeName: String?
        var typeProblem: GeometryDecodingError?
        var hasCoordinates = false
        var members: Result<[Geometry], GeometryDecodingError>?
        let prefix = path.isEmpty ? "" : path + "."

        try scanner.readObject(depth: depth) { key in
            switch key {
            case "type":
                let value = try scanner.readValue(depth: depth + 1)
                if case .string(let name) = value {
                    typeName = name
                } else {
                    typeProblem = GeometryDecodingError(path: prefix + "type",
                                                        reason: "geometry type must be a string, found \(JSONValueKind(value).phrase)")
                }
            case "coordinates":
                events.removeLast(events.count - start)
                try captureCoordinates(scanner, depth: depth + 1)
                hasCoordinates = true
            case "geometries":
                members = try readGeometries(scanner, path: prefix + "geometries", depth: depth + 1)
            default:
                try scanner.skipValue(depth: depth + 1)  // bbox, crs, foreign members
            }
        }

        if let typeProblem { return .failure(typeProblem) }
        guard let typeName else {
            return .failure(GeometryDecodingError(path: path.isEmpty ? "type" : path, reason: "geometry has no 'type' member"))
        }
        if typeName == "GeometryCollection" {
            guard let members else {
                return .failure(GeometryDecodingError(path: path.isEmpty ? "geometries" : path,
                                                      reason: "GeometryCollection has no 'geometries' member"))
            }
            return members.map { .geometryCollection($0) }
        }
        guard let kind = GeometryKind(rawValue: typeName) else {
            return .failure(GeometryDecodingError(
                path: prefix + "type",
                reason: "unknown geometry type '\(typeName)' (expected Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon or GeometryCollection)"))
        }
        guard hasCoordinates else {
            return .failure(GeometryDecodingError(path: path.isEmpty ? "coordinates" : path, reason: "\(typeName) has no 'coordinates' member"))
        }
        return events.withUnsafeBufferPointer { buffer in
            var reader = CoordinateReader(events: UnsafeBufferPointer(start: buffer.baseAddress! + start, count: buffer.count - start),
                                          prefix: prefix + "coordinates")
            do throws(GeometryDecodingError) {
                return .success(try reader.geometry(kind))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Reads the `geometries` array of a GeometryCollection.
    private mutating func readGeometries(_ scanner: JSONScanner, path: String, depth: Int) throws -> Result<[Geometry], GeometryDecodingError> {
        let c = try scanner.skipWhitespace()
        guard c == UInt8(ascii: "[") else {
            let kind = try scanner.skipValue(depth: depth)
            return .failure(GeometryDecodingError(path: path, reason: "'geometries' must be an array, found \(kind.phrase)"))
        }
        try scanner.checkDepth(depth)
        var geometries: [Geometry] = []
        var problem: GeometryDecodingError?
        try scanner.readArray { index in
            let elementPath = "\(path)[\(index)]"
            if try scanner.skipWhitespace() == UInt8(ascii: "{") {
                switch try readGeometryObject(scanner, path: elementPath, depth: depth + 1) {
                case .success(let geometry): geometries.append(geometry)
                case .failure(let error): if problem == nil { problem = error }
                }
            } else {
                let kind = try scanner.skipValue(depth: depth + 1)
                if problem == nil { problem = GeometryDecodingError(path: elementPath, reason: "expected a geometry object, found \(kind.phrase)") }
            }
        }
        if let problem { return .failure(problem) }
        return .success(geometries)
    }

    /// Records a `coordinates` value as events (any JSON is accepted; only syntax errors throw).
    private mutating func captureCoordinates(_ scanner: JSONScanner, depth: Int) throws {
        guard let c = try scanner.skipWhitespace() else { throw scanner.unexpected(nil, expected: "expected a value") }
        switch c {
        case UInt8(ascii: "["):
            try scanner.checkDepth(depth)
            events.append(.open)
            try scanner.readArray { _ in try captureCoordinates(scanner, depth: depth + 1) }
            events.append(.close)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            events.append(.number(try scanner.readNumber()))
        default:
            events.append(.other(try scanner.skipValue(depth: depth)))
        }
    }
}

/// The geometry types that have `coordinates`.
enum GeometryKind: String {
    case point = "Point"
    case multiPoint = "MultiPoint"
    case lineString = "LineString"
    case multiLineString = "MultiLineString"
    case polygon = "Polygon"
    case multiPolygon = "MultiPolygon"
}

/// Interprets captured coordinate events for a known geometry type, naming the JSON path of
/// the first structural problem.
struct CoordinateReader {
    let events: UnsafeBufferPointer<CoordinateEvent>
    let prefix: String
    var index = 0
    /// Array indices from the coordinates root down to the current value.
    var path: [Int] = []

    init(events: UnsafeBufferPointer<CoordinateEvent>, prefix: String) {
        self.events = events
        self.prefix = prefix
        path.reserveCapacity(4)
    }

    func failure(_ reason: String, extra: Int? = nil) -> GeometryDecodingError {
        var text = prefix
        for i in path { text += "[\(i)]" }
        if let extra { text += "[\(extra)]" }
        return GeometryDecodingError(path: text, reason: reason)
    }

    mutating func geometry(_ kind: GeometryKind) throws(GeometryDecodingError) -> Geometry {
        switch kind {
        case .point:
            return .point(try position())
        case .multiPoint:
            return .multiPoint(try list("an array of positions") { (r: inout CoordinateReader) throws(GeometryDecodingError) in try r.position() })
        case .lineString:
            return .lineString(try list("an array of positions") { (r: inout CoordinateReader) throws(GeometryDecodingError) in try r.position() })
        case .multiLineString:
            return .multiLineString(try list("an array of lines") { (r: inout CoordinateReader) throws(GeometryDecodingError) in try r.positions() })
        case .polygon:
            return .polygon(try polygon())
        case .multiPolygon:
            return .multiPolygon(MultiPolygon(try list("an array of polygons") { (r: inout CoordinateReader) throws(GeometryDecodingError) in try r.polygon() }))
        }
    }

    /// `[x, y, ...]`: extra values (z, m) are dropped.
    mutating func position() throws(GeometryDecodingError) -> Position {
        guard case .open = events[index] else {
            throw failure("expected a position [x, y], found \(events[index].phrase)")
        }
        index += 1
        var count = 0
        var x = 0.0
        var y = 0.0
        while true {
            switch events[index] {
            case .close:
                index += 1
                guard count >= 2 else { throw failure("a position needs at least 2 numbers (x, y), found \(count)") }
                return Position(x, y)
            case .number(let value):
                if count == 0 { x = value } else if count == 1 { y = value }
                count += 1
                index += 1
            case .open, .other:
                throw failure("expected a number in a position, found \(events[index].phrase)", extra: count)
            }
        }
    }

    mutating func positions() throws(GeometryDecodingError) -> [Position] {
        try list("an array of positions") { (r: inout CoordinateReader) throws(GeometryDecodingError) in try r.position() }
    }

    /// Rings are kept exactly as given: not closed, not rewound (validation happens downstream).
    mutating func polygon() throws(GeometryDecodingError) -> Polygon {
        let rings = try list("an array of rings") { (r: inout CoordinateReader) throws(GeometryDecodingError) in LinearRing(try r.positions()) }
        guard let exterior = rings.first else { return Polygon(exterior: LinearRing([])) }  // the empty polygon
        return Polygon(exterior: exterior, holes: Array(rings.dropFirst()))
    }

    /// An array whose elements are read by `element`.
    mutating func list<T>(_ what: String, _ element: (inout CoordinateReader) throws(GeometryDecodingError) -> T) throws(GeometryDecodingError) -> [T] {
        guard case .open = events[index] else {
            throw failure("expected \(what), found \(events[index].phrase)")
        }
        index += 1
        var result: [T] = []
        var k = 0
        while true {
            if case .close = events[index] {
                index += 1
                return result
            }
            path.append(k)
            result.append(try element(&self))
            path.removeLast()
            k += 1
        }
    }
}
