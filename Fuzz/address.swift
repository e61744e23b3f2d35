// libFuzzer entry point for the Chinese address parser and matcher (Sources/GridAddress). Built only by
// `tools/fuzz address`, never by `swift build`; see docs/reliability.md.
//
// Each input, read as UTF-8 (invalid bytes become U+FFFD), is parsed and matched against a small fixed county with
// what makes matching hard (one door plate with several buildings, the same village and road names in two towns,
// aliases). Checked: normalising is idempotent, and every match is consistent (a score in 0...1, a building exactly
// when the status names one, a reason when nothing was found).
import GridAddress

private let county: [AddressedBuilding] = [
    .init(buildingID: "B1", address: "建德市新安江街道府东社区严州大道18号锦绣花园1幢", gridID: "G1"),
    .init(buildingID: "B2", address: "建德市新安江街道府东社区严州大道18号锦绣花园2幢", gridID: "G1"),
    .init(buildingID: "B3", address: "建德市新安江街道府东社区严州大道18号锦绣花园3幢", gridID: "G2"),
    .init(buildingID: "B4", address: "建德市新安江街道府东社区严州大道20号", gridID: "G2"),
    .init(buildingID: "B5", address: "建德市新安江街道府东社区严州大道22号金都大厦A座", gridID: "G2"),
    .init(buildingID: "B6", address: "建德市乾潭镇东山村3组12号", gridID: "G3"),
    .init(buildingID: "B7", address: "建德市寿昌镇东山村3组12号", gridID: "G4"),
    .init(buildingID: "B8", address: "建德市乾潭镇新安路5号", gridID: "G3"),
    .init(buildingID: "B9", address: "建德市寿昌镇新安路5号", gridID: "G4"),
    .init(buildingID: "B10", address: "建德市乾潭镇南峰村1组3号", gridID: "G5"),
    .init(buildingID: "B11", address: "建德市乾潭镇南峰村1组4号", gridID: "G5"),
    .init(buildingID: "B12", address: "建德市乾潭镇东峰村1组4号", gridID: "G6"),
    .init(buildingID: "B13", address: "no door plate here", gridID: "G6"),
]
private let matcher = AddressMatcher(buildings: county, aliases: ["严州路": "严州大道", "府东居委会": "府东社区"],
                                     countyNames: ["浙江省", "杭州市", "建德市"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddress(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let parsed = AddressParser.parse(text)
    let again = AddressNormalizer.normalizedString(parsed.normalized)
    precondition(again == parsed.normalized, "normalising is not idempotent: \(parsed.normalized) -> \(again)")
    let m = matcher.match(text)
    precondition(m.score >= 0 && m.score <= 1, "score \(m.score) outside 0...1 for \(text)")
    switch m.status {
    case .exact, .building, .roadNumber:
        precondition(m.buildingID != nil && m.gridID != nil, "\(m.status) without a building for \(text): \(m)")
    case .none:
        precondition(m.buildingID == nil && m.reason != nil, "none with a building or without a reason for \(text): \(m)")
    case .village, .ambiguous:
        break
    }
    return 0
}
