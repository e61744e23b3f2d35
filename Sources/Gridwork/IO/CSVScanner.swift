import Foundation

/// RFC 4180 record boundaries and fields over raw bytes: quoted fields may hold commas, doubled quotes and line
/// breaks; records end at LF (a CR before it is dropped). The one CSV scanner: the geocoder's block path cuts
/// blocks with `cut` and splits records with `record` straight into its offset arrays (no `String` per field);
/// `CSVReader` finds records with `endOfFirstRecord`, splits them with `fields` (the same `record` loop) and makes
/// strings of them with `unquoted`, checking the quoting strictly on top.
enum CSVScanner {
    /// What `record` found.
    struct Record {
        /// Fields in the record (may exceed the capacity given to `record`; only that many were stored).
        var fieldCount: Int
        /// Where the next record starts (the end of the bytes when the record has no line end).
        var next: Int
        /// Line ends consumed, inside quoted fields and the record's own.
        var lineEnds: Int

        /// A record with one empty unquoted field: a blank line.
        @inline(__always)
        func isBlank(_ starts: UnsafeMutablePointer<Int32>, _ ends: UnsafeMutablePointer<Int32>) -> Bool {
            fieldCount == 1 && starts[0] == ends[0]
        }
    }

    /// Splits the record starting at `start` in `b` into fields: field `k` (for `k < capacity`) is
    /// `starts[k] ..< ends[k]`, quotes kept; the last field ends before the line end and a CR before it.
    @inline(__always)
    static func record(_ b: UnsafeBufferPointer<UInt8>, from start: Int, starts: UnsafeMutablePointer<Int32>,
                       ends: UnsafeMutablePointer<Int32>, capacity: Int) -> Record {
        let n = b.count
        var i = start
        var f = 0
        var fieldStart = start
        var quoted = false
        var recordEnd = n
        var next = n
        var lines = 0
        while i < n {
            let c = b[i]
            if c == 34 {
                quoted.toggle()
            } else if !quoted {
                if c == 44 {
                    if f < capacity { starts[f] = Int32(fieldStart); ends[f] = Int32(i) }
                    f += 1
                    fieldStart = i + 1
                } else if c == 10 {
                    recordEnd = i
                    next = i + 1
                    lines += 1
                    break
                }
            } else if c == 10 {
                lines += 1
            }
            i += 1
        }
        var lastEnd = recordEnd
        if lastEnd > fieldStart && b[lastEnd - 1] == 13 { lastEnd -= 1 }
        if f < capacity { starts[f] = Int32(fieldStart); ends[f] = Int32(lastEnd) }
        return Record(fieldCount: f + 1, next: next, lineEnds: lines)
    }

    /// `record`, eight bytes at a time: the same fields, `next` and `lineEnds` for every input. Each 8-byte word is
    /// tested for commas, line feeds and quotes at once (SWAR: a byte equals c exactly when `byte ^ c` is zero, and
    /// `zeroBytes` marks zero bytes without false positives), so an unquoted record costs a few operations per eight
    /// bytes plus one step per delimiter. A record holding a quote is handed to `record` from its start.
    @inline(__always)
    static func recordWide(_ b: UnsafeBufferPointer<UInt8>, from start: Int, starts: UnsafeMutablePointer<Int32>,
                           ends: UnsafeMutablePointer<Int32>, capacity: Int) -> Record {
        #if _endian(little)
        guard let base = b.baseAddress, start < b.count else {
            return record(b, from: start, starts: starts, ends: ends, capacity: capacity)
        }
        let n = b.count
        var f = 0
        var fieldStart = start
        var i = start
        while i < n {
            let wordStart = i
            var mask: UInt64
            if n - i >= 8 {
                mask = specialBytes(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                i += 8
            } else {
                // The tail: the same marks, byte by byte.
                mask = 0
                var shift: UInt64 = 7
                while i < n {
                    let c = base[i]
                    if c == 44 || c == 10 || c == 34 { mask |= 1 &<< shift }
                    shift += 8
                    i += 1
                }
            }
            while mask != 0 {
                let at = wordStart + mask.trailingZeroBitCount >> 3
                mask &= mask &- 1
                let c = base[at]
                if c == 44 {
                    if f < capacity { starts[f] = Int32(truncatingIfNeeded: fieldStart); ends[f] = Int32(truncatingIfNeeded: at) }
                    f += 1
                    fieldStart = at + 1
                } else if c == 10 {
                    var lastEnd = at
                    if lastEnd > fieldStart && base[lastEnd - 1] == 13 { lastEnd -= 1 }
                    if f < capacity { starts[f] = Int32(truncatingIfNeeded: fieldStart); ends[f] = Int32(truncatingIfNeeded: lastEnd) }
                    return Record(fieldCount: f + 1, next: at + 1, lineEnds: 1)
                } else {
                    return record(b, from: start, starts: starts, ends: ends, capacity: capacity)
                }
            }
        }
        var lastEnd = n
        if lastEnd > fieldStart && base[lastEnd - 1] == 13 { lastEnd -= 1 }
        if f < capacity { starts[f] = Int32(truncatingIfNeeded: fieldStart); ends[f] = Int32(truncatingIfNeeded: lastEnd) }
        return Record(fieldCount: f + 1, next: n, lineEnds: 0)
        #else
        return record(b, from: start, starts: starts, ends: ends, capacity: capacity)
        #endif
    }

    /// Bit 7 of every byte of `w` that is a comma, a line feed or a double quote; every other bit clear.
    @inline(__always)
    static func specialBytes(_ w: UInt64) -> UInt64 {
        zeroBytes(w ^ 0x2C2C_2C2C_2C2C_2C2C) | zeroBytes(w ^ 0x0A0A_0A0A_0A0A_0A0A) | zeroBytes(w ^ 0x2222_2222_2222_2222)
    }

    /// Bit 7 of every zero byte of `x`, exactly: `(byte & 0x7F) + 0x7F` sets bit 7 unless the low seven bits are
    /// zero and never carries into the next byte; or-ing the byte itself covers bit 7.
    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((x & low7) &+ low7) | x | low7)
    }

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
        let record = UnsafeBufferPointer(rebasing: b[..<end])
        var capacity = 1
        for i in start..<end where b[i] == 44 { capacity += 1 }
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * capacity) { offsets in
            let starts = offsets.baseAddress!, ends = starts + capacity
            let found = Self.record(record, from: start, starts: starts, ends: ends, capacity: capacity)
            return (0..<min(found.fieldCount, capacity)).map { Int(starts[$0])..<Int(ends[$0]) }
        }
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

/// How a text becomes one CSV field, for `CSVWriter` and the geocoder's output.
enum CSVFormat {
    /// `text` as one CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
