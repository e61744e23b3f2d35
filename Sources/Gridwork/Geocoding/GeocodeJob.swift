import Dispatch
import Foundation
import GeoJSON
import GridIndex
import GridProjection

/// A row the geocoder could not read.
public struct InvalidPointRow: Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line the row starts on (the header is line 1).
    public var line: Int
    public var id: String
    public var reason: String

    public var description: String { "line \(line) (id \(id.isEmpty ? "?" : id)): \(reason)" }
}

/// What a geocoding run did.
public struct GeocodeSummary: Sendable {
    public var rows = 0
    public var byStatus: [GeocodeStatus: Int] = [:]
    /// Every invalid row is counted in `byStatus`; the first `GeocodeJob.keptInvalidRows` are kept with their reason.
    public var invalidRows: [InvalidPointRow] = []
    /// The name of the input column read as the id.
    public var idColumn = "id"
}

/// Streams a CSV of points through a `GridLocator`, writing one output row per input row in input order:
/// `id,grid_id,building_id,status` followed by the input's other columns (byte for byte, quotes included).
///
/// Input: a header, then rows. The id is the column `id`, or else the first column when its name ends in `_id`
/// (`household_id`, `incident_id`). Coordinates are the columns `lon,lat` (geographic) or `x,y` (projected metres).
/// Carried columns named like an output column (`grid_id`, `building_id`, `status`) are renamed `input_<name>`.
///
/// Points in EPSG systems are transformed to longitude/latitude with PROJ (CGCS2000 is taken as WGS84: they
/// differ by centimetres); GCJ-02 and BD-09 points are located against grids moved into their frame.
///
/// A row is `invalid` (and reported with its line) when its field count differs from the header's, a coordinate
/// is missing, not a number, not finite or out of range, or PROJ cannot transform it. Every other row is located.
///
/// How it is fast: the file is read in blocks of `blockBytes` that end on a record boundary; each block is cut into
/// parts at line ends, and the parts are parsed, transformed, located and formatted on all cores straight from
/// the bytes (no `String` per field; numbers parsed in place, exactly rounded), each into its own byte buffer;
/// the buffers are written in order. Memory stays near `2 × blockBytes` plus the indexes, whatever the file's length.
public struct GeocodeJob: Sendable {
    public var crs: CoordinateReferenceSystem
    public var snapMetres: Double
    /// Input bytes per block (a block always holds at least one whole record).
    public var blockBytes: Int
    /// Threads to use; 0 means every core.
    public var threads: Int

    /// How many invalid rows `GeocodeSummary.invalidRows` keeps.
    public static let keptInvalidRows = 1_000

    public init(crs: CoordinateReferenceSystem = .wgs84, snapMetres: Double = 0, blockBytes: Int = 4 << 20,
                threads: Int = 0) {
        self.crs = crs
        self.snapMetres = snapMetres
        self.blockBytes = max(1 << 12, blockBytes)
        self.threads = max(0, threads)
    }

    /// The frame the locator must be built in for this job's CRS.
    public var frame: LocatorFrame {
        switch crs {
        case .gcj02: .gcj02
        case .bd09: .bd09
        default: .lonLat
        }
    }

