import GeoJSON

/// A small signed big integer (magnitude in base 2^32, little-endian), enough to evaluate the
/// orientation determinant of doubles exactly in tests. Independent of the library's expansions.
struct BigInt: Equatable {
    var negative = false
    var magnitude: [UInt32] = []

    init(_ value: Int64) {
        negative = value < 0
        var m = value.magnitude
        while m != 0 {
            magnitude.append(UInt32(truncatingIfNeeded: m))
            m >>= 32
        }
    }

    init(negative: Bool, magnitude: [UInt32]) {
        var m = magnitude
        while m.last == 0 { m.removeLast() }
        self.negative = m.isEmpty ? false : negative
        self.magnitude = m
    }

    var signum: Int { magnitude.isEmpty ? 0 : (negative ? -1 : 1) }

    func shiftedLeft(_ bits: Int) -> BigInt {
        precondition(bits >= 0)
        let words = bits / 32, rest = bits % 32
        var out = [UInt32](repeating: 0, count: words)
        var carry: UInt32 = 0
        for w in magnitude {
            if rest == 0 {
                out.append(w)
            } else {
                out.append((w << UInt32(rest)) | carry)
                carry = w >> UInt32(32 - rest)
            }
        }
        if carry != 0 { out.append(carry) }
        return BigInt(negative: negative, magnitude: out)
    }

    static func compareMagnitude(_ a: [UInt32], _ b: [UInt32]) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for i in stride(from: a.count - 1, through: 0, by: -1) where a[i] != b[i] {
            return a[i] < b[i] ? -1 : 1
        }
        return 0
    }

    static func addMagnitude(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        var carry: UInt64 = 0
        for i in 0..<max(a.count, b.count) {
            let s = UInt64(i < a.count ? a[i] : 0) + UInt64(i < b.count ? b[i] : 0) + carry
            out.append(UInt32(truncatingIfNeeded: s))
            carry = s >> 32
        }
        if carry != 0 { out.append(UInt32(carry)) }
        return out
    }

    /// a - b with |a| >= |b|.
    static func subtractMagnitude(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        var borrow: Int64 = 0
        for i in 0..<a.count {
            var d = Int64(a[i]) - Int64(i < b.count ? b[i] : 0) - borrow
            if d < 0 { d += 1 << 32; borrow = 1 } else { borrow = 0 }
            out.append(UInt32(d))
        }
        return out
    }

    static func + (a: BigInt, b: BigInt) -> BigInt {
        if a.negative == b.negative {
            return BigInt(negative: a.negative, magnitude: addMagnitude(a.magnitude, b.magnitude))
        }
        if compareMagnitude(a.magnitude, b.magnitude) >= 0 {
            return BigInt(negative: a.negative, magnitude: subtractMagnitude(a.magnitude, b.magnitude))
        }
        return BigInt(negative: b.negative, magnitude: subtractMagnitude(b.magnitude, a.magnitude))
    }

    static prefix func - (a: BigInt) -> BigInt { BigInt(negative: !a.negative, magnitude: a.magnitude) }
    static func - (a: BigInt, b: BigInt) -> BigInt { a + (-b) }

    static func * (a: BigInt, b: BigInt) -> BigInt {
        if a.magnitude.isEmpty || b.magnitude.isEmpty { return BigInt(0) }
        var out = [UInt32](repeating: 0, count: a.magnitude.count + b.magnitude.count)
        for i in 0..<a.magnitude.count {
            var carry: UInt64 = 0
            for j in 0..<b.magnitude.count {
                let t = UInt64(a.magnitude[i]) * UInt64(b.magnitude[j]) + UInt64(out[i + j]) + carry
                out[i + j] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            var k = i + b.magnitude.count
            while carry != 0 {
                let t = UInt64(out[k]) + carry
                out[k] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
                k += 1
            }
        }
        return BigInt(negative: a.negative != b.negative, magnitude: out)
    }
}

/// The exact orientation sign of (a, b, c) computed with rational arithmetic: every double is
/// an integer times a power of two, so scaling all six by the smallest power gives integers.
func rationalOrient(_ a: Position, _ b: Position, _ c: Position) -> Int {
    let values = [a.x, a.y, b.x, b.y, c.x, c.y]
    // value = mantissa * 2^exponent with an integer mantissa.
    let parts: [(mantissa: Int64, exponent: Int)] = values.map { v in
        if v == 0 { return (0, 0) }
        let exponent = Int(v.exponent) - 52
        let mantissa = Int64(v.significand * 0x1p52)
        return (v < 0 ? -mantissa : mantissa, exponent)
    }
    let minExponent = parts.filter { $0.mantissa != 0 }.map(\.exponent).min() ?? 0
    let ints = parts.map { BigInt($0.mantissa).shiftedLeft($0.mantissa == 0 ? 0 : $0.exponent - minExponent) }
    let (ax, ay, bx, by, cx, cy) = (ints[0], ints[1], ints[2], ints[3], ints[4], ints[5])
    return ((ax - cx) * (by - cy) - (ay - cy) * (bx - cx)).signum
}
