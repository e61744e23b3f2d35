// libFuzzer entry point for the streaming GeoJSON reader (Sources/GeoJSON). Built only by `tools/fuzz geojson`,
// never by `swift build`; see docs/reliability.md.
//
// Each input is read twice: once in one chunk and once a few bytes at a time (the chunk size comes from the first
// byte), so tokens straddle chunk boundaries. Both readings must give the same records and the same error; every
// decoded geometry must survive a WKB round trip and its GeoJSON text must read back.
import GeoJSON

private enum Outcome {
    case records([FeatureRecord])
    case failed(String)
}

private func read(_ bytes: [UInt8], chunkSize: Int) -> Outcome {
    let reader = GeoJSONFeatureReader(bytes: bytes, chunkSize: chunkSize)
    var records: [FeatureRecord] = []
    do {
        while let record = try reader.next() {
            records.append(record)
            // Bound the work per input: libFuzzer inputs are small, but `[[...]]` nests quickly.
            if records.count > 10_000 { break }
        }
    } catch {
        return .failed(String(describing: error))
    }
    return .records(records)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGeoJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let chunkSize = Int(data[0] % 16) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = read(bytes, chunkSize: GeoJSONFeatureReader.defaultChunkSize)
    let pieces = read(bytes, chunkSize: chunkSize)
    precondition(String(describing: whole) == String(describing: pieces), "chunk size \(chunkSize) changes the result: \(whole) vs \(pieces)")
    guard case .records(let records) = whole else { return 0 }
    for record in records {
        guard case .success(let geometry?) = record.geometry else { continue }
        let decoded = try? WKB.decode(WKB.encode(geometry))
        precondition(String(describing: decoded) == String(describing: Optional(geometry)), "WKB round trip changed \(geometry) into \(String(describing: decoded))")
        let text = GeoJSONEncoder.encode(geometry)
        if case .failed(let message) = read(Array(text.utf8), chunkSize: chunkSize) {
            preconditionFailure("the writer's text does not read back (\(message)): \(text)")
        }
    }
    return 0
}
