import Foundation

/// An error in a CSV file, with the line it was found on.
public struct CSVError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public var description: String { "\(file) line \(line): \(message)" }
}

/// One record of a CSV file: its fields and the 1-based line it starts on.
public struct CSVRecord: Sendable {
    public var line: Int
    public var fields: [String]
}

/// A streaming RFC 4180 CSV reader: quoted fields with doubled quotes and embedded newlines, LF or CRLF line ends,
/// an optional UTF-8 byte-order mark. Reads the file in 1 MiB chunks, so a 10-million-row file never sits in memory.
public final class CSVReader {
    public let file: String
    private let handle: FileHandle?
    private var buffer: [UInt8]
    private var position = 0
    private var atEnd = false
    private var line = 1
    private let chunkSize: Int

    /// Opens `path` for reading.
    public init(path: String, chunkSize: Int = 1 << 20) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSVError(file: path, line: 0, message: "cannot open the file for reading: check the path and permissions")
        }
        self.file = (path as NSString).lastPathComponent
        self.handle = handle
        self.buffer = []
        self.chunkSize = chunkSize
        try skipByteOrderMark()
    }

    /// Reads CSV text held in memory (for tests and HTTP bodies).
    public init(text: String, name: String = "input") {
        self.file = name
        self.handle = nil
        self.buffer = Array(text.utf8)
        self.atEnd = true
        self.chunkSize = 0
        try? skipByteOrderMark()
    }

    deinit {
        try? handle?.close()
    }

    private func skipByteOrderMark() throws {
        if try ensure(3), buffer[position] == 0xEF, buffer[position + 1] == 0xBB, buffer[position + 2] == 0xBF {
            position += 3
        }
    }

    /// Makes sure at least `count` unread bytes are buffered, unless the file ends first.
    private func ensure(_ count: Int) throws -> Bool {
        while buffer.count - position < count && !atEnd {
            guard let handle else { atEnd = true; break }
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            if chunk.isEmpty { atEnd = true; break }
            if position > 0 {
                buffer.removeFirst(position)
                position = 0
            }
            buffer.append(contentsOf: chunk)
        }
        return buffer.count - position >= count
    }

    /// The next record, or nil at the end of the file. Blank lines are skipped.
    public func next() throws -> CSVRecord? {
        while true {
            guard try ensure(1) else { return nil }
            let startLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var fieldWasQuoted = false
            var recordHasContent = false
            while true {
                guard try ensure(1) else {
                    if quoted {
                        throw CSVError(file: file, line: startLine,
                                       message: "a quoted field is not closed before the end of the file: add the closing '\"'")
                    }
                    break
                }
                let byte = buffer[position]
                position += 1
                if quoted {
                    if byte == UInt8(ascii: "\"") {
                        if try ensure(1), buffer[position] == UInt8(ascii: "\"") {
                            field.append(byte)
                            position += 1
                        } else {
                            quoted = false
                        }
                    } else {
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        field.append(byte)
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: ","):
                    fields.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                    fieldWasQuoted = false
                    recordHasContent = true
                case UInt8(ascii: "\n"):
                    line += 1
                    if field.last == UInt8(ascii: "\r"), !fieldWasQuoted { field.removeLast() }
                    if recordHasContent || !field.isEmpty || fieldWasQuoted {
                        fields.append(String(decoding: field, as: UTF8.self))
                        return CSVRecord(line: startLine, fields: fields)
                    }
                    // A blank line: start the next record.
                    return try next()
                case UInt8(ascii: "\""):
                    if field.isEmpty && !fieldWasQuoted {
                        quoted = true
                        fieldWasQuoted = true
                        recordHasContent = true
                    } else {
                        throw CSVError(file: file, line: line,
                                       message: "a '\"' inside an unquoted field: quote the whole field and double the quote")
                    }
                default:
                    if fieldWasQuoted && byte != UInt8(ascii: "\r") {
                        throw CSVError(file: file, line: line,
                                       message: "text after a closing quote: put the whole field inside the quotes")
                    }
                    if !(fieldWasQuoted && byte == UInt8(ascii: "\r")) { field.append(byte) }
                }
            }
            if recordHasContent || !field.isEmpty {
                fields.append(String(decoding: field, as: UTF8.self))
                return CSVRecord(line: startLine, fields: fields)
            }
            return nil
        }
    }
}

/// A CSV file read with its header: fields are looked up by column name.
public final class CSVTable {
    public let reader: CSVReader
    public let header: [String]
    private let columns: [String: Int]

    /// Opens `path` and reads the header line. Fails when the file is empty.
    public convenience init(path: String) throws {
        try self.init(reader: CSVReader(path: path))
    }

    public init(reader: CSVReader) throws {
        self.reader = reader
        guard let first = try reader.next() else {
            throw CSVError(file: reader.file, line: 1, message: "the file is empty: it needs a header line")
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var columns: [String: Int] = [:]
        for (index, name) in header.enumerated() where columns[name] == nil {
            columns[name] = index
        }
        self.columns = columns
    }

    public func index(of column: String) -> Int? { columns[column] }

    /// The index of a column that must be present, or an error naming the columns that are.
    public func requireColumn(_ column: String) throws -> Int {
        guard let index = columns[column] else {
            throw CSVError(file: reader.file, line: 1,
                           message: "missing column '\(column)'; the header has: \(header.joined(separator: ", "))")
        }
        return index
    }

    public func next() throws -> CSVRecord? { try reader.next() }
}

/// Writes RFC 4180 CSV through a buffered file handle.
public final class CSVWriter {
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else {
            throw CSVError(file: path, line: 0, message: "cannot create the file: check that its folder exists and is writable")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        try? handle.close()
    }

    public func write(_ fields: [String]) throws {
        for (i, field) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            if field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }) {
                buffer.append(UInt8(ascii: "\""))
                for byte in field.utf8 {
                    if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                    buffer.append(byte)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: field.utf8)
            }
        }
        buffer.append(10)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        try flush()
        try handle.close()
    }
}
