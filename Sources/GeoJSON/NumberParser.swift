import Foundation

/// Decimal numbers straight from bytes, without making a `String` per number: the one number parser of the
/// project, for JSON (the GeoJSON reader) and for CSV fields (the geocoder's point files).
///
/// Fast path (Clinger 1990): when the decimal significand has at most 19 digits and fits in 2^53, and the decimal
/// exponent is within ±22, the value is one exactly-rounded multiplication or division of two exactly
/// representable doubles, so it is the correctly rounded result. Everything else goes to C `strtod` on a
/// NUL-terminated copy in a temporary (stack) buffer, which is what `Double(String)` uses, so results always equal
/// `Double(String)` for the same text.
public enum NumberParser {
    public enum Outcome: Sendable, Equatable {
        /// The value and the number of bytes it took.
        case value(Double, Int)
        /// The token runs to the end of the bytes given and more input may follow.
        case needMoreInput
        /// Not a valid number: what was expected, and the byte offset of the problem.
        case invalid(String, Int)
    }

    /// What a delimited text field (a CSV cell) holds.
    public enum FieldOutcome: Sendable, Equatable {
        case number(Double)
        /// Nothing but spaces (or `""`).
        case empty
        case notNumeric
    }

    /// Exact powers of ten as doubles, 10^0 ... 10^22.
    @usableFromInline
    static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    @usableFromInline
    static let two53: UInt64 = 1 << 53

    /// The fast path's exact value of `significand × 10^exponent`, or nil when it does not apply.
    @inlinable @inline(__always)
    static func exactValue(_ significand: UInt64, exponent: Int) -> Double? {
        guard significand <= two53, exponent >= -22, exponent <= 22 else { return nil }
        var value = Double(significand)
        if exponent < 0 {
            value /= powersOfTen[-exponent]
        } else if exponent > 0 {
            value *= powersOfTen[exponent]
        }
        return value
    }

