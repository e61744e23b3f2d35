import Foundation
import OrderedCollections

/// One feature as read from a GeoJSON document (or from any layer source: Gridwork's `FeatureSource`), with where
/// it was and whether its geometry decoded.
public struct FeatureRecord: Sendable, Hashable {
    /// Where the feature's object starts in the source, and its index in `features`.
    public var location: SourceLocation
    /// The feature's `id` member: a string or a number (nil when absent or null).
    public var id: FeatureID?
    /// Properties in the order the file gives them (`null` properties read as empty).
    public var properties: OrderedDictionary<String, JSONValue>
    /// The geometry (nil for `"geometry": null`), or why this feature could not be decoded.
    /// Problems with the feature's other members (a `type` other than `"Feature"`, an `id` that is
    /// not a string or number, `properties` that are not an object) are reported here too.
    public var geometry: Result<Geometry?, GeometryDecodingError>

    public init(location: SourceLocation, id: FeatureID?, properties: OrderedDictionary<String, JSONValue>,
                geometry: Result<Geometry?, GeometryDecodingError>) {
        self.location = location
        self.id = id
        self.properties = properties
        self.geometry = geometry
    }

    /// The feature, or the decoding error of its geometry.
    public func feature() throws(GeometryDecodingError) -> Feature {
        Feature(id: id, geometry: try geometry.get(), properties: properties)
    }
}

/// A streaming RFC 7946 reader: yields the features of a FeatureCollection one at a time while
/// reading the input in chunks (1 MiB by default), so memory stays at about one chunk plus one
/// feature whatever the file's size. A document that is a single Feature or a bare geometry
/// yields that one feature.
///
/// JSON syntax errors throw ``GeoJSONError`` with the line and column; a feature whose geometry is
/// malformed is returned with ``FeatureRecord/geometry`` set to `.failure`, and reading goes on.
/// The non-standard numbers `NaN`, `Infinity` and `-Infinity` are accepted so that validation can
/// report them. Rings are kept exactly as written; z and m values are dropped; `crs`, `bbox` and
/// foreign members are ignored.
///
/// Not thread-safe: use one reader from one task at a time.
public final class GeoJSONFeatureReader {
    /// Default read size.
    public static let defaultChunkSize = 1 << 20

    private enum State {
        case start
        /// Inside the `features` array, before the element with this index.
        case inFeatures(Int)
        /// Reading the remaining members of the top-level object (after `features`).
        case topLevelMembers
        /// A single Feature or geometry document, not yet returned.
        case single(FeatureRecord)
        case done
        case failed(GeoJSONError)
    }

    private let scanner: JSONScanner
    private var decoder = GeometryDecoder()
    private var state = State.start
    private var topType: String?
    private var topMembers = OrderedDictionary<String, JSONValue>()
    private var topLocation = SourceLocation(line: 1, column: 1, featureIndex: 0)
    private var sawFeatures = false

    /// Opens a GeoJSON file for reading.
    /// - Throws: ``GeoJSONError`` of kind `.io` when the file cannot be opened.
    public convenience init(path: String) throws {
        try self.init(path: path, chunkSize: Self.defaultChunkSize)
    }

