import Foundation
import GridworkTestSupport
import Testing
@testable import Gridwork

/// The wide (eight bytes at a time) record splitter finds exactly what the byte-by-byte one finds.
@Suite struct CSVScannerTests {
    struct Split: Equatable {
        var fieldCount: Int
        var next: Int
        var lineEnds: Int
        var fields: [Range<Int>]
    }

    static func split(_ b: UnsafeBufferPointer<UInt8>, from start: Int, capacity: Int, wide: Bool) -> Split {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * capacity) { offsets in
            let starts = offsets.baseAddress!, ends = starts + capacity
            let r = wide ? CSVScanner.recordWide(b, from: start, starts: starts, ends: ends, capacity: capacity)
                         : CSVScanner.record(b, from: start, starts: starts, ends: ends, capacity: capacity)
            let stored = (0..<min(r.fieldCount, capacity)).map { Int(starts[$0])..<Int(ends[$0]) }
            return Split(fieldCount: r.fieldCount, next: r.next, lineEnds: r.lineEnds, fields: stored)
        }
    }

    /// Seeded random texts over the bytes that matter (commas, quotes, LF, CR) and ordinary ones, split from every
    /// record start and from every byte, with capacities below and above the field counts.
    @Test func wideSplitEqualsByteSplit() {
        var random = SplitMix64(seed: 0x5C4E)
        let alphabet = Array("ab1.-,,,\"\n\n\r ".utf8)
        var compared = 0
        for length in Array(0...40) + [63, 64, 65, 200] {
            for _ in 0..<40 {
                let bytes = (0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
                bytes.withUnsafeBufferPointer { b in
                    for start in 0...b.count {
                        for capacity in [1, 3, 8] {
                            let wide = Self.split(b, from: start, capacity: capacity, wide: true)
                            let narrow = Self.split(b, from: start, capacity: capacity, wide: false)
                            #expect(wide == narrow, "\(String(decoding: bytes, as: UTF8.self).debugDescription) from \(start)")
                            compared += 1
                        }
                    }
                }
            }
        }
        #expect(compared > 50_000)
    }

    /// Typical point rows (no quotes): fields, CR before LF dropped, the last record without a line end.
    @Test func unquotedRows() {
        let text = Array("H1,120.1234567,29.7654321\r\nH22,119.5,30.25\nlast,1,2".utf8)
        text.withUnsafeBufferPointer { b in
            let first = Self.split(b, from: 0, capacity: 3, wide: true)
            #expect(first.fields.map { String(decoding: b[$0], as: UTF8.self) } == ["H1", "120.1234567", "29.7654321"])
            #expect(first.fieldCount == 3 && first.lineEnds == 1)
            let second = Self.split(b, from: first.next, capacity: 3, wide: true)
            #expect(second.fields.map { String(decoding: b[$0], as: UTF8.self) } == ["H22", "119.5", "30.25"])
            let third = Self.split(b, from: second.next, capacity: 3, wide: true)
            #expect(third.fields.map { String(decoding: b[$0], as: UTF8.self) } == ["last", "1", "2"])
            #expect(third.next == b.count && third.lineEnds == 0)
        }
    }
}
