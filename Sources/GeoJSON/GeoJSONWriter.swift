import Foundation
import OrderedCollections

/// How features are written as GeoJSON.
public struct GeoJSONWriteOptions: Sendable, Hashable {
    /// Maximum number of decimals for coordinates and bounding boxes (trailing zeros are removed;
    /// values are rounded half away from zero). 7 decimals of a degree is about 1 cm.
    /// Property numbers and numeric ids are always written exactly (shortest round-trip form).
    public var precision: Int = 7
    /// Write a `bbox` member on each feature that has a geometry.
    public var featureBBox: Bool = true
    /// Write a `bbox` member on the FeatureCollection (the union of the features' boxes).
    public var collectionBBox: Bool = true
    /// Orient rings as RFC 7946 section 3.1.6 asks: exteriors counter-clockwise, holes clockwise.
    public var rewind: Bool = true

    public init(precision: Int = 7, featureBBox: Bool = true, collectionBBox: Bool = true, rewind: Bool = true) {
        self.precision = precision
        self.featureBBox = featureBBox
        self.collectionBBox = collectionBBox
        self.rewind = rewind
    }
}

/// Encodes features and geometries as RFC 7946 GeoJSON text.
///
/// Output is compact and deterministic: members in a fixed order (`type`, `id`, `bbox`,
/// `properties`, `geometry`), properties in stored order, no `crs` member, non-ASCII written as
/// UTF-8. Non-finite numbers (which JSON cannot express) are written as `null`.
public enum GeoJSONEncoder {
    /// One Feature object.
    public static func encode(_ feature: Feature, options: GeoJSONWriteOptions = GeoJSONWriteOptions()) -> String {
        var output = JSONOutput(options: options)
        _ = output.feature(feature)
        return output.string
    }

    /// One geometry object.
    public static func encode(_ geometry: Geometry, options: GeoJSONWriteOptions = GeoJSONWriteOptions()) -> String {
        var output = JSONOutput(options: options)
        output.geometry(geometry)
        return output.string
    }

    /// A FeatureCollection, one feature per line.
    public static func encodeCollection(_ features: [Feature], options: GeoJSONWriteOptions = GeoJSONWriteOptions()) -> String {
        var output = JSONOutput(options: options)
        output.collectionStart()
        var box: BoundingBox?
        for (index, feature) in features.enumerated() {
            output.raw(index == 0 ? "\n" : ",\n")
            box = union(box, output.feature(feature))
        }
        output.collectionEnd(bbox: box)
        return output.string
    }

    /// Any JSON value, numbers exact; with `nonFiniteTokens`, NaN and infinities are written as the
    /// reader's non-standard tokens (used internally to re-read a document through the decoder).
    static func encodeValue(_ value: JSONValue, nonFiniteTokens: Bool = true) -> String {
        var output = JSONOutput(options: GeoJSONWriteOptions())
        output.nonFiniteTokens = nonFiniteTokens
        output.value(value)
        return output.string
    }

    static func union(_ a: BoundingBox?, _ b: BoundingBox?) -> BoundingBox? {
        guard var a else { return b }
        if let b { a.extend(b) }
        return a
    }
}

/// A FeatureCollection written to a file one feature at a time through a 1 MiB buffer.
///
/// Call ``finish()`` once after the last feature: it writes the closing brackets and the
/// collection's `bbox` (after the `features` array) and closes the file. A writer dropped
/// without `finish()` closes its file, leaving an incomplete document.
public final class GeoJSONFeatureWriter {
    private let handle: FileHandle
    private let path: String
    private var output: JSONOutput
    private var box: BoundingBox?
    private var finished = false
    private static let flushThreshold = 1 << 20

    /// Features written so far.
    public private(set) var featureCount = 0