    /// Runs the job. `locator` must have been built with `frame`.
    public func run(points path: String, output outPath: String, locator: GridLocator) throws -> GeocodeSummary {
        precondition(locator.frame == frame, "the locator's frame must match the job's CRS")
        let name = (path as NSString).lastPathComponent
        let input = try ByteFile(reading: path)
        let output = try ByteFile(writing: outPath)

        // The block buffer: `buffer[0 ..< filled]` holds unread bytes, always starting at a record boundary.
        var buffer = [UInt8](repeating: 0, count: blockBytes + 1)
        var filled = 0
        var atEnd = false
        func fill() throws {
            if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            while filled < buffer.count && !atEnd {
                let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0.baseAddress! + filled, count: $0.count - filled) }
                if n == 0 { atEnd = true } else { filled += n }
            }
        }
        try fill()

        // The header.
        var headerStart = 0
        if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { headerStart = 3 }
        var headerScan = buffer.withUnsafeBufferPointer { RecordScanner.endOfFirstRecord($0, from: headerStart, count: filled) }
        while headerScan == nil && !atEnd {
            try fill()
            headerScan = buffer.withUnsafeBufferPointer { RecordScanner.endOfFirstRecord($0, from: headerStart, count: filled) }
        }
        let headerEnd = headerScan ?? filled
        let headerFields = buffer.withUnsafeBufferPointer { b in
            RecordScanner.fields(b, from: headerStart, to: headerEnd).map { range in
                RecordScanner.unquoted(b, range).trimmingCharacters(in: .whitespaces)
            }
        }
        guard headerFields.contains(where: { !$0.isEmpty }) else {
            throw CSVError(file: name, line: 1, message: "the file is empty: it needs a header line with id and lon,lat (or x,y)")
        }
        let layout = try ColumnLayout(header: headerFields, file: name)
        let headerLines = buffer[headerStart..<headerEnd].reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + (headerScan == nil ? 1 : 0)
        try output.write(Array((["id", "grid_id", "building_id", "status"] + layout.carriedNames)
            .map(CSVFormat.escaped).joined(separator: ",").utf8) + [10])
        buffer.withUnsafeMutableBytes { b in
            _ = memmove(b.baseAddress!, b.baseAddress! + headerEnd, filled - headerEnd)
        }
        filled -= headerEnd

        let threadCount = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        let partsPerBlock = threadCount == 1 ? 1 : threadCount * 4
        let labels = OutputLabels(locator: locator)
        let needsTransform: Bool = switch crs {
        case .wgs84, .cgcs2000, .gcj02, .bd09: false
        default: true
        }
        // Fail before reading rows when PROJ cannot do the transformation at all.
        if needsTransform { _ = try CoordinateTransformer(from: crs, to: .wgs84) }
        // One worker per part, kept across blocks; in a raw buffer so the concurrent parts mutate their own worker
        // without dynamic exclusivity checks (each iteration touches only index k).
        let workers = UnsafeMutablePointer<PartWorker>.allocate(capacity: partsPerBlock)
        workers.initialize(repeating: PartWorker(layout: layout, labels: labels, locator: locator, crs: crs,
                                                 needsTransform: needsTransform, snapMetres: snapMetres),
                           count: partsPerBlock)
        defer {
            workers.deinitialize(count: partsPerBlock)
            workers.deallocate()
        }
        var summary = GeocodeSummary()
        summary.idColumn = layout.idName
        var counts = [Int](repeating: 0, count: GeocodeStatus.allCases.count)
        var nextLine = 1 + headerLines

        while filled > 0 || !atEnd {
            if !atEnd && filled < blockBytes { try fill() }
            if filled == 0 { break }
            // Cut the block after its last whole record (all of it at the end of the file).
            var cut: RecordScanner.Cut = buffer.withUnsafeBufferPointer {
                RecordScanner.cut($0, count: filled, parts: partsPerBlock, wholeBuffer: atEnd)
            }
            while cut.end == 0 && !atEnd {
                try fill()  // one record longer than the block: grow until it fits
                cut = buffer.withUnsafeBufferPointer { RecordScanner.cut($0, count: filled, parts: partsPerBlock, wholeBuffer: atEnd) }
            }
            let bounds = cut.bounds
            buffer.withUnsafeBufferPointer { b in
                let shared = SharedParts(base: b.baseAddress!, bounds: bounds, workers: workers)
                if threadCount == 1 || bounds.count <= 2 {
                    for k in 0..<(bounds.count - 1) { shared.run(k) }
                } else {
                    DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { shared.run($0) }
                }
            }
            for k in 0..<(bounds.count - 1) {
                let w = workers + k
                if let failure = w.pointee.failure { throw failure }
                try output.write(w.pointee.out)
                summary.rows += w.pointee.rows
                for s in counts.indices { counts[s] += w.pointee.counts[s] }
                for row in w.pointee.invalid where summary.invalidRows.count < Self.keptInvalidRows {
                    summary.invalidRows.append(InvalidPointRow(line: nextLine + row.line, id: row.id, reason: row.reason))
                }
                nextLine += w.pointee.lines
            }
            let end = cut.end
            buffer.withUnsafeMutableBytes { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + end, filled - end)
            }
            filled -= end
        }
        try output.close()
        for (s, status) in GeocodeStatus.allCases.enumerated() where counts[s] > 0 { summary.byStatus[status] = counts[s] }
        return summary
    }
}

