import Foundation
import NIOCore

/// Rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, backslash escapes), built in memory and
/// sent by `PostgresSession.copy` in chunks of about 1 MiB.
///
/// Geometry columns take hex EWKB (`ewkbHex(wkb:srid:)`): PostGIS parses it on input, with the SRID the typed
/// column requires.
public struct CopyText: Sendable {
    public private(set) var chunks: [ByteBuffer] = []
    private var current = ByteBuffer()
    public private(set) var rowCount = 0
    static let chunkSize = 1 << 20

    public init() {
        current.reserveCapacity(Self.chunkSize + 4096)
    }

    /// Appends one row; values in column order.
    public mutating func append(_ values: [PGValue]) {
        for (i, value) in values.enumerated() {
            if i > 0 { current.writeInteger(UInt8(ascii: "\t")) }
            switch value {
            case .null: current.writeStaticString("\\N")
            case .bool(let b): current.writeStaticString(b ? "t" : "f")
            case .int(let v): current.writeString(String(v))
            case .double(let v): current.writeString(v.isFinite ? "\(v)" : (v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity")))
            case .text(let s): writeEscaped(s)
            case .bytes(let b):
                // bytea in hex form: \x…, the backslash escaped for COPY.
                current.writeStaticString("\\\\x")
                writeHex(b)
            }
        }
        current.writeInteger(UInt8(ascii: "\n"))
        rowCount += 1
        if current.readableBytes >= Self.chunkSize { flush() }
    }

    /// Appends a raw field already in COPY form (such as `ewkbHex`), for `append(fields:)`.
    public mutating func append(rawRow fields: [String?]) {
        for (i, field) in fields.enumerated() {
            if i > 0 { current.writeInteger(UInt8(ascii: "\t")) }
            if let field { current.writeString(field) } else { current.writeStaticString("\\N") }
        }
        current.writeInteger(UInt8(ascii: "\n"))
        rowCount += 1
        if current.readableBytes >= Self.chunkSize { flush() }
    }

    private mutating func flush() {
        chunks.append(current)
        current = ByteBuffer()
        current.reserveCapacity(Self.chunkSize + 4096)
    }

    /// All chunks, the last partial one included.
    public var allChunks: [ByteBuffer] {
        current.readableBytes > 0 ? chunks + [current] : chunks
    }

    private mutating func writeEscaped(_ s: String) {
        var needs = false
        for b in s.utf8 where b == UInt8(ascii: "\\") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
            needs = true
            break
        }
        guard needs else { current.writeString(s); return }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): current.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): current.writeStaticString("\\t")
            case UInt8(ascii: "\n"): current.writeStaticString("\\n")
            case UInt8(ascii: "\r"): current.writeStaticString("\\r")
            default: current.writeInteger(b)
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func writeHex(_ bytes: [UInt8]) {
        for b in bytes {
            current.writeInteger(Self.hexDigits[Int(b >> 4)])
            current.writeInteger(Self.hexDigits[Int(b & 0x0f)])
        }
    }

    /// Hex EWKB of an ISO/OGC WKB geometry with `srid` set on the outer geometry (for COPY into `geometry(…, srid)`).
    /// Accepts WKB of either byte order; 2D only (what the county layers hold).
    public static func ewkbHex(wkb: [UInt8], srid: Int32) -> String {
        precondition(wkb.count >= 5, "WKB too short")
        var out = [UInt8]()
        out.reserveCapacity(wkb.count * 2 + 16)
        func hex(_ b: UInt8) {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0f)])
        }
        let little = wkb[0] == 1
        hex(wkb[0])
        var type = little
            ? UInt32(wkb[1]) | UInt32(wkb[2]) << 8 | UInt32(wkb[3]) << 16 | UInt32(wkb[4]) << 24
            : UInt32(wkb[4]) | UInt32(wkb[3]) << 8 | UInt32(wkb[2]) << 16 | UInt32(wkb[1]) << 24
        type |= 0x2000_0000
        let typeBytes = little ? [UInt8(type & 0xff), UInt8(type >> 8 & 0xff), UInt8(type >> 16 & 0xff), UInt8(type >> 24)]
                               : [UInt8(type >> 24), UInt8(type >> 16 & 0xff), UInt8(type >> 8 & 0xff), UInt8(type & 0xff)]
        typeBytes.forEach(hex)
        let s = UInt32(bitPattern: srid)
        let sridBytes = little ? [UInt8(s & 0xff), UInt8(s >> 8 & 0xff), UInt8(s >> 16 & 0xff), UInt8(s >> 24)]
                               : [UInt8(s >> 24), UInt8(s >> 16 & 0xff), UInt8(s >> 8 & 0xff), UInt8(s & 0xff)]
        sridBytes.forEach(hex)
        for b in wkb[5...] { hex(b) }
        return String(decoding: out, as: UTF8.self)
    }
}
