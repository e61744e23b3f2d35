import Foundation
import OrderedCollections

/// Where the scanner's bytes come from.
enum ByteSource {
    /// An open file, read with POSIX `read(2)` on the handle's descriptor.
    case file(FileHandle, path: String)
    /// Bytes in memory, handed out `chunkSize` at a time (so tests can make tokens straddle chunks).
    case memory([UInt8], offset: Int)
}

/// A streaming JSON tokenizer over a refillable byte buffer.
///
/// The buffer holds the current chunk plus the unfinished token at its end, so memory stays at
/// about `chunkSize` plus the largest single token whatever the document's size. Positions are
/// tracked as a 1-based line and a 1-based byte column for error messages.
///
/// Tokens are read at `pos`; a token is consumed (`pos` advanced) only when it is complete, and
/// `refill()` keeps the bytes from `pos` on, so an index relative to `pos` survives a refill.
final class JSONScanner {
    /// Nesting deeper than this is rejected so a hostile file cannot overflow the stack.
    static let maximumDepth = 512

    private(set) var storage: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// Index of the next unread byte.
    var pos = 0
    /// One past the last valid byte.
    private(set) var end = 0
    let chunkSize: Int
    private var source: ByteSource
    private(set) var atEndOfInput = false

    /// Absolute offset in the input of `storage[0]`.
    private var baseOffset = 0
    /// 1-based line of `pos` (maintained by `skipWhitespace`, the only place newlines are legal).
    private(set) var line = 1
    /// Absolute offset of the first byte of the current line.
    private var lineStartOffset = 0
    /// Scratch space for strings with escapes.
    private var scratch: [UInt8] = []

    var fileName: String? {
        if case .file(_, let path) = source { return path }
        return nil
    }

    init(source: ByteSource, chunkSize: Int) {
        self.source = source
        self.chunkSize = max(1, chunkSize)
        self.capacity = self.chunkSize + 64
        self.storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deallocate()
        if case .file(let handle, _) = source { try? handle.close() }
    }

    /// Bytes of buffer currently allocated (for tests of bounded memory).
    var bufferCapacity: Int { capacity }

    // MARK: Buffer

    /// Keeps the bytes from `pos` on, moves them to the front and reads up to `chunkSize` more.
    /// Returns false at the end of the input.
    func refill() throws -> Bool {
        if atEndOfInput { return false }
        if pos > 0 {
            let remaining = end - pos
            if remaining > 0 { memmove(storage, storage + pos, remaining) }
            baseOffset += pos
            end = remaining
            pos = 0
        }
        if capacity - end < chunkSize {
            let newCapacity = max(capacity * 2, end + chunkSize)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: storage, count: end)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
        let count: Int
        switch source {
        case .file(let handle, let path):
            count = try Self.readFile(handle.fileDescriptor, into: storage + end, count: chunkSize, path: path)
        case .memory(let bytes, let offset):
            count = min(chunkSize, bytes.count - offset)
            if count > 0 {
                bytes.withUnsafeBufferPointer { (storage + end).update(from: $0.baseAddress! + offset, count: count) }
            }
            source = .memory(bytes, offset: offset + count)
        }
        if count == 0 {
            atEndOfInput = true
            // Release the memory source's bytes early.
            if case .memory = source { source = .memory([], offset: 0) }
            return false
        }
        end += count
        return true
    }

    /// Reads with POSIX `read(2)`, retrying on `EINTR`.
    private static func readFile(_ fd: Int32, into buffer: UnsafeMutablePointer<UInt8>, count: Int, path: String) throws -> Int {
        while true {
            let n = read(fd, buffer, count)  // returns -1 and sets errno on failure
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw GeoJSONError(kind: .io, message: "cannot read: \(String(cString: strerror(errno)))", file: path)
        }
    }

    // MARK: Errors

    /// The line and column of the byte `offset` bytes after `pos` (which must be on the current line).
    func location(offset: Int = 0) -> (line: Int, column: Int) {
        (line, baseOffset + pos + offset - lineStartOffset + 1)
    }

    func error(_ message: String, offset: Int = 0, kind: GeoJSONError.Kind = .syntax) -> GeoJSONError {
        let (line, column) = location(offset: offset)
        return GeoJSONError(kind: kind, message: message, line: line, column: column, file: fileName)
    }

    /// An error for byte `found` (nil at the end of input) where `expected` was expected.
    func unexpected(_ found: UInt8?, expected: String, offset: Int = 0) -> GeoJSONError {
        error("\(expected), found \(Self.describe(found))", offset: offset)
    }

