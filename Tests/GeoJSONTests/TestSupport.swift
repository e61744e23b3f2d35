import Foundation
@testable import GeoJSON

/// Reads every record of `text`, `chunkSize` bytes at a time.
func readRecords(_ text: String, chunkSize: Int = GeoJSONFeatureReader.defaultChunkSize) throws -> [FeatureRecord] {
    let reader = GeoJSONFeatureReader(bytes: Array(text.utf8), chunkSize: chunkSize)
    var records: [FeatureRecord] = []
    while let record = try reader.next() { records.append(record) }
    return records
}

/// The error thrown while reading `text` (nil when it reads without error).
func readError(_ text: String, chunkSize: Int = GeoJSONFeatureReader.defaultChunkSize) -> GeoJSONError? {
    do {
        _ = try readRecords(text, chunkSize: chunkSize)
        return nil
    } catch let error as GeoJSONError {
        return error
    } catch {
        return GeoJSONError(kind: .io, message: "unexpected error type: \(error)")
    }
}

/// The geometry error of a single-feature document (nil when the geometry decodes).
func geometryError(_ text: String) throws -> GeometryDecodingError? {
    let records = try readRecords(text)
    guard records.count == 1 else { return GeometryDecodingError(path: "", reason: "expected 1 record, got \(records.count)") }
    if case .failure(let error) = records[0].geometry { return error }
    return nil
}

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("geojson-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func square(_ x: Double, _ y: Double, _ size: Double, counterClockwise: Bool = true) -> LinearRing {
    let ring = LinearRing([Position(x, y), Position(x + size, y), Position(x + size, y + size), Position(x, y + size), Position(x, y)])
    return counterClockwise ? ring : ring.reversed
}
