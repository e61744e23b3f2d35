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
///
/// Records are found and split by `CSVScanner`, the byte scanner the geocoder's block path uses; this reader adds
/// what a row reader needs on top: strings, line numbers, and strict quoting (a quote inside an unquoted field,
/// text after a closing quote and an unclosed quote are errors naming their line).
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
        while buffer.count - position < 3 && !atEnd { try readMore() }
        if buffer.count - position >= 3, buffer[position] == 0xEF, buffer[position + 1] == 0xBB,
           buffer[position + 2] == 0xBF {
            position += 3
        }
    }

    /// Appends the next chunk (dropping the bytes already read); sets `atEnd` when the file has no more.
    private func readMore() throws {
        guard !atEnd else { return }
        guard let handle else { atEnd = true; return }
        let chunk = try handle.read(upToCount: chunkSize) ?? Data()
        if chunk.isEmpty { atEnd = true; return }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: chunk)
    }

    /// The next record, or nil at the end of the file. Blank lines are skipped.
    public func next() throws -> CSVRecord? {
        while true {
            // A whole record in the buffer, or the rest of the file.
            var end: Int? = buffer.withUnsafeBufferPointer {
                CSVScanner.endOfFirstRecord($0, from: position, count: $0.count)
            }
            while end == nil && !atEnd {
                try checkQuoting(complete: false)  // a stray quote would otherwise swallow the rest of the file
                try readMore()
                end = buffer.withUnsafeBufferPointer { CSVScanner.endOfFirstRecord($0, from: position, count: $0.count) }
            }
            let recordEnd = end ?? buffer.count
            if recordEnd == position { return nil }
            let startLine = line
            let fields = try checkQuoting(complete: true, to: recordEnd)
            line += buffer[position..<recordEnd].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            position = recordEnd
            if fields.count == 1 && fields[0].isEmpty { continue }  // a blank line
            return CSVRecord(line: startLine, fields: buffer.withUnsafeBufferPointer { b in
                fields.map { CSVScanner.unquoted(b, $0) }
            })
        }
    }

    /// Splits the record `buffer[position ..< end]` into fields and checks their quoting. With `complete: false`
    /// the record is still growing: its last field may be an open quoted one.
    @discardableResult
    private func checkQuoting(complete: Bool, to end: Int? = nil) throws -> [Range<Int>] {
        let end = end ?? buffer.count
        return try buffer.withUnsafeBufferPointer { b in
            let fields = CSVScanner.fields(b, from: position, to: end)
            func lineOf(_ offset: Int) -> Int {
                line + b[position..<offset].reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            }
            for (k, field) in fields.enumerated() {
                guard !field.isEmpty else { continue }
                if b[field.lowerBound] != 34 {
                    if let quote = b[field].firstIndex(of: 34) {
                        throw CSVError(file: file, line: lineOf(quote),
                                       message: "a '\"' inside an unquoted field: quote the whole field and double the quote")
                    }
                    continue
                }
                // A quoted field: quote pairs inside, then the closing quote, then nothing.
                var i = field.lowerBound + 1
                var closed = false
                while i < field.upperBound {
                    if b[i] == 34 {
                        if i + 1 < field.upperBound && b[i + 1] == 34 { i += 2; continue }
                        closed = true
                        break
                    }
                    i += 1
                }
                if !closed {
                    if !complete && k == fields.count - 1 { continue }
                    throw CSVError(file: file, line: lineOf(field.lowerBound),
                                   message: "a quoted field is not closed before the end of the file: add the closing '\"'")
                }
                if i + 1 < field.upperBound {
                    throw CSVError(file: file, line: lineOf(i + 1),
                                   message: "text after a closing quote: put the whole field inside the quotes")
                }
            }
            return fields
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
            buffer.append(contentsOf: CSVFormat.escaped(field).utf8)
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