    static func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "end of file (the document is truncated)" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte == 0x20 { return "' '" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    /// Skips a UTF-8 byte order mark at the start of the input (RFC 8259 section 8.1 lets
    /// parsers ignore it; some Windows tools write one). Columns on line 1 count from after it.
    func skipByteOrderMark() throws {
        while end - pos < 3 {
            if try !refill() { break }
        }
        if end - pos >= 3 && storage[pos] == 0xEF && storage[pos + 1] == 0xBB && storage[pos + 2] == 0xBF {
            pos += 3
            lineStartOffset = baseOffset + pos
        }
    }

    // MARK: Whitespace and punctuation

    /// Skips JSON whitespace and returns the next byte without consuming it, or nil at the end of input.
    @inline(__always)
    func skipWhitespace() throws -> UInt8? {
        while true {
            while pos < end {
                let c = storage[pos]
                if c > 0x20 { return c }
                switch c {
                case 0x20, 0x09, 0x0D: pos += 1
                case 0x0A:
                    pos += 1
                    line += 1
                    lineStartOffset = baseOffset + pos
                default: return c
                }
            }
            if try !refill() { return nil }
        }
    }

    /// Consumes `byte` after optional whitespace, or throws "`expected`, found ...".
    @inline(__always)
    func expect(_ byte: UInt8, _ expected: @autoclosure () -> String) throws {
        let c = try skipWhitespace()
        guard c == byte else { throw unexpected(c, expected: expected()) }
        pos += 1
    }

    /// Consumes `literal` exactly (e.g. `true`), or throws naming what was expected.
    func readLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        let bytes = literal.utf8Start
        for i in 0..<count {
            while pos + i >= end {
                if try !refill() { throw unexpected(nil, expected: "expected '\(literal)'", offset: i) }
            }
            if storage[pos + i] != bytes[i] {
                throw unexpected(storage[pos + i], expected: "expected '\(literal)'", offset: i)
            }
        }
        pos += count
    }

    // MARK: Numbers

    /// Reads a JSON number at `pos` (also `NaN`, `Infinity` and `-Infinity`).
    /// The value equals what `Double(String)` gives for the same text.
    func readNumber() throws -> Double {
        while true {
            switch NumberParser.parse(storage + pos, count: end - pos, complete: atEndOfInput) {
            case .value(let value, let length):
                pos += length
                return value
            case .needMoreInput:
                if try !refill() {
                    // atEndOfInput is now true: the next parse sees the token as complete.
                    continue
                }
            case .invalid(let message, let offset):
                let found: UInt8? = pos + offset < end ? storage[pos + offset] : nil
                throw unexpected(found, expected: message, offset: offset)
            }
        }
    }

    // MARK: Strings

    /// Reads a JSON string; `pos` must be at its opening quote.
    func readString() throws -> String {
        var i = 1
        // Fast path: no escapes.
        while true {
            while pos + i < end {
                let c = storage[pos + i]
                if c == UInt8(ascii: "\"") {
                    let string = try Self.decodeUTF8(UnsafeBufferPointer(start: storage + pos + 1, count: i - 1), scanner: self)
                    pos += i + 1
                    return string
                }
                if c == UInt8(ascii: "\\") { return try readEscapedString(from: i) }
                if c < 0x20 { throw controlCharacter(c, offset: i) }
                i += 1
            }
            if try !refill() { throw unexpected(nil, expected: "expected '\"' to end the string", offset: i) }
        }
    }

