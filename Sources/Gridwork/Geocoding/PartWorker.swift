import Foundation
import GeoJSON
import GridAddress
import GridProjection

/// The read-only inputs of one block, shared by the concurrent parts; each part writes only its own worker.
struct SharedParts: @unchecked Sendable {
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
struct PartWorker {
    let layout: ColumnLayout
    let labels: OutputLabels
    let locator: GridLocator
    let crs: CoordinateReferenceSystem
    let needsTransform: Bool
    let snapMetres: Double
    let geographic: Bool
    /// Places rows without coordinates by their address (`layout.address`); nil when the job does not.
    let matcher: AddressMatcher?
    /// Also match the address of rows with coordinates and list where its building differs from the point's.
    let checkAddress: Bool
    private var transformer: CoordinateTransformer?

    // Outputs of the last `process` call.
    /// The part's output rows (one worker per part, each with its own buffer, reused block after block).
    let output = OutputBytes()
    /// The slow paths' rows, copied into `output` at the end.
    private var out: [UInt8] = []
    var counts = [Int](repeating: 0, count: GeocodeStatus.allCases.count)
    /// Rows found invalid, their lines relative to the part's first line.
    var invalid: [InvalidPointRow] = []
    /// Rows without coordinates whose address placed no grid, with the matcher's reason.
    var unplaced: [InvalidPointRow] = []
    /// With `checkAddress`: rows whose address names another building than the point lies in.
    var disagreements: [InvalidPointRow] = []
    /// Rows placed by address, by match status.
    var matchCounts: [AddressMatchStatus: Int] = [:]
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
    private var addressRange: [Int32] = []   // start, end pairs, when the layout has an address column
    private var byAddress: [Bool] = []       // no coordinates, an address: placed by the matcher

    init(layout: ColumnLayout, labels: OutputLabels, locator: GridLocator, crs: CoordinateReferenceSystem,
         needsTransform: Bool, snapMetres: Double, matcher: AddressMatcher? = nil, checkAddress: Bool = false) {
        self.layout = layout
        self.labels = labels
        self.locator = locator
        self.crs = crs
        self.needsTransform = needsTransform
        self.snapMetres = snapMetres
        self.geographic = crs.isGeographic
        self.matcher = layout.address == nil ? nil : matcher
        self.checkAddress = checkAddress
    }

    mutating func process(_ base: UnsafePointer<UInt8>, count: Int) {
        out.removeAll(keepingCapacity: true)
        for s in counts.indices { counts[s] = 0 }
        invalid.removeAll(keepingCapacity: true)
        unplaced.removeAll(keepingCapacity: true)
        disagreements.removeAll(keepingCapacity: true)
        matchCounts.removeAll(keepingCapacity: true)
        addressRange.removeAll(keepingCapacity: true)
        byAddress.removeAll(keepingCapacity: true)
        rows = 0
        lines = 0
        failure = nil
        rowStart.removeAll(keepingCapacity: true)
        rowLine.removeAll(keepingCapacity: true)
        idRange.removeAll(keepingCapacity: true)
        carriedRanges.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        valid.removeAll(keepingCapacity: true)
        output.count = 0
        let bytes = UnsafeBufferPointer(start: base, count: count)
        if !needsTransform && matcher == nil {
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * layout.fieldCount) { offsets in
                processDirect(bytes, fieldStarts: offsets.baseAddress!, fieldEnds: offsets.baseAddress! + layout.fieldCount)
            }
            return
        }
        parse(bytes)
        if needsTransform { transformAll(bytes) }
        locateAndWrite(bytes)
        out.withUnsafeBufferPointer { output.append($0) }
    }

    // MARK: The one-pass path