    /// Creates (or truncates) the file at `path`.
    /// - Throws: ``GeoJSONError`` of kind `.io` when the file cannot be created.
    public init(path: String, options: GeoJSONWriteOptions = GeoJSONWriteOptions()) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw GeoJSONError(kind: .io, message: "cannot create the file (does the directory exist and is it writable?)", file: path)
        }
        do {
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } catch {
            throw GeoJSONError(kind: .io, message: "cannot open for writing (\(error.localizedDescription))", file: path)
        }
        output = JSONOutput(options: options)
        output.bytes.reserveCapacity(Self.flushThreshold + (64 << 10))
        output.collectionStart()
    }

    deinit {
        if !finished { try? handle.close() }
    }

    /// Appends one feature.
    public func write(_ feature: Feature) throws {
        guard !finished else {
            throw GeoJSONError(kind: .io, message: "write(_:) called after finish()", file: path)
        }
        output.raw(featureCount == 0 ? "\n" : ",\n")
        box = GeoJSONEncoder.union(box, output.feature(feature))
        featureCount += 1
        if output.bytes.count >= Self.flushThreshold { try flush() }
    }

    /// Ends the collection, flushes and closes the file.
    public func finish() throws {
        guard !finished else { return }
        output.collectionEnd(bbox: box)
        try flush()
        finished = true
        do {
            try handle.close()
        } catch {
            throw GeoJSONError(kind: .io, message: "cannot close (\(error.localizedDescription))", file: path)
        }
    }

    private func flush() throws {
        guard !output.bytes.isEmpty else { return }
        do {
            try handle.write(contentsOf: output.bytes)
        } catch {
            throw GeoJSONError(kind: .io, message: "cannot write (\(error.localizedDescription))", file: path)
        }
        output.bytes.removeAll(keepingCapacity: true)
    }
}

/// The byte-level JSON emitter shared by the encoder and the file writer.
struct JSONOutput {
    var bytes: [UInt8] = []
    let options: GeoJSONWriteOptions
    /// Write NaN/Infinity as tokens instead of null (internal re-reading only).
    var nonFiniteTokens = false
    private let precision: Int
    private let scale: Double
    private let scaleInt: Int64

