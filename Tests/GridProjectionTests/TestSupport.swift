import Foundation
import GeoJSON
import GridworkTestSupport
import Testing

/// Random (lon, lat) points inside mainland China's bounding box.
func randomChinaPoints(count: Int, seed: UInt64) -> [Position] {
    var rng = SplitMix64(seed: seed)
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