    /// Points already in the locator's frame, no address matching: each record is split (`recordWide`), its
    /// coordinates parsed in place (`NumberParser.plainDecimal`, else `parseField`), located, and its output row
    /// written through a raw pointer into `output` before the next record is read; no per-row arrays, no `String`
    /// unless the row is invalid. Rows, statuses, reasons and line numbers are those of the three-pass path.
    private mutating func processDirect(_ b: UnsafeBufferPointer<UInt8>, fieldStarts: UnsafeMutablePointer<Int32>,
                                        fieldEnds: UnsafeMutablePointer<Int32>) {
        let n = b.count
        guard n > 0, let base = b.baseAddress else { return }
        let fieldCount = layout.fieldCount
        let idCol = layout.id.index, xCol = layout.x.index, yCol = layout.y.index
        let carried = layout.carried
        let carriedCount = carried.count
        // Bytes a row can add beyond its own record's: the separators, the labels, the line end.
        let rowExtra = 3 + carriedCount + 1 + labels.grids.longest + labels.buildings.longest + labels.statuses.longest
        let geographic = self.geographic
        let snapMetres = self.snapMetres
        var rowCount = 0
        var line = 0
        var i = 0
        var statusCounts = (0, 0, 0, 0, 0, 0, 0, 0)
        var dst = output.base + output.count
        var dstEnd = output.base + output.capacity
        labels.grids.bytes.withUnsafeBufferPointer { gridBytes in
        labels.grids.start.withUnsafeBufferPointer { gridStart in
        labels.buildings.bytes.withUnsafeBufferPointer { buildingBytes in
        labels.buildings.start.withUnsafeBufferPointer { buildingStart in
        labels.statuses.bytes.withUnsafeBufferPointer { statusBytes in
        labels.statuses.start.withUnsafeBufferPointer { statusStart in
        carried.withUnsafeBufferPointer { carried in
            let grid = gridBytes.baseAddress!, building = buildingBytes.baseAddress!, status = statusBytes.baseAddress!
            while i < n {
                let recordStart = i
                let recordLine = line
                let record = CSVScanner.recordWide(b, from: i, starts: fieldStarts, ends: fieldEnds, capacity: fieldCount)
                i = record.next
                line += record.lineEnds
                if record.isBlank(fieldStarts, fieldEnds) { continue }
                rowCount += 1
                let f = record.fieldCount
                let needed = (i - recordStart) + rowExtra
                if dstEnd - dst < needed {
                    output.count = dst - output.base
                    output.reserve(needed)
                    dst = output.base + output.count
                    dstEnd = output.base + output.capacity
                }

                var hit = GeocodeHit(grid: -1, building: -1, status: .invalid)
                if f != fieldCount {
                    rejectRow(b, line: recordLine, idRange: idCol < f ? Int(fieldStarts[idCol])..<Int(fieldEnds[idCol]) : 0..<0,
                              reason: "the row has \(f) fields but the header has \(fieldCount): quote fields that contain commas")
                } else {
                    let xs = Int(fieldStarts[xCol]), xe = Int(fieldEnds[xCol])
                    let ys = Int(fieldStarts[yCol]), ye = Int(fieldEnds[yCol])
                    var point: Position? = nil
                    if let x = NumberParser.plainDecimal(base + xs, count: xe - xs),
                       let y = NumberParser.plainDecimal(base + ys, count: ye - ys),
                       !geographic || (abs(x) <= 180 && abs(y) <= 90) {
                        point = Position(x, y)
                    } else {
                        switch rowPoint(b, xs..<xe, ys..<ye) {
                        case .point(let p): point = p
                        case .noCoordinates:
                            rejectRow(b, line: recordLine, idRange: Int(fieldStarts[idCol])..<Int(fieldEnds[idCol]),
                                      reason: missingReason)
                        case .invalid(let reason):
                            rejectRow(b, line: recordLine, idRange: Int(fieldStarts[idCol])..<Int(fieldEnds[idCol]),
                                      reason: reason)
                        }
                    }
                    if let point {
                        hit = locator.locateHit(point, snapMetres: snapMetres)
                        if hit.status == .invalid {
                            rejectRow(b, line: recordLine, idRange: Int(fieldStarts[idCol])..<Int(fieldEnds[idCol]),
                                      reason: "the transformed point (\(point.x), \(point.y)) is not a valid longitude/latitude")
                        }
                    }
                }

                // id,grid_id,building_id,status[,carried...]\n
                if idCol < f { Self.copy(base + Int(fieldStarts[idCol]), Int(fieldEnds[idCol] - fieldStarts[idCol]), to: &dst) }
                dst[0] = 44
                dst += 1
                if hit.grid >= 0 {
                    let g = Int(hit.grid)
                    Self.copy(grid + gridStart[g], gridStart[g + 1] - gridStart[g], to: &dst)
                }
                dst[0] = 44
                dst += 1
                if hit.building >= 0 {
                    let g = Int(hit.building)
                    Self.copy(building + buildingStart[g], buildingStart[g + 1] - buildingStart[g], to: &dst)
                }
                dst[0] = 44
                dst += 1
                let s = hit.status.ordinal
                Self.copy(status + statusStart[s], statusStart[s + 1] - statusStart[s], to: &dst)
                withUnsafeMutableBytes(of: &statusCounts) { $0.baseAddress!.assumingMemoryBound(to: Int.self)[s] += 1 }
                for j in 0..<carriedCount {
                    dst[0] = 44
                    dst += 1
                    let c = carried[j]
                    if c < f { Self.copy(base + Int(fieldStarts[c]), Int(fieldEnds[c] - fieldStarts[c]), to: &dst) }
                }
                dst[0] = 10
                dst += 1
            }
        }}}}}}}
        output.count = dst - output.base
        withUnsafeBytes(of: statusCounts) { raw in
            let c = raw.bindMemory(to: Int.self)
            for s in counts.indices { counts[s] = c[s] }
        }
        rows = rowCount
        lines = line
        if invalid.count > 1 { invalid.sort { $0.line < $1.line } }
    }

