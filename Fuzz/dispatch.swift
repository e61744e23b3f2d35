// libFuzzer entry point for the bodies of the dispatch API without a server: the JSON intake body
// (`POST /api/v1/incidents`, decoded by `JSONInput.decode` with `APIJSON`'s snake_case decoder into `IntakeRequest`),
// the Open311 form body (`POST /open311/v2/requests`, `Open311Form.parse` and `Open311Form.intakeRequest`), and the
// JSON transition body (`POST /api/v1/incidents/{id}/{action}` into `TransitionBody`), each then handed to
// `DispatchService.intake` / `act`: validation, geocoding (CRS, PROJ, the locator, the address placer), routing and
// the SQLite store. Built only by `tools/fuzz dispatch`, never by `swift build`; see docs/reliability.md.
//
// The service runs on the tiny sample county (imported once per process into a database under /dev/shm), with the
// shipped routing rules and a manual clock. The first byte picks the body (bits 0–1: JSON intake, form intake, JSON
// transition) and the caller (bits 2–4: reporter, dispatcher, grid worker, department, planner, admin); for a
// transition the second byte picks the action, applied to an incident reported just before. Checked: every refusal
// is an error the HTTP layer answers with a 4xx and a message (never a 500: no store, PROJ or decoding error leaks);
// an accepted report has a known category, a grid, an assignee, finite coordinates near the county and reads back
// the same; an accepted transition reads back the same.
import Foundation
import Gridwork
import GridworkDispatch
import SampleCounty
@testable import GridworkServer

private struct Setup {
    let service: DispatchService
    let principals: [Principal]
    let bounds: (minX: Double, minY: Double, maxX: Double, maxY: Double)
    let point: IntakeRequest.Location
}

/// The scratch directory, removed at exit.
private nonisolated(unsafe) var scratch: String?

private let setup: Setup = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let dir = base + "/gridwork-fuzz-dispatch-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: dir)
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    scratch = dir
    atexit { if let scratch { try? FileManager.default.removeItem(atPath: scratch) } }
    let county = SampleCountyGenerator(preset: .tiny, seed: 20260101).generate()
    try! county.write(to: dir + "/sample")
    var options = ImportOptions(grids: dir + "/sample/grids.geojson")
    options.towns = dir + "/sample/towns.geojson"
    options.villages = dir + "/sample/villages.geojson"
    options.buildings = dir + "/sample/buildings.geojson"
    options.staff = dir + "/sample/staff.csv"
    options.departments = dir + "/sample/departments.csv"
    let summary = try! CountyImporter(options: options).run(into: try! CountyStore(path: dir + "/county.sqlite"))
    precondition(summary.versionID != nil, "sample import failed: \(summary.problems)")
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
    let service = try! DispatchService.open(databasePath: dir + "/county.sqlite", rulesPath: root + "/config/routing.json",
                                            clock: ManualDispatchClock(Date(timeIntervalSince1970: 1_767_225_600)))
    let issuer = TokenIssuer(store: service.store, directory: service.directory)
    let worker = service.directory.staff.values.filter { $0.role == .gridWorker && $0.gridID != nil }.map(\.staffID).min()!
    let department = service.directory.departments.keys.min()!
    let principals = [(TokenRole.reporter, nil, nil), (.dispatcher, nil, nil), (.gridWorker, worker, nil),
                      (.department, nil, department), (.planner, nil, nil), (.admin, nil, nil)]
        .map { role, staff, dept -> Principal in
            let token = try! issuer.create(role: role, staffID: staff, departmentID: dept).token
            return try! service.authenticate(token: token)
        }
    let incident = county.incidents[0]
    let box = service.geocoder.bounds
    return Setup(service: service, principals: principals, bounds: (box.minX, box.minY, box.maxX, box.maxY),
                 point: .init(x: incident.lon, y: incident.lat))
}()

/// Sets the service up before the first input, so LeakSanitizer's check after an input does not count the county's
/// `indirect enum Geometry` boxes, which it cannot see as reachable (docs/reliability.md).
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    _ = setup.principals.count
    return 0
}

/// A refusal must be one the HTTP layer answers with a 4xx and a message.
private func checkRefusal(_ error: any Error, _ what: String) {
    guard let answer = ErrorAnswer.of(error) else { preconditionFailure("\(what): a 500 for \(type(of: error)): \(error)") }
    precondition((400..<500).contains(answer.status.code), "\(what): status \(answer.status) for \(error)")
    precondition(!answer.message.isEmpty, "\(what): empty message for \(error)")
}

private func checkAccepted(_ incident: Incident, _ service: DispatchService) {
    let b = setup.bounds, margin = 0.01  // the snap distance is metres; 0.01° is about a kilometre
    precondition(service.router.rule(for: incident.category) != nil, "unknown category \(incident.category) accepted")
    precondition(incident.gridID != nil && !incident.assigneeID.isEmpty, "accepted without grid or assignee: \(incident)")
    precondition(incident.lon.isFinite && incident.lat.isFinite && incident.lon >= b.minX - margin && incident.lon <= b.maxX + margin
                 && incident.lat >= b.minY - margin && incident.lat <= b.maxY + margin, "accepted at \(incident.lon), \(incident.lat)")
    precondition(incident.description.count <= 4000, "a description of \(incident.description.count) characters accepted")
    let back = try! service.incident(id: incident.id, for: setup.principals[1])
    precondition(back == incident, "incident \(incident.id) reads back differently:\n\(back)\n\(incident)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDispatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let service = setup.service
    let mode = Int(data[0] & 3)
    let principal = setup.principals[Int((data[0] >> 2) & 7) % setup.principals.count]
    switch mode {
    case 0, 3:  // JSON intake
        let body = Data(bytes: data + 1, count: size - 1)
        do {
            let request = try JSONInput.decode(IntakeRequest.self, from: body, what: "incident")
            checkAccepted(try service.intake(request, by: principal).incident, service)
        } catch {
            checkRefusal(error, "JSON intake")
        }
    case 1:  // Open311 form intake
        let form = Open311Form.parse(String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self))
        do {
            let request = try Open311Form.intakeRequest(form: form, idempotencyKey: form["idempotency_key"])
            checkAccepted(try service.intake(request, by: principal, descriptionRequired: false).incident, service)
        } catch {
            checkRefusal(error, "form intake")
        }
    default:  // JSON transition of a fresh incident
        guard size > 1 else { return 0 }
        let action = IncidentAction.allCases[Int(data[1]) % IncidentAction.allCases.count]
        let body = Data(bytes: data + 2, count: size - 2)
        let report = IntakeRequest(category: service.router.knownCategories[0], description: "fuzz", location: setup.point)
        let id = try! service.intake(report, by: setup.principals[0]).incident.id
        do {
            let transition = body.isEmpty ? TransitionBody()
                : try JSONInput.decode(TransitionBody.self, from: body, what: "\(action.rawValue) body")
            let after = try service.act(action, on: id, body: transition, by: principal)
            precondition(after.id == id, "acted on \(id), got \(after.id)")
            precondition(try! service.incident(id: id, for: setup.principals[1]) == after, "incident \(id) reads back differently")
        } catch {
            checkRefusal(error, "\(action.rawValue) transition")
        }
    }
    return 0
}