// MARK: - Columns and labels

/// Where the id, the coordinates and the carried columns are.
struct ColumnLayout: Sendable {
    var fieldCount: Int
    var idColumn: Int
    var idName: String
    var xColumn: Int
    var yColumn: Int
    var xName: String
    var yName: String
    var carried: [Int]
    var carriedNames: [String]

    init(header: [String], file: String) throws {
        fieldCount = header.count
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        if let id = column("id") {
            idColumn = id
        } else if let first = header.first, first.hasSuffix("_id") {
            idColumn = 0
        } else {
            throw CSVError(file: file, line: 1, message: "missing column 'id' (or a first column named like " +
                           "household_id); the header has: \(header.joined(separator: ", "))")
        }
        idName = header[idColumn]
        if let x = column("lon"), let y = column("lat") {
            (xColumn, yColumn, xName, yName) = (x, y, "lon", "lat")
        } else if let x = column("x"), let y = column("y") {
            (xColumn, yColumn, xName, yName) = (x, y, "x", "y")
        } else {
            throw CSVError(file: file, line: 1, message: "the header needs columns lon,lat (geographic) or x,y " +
                           "(projected); it has: \(header.joined(separator: ", "))")
        }
        let fixed: Set = [idColumn, xColumn, yColumn]
        carried = header.indices.filter { !fixed.contains($0) }
        let taken: Set = ["id", "grid_id", "building_id", "status"]
        carriedNames = carried.map { taken.contains(header[$0]) ? "input_" + header[$0] : header[$0] }
    }
}

/// Grid ids, building ids and statuses as CSV-ready bytes, each list flat: label `i` is
/// `bytes[start[i] ..< start[i + 1]]`.
struct OutputLabels: Sendable {
    struct Table: Sendable {
        var bytes: [UInt8] = []
        var start: [Int] = [0]

        init(_ labels: [String]) {
            for label in labels {
                bytes.append(contentsOf: CSVFormat.escaped(label).utf8)
                start.append(bytes.count)
            }
        }
    }

    var grids: Table
    var buildings: Table
    var statuses: Table

    init(locator: GridLocator) {
        grids = Table(locator.gridIDs)
        buildings = Table(locator.buildingIDs)
        statuses = Table(GeocodeStatus.allCases.map(\.rawValue))
    }
}

extension GeocodeStatus {
    /// The position in `allCases`, without building that array.
    var ordinal: Int {
        switch self {
        case .inside: 0
        case .boundary: 1
        case .overlap: 2
        case .outside: 3
        case .snapped: 4
        case .invalid: 5
        }
    }
}

enum CSVFormat {
    /// `text` as one CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

// MARK: - Record scanning

/// RFC 4180 record boundaries and fields over raw bytes: quoted fields may hold commas, doubled quotes and line
/// breaks; records end at LF (a CR before it is dropped).
enum RecordScanner {
    /// The offset just past the first record's line end, or nil when the buffer holds no whole record.
    static func endOfFirstRecord(_ b: UnsafeBufferPointer<UInt8>, from start: Int, count: Int) -> Int? {
        var quoted = false
        var i = start
        while i < count {
            let c = b[i]
            if c == 34 { quoted.toggle() } else if c == 10 && !quoted { return i + 1 }
            i += 1
        }
        return nil
    }