    /// Copies `count` bytes (an id, a label, a carried field: usually short) eight at a time.
    @inline(__always)
    static func copy(_ source: UnsafePointer<UInt8>, _ count: Int, to dst: inout UnsafeMutablePointer<UInt8>) {
        if count > 64 {
            dst.update(from: source, count: count)
        } else {
            var k = 0
            while count - k >= 8 {
                UnsafeMutableRawPointer(dst + k).storeBytes(of: UnsafeRawPointer(source + k).loadUnaligned(as: UInt64.self),
                                                            as: UInt64.self)
                k += 8
            }
            while k < count {
                dst[k] = source[k]
                k += 1
            }
        }
        dst += count
    }

    /// Records an invalid row of the one-pass path.
    private mutating func rejectRow(_ b: UnsafeBufferPointer<UInt8>, line: Int, idRange: Range<Int>, reason: String) {
        invalid.append(InvalidPointRow(line: line, id: CSVScanner.unquoted(b, idRange), reason: reason))
    }

    /// The reason for a row without coordinates (and, with address matching, without an address).
    private var missingReason: String {
        "missing \(layout.x.name) or \(layout.y.name)" + (matcher == nil ? "" : " and no address")
    }

    /// What the coordinate fields of a row hold.
    private enum RowPoint {
        case point(Position)
        /// Both coordinates empty.
        case noCoordinates
        case invalid(String)
    }

    /// The coordinates of a row with the header's field count, parsed and checked (finite; in range for
    /// longitude/latitude, with the swapped-axes hint); both paths use it.
    private func rowPoint(_ b: UnsafeBufferPointer<UInt8>, _ xr: Range<Int>, _ yr: Range<Int>) -> RowPoint {
        let x = NumberParser.parseField(b, xr)
        let y = NumberParser.parseField(b, yr)
        let xName = layout.x.name, yName = layout.y.name
        switch (x, y) {
        case (.number(let x), .number(let y)):
            if !x.isFinite || !y.isFinite {
                return .invalid("\(xName),\(yName) is not a finite number (\(text(b, xr)), \(text(b, yr)))")
            } else if geographic && (abs(x) > 180 || abs(y) > 90) {
                if let bounds = locator.bounds, PointPlacer.looksSwapped(x: x, y: y, geographic: true, bounds: bounds) {
                    return .invalid(PlacementError.looksSwapped(x: x, y: y).description)
                }
                return .invalid("(\(text(b, xr)), \(text(b, yr))) is out of range for longitude/latitude " +
                                "(|lon| ≤ 180, |lat| ≤ 90); is --crs right?")
            }
            return .point(Position(x, y))
        case (.empty, .empty):
            return .noCoordinates
        case (.empty, _), (_, .empty):
            return .invalid(missingReason)
        default:
            return .invalid("\(xName),\(yName) is not numeric ('\(text(b, xr))', '\(text(b, yr))')")
        }
    }