    /// Opens a file, reading it `chunkSize` bytes at a time.
    public init(path: String, chunkSize: Int) throws {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        } catch {
            throw GeoJSONError(kind: .io, message: "cannot open for reading (\(Self.reason(error)))", file: path)
        }
        scanner = JSONScanner(source: .file(handle, path: path), chunkSize: chunkSize)
    }

    /// Reads a document held in memory.
    public convenience init(bytes: [UInt8]) {
        self.init(bytes: bytes, chunkSize: Self.defaultChunkSize)
    }

    /// Reads a document held in memory, `chunkSize` bytes at a time (tiny sizes exercise tokens
    /// that straddle chunk boundaries).
    public init(bytes: [UInt8], chunkSize: Int) {
        scanner = JSONScanner(source: .memory(bytes, offset: 0), chunkSize: chunkSize)
    }

    /// Bytes of read buffer currently allocated: about one chunk plus the largest token seen.
    public var bufferCapacity: Int { scanner.bufferCapacity }

    /// The next feature, or nil at the end of the document.
    /// - Throws: ``GeoJSONError`` for JSON syntax errors and non-GeoJSON document structure; after
    ///   an error every further call throws the same error.
    public func next() throws -> FeatureRecord? {
        do {
            switch state {
            case .start:
                try readDocumentStart()
                return try next()
            case .inFeatures(let index):
                return try readFeatureElement(index)
            case .topLevelMembers:
                try readTopLevelMembers()
                return try next()
            case .single(let record):
                state = .done
                return record
            case .done:
                return nil
            case .failed(let error):
                throw error
            }
        } catch let error as GeoJSONError {
            state = .failed(error)
            throw error
        }
    }

    /// Reads every feature of a file (geometry errors stay in the records).
    public static func readAll(path: String) throws -> [FeatureRecord] {
        let reader = try GeoJSONFeatureReader(path: path)
        var records: [FeatureRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    /// Reads every feature of a file, throwing on the first feature whose geometry is malformed.
    public static func readFeatures(path: String) throws -> [Feature] {
        let reader = try GeoJSONFeatureReader(path: path)
        var features: [Feature] = []
        while let record = try reader.next() {
            do {
                features.append(try record.feature())
            } catch {
                throw GeoJSONError(kind: .geometry, message: "feature #\(record.location.featureIndex)"
                                   + (record.id.map { " (id \($0))" } ?? "") + ": \(error.message)",
                                   line: record.location.line, column: record.location.column, file: path)
            }
        }
        return features
    }

    // MARK: Document structure

    private func readDocumentStart() throws {
        try scanner.skipByteOrderMark()
        let c = try scanner.skipWhitespace()
        guard c == UInt8(ascii: "{") else {
            if c == nil { throw scanner.error("the document is empty; expected a GeoJSON object", kind: .structure) }
            throw scanner.unexpected(c, expected: "expected '{' to start a GeoJSON object")
        }
        let (line, column) = scanner.location()
        topLocation = SourceLocation(line: line, column: column, featureIndex: 0)
        scanner.pos += 1
        if try scanner.skipWhitespace() == UInt8(ascii: "}") {
            scanner.pos += 1
            try finishDocument()
            return
        }
        try readTopLevelMembers(first: true)
    }

    /// Reads top-level members up to the `features` array (then switches to streaming it) or to
    /// the closing brace. `scanner.pos` is at a member name (first) or after a member.
    private func readTopLevelMembers(first: Bool = false) throws {
        var atMember = first
        var lastKey = ""
        while true {
            if !atMember {
                let c = try scanner.skipWhitespace()
                if c == UInt8(ascii: "}") {
                    scanner.pos += 1
                    try finishDocument()
                    return
                }
                guard c == UInt8(ascii: ",") else {
                    let after = lastKey.isEmpty ? "'features' array" : "object member \"\(lastKey)\""
                    throw scanner.unexpected(c, expected: "expected ',' or '}' after \(after)")
                }
                scanner.pos += 1
            }
            atMember = false
            let c = try scanner.skipWhitespace()
            guard c == UInt8(ascii: "\"") else { throw scanner.unexpected(c, expected: "expected a member name string") }
            let key = try scanner.readString()
            lastKey = key
            try scanner.expect(UInt8(ascii: ":"), "expected ':' after member name \"\(key)\"")
            if key == "features" && !sawFeatures && (topType == nil || topType == "FeatureCollection") {
                sawFeatures = true
                let c = try scanner.skipWhitespace()
                guard c == UInt8(ascii: "[") else {
                    throw scanner.error("'features' must be an array, found \(Self.describeStart(c))", kind: .structure)
                }
                scanner.pos += 1
                if try scanner.skipWhitespace() == UInt8(ascii: "]") {
                    scanner.pos += 1
                    lastKey = ""
                    continue
                }
                state = .inFeatures(0)
                return
            }
            let value = try scanner.readValue(depth: 1)
            if key == "type" {
                guard case .string(let name) = value else {
                    throw scanner.error("the top-level 'type' must be a string", kind: .structure)
                }
                topType = name
            }
            topMembers[key] = value
        }
    }

    private static func describeStart(_ c: UInt8?) -> String {
        switch c {
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "n"): "null"
        default: JSONScanner.describe(c)
        }
    }

    /// Reads one element of `features` and the `,` or `]` after it.
    private func readFeatureElement(_ index: Int) throws -> FeatureRecord {
        let c = try scanner.skipWhitespace()
        guard c == UInt8(ascii: "{") else {
            if c == nil { throw scanner.unexpected(nil, expected: "expected a Feature object in 'features'") }
            throw scanner.error("expected a Feature object in 'features', found \(Self.describeStart(c))", kind: .structure)
        }
        let record = try readFeature(index: index)
        let after = try scanner.skipWhitespace()
        if after == UInt8(ascii: ",") {
            scanner.pos += 1
            state = .inFeatures(index + 1)
        } else if after == UInt8(ascii: "]") {
            scanner.pos += 1
            state = .topLevelMembers
        } else {
            throw scanner.unexpected(after, expected: "expected ',' or ']' after feature #\(index) in 'features'")
        }
        return record
    }

    /// At the end of the top-level object: checks nothing follows, then decides what the document was.
    private func finishDocument() throws {
        if let c = try scanner.skipWhitespace() {
            throw scanner.unexpected(c, expected: "expected the end of the document after the GeoJSON object")
        }
        if sawFeatures {
            state = .done
            return
        }
        guard let topType else {
            throw GeoJSONError(kind: .structure, message: "the GeoJSON object has no 'type' member",
                               line: topLocation.line, column: topLocation.column, file: scanner.fileName)
        }
        switch topType {
        case "FeatureCollection":
            throw GeoJSONError(kind: .structure, message: "the FeatureCollection has no 'features' array",
                               line: topLocation.line, column: topLocation.column, file: scanner.fileName)
        case "Feature":
            // Re-read the (small) object through the same feature decoder.
            let inner = JSONScanner(source: .memory(Array(GeoJSONEncoder.encodeValue(.object(topMembers)).utf8), offset: 0),
                                    chunkSize: Self.defaultChunkSize)
            _ = try inner.skipWhitespace()
            var record = try readFeature(from: inner, index: 0)
            record.location = topLocation
            state = .single(record)
        case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
            let inner = JSONScanner(source: .memory(Array(GeoJSONEncoder.encodeValue(.object(topMembers)).utf8), offset: 0),
                                    chunkSize: Self.defaultChunkSize)
            let geometry = try decoder.readGeometry(inner, path: "", depth: 0)
            state = .single(FeatureRecord(location: topLocation, id: nil, properties: [:], geometry: geometry))
        default:
            throw GeoJSONError(kind: .structure,
                               message: "unknown GeoJSON type '\(topType)' (expected FeatureCollection, Feature or a geometry type)",
                               line: topLocation.line, column: topLocation.column, file: scanner.fileName)
        }
    }

    // MARK: Features

    private func readFeature(index: Int) throws -> FeatureRecord {
        try readFeature(from: scanner, index: index)
    }

    /// Reads a Feature object; `scanner.pos` must be at its `{`.
    private func readFeature(from scanner: JSONScanner, index: Int) throws -> FeatureRecord {
        let (line, column) = scanner.location()
        var id: FeatureID?
        var properties = OrderedDictionary<String, JSONValue>()
        var geometry: Result<Geometry?, GeometryDecodingError>?
        var problem: GeometryDecodingError?
        func note(_ path: String, _ reason: String) {
            if problem == nil { problem = GeometryDecodingError(path: path, reason: reason) }
        }

        try scanner.readObject(depth: 1) { key in
            switch key {
            case "type":
                let value = try scanner.readValue(depth: 2)
                if value != .string("Feature") {
                    let found = value.stringValue.map { "'\($0)'" } ?? JSONValueKind(value).phrase
                    note("type", "expected a 'type' of 'Feature' for an element of 'features', found \(found)")
                }
            case "id":
                switch try scanner.readValue(depth: 2) {
                case .string(let s): id = .string(s)
                case .number(let n): id = .number(n)
                case .null: id = nil
                case let other: note("id", "a feature id must be a string or a number, found \(JSONValueKind(other).phrase)")
                }
            case "properties":
                switch try scanner.readValue(depth: 2) {
                case .object(let object): properties = object
                case .null: properties = [:]
                case let other: note("properties", "'properties' must be an object or null, found \(JSONValueKind(other).phrase)")
                }
            case "geometry":
                geometry = try decoder.readGeometry(scanner, path: "geometry", depth: 2)
            default:
                try scanner.skipValue(depth: 2)  // bbox, crs, foreign members
            }
        }
        let result: Result<Geometry?, GeometryDecodingError>
        if let problem {
            result = .failure(problem)
        } else if let geometry {
            result = geometry
        } else {
            result = .failure(GeometryDecodingError(path: "geometry",
                                                    reason: "the feature has no 'geometry' member (write \"geometry\": null for a feature without one)"))
        }
        return FeatureRecord(location: SourceLocation(line: line, column: column, featureIndex: index),
                             id: id, properties: properties, geometry: result)
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return nsError.localizedDescription
    }
}
