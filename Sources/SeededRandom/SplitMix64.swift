/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's `splitmix64.c`): a seeded generator whose sequence depends only
/// on the seed, the same on every platform and run.
///
/// It is the one seeded generator of the package: tests use it for reproducible random cases, the planner for
/// reproducible proposals, and the sample county to seed its own stream generator. It never touches the system
/// random source, so it is not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The state; each call adds the golden-ratio increment and mixes the result.
    private var state: UInt64

    /// A generator whose first output is `splitmix64.c`'s first output for `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1) from the top 53 bits of one output (every value a multiple of 2⁻⁵³).
    ///
    /// Unlike `Double.random(in:using:)`, whose algorithm the standard library may change, the bits of this value are
    /// fixed, which keeps seeded results the same across toolchains.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// An integer in `0..<count` from one output taken modulo `count` (slightly biased for counts that do not divide
    /// 2⁶⁴; fixed bits, like `unit()`). A count below 1 is treated as 1.
    public mutating func below(_ count: Int) -> Int {
        Int(next() % UInt64(max(1, count)))
    }
}