    /// Byte ranges of the fields of the record `b[start ..< end]` (its line end excluded or included); quoted
    /// fields keep their quotes.
    static func fields(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> [Range<Int>] {
        var end = end
        if end > start && b[end - 1] == 10 { end -= 1 }
        if end > start && b[end - 1] == 13 { end -= 1 }
        var result: [Range<Int>] = []
        var fieldStart = start
        var quoted = false
        for i in start..<end {
            let c = b[i]
            if c == 34 { quoted.toggle() } else if c == 44 && !quoted {
                result.append(fieldStart..<i)
                fieldStart = i + 1
            }
        }
        result.append(fieldStart..<end)
        return result
    }

    /// The text of a field, without its quotes and with doubled quotes made single.
    static func unquoted(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        var lo = range.lowerBound, hi = range.upperBound
        if hi - lo >= 2 && b[lo] == 34 && b[hi - 1] == 34 {
            lo += 1
            hi -= 1
            let text = String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
            return text.replacingOccurrences(of: "\"\"", with: "\"")
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
    }

    struct Cut {
        /// Bytes of whole records at the front of the buffer.
        var end: Int
        /// Part boundaries: `bounds[k] ..< bounds[k + 1]`, from 0 to `end`, each on a record boundary.
        var bounds: [Int]
    }

    /// Cuts `b[0 ..< count]` after its last whole record (or at `count` when `wholeBuffer`), then into about
    /// `parts` pieces at record boundaries. Without quotes in the block, boundaries are simply line ends.
    static func cut(_ b: UnsafeBufferPointer<UInt8>, count: Int, parts: Int, wholeBuffer: Bool) -> Cut {
        guard count > 0 else { return Cut(end: 0, bounds: [0]) }
        let base = b.baseAddress!
        let hasQuote = memchr(base, 34, count) != nil
        var end = 0
        var ends: [Int] = []  // record ends near the part targets (quoted case)
        if !hasQuote {
            if wholeBuffer {
                end = count
            } else {
                var i = count - 1
                while i >= 0 && b[i] != 10 { i -= 1 }
                end = i + 1
            }
        } else {
            let step = max(1, count / max(1, parts))
            var nextTarget = step
            var quoted = false
            for i in 0..<count {
                let c = b[i]
                if c == 34 { quoted.toggle() } else if c == 10 && !quoted {
                    end = i + 1
                    if end >= nextTarget {
                        ends.append(end)
                        nextTarget = end + step
                    }
                }
            }
            if wholeBuffer { end = count }
        }
        guard end > 0 else { return Cut(end: 0, bounds: [0]) }
        var bounds = [0]
        if !hasQuote {
            let step = max(1, end / max(1, parts))
            var target = step
            while target < end && bounds.count < parts {
                // The next line end at or after the target.
                guard let p = memchr(base + target - 1, 10, end - target + 1) else { break }
                let boundary = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - base + 1
                if boundary >= end { break }
                bounds.append(boundary)
                target = boundary + step
            }
        } else {
            for e in ends where e < end && e > bounds.last! && bounds.count < parts { bounds.append(e) }
        }
        bounds.append(end)
        return Cut(end: end, bounds: bounds)
    }
}

/// The read-only inputs of one block, shared by the concurrent parts; each part writes only its own worker.
private struct SharedParts: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
    let bounds: [Int]
    let workers: UnsafeMutablePointer<PartWorker>

    func run(_ k: Int) {
        workers[k].process(base + bounds[k], count: bounds[k + 1] - bounds[k])
    }
}

// MARK: - One part of a block

/// Parses, transforms, locates and formats one part of a block. Reused block after block; used by one thread at a
/// time (the concurrent iteration that owns index k), which is what makes its `CoordinateTransformer` safe.
private struct PartWorker {
    struct Invalid {
        var line: Int
        var id: String
        var reason: String
    }

    let layout: ColumnLayout
    let labels: OutputLabels
    let locator: GridLocator
    let crs: CoordinateReferenceSystem
    let needsTransform: Bool
    let snapMetres: Double
    let geographic: Bool
    private var transformer: CoordinateTransformer?

    // Outputs of the last `process` call.
    var out: [UInt8] = []
    var counts = [Int](repeating: 0, count: GeocodeStatus.allCases.count)
    var invalid: [Invalid] = []
    var rows = 0
    /// Line ends in the part (so the next part knows its first line).
    var lines = 0
    var failure: Error?

    // Per-row scratch, reused.
    private var rowStart: [Int32] = []   // offset of the record in the part
    private var rowLine: [Int32] = []    // line of the record, relative to the part's first line
    private var idRange: [Int32] = []    // start, end pairs
    private var carriedRanges: [Int32] = []  // start, end pairs, layout.carried.count per row
    private var positions: [Position] = []
    private var valid: [Bool] = []
    private var fieldStarts: [Int32] = []
    private var fieldEnds: [Int32] = []

