import Foundation
import Testing
import GeoJSON

/// Read/write throughput on a file of polygons: a measurement, not a pass/fail timing. Opt-in (it writes ~100 MB):
/// `tools/bench-geojson` runs it in a release build and prints the figures.
@Suite struct ThroughputTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GEOJSON_BENCHMARK"] != nil, "set GEOJSON_BENCHMARK=1 to run"))
    func measureReadAndWriteThroughput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("geojson-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("polygons.geojson").path

        let count = 100_000
        var start = Date()
        let writer = try GeoJSONFeatureWriter(path: path)
        for i in 0..<count {
            let cx = 118.5 + Double(i % 1000) * 0.001
            let cy = 29.0 + Double(i / 1000) * 0.001
            let ring = LinearRing((0...32).map { k in
                let angle = Double(k % 32) * .pi / 16
                return Position(cx + 0.0004 * cos(angle), cy + 0.0004 * sin(angle))
            })
            try writer.write(Feature(id: .string("G\(i)"), geometry: .polygon(Polygon(exterior: ring)),
                                     properties: ["index": .number(Double(i)), "name": .string("网格 \(i)")]))
        }
        try writer.finish()
        let writeSeconds = Date().timeIntervalSince(start)
        let size = Double(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0)

        start = Date()
        let reader = try GeoJSONFeatureReader(path: path)
        var read = 0
        while let record = try reader.next() {
            if case .success = record.geometry { read += 1 }
        }
        let readSeconds = Date().timeIntervalSince(start)
        #expect(read == count)
        let readRate = size / readSeconds / 1e6
        print("GeoJSON throughput: \(Int(size / 1e6)) MB; write \(Int(size / writeSeconds / 1e6)) MB/s; read \(Int(readRate)) MB/s")
    }
}
