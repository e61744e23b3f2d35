// libFuzzer entry point for the import's table readers (Sources/Gridwork/IO/TableReader.swift: households, staff,
// departments, incidents, over CSVTable/CSVReader from a file). Built only by `tools/fuzz tables`, never by
// `swift build`; see docs/reliability.md.
//
// The first byte picks the table (low two bits), whether the building ids are checked (bit 2) and the reader's chunk
// size is left at 1 MiB; the rest is written to a file named like the table and read. Checked: the readers never
// throw (every fault is an `ImportProblem`); every problem names the file, a line and says what is wrong and how to
// fix it; every row they accept keeps the rules the readers promise (non-empty unique ids, residents ≥ 0,
// coordinates finite and in range, grids and buildings from the given sets, a building head with a building and
// everyone else with a grid).
import Foundation
import GeoJSON
import Gridwork

private let directory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = base + "/gridwork-fuzz-tables-\(ProcessInfo.processInfo.processIdentifier)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: directory) }
    return dir
}()

private let grids: Set = ["T01-V01-G01", "T01-V01-G02", "T01-V03-G02"]
private let buildings: Set = ["B000001", "B000002"]

private func check(_ problems: [ImportProblem], file: String) {
    for p in problems {
        precondition(p.file == file, "problem names file \(p.file), not \(file)")
        precondition(p.place.hasPrefix("line ") && Int(p.place.dropFirst(5)).map { $0 >= 0 } == true, "problem place '\(p.place)'")
        precondition(!p.reason.isEmpty && !p.fix.isEmpty, "problem without reason or fix: \(p)")
    }
}

private func inRange(_ p: Position) -> Bool { p.x.isFinite && p.y.isFinite && abs(p.x) <= 180 && abs(p.y) <= 90 }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTables(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let table = Int(data[0] & 3)
    let checkBuildings = data[0] & 4 != 0
    let file = ["households.csv", "staff.csv", "departments.csv", "incidents.csv"][table]
    let path = directory + "/" + file
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data + 1, count: size - 1)) else {
        preconditionFailure("cannot write \(path)")
    }
    let reader = TableReader(gridIDs: grids, buildingIDs: checkBuildings ? buildings : [])
    var problems: [ImportProblem] = []
    do {
        switch table {
        case 0:
            let rows = try reader.households(path, &problems)
            precondition(Set(rows.map(\.householdID)).count == rows.count, "duplicate household ids accepted")
            for h in rows {
                precondition(!h.householdID.isEmpty && h.residents >= 0, "bad household accepted: \(h)")
                precondition(h.location.map(inRange) ?? true, "household \(h.householdID) at \(String(describing: h.location))")
                if checkBuildings, let b = h.buildingID { precondition(buildings.contains(b), "unknown building \(b) accepted") }
            }
        case 1:
            let rows = try reader.staff(path, &problems)
            precondition(Set(rows.map(\.staffID)).count == rows.count, "duplicate staff ids accepted")
            for s in rows {
                precondition(!s.staffID.isEmpty, "empty staff id accepted")
                if let g = s.gridID { precondition(grids.contains(g), "unknown grid \(g) accepted") }
                precondition(s.role == .buildingHead ? s.buildingID != nil : s.gridID != nil, "\(s.role) without place: \(s)")
                if checkBuildings, let b = s.buildingID { precondition(buildings.contains(b), "unknown building \(b) accepted") }
            }
        case 2:
            let rows = try reader.departments(path, &problems)
            precondition(Set(rows.map(\.departmentID)).count == rows.count, "duplicate department ids accepted")
            for d in rows {
                precondition(!d.departmentID.isEmpty, "empty department id accepted")
                precondition(d.categories.allSatisfy { !$0.isEmpty && !$0.contains(";") && !$0.contains("|") },
                             "categories not split: \(d.categories)")
            }
        default:
            let rows = try reader.incidents(path, &problems)
            precondition(Set(rows.map(\.incidentID)).count == rows.count, "duplicate incident ids accepted")
            for i in rows {
                precondition(!i.incidentID.isEmpty && inRange(i.location), "bad incident accepted: \(i)")
            }
        }
    } catch {
        preconditionFailure("the \(file) reader threw instead of reporting a problem: \(error)")
    }
    check(problems, file: file)
    return 0
}