    /// Splits records into fields and parses the coordinates.
    private mutating func parse(_ b: UnsafeBufferPointer<UInt8>) {
        let fieldCount = layout.fieldCount
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * fieldCount) { offsets in
            parse(b, fieldStarts: offsets.baseAddress!, fieldEnds: offsets.baseAddress! + fieldCount)
        }
    }

    private mutating func parse(_ b: UnsafeBufferPointer<UInt8>, fieldStarts: UnsafeMutablePointer<Int32>,
                                fieldEnds: UnsafeMutablePointer<Int32>) {
        let n = b.count
        let fieldCount = layout.fieldCount
        var i = 0
        var line = 0
        while i < n {
            let recordStart = i
            let recordLine = line
            let record = CSVScanner.recordWide(b, from: i, starts: fieldStarts, ends: fieldEnds, capacity: fieldCount)
            i = record.next
            line += record.lineEnds
            if record.isBlank(fieldStarts, fieldEnds) { continue }
            let f = record.fieldCount

            rowStart.append(Int32(recordStart))
            rowLine.append(Int32(recordLine))
            let idCol = layout.id.index
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
            if let a = layout.address {
                if a.index < f {
                    addressRange.append(fieldStarts[a.index]); addressRange.append(fieldEnds[a.index])
                } else {
                    addressRange.append(0); addressRange.append(0)
                }
            }
            if f != fieldCount {
                reject(b, reason: "the row has \(f) fields but the header has \(fieldCount): quote fields that contain commas")
                continue
            }
            let xr = Int(fieldStarts[layout.x.index])..<Int(fieldEnds[layout.x.index])
            let yr = Int(fieldStarts[layout.y.index])..<Int(fieldEnds[layout.y.index])
            switch rowPoint(b, xr, yr) {
            case .point(let p):
                positions.append(p)
                valid.append(true)
                byAddress.append(false)
            case .noCoordinates where matcher != nil && !address(b, rowStart.count - 1).isEmpty:
                positions.append(Position(.nan, .nan))
                valid.append(false)
                byAddress.append(true)
            case .noCoordinates:
                reject(b, reason: missingReason)
            case .invalid(let reason):
                reject(b, reason: reason)
            }
        }
        lines = line
    }

    private func text(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        CSVScanner.unquoted(b, r).trimmingSpaces
    }

    /// Marks the last parsed row invalid.
    private mutating func reject(_ b: UnsafeBufferPointer<UInt8>, reason: String) {
        let k = rowStart.count - 1
        invalid.append(InvalidPointRow(line: Int(rowLine[k]), id: id(b, k), reason: reason))
        positions.append(Position(.nan, .nan))
        valid.append(false)
        byAddress.append(false)
    }

    private func id(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> String {
        CSVScanner.unquoted(b, Int(idRange[2 * k])..<Int(idRange[2 * k + 1]))
    }

    /// Row k's address, unquoted and trimmed ("" without an address column).
    private func address(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> String {
        guard layout.address != nil else { return "" }
        return text(b, Int(addressRange[2 * k])..<Int(addressRange[2 * k + 1]))
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
            let id = CSVScanner.unquoted(b, Int(idRange[2 * k])..<Int(idRange[2 * k + 1]))
            invalid.append(InvalidPointRow(line: Int(rowLine[k]), id: id, reason: reason))
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
                var match: AddressMatch? = nil
                if let matcher, byAddress[k] || (checkAddress && valid[k]) {
                    let a = address(b, k)
                    if !a.isEmpty { match = matcher.match(a) }
                }
                if byAddress[k] {
                    writeByAddress(b, k, match!, into: &out)
                    continue
                }
                if valid[k] {
                    hit = locator.locateHit(positions[k], snapMetres: snapMetres)
                    if hit.status == .invalid {
                        let id = CSVScanner.unquoted(b, Int(idRange[2 * k])..<Int(idRange[2 * k + 1]))
                        invalid.append(InvalidPointRow(line: Int(rowLine[k]), id: id, reason: "the transformed point " +
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
                if matcher != nil {
                    writeMatch(match, into: &out)
                    if let match, let matched = match.buildingID,
                       [.exact, .building, .roadNumber].contains(match.status) {
                        let pointBuilding = hit.building >= 0 ? locator.buildingIDs[Int(hit.building)] : nil
                        if pointBuilding != matched {
                            disagreements.append(InvalidPointRow(line: Int(rowLine[k]), id: id(b, k), reason:
                                "the address \(address(b, k)) is building \(matched) (\(match.status.rawValue)) but the point is in "
                                + (pointBuilding.map { "building \($0)" } ?? "no building")))
                        }
                    }
                }
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

    /// A row without coordinates, placed by its address: the matched grid and building (status `address`), or none
    /// (status `unplaced`, listed with the matcher's reason).
    private mutating func writeByAddress(_ b: UnsafeBufferPointer<UInt8>, _ k: Int, _ match: AddressMatch,
                                         into out: inout [UInt8]) {
        let lo = Int(idRange[2 * k]), hi = Int(idRange[2 * k + 1])
        if hi > lo { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[lo..<hi])) }
        out.append(44)
        if let g = match.gridID { out.append(contentsOf: CSVFormat.escaped(g).utf8) }
        out.append(44)
        if let building = match.buildingID { out.append(contentsOf: CSVFormat.escaped(building).utf8) }
        out.append(44)
        let status: GeocodeStatus = match.gridID != nil ? .address : .unplaced
        matchCounts[match.status, default: 0] += 1
        counts[status.ordinal] += 1
        out.append(contentsOf: status.rawValue.utf8)
        if status == .unplaced {
            unplaced.append(InvalidPointRow(line: Int(rowLine[k]), id: id(b, k), reason: "address \(address(b, k)): "
                + match.status.rawValue + (match.reason.map { " (\($0))" } ?? "")
                + (match.candidates.isEmpty ? "" : "; candidates " + match.candidates.prefix(10).joined(separator: " "))))
        }
        writeMatch(match, into: &out)
        let carriedCount = layout.carried.count
        for j in 0..<carriedCount {
            out.append(44)
            let lo = Int(carriedRanges[(k * carriedCount + j) * 2]), hi = Int(carriedRanges[(k * carriedCount + j) * 2 + 1])
            if hi > lo { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[lo..<hi])) }
        }
        out.append(10)
    }

    /// The `match,score,matched_address` columns (empty without a match).
    private func writeMatch(_ match: AddressMatch?, into out: inout [UInt8]) {
        out.append(44)
        guard let match else { out.append(44); out.append(44); return }
        out.append(contentsOf: match.status.rawValue.utf8)
        out.append(44)
        out.append(contentsOf: String(match.score).utf8)
        out.append(44)
        if let a = match.matchedAddress { out.append(contentsOf: CSVFormat.escaped(a).utf8) }
    }

}

/// A growable byte buffer written through its raw pointer: a part's output rows, reused block after block.
final class OutputBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// Bytes written.
    var count = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for `extra` more bytes after `count` (doubling), keeping the bytes written.
    func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var grown = capacity
        while grown < count + extra { grown *= 2 }
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        moved.update(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = grown
    }

    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