    /// Decodes UTF-8, throwing on invalid sequences (ASCII, the common case, needs no check).
    @inline(__always)
    private static func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, scanner: JSONScanner) throws -> String {
        let string = String(decoding: bytes, as: UTF8.self)
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        // Decoding replaces invalid sequences with U+FFFD, so valid input decodes to the same bytes.
        if !ascii && !string.utf8.elementsEqual(bytes) {
            throw scanner.error("invalid UTF-8 in string; the file must be UTF-8 encoded")
        }
        return string
    }

    private func controlCharacter(_ c: UInt8, offset: Int) -> GeoJSONError {
        error("control character \(Self.describe(c)) in string; write it escaped (e.g. \\n or \\u00XX)", offset: offset)
    }

    /// Byte `i` after `pos`, refilling as needed; throws on end of input inside a string.
    @inline(__always)
    private func stringByte(_ i: Int) throws -> UInt8 {
        while pos + i >= end {
            if try !refill() { throw unexpected(nil, expected: "expected '\"' to end the string", offset: i) }
        }
        return storage[pos + i]
    }

    /// Slow path of `readString`: bytes `1..<i` are plain, byte `i` is a backslash.
    private func readEscapedString(from start: Int) throws -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: storage + pos + 1, count: start - 1))
        var i = start
        while true {
            let c = try stringByte(i)
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw controlCharacter(c, offset: i) }
            if c != UInt8(ascii: "\\") {
                scratch.append(c)
                i += 1
                continue
            }
            let escape = try stringByte(i + 1)
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: i + 2)
                var length = 6
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate: pair it with a following \uDC00-\uDFFF if there is one.
                    if try stringByte(i + 6) == UInt8(ascii: "\\"), try stringByte(i + 7) == UInt8(ascii: "u") {
                        let low = try hex4(at: i + 8)
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            length = 12
                        }
                    }
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"  // lone surrogates become U+FFFD
                scratch.append(contentsOf: String(Character(unicode)).utf8)
                i += length
                continue
            default:
                throw unexpected(escape, expected: "expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX) after '\\'", offset: i + 1)
            }
            i += 2
        }
        let string = try scratch.withUnsafeBufferPointer { try Self.decodeUTF8($0, scanner: self) }
        pos += i + 1
        return string
    }

    private func hex4(at start: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 {
            let c = try stringByte(start + k)
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw unexpected(c, expected: "expected 4 hexadecimal digits after '\\u'", offset: start + k)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    // MARK: Values

    /// Reads any JSON value.
    func readValue(depth: Int = 0) throws -> JSONValue {
        guard let c = try skipWhitespace() else { throw unexpected(nil, expected: "expected a value") }
        switch c {
        case UInt8(ascii: "{"):
            try checkDepth(depth)
            var object = OrderedDictionary<String, JSONValue>()
            try readObject(depth: depth) { key in object[key] = try self.readValue(depth: depth + 1) }
            return .object(object)
        case UInt8(ascii: "["):
            try checkDepth(depth)
            var array: [JSONValue] = []
            try readArray { _ in array.append(try self.readValue(depth: depth + 1)) }
            return .array(array)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "N"), UInt8(ascii: "I"):
            return .number(try readNumber())
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try readLiteral("null")
            return .null
        default:
            throw unexpected(c, expected: "expected a value (object, array, string, number, true, false or null)")
        }
    }

    /// Reads and discards any JSON value, returning what kind it was.
    @discardableResult
    func skipValue(depth: Int = 0) throws -> JSONValueKind {
        JSONValueKind(try readValue(depth: depth))
    }

    func checkDepth(_ depth: Int) throws {
        if depth >= Self.maximumDepth {
            throw error("nesting deeper than \(Self.maximumDepth) levels", kind: .structure)
        }
    }

    /// Reads an object at `pos` (which must be `{`), calling `member` with each name; `member`
    /// must consume the value.
    @inline(__always)
    func readObject(depth: Int, _ member: (String) throws -> Void) throws {
        pos += 1  // '{'
        var c = try skipWhitespace()
        if c == UInt8(ascii: "}") {
            pos += 1
            return
        }
        var first = true
        while true {
            guard c == UInt8(ascii: "\"") else {
                throw unexpected(c, expected: first ? "expected a member name string or '}'" : "expected a member name string after ','")
            }
            first = false
            let key = try readString()
            try expect(UInt8(ascii: ":"), "expected ':' after member name \"\(key)\"")
            try member(key)
            c = try skipWhitespace()
            if c == UInt8(ascii: ",") {
                pos += 1
                c = try skipWhitespace()
            } else if c == UInt8(ascii: "}") {
                pos += 1
                return
            } else {
                throw unexpected(c, expected: "expected ',' or '}' after object member \"\(key)\"")
            }
        }
    }

    /// Reads an array at `pos` (which must be `[`), calling `element` with each index; `element`
    /// must consume the value.
    @inline(__always)
    func readArray(_ element: (Int) throws -> Void) throws {
        pos += 1  // '['
        var c = try skipWhitespace()
        if c == UInt8(ascii: "]") {
            pos += 1
            return
        }
        var index = 0
        while true {
            try element(index)
            index += 1
            c = try skipWhitespace()
            if c == UInt8(ascii: ",") {
                pos += 1
            } else if c == UInt8(ascii: "]") {
                pos += 1
                return
            } else {
                throw unexpected(c, expected: "expected ',' or ']' after array element")
            }
        }
    }
}

/// The kind of a JSON value, for messages ("found a string").
enum JSONValueKind: Sendable {
    case null, bool, number, string, array, object

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool: self = .bool
        case .number: self = .number
        case .string: self = .string
        case .array: self = .array
        case .object: self = .object
        }
    }

    /// "a string", "an object", ...
    var phrase: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
