// libFuzzer entry point for the CSV byte scanner and the CSV reader (Sources/Gridwork/IO) and the geocoder's
// column layout (Sources/Gridwork/Geocoding/PointColumns.swift). Built only by `tools/fuzz csv`, never by
// `swift build`; see docs/reliability.md. Uses `@testable import` because the scanner is internal (the fuzz build
// is a debug build, compiled with testing enabled).
//
// The first byte picks how many parts the geocoder's block cutter makes (1–8); the rest is the CSV text. Checked:
// the cutter's part boundaries are record boundaries as the record scanner finds them, in order, inside the block;
// the per-record field ranges lie inside their record; the wide (8 bytes at a time) splitter agrees with it; the strict reader and the column layout only throw their
// own errors.
@testable import Gridwork

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let parts = Int(data[0] % 8) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    bytes.withUnsafeBufferPointer { b in
        // Record starts as the scanner walks the whole buffer.
        var starts: Set<Int> = [0]
        var wholeEnds: [Int] = []
        var at = 0
        let capacity = 8
        let fieldStarts = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let fieldEnds = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        defer { fieldStarts.deallocate(); fieldEnds.deallocate() }
        while at < b.count {
            let record = CSVScanner.record(b, from: at, starts: fieldStarts, ends: fieldEnds, capacity: capacity)
            precondition(record.next > at && record.next <= b.count, "record at \(at) does not advance: \(record.next)")
            precondition(record.fieldCount >= 1, "record at \(at) has no field")
            for k in 0..<min(record.fieldCount, capacity) {
                let lo = Int(fieldStarts[k]), hi = Int(fieldEnds[k])
                precondition(at <= lo && lo <= hi && hi <= record.next, "field \(k) \(lo)..<\(hi) outside record \(at)..<\(record.next)")
            }
            // The wide splitter finds the same record, field for field.
            let wideStarts = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
            let wideEnds = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
            defer { wideStarts.deallocate(); wideEnds.deallocate() }
            let wide = CSVScanner.recordWide(b, from: at, starts: wideStarts, ends: wideEnds, capacity: capacity)
            precondition(wide.fieldCount == record.fieldCount && wide.next == record.next && wide.lineEnds == record.lineEnds,
                         "recordWide at \(at): \(wide) but record: \(record)")
            for k in 0..<min(record.fieldCount, capacity) {
                precondition(wideStarts[k] == fieldStarts[k] && wideEnds[k] == fieldEnds[k],
                             "recordWide field \(k) at \(at) differs")
            }
            let fields = CSVScanner.fields(b, from: at, to: record.next)
            precondition(fields.count == record.fieldCount, "fields() found \(fields.count), record() \(record.fieldCount)")
            for f in fields { _ = CSVScanner.unquoted(b, f) }
            if let end = CSVScanner.endOfFirstRecord(b, from: at, count: b.count) {
                precondition(end == record.next, "endOfFirstRecord \(end) but record ends at \(record.next)")
                wholeEnds.append(end)
            }
            at = record.next
            starts.insert(at)
        }
        for wholeBuffer in [false, true] {
            let cut = CSVScanner.cut(b, count: b.count, parts: parts, wholeBuffer: wholeBuffer)
            precondition(cut.end <= b.count, "cut end \(cut.end) past the buffer \(b.count)")
            if !wholeBuffer { precondition(cut.end == (wholeEnds.last ?? 0), "cut end \(cut.end), last whole record ends at \(wholeEnds.last ?? 0)") }
            precondition(cut.bounds.first == 0 && cut.bounds.last == cut.end, "cut bounds \(cut.bounds) do not span 0..<\(cut.end)")
            precondition(cut.bounds.count <= parts + 1, "cut into more than \(parts) parts: \(cut.bounds)")
            for (a, z) in zip(cut.bounds, cut.bounds.dropFirst()) where z != cut.end || !wholeBuffer {
                precondition(a < z || (a == 0 && z == 0), "cut bounds not increasing: \(cut.bounds)")
                precondition(starts.contains(z), "cut boundary \(z) is not a record boundary (\(cut.bounds))")
            }
        }
    }
    let reader = CSVReader(text: String(decoding: bytes, as: UTF8.self), name: "fuzz.csv")
    do {
        if let table = try? CSVTable(reader: reader) {
            _ = try? ColumnLayout(header: table.header, file: "fuzz.csv", addressColumn: "address")
            _ = try? ColumnLayout(header: table.header, file: "fuzz.csv")
        }
        var n = 0
        while try reader.next() != nil, n < 100_000 { n += 1 }
    } catch is CSVError {
    } catch {
        preconditionFailure("CSVReader threw something other than CSVError: \(error)")
    }
    return 0
}
