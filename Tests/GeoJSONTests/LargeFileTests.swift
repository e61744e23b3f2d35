import Foundation
import Testing
@testable import GeoJSON

/// A large generated file streams through a buffer far smaller than the file.
@Suite struct LargeFileTests {
    static let featureCount = 200_000

    static func grid(_ i: Int) -> Feature {
        // A square cell of a 1000-column grid, with a hole every 10th feature.
        let x = 118.5 + Double(i % 1000) * 0.001
        let y = 29.0 + Double(i / 1000) * 0.001
        let holes = i % 10 == 0 ? [square(x + 0.0004, y + 0.0004, 0.0002, counterClockwise: false)] : []
        return Feature(id: .string("G\(i)"), geometry: .polygon(Polygon(exterior: square(x, y, 0.001), holes: holes)),
                       properties: ["index": .number(Double(i)), "name": .string("网格 \(i)")])
    }

    @Test func streamsTwoHundredThousandFeaturesWithBoundedMemory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("county.geojson").path

        let writer = try GeoJSONFeatureWriter(path: path)
        for i in 0..<Self.featureCount { try writer.write(Self.grid(i)) }
        try writer.finish()
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        let chunkSize = 64 << 10
        let reader = try GeoJSONFeatureReader(path: path, chunkSize: chunkSize)
        var count = 0
        var indexSum = 0.0
        var holes = 0
        var largestBuffer = 0
        var wrong: [Int] = []  // checked once after the loop: #expect per record is slow in debug builds
        while let record = try reader.next() {
            guard record.location.featureIndex == count, case .polygon(let polygon)? = try record.geometry.get(),
                  polygon.exterior.positions.count == 5, record.id == .string("G\(count)") else {
                wrong.append(count)
                count += 1
                continue
            }
            holes += polygon.holes.count
            indexSum += record.properties["index"]?.doubleValue ?? -1
            largestBuffer = max(largestBuffer, reader.bufferCapacity)
            count += 1
        }
        #expect(count == Self.featureCount)
        #expect(wrong.isEmpty, "unexpected records: \(wrong.prefix(10))")
        #expect(holes == Self.featureCount / 10)
        #expect(indexSum == Double(Self.featureCount - 1) * Double(Self.featureCount) / 2)
        // The file is hundreds of times the buffer; the buffer never grew past one chunk and a feature.
        #expect(fileSize > 500 * chunkSize, "file is \(fileSize) bytes")
        #expect(largestBuffer <= 2 * chunkSize + 64, "buffer grew to \(largestBuffer) bytes")
    }
}
