import Dispatch
import GeoJSON
import Testing
@testable import GridGeometry

@Suite struct GEOSThreadTests {
    /// Each thread owns its own context and geometries (the documented rule): results agree with a serial run.
    @Test func contextPerThreadGivesTheSameAnswers() throws {
        let shapes: [Geometry] = (0..<64).map { i in
            let x = Double(i % 8), y = Double(i / 8)
            return .polygon(Polygon(exterior: square(x, y, x + 1.5, y + 1.5)))
        }
        @Sendable func work(_ k: Int) throws -> Double {
            let context = GEOSContext()
            let a = try GEOSGeometry(shapes[k], context: context)
            var total = 0.0
            for other in shapes {
                total += try a.intersection(GEOSGeometry(other, context: context)).area()
            }
            return total
        }
        let serial = try (0..<shapes.count).map(work)
        let results = ResultBox(count: shapes.count)
        DispatchQueue.concurrentPerform(iterations: shapes.count) { k in
            results.set(k, (try? work(k)) ?? -1)
        }
        #expect(results.values == serial)
    }
}

/// Results written from many threads, each to its own slot.
final class ResultBox: @unchecked Sendable {
    private var storage: [Double]
    private let lock = DispatchSemaphore(value: 1)

    init(count: Int) { storage = Array(repeating: 0, count: count) }

    func set(_ index: Int, _ value: Double) {
        lock.wait()
        storage[index] = value
        lock.signal()
    }

    var values: [Double] {
        lock.wait()
        defer { lock.signal() }
        return storage
    }
}
