// libFuzzer entry point for the geocoder's points CSV end to end (Sources/Gridwork/Geocoding: GeocodeJob's header
// and block loop, CSVScanner's cut, PartWorker's in-place field and number parsing, PROJ transforms, the locator,
// address placement and the output writer), over a four-grid county with addressed buildings. Built only by
// `tools/fuzz geocode`, never by `swift build`; see docs/reliability.md.
//
// The first byte picks the CRS (bits 0–1: WGS84, GCJ-02, EPSG:4549 through PROJ, BD-09), whether rows without
// coordinates are placed by address (bit 2) and addresses are checked against points (bit 3), and the snap
// distance (bit 4: 0 or 50 m); the rest is the points file. The job runs twice, on one thread and on three (twelve
// parts per block), with the smallest block (4 KiB). Checked: a refusal is a `CSVError` on line 1 with a message;
// both runs write the same bytes and the same summary; every row is counted once by status; the kept invalid and
// unplaced rows match their counts, in line order, after the header; the output starts with the fixed columns.
import Foundation
import GeoJSON
import GridAddress
import GridProjection
@testable import Gridwork

private let directory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = base + "/gridwork-fuzz-geocode-\(ProcessInfo.processInfo.processIdentifier)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: directory) }
    return dir
}()

private func square(_ x: Double, _ y: Double, _ side: Double) -> Geometry {
    .polygon(Polygon(exterior: LinearRing([Position(x, y), Position(x + side, y), Position(x + side, y + side),
                                           Position(x, y + side), Position(x, y)])))
}

/// Four 0.01° grids in a square around (119.30, 29.50), the last one a little smaller (a gap for `outside` and
/// `snapped`); six buildings, five with door plates (two in one estate).
private let origin = Position(119.30, 29.50)
private let grids: [Grid] = (0..<4).map { k in
    let side = k == 3 ? 0.009 : 0.01
    return Grid(gridID: "G\(k + 1)", villageID: "V1", townID: "T1", name: "网格\(k + 1)",
                geometry: square(origin.x + Double(k % 2) * 0.01, origin.y + Double(k / 2) * 0.01, side))
}
private let buildings: [Building] = [
    ("B1", "样例县清埠街道云信社区湾昌路1号", 0.002, 0.002), ("B2", "样例县清埠街道云信社区湾昌路3号", 0.012, 0.002),
    ("B3", "样例县清埠街道云信社区湾昌路99号锦绣花园1幢", 0.002, 0.012), ("B4", "样例县清埠街道云信社区湾昌路99号锦绣花园2幢", 0.004, 0.012),
    ("B5", "样例县清埠街道东山村东山路8号", 0.012, 0.012), ("B6", nil, 0.0099, 0.0099),
].map { id, address, dx, dy in
    Building(buildingID: id, gridID: nil, villageID: nil, kind: "urban", floors: 3, address: address,
             geometry: square(origin.x + dx, origin.y + dy, 0.0005))
}
private let matcher = try! AddressMatcher.forBuildings(buildings, grids: grids)!
private let crses: [CoordinateReferenceSystem] = [.wgs84, .gcj02, .epsg(4549), .bd09]
private let locators: [LocatorFrame: GridLocator] = Dictionary(uniqueKeysWithValues: [LocatorFrame.lonLat, .gcj02, .bd09].map {
    ($0, try! GridLocator(grids: grids, buildings: buildings, frame: $0))
})

/// Builds the county before the first input: LeakSanitizer (which libFuzzer runs after an input that allocated more
/// than it freed) does not see the boxes of `indirect enum Geometry` values held in globals as reachable (Swift keeps
/// the case in the pointer's spare bits; docs/reliability.md), so the fixtures must not be made inside an input.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    _ = (locators.count, matcher, directory)
    return 0
}

private func same(_ a: GeocodeSummary, _ b: GeocodeSummary) -> Bool {
    a.rows == b.rows && a.byStatus == b.byStatus && a.invalidRows == b.invalidRows && a.unplacedRows == b.unplacedRows
        && a.disagreements == b.disagreements && a.disagreementCount == b.disagreementCount && a.byMatch == b.byMatch
        && a.idColumn == b.idColumn
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGeocode(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let flags = data[0]
    let input = directory + "/points.csv"
    guard FileManager.default.createFile(atPath: input, contents: Data(bytes: data + 1, count: size - 1)) else {
        preconditionFailure("cannot write \(input)")
    }
    var job = GeocodeJob(crs: crses[Int(flags & 3)], snapMetres: flags & 16 != 0 ? 50 : 0, blockBytes: 4_096, threads: 1)
    if flags & 4 != 0 { job.addressMatcher = matcher }
    job.checkAddress = flags & 8 != 0
    let frameLocator = locators[job.frame]!

    let one: GeocodeSummary
    do {
        one = try job.run(points: input, output: directory + "/one.csv", locator: frameLocator)
    } catch let error as CSVError {
        precondition(error.line == 1 && error.file == "points.csv" && !error.message.isEmpty, "refusal \(error)")
        return 0
    } catch {
        preconditionFailure("the job threw something other than a CSVError: \(error)")
    }
    job.threads = 3
    let three: GeocodeSummary
    do {
        three = try job.run(points: input, output: directory + "/three.csv", locator: frameLocator)
    } catch {
        preconditionFailure("three threads threw \(error) where one thread did not")
    }
    let outOne = FileManager.default.contents(atPath: directory + "/one.csv")!
    let outThree = FileManager.default.contents(atPath: directory + "/three.csv")!
    precondition(outOne == outThree, "one and three threads wrote different output")
    precondition(same(one, three), "one and three threads summed up differently: \(one) vs \(three)")

    precondition(one.byStatus.values.reduce(0, +) == one.rows, "\(one.rows) rows, counted \(one.byStatus)")
    precondition(one.byStatus.values.allSatisfy { $0 > 0 }, "a zero count kept in \(one.byStatus)")
    precondition(one.invalidRows.count == min(one.byStatus[.invalid] ?? 0, GeocodeJob.keptInvalidRows),
                 "\(one.invalidRows.count) invalid rows kept of \(one.byStatus[.invalid] ?? 0)")
    precondition(one.unplacedRows.count == min(one.byStatus[.unplaced] ?? 0, GeocodeJob.keptInvalidRows),
                 "\(one.unplacedRows.count) unplaced rows kept of \(one.byStatus[.unplaced] ?? 0)")
    if job.addressMatcher == nil {
        precondition(one.byStatus[.address] == nil && one.byStatus[.unplaced] == nil && one.byMatch.isEmpty,
                     "address statuses without a matcher: \(one.byStatus)")
    }
    for rows in [one.invalidRows, one.unplacedRows, one.disagreements] {
        precondition(zip(rows, rows.dropFirst()).allSatisfy { $0.line < $1.line } && rows.allSatisfy { $0.line >= 2 },
                     "row lines out of order or on the header: \(rows.map(\.line))")
        precondition(rows.allSatisfy { !$0.reason.isEmpty }, "a kept row without a reason")
    }
    let header = Array("id,grid_id,building_id,status".utf8)
    precondition(outOne.starts(with: header), "output header \(String(decoding: outOne.prefix(60), as: UTF8.self))")
    return 0
}
