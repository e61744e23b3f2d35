import DispatchTestSupport
import Foundation
import GeoJSON
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Reports that give an address (address_string) and no coordinates: placed in the building the address names, or
/// refused with the candidates; never routed by a guess.
@Suite("Intake by address")
struct AddressIntakeTests {
    /// A building of the fixture county with a door plate of its own, and an estate door plate with several buildings.
    func addresses(_ f: Fixture) throws -> (single: (id: String, grid: String, address: String), estatePlate: String, estate: [String]) {
        let buildings = f.county.buildings.map { b in
            (id: b.properties["building_id"]!.stringValue!, grid: b.properties["grid_id"]!.stringValue!,
             address: b.properties["address"]!.stringValue!)
        }
        let single = try #require(buildings.first { !$0.address.contains("幢") && $0.address.contains("路") })
        let estate = try #require(buildings.first { $0.address.hasSuffix("1幢") })
        let plate = String(estate.address[..<estate.address.range(of: "号")!.upperBound])
        let members = buildings.filter { $0.address.hasPrefix(plate) }.map(\.id).sorted()
        try #require(members.count >= 2)
        return (single, plate, members)
    }

    @Test("Open311 POST with address_string and no lat/long is placed in the building; its grid routes it")
    func open311AddressString() async throws {
        let f = try Fixture()
        let a = try addresses(f)
        try await f.application().test(.router) { client in
            let r = try await client.form("/open311/v2/requests.json", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "garbage"),
                ("address_string", a.single.address + "3单元"), ("description", "垃圾桶满溢"),
            ])
            #expect(r.status == .created, "\(r.text)")
            let id = try #require(r.array.first?["service_request_id"] as? String)
            let incident = try f.service.incident(id: Int64(id)!, for: try f.service.authenticate(token: f.tokens["dispatcher"]))
            #expect(incident.buildingID == a.single.id && incident.gridID == a.single.grid)
            #expect(incident.geocodeStatus == "address" && incident.address == a.single.address + "3单元")
        }
    }

    @Test("an estate's door plate without its building is refused (422) with the candidates; a wrong number too")
    func ambiguousAndUnknownAddresses() async throws {
        let f = try Fixture()
        let a = try addresses(f)
        try await f.application().test(.router) { client in
            let r = try await client.form("/open311/v2/requests.json", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "garbage"), ("address_string", a.estatePlate),
            ])
            #expect(r.status == .unprocessableContent, "\(r.text)")
            let message = r.array.first?["description"] as? String ?? ""
            #expect(message.contains("ambiguous") && message.contains("candidates: " + a.estate.prefix(10).joined(separator: ", ")))
            let native = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"], json: """
                {"category":"garbage","description":"x","address":"\(a.single.address.replacingOccurrences(of: "号", with: "999号"))"}
                """)
            #expect(native.status == .unprocessableContent && native.errorMessage.contains("names no single building"), "\(native.text)")
            let neither = try await client.send(.post, "/api/v1/incidents", token: f.tokens["reporter"],
                                                json: #"{"category":"garbage","description":"x"}"#)
            #expect(neither.status == .badRequest && neither.errorMessage.contains("address"), "\(neither.text)")
        }
    }

    @Test("coordinates win over the address when both are given")
    func coordinatesFirst() throws {
        let f = try Fixture()
        let a = try addresses(f)
        let p = f.workerPoint
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let (incident, _) = try f.service.intake(IntakeRequest(category: "garbage", description: "x",
                                                               location: .init(x: p.lon, y: p.lat), address: a.single.address),
                                                 by: reporter)
        #expect(incident.gridID == p.grid && incident.geocodeStatus != "address")
    }
}