    init(options: GeoJSONWriteOptions) {
        self.options = options
        precision = min(max(options.precision, 0), 15)
        var s: Int64 = 1
        for _ in 0..<precision { s *= 10 }
        scaleInt = s
        scale = Double(s)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    // MARK: Numbers

    /// A coordinate: at most `precision` decimals, trailing zeros removed.
    mutating func coordinate(_ v: Double) {
        guard v.isFinite else { return nonFinite(v) }
        let scaled = (v * scale).rounded(.toNearestOrAwayFromZero)
        guard abs(scaled) < 9.0e15 else { return exact(v) }  // too large for the integer path
        var n = Int64(scaled)
        if n == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        if n < 0 {
            bytes.append(UInt8(ascii: "-"))
            n = -n
        }
        integer(UInt64(n / scaleInt))
        var fraction = n % scaleInt
        guard fraction != 0 else { return }
        var digits = precision
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        bytes.append(UInt8(ascii: "."))
        var buffer: (UInt64, UInt64) = (0, 0)  // 16 bytes of scratch, enough for 15 digits
        withUnsafeMutableBytes(of: &buffer) { raw in
            var k = digits
            while k > 0 {
                k -= 1
                raw[k] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            bytes.append(contentsOf: raw.prefix(digits))
        }
    }

    /// A property number or id: exact (shortest round-trip); whole numbers without ".0".
    mutating func exact(_ v: Double) {
        guard v.isFinite else { return nonFinite(v) }
        if v == v.rounded(.towardZero) && abs(v) < 9.0e15 {
            let n = Int64(v)
            if n < 0 { bytes.append(UInt8(ascii: "-")) }
            integer(n.magnitude)
        } else {
            bytes.append(contentsOf: v.description.utf8)  // e.g. "0.1", "1e-07", "1.5e+300": valid JSON
        }
    }

    private mutating func nonFinite(_ v: Double) {
        if !nonFiniteTokens {
            raw("null")
        } else if v.isNaN {
            raw("NaN")
        } else {
            raw(v < 0 ? "-Infinity" : "Infinity")
        }
    }

    private mutating func integer(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, enough for 20 digits
        var v = value
        withUnsafeMutableBytes(of: &buffer) { raw in
            var k = raw.count
            while v > 0 {
                k -= 1
                raw[k] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: raw[k...])
        }
    }

    // MARK: Strings and values

    /// A string with `"`, `\` and control characters escaped; everything else as UTF-8.
    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0x00..<0x20:
                raw("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .number(let n): exact(n)
        case .string(let s): string(s)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            object(members)
        }
    }

    mutating func object(_ members: OrderedDictionary<String, JSONValue>) {
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (key, member) in members {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            string(key)
            bytes.append(UInt8(ascii: ":"))
            value(member)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    // MARK: GeoJSON

    mutating func collectionStart() {
        raw("{\"type\":\"FeatureCollection\",\"features\":[")
    }

    mutating func collectionEnd(bbox: BoundingBox?) {
        raw("\n]")
        if options.collectionBBox, let bbox {
            raw(",\"bbox\":")
            self.bbox(bbox)
        }
        raw("}\n")
    }

    /// Writes a Feature object and returns its geometry's bounding box.
    mutating func feature(_ feature: Feature) -> BoundingBox? {
        raw("{\"type\":\"Feature\"")
        switch feature.id {
        case .string(let s)?:
            raw(",\"id\":")
            string(s)
        case .number(let n)?:
            raw(",\"id\":")
            exact(n)
        case nil:
            break
        }
        let box = feature.geometry?.boundingBox
        if options.featureBBox, let box {
            raw(",\"bbox\":")
            bbox(box)
        }
        raw(",\"properties\":")
        object(feature.properties)
        raw(",\"geometry\":")
        if let geometry = feature.geometry { self.geometry(geometry) } else { raw("null") }
        bytes.append(UInt8(ascii: "}"))
        return box
    }

    mutating func bbox(_ box: BoundingBox) {
        bytes.append(UInt8(ascii: "["))
        coordinate(box.minX)
        bytes.append(UInt8(ascii: ","))
        coordinate(box.minY)
        bytes.append(UInt8(ascii: ","))
        coordinate(box.maxX)
        bytes.append(UInt8(ascii: ","))
        coordinate(box.maxY)
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func geometry(_ geometry: Geometry) {
        raw("{\"type\":\"")
        bytes.append(contentsOf: geometry.typeName.utf8)
        if case .geometryCollection(let members) = geometry {
            raw("\",\"geometries\":[")
            for (i, member) in members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                self.geometry(member)
            }
            raw("]}")
            return
        }
        raw("\",\"coordinates\":")
        switch geometry {
        case .point(let p): position(p)
        case .multiPoint(let ps), .lineString(let ps): positions(ps[...], reversed: false)
        case .multiLineString(let lines):
            bytes.append(UInt8(ascii: "["))
            for (i, line) in lines.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                positions(line[...], reversed: false)
            }
            bytes.append(UInt8(ascii: "]"))
        case .polygon(let polygon): self.polygon(polygon)
        case .multiPolygon(let multi):
            bytes.append(UInt8(ascii: "["))
            for (i, polygon) in multi.polygons.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                self.polygon(polygon)
            }
            bytes.append(UInt8(ascii: "]"))
        case .geometryCollection: break  // handled above
        }
        bytes.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    mutating func position(_ p: Position) {
        bytes.append(UInt8(ascii: "["))
        coordinate(p.x)
        bytes.append(UInt8(ascii: ","))
        coordinate(p.y)
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func positions(_ ps: ArraySlice<Position>, reversed: Bool) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        if reversed {
            for p in ps.reversed() {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                position(p)
            }
        } else {
            for p in ps {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                position(p)
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Rings as stored, or rewound (exterior counter-clockwise, holes clockwise) when asked.
    mutating func polygon(_ polygon: Polygon) {
        if polygon.exterior.positions.isEmpty && polygon.holes.isEmpty {
            raw("[]")  // the empty polygon
            return
        }
        bytes.append(UInt8(ascii: "["))
        positions(polygon.exterior.positions[...], reversed: options.rewind && polygon.exterior.signedArea2 < 0)
        for hole in polygon.holes {
            bytes.append(UInt8(ascii: ","))
            positions(hole.positions[...], reversed: options.rewind && hole.signedArea2 > 0)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}

extension JSONValue {
    /// The value as standard JSON text (numbers exact, non-finite numbers as null).
    public var jsonText: String { GeoJSONEncoder.encodeValue(self, nonFiniteTokens: false) }
}
