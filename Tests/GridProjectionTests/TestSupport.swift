import Foundation
import GeoJSON
import Testing

/// A small seeded generator (SplitMix64) so random-property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random (lon, lat) points inside mainland China's bounding box.
func randomChinaPoints(count: Int, seed: UInt64) -> [Position] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        Position(Double.random(in: 73.7...134.7, using: &rng), Double.random(in: 18.2...53.5, using: &rng))
    }
}

/// Checks two positions agree within `tolerance` in each coordinate, reporting where they differ.
func expectClose(_ actual: Position, _ expected: Position, tolerance: Double,
                 _ comment: @autoclosure () -> String = "",
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let dx = abs(actual.x - expected.x)
    let dy = abs(actual.y - expected.y)
    #expect(dx <= tolerance && dy <= tolerance,
            "\(comment()) got (\(actual.x), \(actual.y)), expected (\(expected.x), \(expected.y)), off by (\(dx), \(dy))",
            sourceLocation: sourceLocation)
}

/// Resident memory of this process in bytes, from /proc/self/statm (nil where that file does not exist).
func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
