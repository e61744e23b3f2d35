import SeededRandom
import Testing

@Suite struct SplitMix64Tests {
    @Test func matchesTheReferenceSequence() {
        // Reference values of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        var mixer = SplitMix64(seed: 1_234_567)
        #expect([mixer.next(), mixer.next(), mixer.next()] == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
    }

    @Test func unitIsTheTop53BitsOfOneOutput() {
        var reference = SplitMix64(seed: 1_234_567)
        var random = SplitMix64(seed: 1_234_567)
        for _ in 0..<1000 {
            let expected = Double(reference.next() >> 11) / Double(1 << 53)
            let value = random.unit()
            #expect(value == expected && (0..<1).contains(value))
        }
        // The first reference output 6457827717110365317 gives 6457827717110365317 >> 11 over 2^53.
        var first = SplitMix64(seed: 1_234_567)
        #expect(first.unit() == Double(UInt64(6_457_827_717_110_365_317) >> 11) * 0x1.0p-53)
    }

    @Test func belowIsOneOutputModuloTheCount() {
        var reference = SplitMix64(seed: 99)
        var random = SplitMix64(seed: 99)
        for count in [1, 2, 3, 7, 10, 1000] {
            let value = random.below(count)
            #expect(value == Int(reference.next() % UInt64(count)) && (0..<count).contains(value))
        }
        #expect(random.below(0) == 0 && random.below(-5) == 0)
    }

    @Test func isAStandardLibraryGenerator() {
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7)
        let x = (0..<100).map { _ in Double.random(in: -1...1, using: &a) }
        let y = (0..<100).map { _ in Double.random(in: -1...1, using: &b) }
        #expect(x == y && Set(x).count == 100)
    }
}
