import SeededRandom

/// xoshiro256** (Blackman and Vigna 2018), its 256-bit state filled from `SplitMix64` as the authors advise.
///
/// The generator never touches the system random source: the same seed gives the same sequence on every run,
/// which is what makes a sample county byte-identical for a seed.
struct Xoshiro256: Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
    }

    /// An independent stream for one part of the generation, so that changing one part
    /// (say, incidents) does not shift the numbers another part (say, geometry) draws.
    init(seed: UInt64, stream: String) {
        // FNV-1a over the stream name, mixed with the seed.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in stream.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        self.init(seed: seed ^ hash)
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in [lower, upper).
    mutating func uniform(_ lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * unit()
    }

    /// A uniform integer in `range` (Lemire's nearly divisionless method, unbiased).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        if span == 0 { return Int(truncatingIfNeeded: next()) }  // the full 64-bit range
        var product = next().multipliedFullWidth(by: span)
        if product.low < span {
            let threshold = (0 &- span) % span
            while product.low < threshold {
                product = next().multipliedFullWidth(by: span)
            }
        }
        return range.lowerBound + Int(product.high)
    }

    /// A uniform index in `0..<count`.
    mutating func index(_ count: Int) -> Int {
        precondition(count > 0, "Xoshiro256.index needs a positive count")
        return int(in: 0...(count - 1))
    }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// An approximately standard normal deviate: the sum of twelve uniforms minus six (Irwin–Hall).
    /// Only additions, so the value is the same on every platform.
    mutating func normal() -> Double {
        var sum = 0.0
        for _ in 0..<12 { sum += unit() }
        return sum - 6
    }

    /// An index drawn with probability proportional to `weights[i]`.
    mutating func weightedIndex(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        precondition(total > 0, "Xoshiro256.weightedIndex needs a positive total weight")
        var target = unit() * total
        for (i, w) in weights.enumerated() {
            target -= w
            if target < 0 { return i }
        }
        return weights.lastIndex(where: { $0 > 0 }) ?? 0
    }

    mutating func element<T>(_ array: [T]) -> T { array[index(array.count)] }

    mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, int(in: 0...i))
        }
    }
}

/// Draws many indices in proportion to fixed weights in O(log n) each.
struct CumulativeSampler: Sendable {
    private let cumulative: [Double]

    init(weights: [Double]) {
        var running = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(weights.count)
        for w in weights {
            running += max(w, 0)
            cumulative.append(running)
        }
        precondition(running > 0, "CumulativeSampler needs a positive total weight")
        self.cumulative = cumulative
    }

    func sample(_ random: inout Xoshiro256) -> Int {
        let target = random.unit() * cumulative[cumulative.count - 1]
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] > target { high = mid } else { low = mid + 1 }
        }
        return low
    }
}

/// Splits `total` into integer parts proportional to `weights`, each at least `minimum`
/// (largest remainder method, ties broken by index so the result is deterministic).
func apportion(_ total: Int, weights: [Double], minimum: Int = 0) -> [Int] {
    let n = weights.count
    guard n > 0 else { return [] }
    precondition(total >= minimum * n, "cannot give \(n) parts at least \(minimum) each out of \(total)")
    let free = total - minimum * n
    let sum = weights.reduce(0, +)
    let shares = weights.map { sum > 0 ? Double(free) * $0 / sum : Double(free) / Double(n) }
    var parts = shares.map { Int($0.rounded(.down)) }
    var left = free - parts.reduce(0, +)
    let order = (0..<n).sorted { a, b in
        let ra = shares[a] - Double(parts[a])
        let rb = shares[b] - Double(parts[b])
        return ra != rb ? ra > rb : a < b
    }
    var k = 0
    while left > 0 {
        parts[order[k % n]] += 1
        left -= 1
        k += 1
    }
    return parts.map { $0 + minimum }
}

// MARK: - Portable trigonometry

/// The C library's `cos` and `sin` may differ in the last bit between platforms, which would move a cell or a
/// building and break "byte-identical for a seed". These use only IEEE-754 +, -, * and /, which round the same
/// everywhere (Taylor series after reduction to [-π, π]; ample for the angles the generator uses).
func portableCos(_ x: Double) -> Double {
    let r = reduced(x)
    var term = 1.0, sum = 1.0
    for n in stride(from: 2, through: 40, by: 2) {
        term *= -r * r / Double((n - 1) * n)
        sum += term
    }
    return sum
}

/// See `portableCos`.
func portableSin(_ x: Double) -> Double {
    let r = reduced(x)
    var term = r, sum = r
    for n in stride(from: 3, through: 41, by: 2) {
        term *= -r * r / Double((n - 1) * n)
        sum += term
    }
    return sum
}

private func reduced(_ x: Double) -> Double {
    let twoPi = 2 * Double.pi
    var r = x - twoPi * (x / twoPi).rounded()
    if r > Double.pi { r -= twoPi }
    if r < -Double.pi { r += twoPi }
    return r
}
