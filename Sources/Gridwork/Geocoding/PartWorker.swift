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
    var out: [UInt8] = []
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
        let bytes = UnsafeBufferPointer(start: base, count: count)
        parse(bytes)
        if needsTransform { transformAll(bytes) }
        locateAndWrite(bytes)
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
            let record = CSVScanner.record(b, from: i, starts: fieldStarts, ends: fieldEnds, capacity: fieldCount)
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
            let x = NumberParser.parseField(b, xr)
            let y = NumberParser.parseField(b, yr)
            let xName = layout.x.name, yName = layout.y.name
            switch (x, y) {
            case (.number(let x), .number(let y)):
                if !x.isFinite || !y.isFinite {
                    reject(b, reason: "\(xName),\(yName) is not a finite number (\(text(b, xr)), \(text(b, yr)))")
                } else if geographic && (abs(x) > 180 || abs(y) > 90) {
                    if let bounds = locator.bounds, PointPlacer.looksSwapped(x: x, y: y, geographic: true, bounds: bounds) {
                        reject(b, reason: PlacementError.looksSwapped(x: x, y: y).description)
                    } else {
                        reject(b, reason: "(\(text(b, xr)), \(text(b, yr))) is out of range for longitude/latitude " +
                               "(|lon| ≤ 180, |lat| ≤ 90); is --crs right?")
                    }
                } else {
                    positions.append(Position(x, y))
                    valid.append(true)
                    byAddress.append(false)
                }
            case (.empty, .empty) where matcher != nil && !address(b, rowStart.count - 1).isEmpty:
                positions.append(Position(.nan, .nan))
                valid.append(false)
                byAddress.append(true)
            case (.empty, _), (_, .empty):
                reject(b, reason: "missing \(xName) or \(yName)" + (matcher == nil ? "" : " and no address"))
            default:
                reject(b, reason: "\(xName),\(yName) is not numeric ('\(text(b, xr))', '\(text(b, yr))')")
            }
        }
        lines = line
    }

    private func text(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        CSVScanner.unquoted(b, r).trimmingCharacters(in: .whitespaces)
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
        return CSVScanner.unquoted(b, Int(addressRange[2 * k])..<Int(addressRange[2 * k + 1])).trimmingSpaces
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