    init(layout: ColumnLayout, labels: OutputLabels, locator: GridLocator, crs: CoordinateReferenceSystem,
         needsTransform: Bool, snapMetres: Double) {
        self.layout = layout
        self.labels = labels
        self.locator = locator
        self.crs = crs
        self.needsTransform = needsTransform
        self.snapMetres = snapMetres
        self.geographic = crs.isGeographic
        fieldStarts = [Int32](repeating: 0, count: layout.fieldCount + 1)
        fieldEnds = [Int32](repeating: 0, count: layout.fieldCount + 1)
    }

    mutating func process(_ base: UnsafePointer<UInt8>, count: Int) {
        out.removeAll(keepingCapacity: true)
        for s in counts.indices { counts[s] = 0 }
        invalid.removeAll(keepingCapacity: true)
        rows = 0
        lines = 0
        failure = nil
        rowStart.removeAll(keepingCapacity: true)
        rowLine.removeAll(keepingCapacity: true)
        idRange.removeAll(keepingCapacity: true)
        carriedRanges.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        valid.removeAll(keepingCapacity: true)
        let bytes = UnsafeBufferPointer(start: base, count: count)
        parse(bytes)
        if needsTransform { transformAll(bytes) }
        locateAndWrite(bytes)
    }

    /// Splits records into fields and parses the coordinates.
    private mutating func parse(_ b: UnsafeBufferPointer<UInt8>) {
        let n = b.count
        let fieldCount = layout.fieldCount
        var i = 0
        var line = 0
        while i < n {
            let recordStart = i
            let recordLine = line
            // Fields of this record.
            var f = 0
            var fieldStart = i
            var quoted = false
            var recordEnd = n
            var next = n
            while i < n {
                let c = b[i]
                if c == 34 {
                    quoted.toggle()
                } else if !quoted {
                    if c == 44 {
                        if f < fieldCount { fieldStarts[f] = Int32(fieldStart); fieldEnds[f] = Int32(i) }
                        f += 1
                        fieldStart = i + 1
                    } else if c == 10 {
                        recordEnd = i
                        next = i + 1
                        line += 1
                        break
                    }
                } else if c == 10 {
                    line += 1
                }
                i += 1
            }
            i = next
            var lastEnd = recordEnd
            if lastEnd > fieldStart && b[lastEnd - 1] == 13 { lastEnd -= 1 }
            if f == 0 && lastEnd == fieldStart { continue }  // a blank line
            if f < fieldCount { fieldStarts[f] = Int32(fieldStart); fieldEnds[f] = Int32(lastEnd) }
            f += 1

            rowStart.append(Int32(recordStart))
            rowLine.append(Int32(recordLine))
            let idCol = layout.idColumn
            if idCol < f {
                idRange.append(fieldStarts[idCol]); idRange.append(fieldEnds[idCol])
            } else {
                idRange.append(Int32(recordStart)); idRange.append(Int32(recordStart))
            }
            for c in layout.carried {
                if c < f {
                    carriedRanges.append(fieldStarts[c]); carriedRanges.append(fieldEnds[c])
                } else {
                    carriedRanges.append(0); carriedRanges.append(0)
                }
            }
            if f != fieldCount {
                reject(b, reason: "the row has \(f) fields but the header has \(fieldCount): quote fields that contain commas")
                continue
            }
            let xr = Int(fieldStarts[layout.xColumn])..<Int(fieldEnds[layout.xColumn])
            let yr = Int(fieldStarts[layout.yColumn])..<Int(fieldEnds[layout.yColumn])
            let x = NumberScanner.parse(b, xr)
            let y = NumberScanner.parse(b, yr)
            let xName = layout.xName, yName = layout.yName
            switch (x, y) {
            case (.number(let x), .number(let y)):
                if !x.isFinite || !y.isFinite {
                    reject(b, reason: "\(xName),\(yName) is not a finite number (\(text(b, xr)), \(text(b, yr)))")
                } else if geographic && (abs(x) > 180 || abs(y) > 90) {
                    reject(b, reason: "(\(text(b, xr)), \(text(b, yr))) is out of range for longitude/latitude " +
                           "(|lon| ≤ 180, |lat| ≤ 90); is --crs right?")
                } else {
                    positions.append(Position(x, y))
                    valid.append(true)
                }
            case (.empty, _), (_, .empty):
                reject(b, reason: "missing \(xName) or \(yName)")
            default:
                reject(b, reason: "\(xName),\(yName) is not numeric ('\(text(b, xr))', '\(text(b, yr))')")
            }
        }
        lines = line
    }

