// libFuzzer entry point for the routing rules file (Sources/GridworkDispatch/RoutingRules.swift). Built only by
// `tools/fuzz routing`, never by `swift build`; see docs/reliability.md.
//
// Each input is decoded as `RoutingRules` the way `RoutingRules.load` does (a decoding error must turn into its
// message), checked against a small county with two departments, and, when the check finds no problem, every
// category the county knows is routed for a grid with workers and one without: rules that pass the check must
// route every category to someone with a positive, finite deadline.
import Foundation
import GeoJSON
import Gridwork
import GridworkDispatch

private let directory: CountyDirectory = {
    let here = Geometry.point(Position(119.28, 29.47))
    return CountyDirectory(
        versionID: 1,
        grids: [Grid(gridID: "G1", villageID: "V1", townID: "T1", name: "一网格", geometry: here),
                Grid(gridID: "G2", villageID: nil, townID: "T1", name: "二网格", geometry: here)],
        villages: [Village(villageID: "V1", townID: "T1", name: "东山村", geometry: here)],
        staff: [StaffMember(staffID: "S1", role: .gridWorker, gridID: "G1", buildingID: nil, name: "张三", phone: "1", onDuty: true),
                StaffMember(staffID: "S2", role: .partTimeWorker, gridID: "G1", buildingID: nil, name: "李四", phone: "2", onDuty: true)],
        departments: [Department(departmentID: "D1", name: "住建局", categories: ["housing_safety", "flood_control"]),
                      Department(departmentID: "D2", name: "环保局", categories: ["pollution"])])
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouting(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let rules: RoutingRules
    do {
        rules = try JSONDecoder().decode(RoutingRules.self, from: Data(bytes: data, count: size))
    } catch let error as DecodingError {
        precondition(!DecodingErrorText.describe(error).isEmpty, "empty message for \(error)")
        return 0
    } catch {
        preconditionFailure("decoding threw something other than DecodingError: \(error)")
    }
    guard rules.problems(against: directory).isEmpty else { return 0 }
    let router = IncidentRouter(rules: rules, directory: directory)
    for category in router.knownCategories {
        for grid in ["G1", "G2"] {
            guard let decision = try? router.route(category: category, gridID: grid, workload: ["S1": 3]) else { continue }
            precondition(decision.deadlineHours > 0 && decision.deadlineHours.isFinite,
                         "checked rules gave deadline \(decision.deadlineHours) for \(category)")
            precondition(!decision.assigneeID.isEmpty, "checked rules routed \(category) to nobody")
        }
    }
    return 0
}