    /// A whole text field `b[range]` as a number: spaces and tabs around it and one pair of double quotes are
    /// ignored; a sign, digits with at most one point (`.5` and `5.` included) take the fast path; anything else
    /// (exponents, long mantissas, `nan`, `inf`) must be consumed whole by `strtod`.
    @inlinable
    public static func parseField(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> FieldOutcome {
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
                    if digits > 19 { return wholeFieldStrtod(b, lo, hi) }
                    mantissa = mantissa &* 10 &+ UInt64(c - 48)
                }
                if sawPoint { fraction += 1 }
            } else if c == 46 && !sawPoint {
                sawPoint = true
            } else {
                return wholeFieldStrtod(b, lo, hi)
            }
            i += 1
        }
        guard sawDigit, let value = exactValue(mantissa, exponent: -fraction) else { return wholeFieldStrtod(b, lo, hi) }
        return .number(negative ? -value : value)
    }

    /// A field that is a plain decimal — an optional sign, then digits with at most one point, nothing else (no
    /// spaces, quotes or exponent) — read straight from memory when the fast path applies (at most 19 significant
    /// digits, a significand up to 2^53, at most 22 decimals); nil otherwise. For every text it accepts the value is
    /// the one `parseField` gives (the same significand, exponent and single rounding), so callers fall back to
    /// `parseField` on nil and get identical results either way. The geocoder's per-row path.
    @inlinable @inline(__always)
    public static func plainDecimal(_ p: UnsafePointer<UInt8>, count: Int) -> Double? {
        guard count > 0 else { return nil }
        var i = 0
        let first = p[0]
        let negative = first == 45
        if negative || first == 43 { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var point = -1
        var sawDigit = false
        while i < count {
            let c = p[i]
            let d = c &- 48
            if d <= 9 {
                sawDigit = true
                if mantissa != 0 || d != 0 {
                    digits += 1
                    mantissa = mantissa &* 10 &+ UInt64(d)
                }
            } else if c == 46 && point < 0 {
                point = i
            } else {
                return nil
            }
            i += 1
        }
        guard sawDigit, digits <= 19 else { return nil }
        let fraction = point < 0 ? 0 : count - point - 1
        guard let value = exactValue(mantissa, exponent: -fraction) else { return nil }
        return negative ? -value : value
    }

    /// `strtod` over a NUL-terminated copy of `b[lo ..< hi]`; the whole field must be consumed.
    @usableFromInline
    static func wholeFieldStrtod(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> FieldOutcome {
        let n = hi - lo
        guard n < 512 else { return .notNumeric }
        var consumed = 0
        let value = strtodCopy(b.baseAddress! + lo, count: n, consumed: &consumed)
        return consumed == n ? .number(value) : .notNumeric
    }

    /// Parses a number at the start of `bytes`. `complete` says no more input follows `count`.
    @inline(__always)
    public static func parse(_ bytes: UnsafePointer<UInt8>, count: Int, complete: Bool) -> Outcome {
        var i = 0
        @inline(__always) func byte(_ k: Int) -> UInt8? { k < count ? bytes[k] : nil }

        var negative = false
        if byte(0) == UInt8(ascii: "-") {
            negative = true
            i = 1
        }
        guard let first = byte(i) else { return complete ? .invalid("expected a digit after '-'", i) : .needMoreInput }
        if first == UInt8(ascii: "N") || first == UInt8(ascii: "I") {
            return parseNonFinite(bytes, count: count, complete: complete, start: i, negative: negative)
        }

        var significand: UInt64 = 0
        var digits = 0  // significant digits accumulated into `significand`
        var droppedDigits = false  // more than 19 significant digits
        var exponent = 0  // decimal exponent to apply to `significand`

        // Integer part.
        if first == UInt8(ascii: "0") {
            i += 1
        } else if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
            while let c = byte(i), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                if digits < 19 {
                    significand = significand &* 10 &+ UInt64(c &- UInt8(ascii: "0"))
                    digits += 1
                } else {
                    droppedDigits = true
                    exponent += 1
                }
                i += 1
            }
        } else {
            return .invalid(negative ? "expected a digit after '-'" : "expected a number", i)
        }

        // Fraction.
        if byte(i) == UInt8(ascii: ".") {
            i += 1
            guard let c = byte(i) else { return complete ? .invalid("expected a digit after '.'", i) : .needMoreInput }
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return .invalid("expected a digit after '.'", i) }
            while let c = byte(i), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                if digits < 19 {
                    if significand != 0 || c != UInt8(ascii: "0") {
                        significand = significand &* 10 &+ UInt64(c &- UInt8(ascii: "0"))
                        digits += 1
                    }
                    exponent -= 1
                } else if c != UInt8(ascii: "0") {
                    droppedDigits = true
                }
                i += 1
            }
        }

        // Exponent.
        if let c = byte(i), c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            i += 1
            var exponentNegative = false
            if let sign = byte(i), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponentNegative = sign == UInt8(ascii: "-")
                i += 1
            }
            guard let d = byte(i) else { return complete ? .invalid("expected a digit in the exponent", i) : .needMoreInput }
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return .invalid("expected a digit in the exponent", i) }
            var explicit = 0
            while let c = byte(i), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                if explicit < 100_000 { explicit = explicit * 10 + Int(c - UInt8(ascii: "0")) }
                i += 1
            }
            exponent += exponentNegative ? -explicit : explicit
        }

        // A number must be followed by a delimiter; at the end of the buffer we cannot tell yet.
        if i == count && !complete { return .needMoreInput }

        if !droppedDigits, let value = exactValue(significand, exponent: exponent) {
            return .value(negative ? -value : value, i)
        }
        if significand == 0 && !droppedDigits {
            return .value(negative ? -0.0 : 0.0, i)
        }
        return .value(strtodCopy(bytes, count: i), i)
    }

    /// `strtod` on a NUL-terminated copy of the token (its grammar was checked by the caller).
    static func strtodCopy(_ bytes: UnsafePointer<UInt8>, count: Int) -> Double {
        var consumed = 0
        return strtodCopy(bytes, count: count, consumed: &consumed)
    }

    /// `strtod` on a NUL-terminated copy of `count` bytes, saying how many it consumed.
    @usableFromInline
    static func strtodCopy(_ bytes: UnsafePointer<UInt8>, count: Int, consumed: inout Int) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            let base = buffer.baseAddress!
            bytes.withMemoryRebound(to: CChar.self, capacity: count) { base.update(from: $0, count: count) }
            base[count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(base, &end)
            consumed = end.map { $0 - base } ?? 0
            return value
        }
    }

    /// `NaN`, `Infinity` or `-Infinity` (not JSON, but written by some tools).
    private static func parseNonFinite(_ bytes: UnsafePointer<UInt8>, count: Int, complete: Bool, start: Int, negative: Bool) -> Outcome {
        let word: [UInt8] = bytes[start] == UInt8(ascii: "N") ? Array("NaN".utf8) : Array("Infinity".utf8)
        for (k, expected) in word.enumerated() {
            let index = start + k
            guard index < count else { return complete ? .invalid("expected '\(String(decoding: word, as: UTF8.self))'", index) : .needMoreInput }
            guard bytes[index] == expected else { return .invalid("expected '\(String(decoding: word, as: UTF8.self))'", index) }
        }
        let end = start + word.count
        if word.count == 3 {
            if negative { return .invalid("expected 'Infinity' after '-'", start) }
            return .value(.nan, end)
        }
        return .value(negative ? -.infinity : .infinity, end)
    }
}