    private func text(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        RecordScanner.unquoted(b, r).trimmingCharacters(in: .whitespaces)
    }

    /// Marks the last parsed row invalid.
    private mutating func reject(_ b: UnsafeBufferPointer<UInt8>, reason: String) {
        let k = rowStart.count - 1
        let id = RecordScanner.unquoted(b, Int(idRange[2 * k])..<Int(idRange[2 * k + 1]))
        invalid.append(Invalid(line: Int(rowLine[k]), id: id, reason: reason))
        positions.append(Position(.nan, .nan))
        valid.append(false)
    }

    /// Projected or other EPSG coordinates to longitude/latitude; rows PROJ refuses become invalid.
    private mutating func transformAll(_ b: UnsafeBufferPointer<UInt8>) {
        do {
            if transformer == nil { transformer = try CoordinateTransformer(from: crs, to: .wgs84) }
        } catch {
            failure = error
            return
        }
        let transformer = transformer!
        var work: [Position] = []
        var index: [Int] = []
        for k in valid.indices where valid[k] {
            work.append(positions[k])
            index.append(k)
        }
        if (try? transformer.transform(&work)) != nil {
            for (j, k) in index.enumerated() { positions[k] = work[j] }
            return
        }
        // A failing batch: one point at a time, to name the bad rows.
        var failed: [Int: String] = [:]
        for k in index {
            do {
                positions[k] = try transformer.transform(positions[k])
            } catch {
                failed[k] = "cannot transform from \(crs) to longitude/latitude: \(error)"
            }
        }
        guard !failed.isEmpty else { return }
        for (k, reason) in failed {
            valid[k] = false
            let id = RecordScanner.unquoted(b, Int(idRange[2 * k])..<Int(idRange[2 * k + 1]))
            invalid.append(Invalid(line: Int(rowLine[k]), id: id, reason: reason))
        }
        invalid.sort { $0.line < $1.line }
    }

    private mutating func locateAndWrite(_ b: UnsafeBufferPointer<UInt8>) {
        let carriedCount = layout.carried.count
        out.reserveCapacity(b.count + rowStart.count * 32)
        rows = rowStart.count
        var out = self.out
        self.out = []
        defer { self.out = out }
        labels.grids.bytes.withUnsafeBufferPointer { gridBytes in
        labels.grids.start.withUnsafeBufferPointer { gridStart in
        labels.buildings.bytes.withUnsafeBufferPointer { buildingBytes in
        labels.buildings.start.withUnsafeBufferPointer { buildingStart in
        labels.statuses.bytes.withUnsafeBufferPointer { statusBytes in
        labels.statuses.start.withUnsafeBufferPointer { statusStart in
            for k in 0..<rowStart.count {
                var hit = GeocodeHit.invalid
                if valid[k] {
                    hit = locator.locateHit(positions[k], snapMetres: snapMetres)
                    if hit.status == .invalid {
                        let id = RecordScanner.unquoted(b, Int(idRange[2 * k])..<Int(idRange[2 * k + 1]))
                        invalid.append(Invalid(line: Int(rowLine[k]), id: id, reason: "the transformed point " +
                                               "(\(positions[k].x), \(positions[k].y)) is not a valid longitude/latitude"))
                    }
                }
                let lo = Int(idRange[2 * k]), hi = Int(idRange[2 * k + 1])
                if hi > lo { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[lo..<hi])) }
                out.append(44)
                if hit.grid >= 0 {
                    let g = Int(hit.grid)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: gridBytes[gridStart[g]..<gridStart[g + 1]]))
                }
                out.append(44)
                if hit.building >= 0 {
                    let g = Int(hit.building)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buildingBytes[buildingStart[g]..<buildingStart[g + 1]]))
                }
                out.append(44)
                let s = hit.status.ordinal
                counts[s] += 1
                out.append(contentsOf: UnsafeBufferPointer(rebasing: statusBytes[statusStart[s]..<statusStart[s + 1]]))
                for j in 0..<carriedCount {
                    out.append(44)
                    let lo = Int(carriedRanges[(k * carriedCount + j) * 2]), hi = Int(carriedRanges[(k * carriedCount + j) * 2 + 1])
                    if hi > lo { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[lo..<hi])) }
                }
                out.append(10)
            }
        }}}}}}
        if invalid.count > 1 { invalid.sort { $0.line < $1.line } }
    }

}

