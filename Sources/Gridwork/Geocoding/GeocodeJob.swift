import Dispatch
import Foundation
import GeoJSON
import GridAddress
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
    /// Rows without coordinates whose address placed no grid (status `unplaced`): the first
    /// `GeocodeJob.keptInvalidRows`, each with the matcher's reason and candidates.
    public var unplacedRows: [InvalidPointRow] = []
    /// With `checkAddress`: rows whose address names another building than the one the point lies in (all counted
    /// in `disagreementCount`, the first `GeocodeJob.keptInvalidRows` kept).
    public var disagreements: [InvalidPointRow] = []
    public var disagreementCount = 0
    /// Rows placed by address, by match status.
    public var byMatch: [AddressMatchStatus: Int] = [:]
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
/// is missing, not a number, not finite or out of range (with `PointPlacer`'s reason when x and y look swapped:
/// (y, x) falls in the county), or PROJ cannot transform it. Every other row is located. The CRS rules (which
/// frame, which points go through PROJ, swap detection) are `PointPlacer`'s, applied per block.
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
    /// Places rows that have no coordinates by their address column (`addressColumn`), writing
    /// `match,score,matched_address` after `status`; nil (or no such column) leaves the output as it was.
    public var addressMatcher: AddressMatcher?
    public var addressColumn = "address"
    /// With `addressMatcher`: also match rows that have coordinates, and list where the address's building is not
    /// the point's (`GeocodeSummary.disagreements`), a data-quality check of a register.
    public var checkAddress = false

    /// How many invalid rows `GeocodeSummary.invalidRows` keeps.
    public static let keptInvalidRows = 1_000

    public init(crs: CoordinateReferenceSystem = .wgs84, snapMetres: Double = 0, blockBytes: Int = 4 << 20,
                threads: Int = 0) {
        self.crs = crs
        self.snapMetres = snapMetres
        self.blockBytes = max(1 << 12, blockBytes)
        self.threads = max(0, threads)
    }

    /// The frame the locator must be built in for this job's CRS (`PointPlacer.frame(for:)`).
    public var frame: LocatorFrame { PointPlacer.frame(for: crs) }

    /// Runs the job against the placer's locator for this job's CRS.
    public func run(points path: String, output outPath: String, placer: PointPlacer) throws -> GeocodeSummary {
        try run(points: path, output: outPath, locator: placer.locator(frame))
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
        var headerScan = buffer.withUnsafeBufferPointer { CSVScanner.endOfFirstRecord($0, from: headerStart, count: filled) }
        while headerScan == nil && !atEnd {
            try fill()
            headerScan = buffer.withUnsafeBufferPointer { CSVScanner.endOfFirstRecord($0, from: headerStart, count: filled) }
        }
        let headerEnd = headerScan ?? filled
        let headerFields = buffer.withUnsafeBufferPointer { b in
            CSVScanner.fields(b, from: headerStart, to: headerEnd).map { range in
                CSVScanner.unquoted(b, range).trimmingCharacters(in: .whitespaces)
            }
        }
        guard headerFields.contains(where: { !$0.isEmpty }) else {
            throw CSVError(file: name, line: 1, message: "the file is empty: it needs a header line with id and lon,lat (or x,y)")
        }
        let layout = try ColumnLayout(header: headerFields, file: name,
                                      addressColumn: addressMatcher == nil ? nil : addressColumn)
        let matchColumns = layout.address == nil ? [] : ColumnLayout.addressColumns
        let headerLines = buffer[headerStart..<headerEnd].reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + (headerScan == nil ? 1 : 0)
        try output.write(Array((["id", "grid_id", "building_id", "status"] + matchColumns + layout.carriedNames)
            .map(CSVFormat.escaped).joined(separator: ",").utf8) + [10])
        buffer.withUnsafeMutableBytes { b in
            _ = memmove(b.baseAddress!, b.baseAddress! + headerEnd, filled - headerEnd)
        }
        filled -= headerEnd

        let threadCount = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        let partsPerBlock = threadCount == 1 ? 1 : threadCount * 4
        let labels = OutputLabels(locator: locator)
        let needsTransform = PointPlacer.needsTransform(crs)
        // Fail before reading rows when PROJ cannot do the transformation at all.
        if needsTransform { _ = try CoordinateTransformer(from: crs, to: .wgs84) }
        // One worker per part, kept across blocks; in a raw buffer so the concurrent parts mutate their own worker
        // without dynamic exclusivity checks (each iteration touches only index k).
        // Each worker made on its own: each owns its output buffer.
        let workers = UnsafeMutablePointer<PartWorker>.allocate(capacity: partsPerBlock)
        for k in 0..<partsPerBlock {
            (workers + k).initialize(to: PartWorker(layout: layout, labels: labels, locator: locator, crs: crs,
                                                    needsTransform: needsTransform, snapMetres: snapMetres,
                                                    matcher: addressMatcher, checkAddress: checkAddress))
        }
        defer {
            workers.deinitialize(count: partsPerBlock)
            workers.deallocate()
        }
        var summary = GeocodeSummary()
        summary.idColumn = layout.id.name
        var counts = [Int](repeating: 0, count: GeocodeStatus.allCases.count)
        var nextLine = 1 + headerLines

        while filled > 0 || !atEnd {
            if !atEnd && filled < blockBytes { try fill() }
            if filled == 0 { break }
            // Cut the block after its last whole record (all of it at the end of the file).
            var cut: CSVScanner.Cut = buffer.withUnsafeBufferPointer {
                CSVScanner.cut($0, count: filled, parts: partsPerBlock, wholeBuffer: atEnd)
            }
            while cut.end == 0 && !atEnd {
                try fill()  // one record longer than the block: grow until it fits
                cut = buffer.withUnsafeBufferPointer { CSVScanner.cut($0, count: filled, parts: partsPerBlock, wholeBuffer: atEnd) }
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
                try output.write(w.pointee.output.bytes)
                summary.rows += w.pointee.rows
                for s in counts.indices { counts[s] += w.pointee.counts[s] }
                for var row in w.pointee.invalid where summary.invalidRows.count < Self.keptInvalidRows {
                    row.line += nextLine
                    summary.invalidRows.append(row)
                }
                for var row in w.pointee.unplaced where summary.unplacedRows.count < Self.keptInvalidRows {
                    row.line += nextLine
                    summary.unplacedRows.append(row)
                }
                summary.disagreementCount += w.pointee.disagreements.count
                for var row in w.pointee.disagreements where summary.disagreements.count < Self.keptInvalidRows {
                    row.line += nextLine
                    summary.disagreements.append(row)
                }
                for (status, n) in w.pointee.matchCounts { summary.byMatch[status, default: 0] += n }
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