// MARK: - Numbers

/// Decimal numbers straight from bytes, exactly rounded: plain decimals of up to 19 digits whose value fits the
/// fast path (mantissa below 2^53, at most 22 fraction digits: one exact division, Clinger 1990) are computed
/// directly; anything else (exponents, long mantissas, `nan`, `inf`) goes to `strtod`.
enum NumberScanner {
    enum Outcome: Equatable {
        case number(Double)
        case empty
        case notNumeric
    }

    static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
                                        1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    @inline(__always)
    static func parse(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Outcome {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
        while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
        if hi - lo >= 2 && b[lo] == 34 && b[hi - 1] == 34 {  // a quoted number
            lo += 1
            hi -= 1
            while lo < hi && (b[lo] == 32 || b[lo] == 9) { lo += 1 }
            while hi > lo && (b[hi - 1] == 32 || b[hi - 1] == 9) { hi -= 1 }
        }
        if lo == hi { return .empty }
        var i = lo
        var negative = false
        if b[i] == 45 || b[i] == 43 {
            negative = b[i] == 45
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawPoint = false
        var sawDigit = false
        while i < hi {
            let c = b[i]
            if c >= 48 && c <= 57 {
                sawDigit = true
                if mantissa == 0 && c == 48 {
                    // Leading zeros add no digits.
                } else {
                    digits += 1
                    if digits > 19 { return slow(b, lo, hi) }
                    mantissa = mantissa &* 10 &+ UInt64(c - 48)
                }
                if sawPoint { fraction += 1 }
            } else if c == 46 && !sawPoint {
                sawPoint = true
            } else {
                return slow(b, lo, hi)
            }
            i += 1
        }
        guard sawDigit else { return slow(b, lo, hi) }
        guard mantissa <= 1 << 53, fraction <= 22 else { return slow(b, lo, hi) }
        let value = Double(mantissa) / powersOfTen[fraction]
        return .number(negative ? -value : value)
    }

    /// `strtod` over a NUL-terminated copy; the whole field must be consumed.
    static func slow(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Outcome {
        let n = hi - lo
        guard n < 512 else { return .notNumeric }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { copy in
            for k in 0..<n { copy[k] = CChar(bitPattern: b[lo + k]) }
            copy[n] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(copy.baseAddress!, &end)
            guard let end, end - copy.baseAddress! == n else { return .notNumeric }
            return .number(value)
        }
    }
}

// MARK: - Files

/// A file read or written in large blocks with POSIX `open`, `read`, `write` and `close`; one owner, closed once.
final class ByteFile {
    private var descriptor: Int32
    let path: String

    init(reading path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw CSVError(file: path, line: 0, message: "cannot open the file for reading (\(String(cString: strerror(errno)))): check the path and permissions")
        }
    }

    init(writing path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 {
            throw CSVError(file: path, line: 0, message: "cannot create the file (\(String(cString: strerror(errno)))): check that its folder exists and is writable")
        }
    }

    deinit {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
    }

    /// Reads up to `count` bytes; 0 at the end of the file.
    func read(into pointer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Foundation.read(descriptor, pointer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw CSVError(file: path, line: 0, message: "cannot read: \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CSVError(file: path, line: 0, message: "cannot write (\(String(cString: strerror(errno)))): is the disk full?")
                }
                offset += n
            }
        }
    }

    func close() throws {
        guard descriptor >= 0 else { return }
        let result = Foundation.close(descriptor)
        descriptor = -1
        if result != 0 {
            throw CSVError(file: path, line: 0, message: "cannot close the file: \(String(cString: strerror(errno)))")
        }
    }
}
