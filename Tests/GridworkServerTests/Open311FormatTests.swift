import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// GeoReport v2's discovery, its XML format on every path, public read as a setting, and header-size errors (issue 12).
@Suite("Open311 discovery, XML, public read; headers too large")
struct Open311FormatTests {
    static let declaration = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"

    @Test("discovery.json and discovery.xml: changeset, contact, key_service, one endpoint with the spec's fields")
    func discovery() async throws {
        let f = try Fixture()
        try await f.application(open311: Open311Settings(contact: "call 0571-12345", endpointType: .test)).test(.live) { client in
            let port = try #require(client.port)
            let json = try await client.execute(uri: "/open311/v2/discovery.json", method: .get)
            #expect(json.status == .ok, "\(json.text)")
            #expect(json.object["contact"] as? String == "call 0571-12345")
            #expect(json.object["changeset"] is String && json.object["key_service"] is String)
            let endpoint = try #require((json.object["endpoints"] as? [[String: Any]])?.first)
            #expect(endpoint["specification"] as? String == "http://wiki.open311.org/GeoReport_v2")
            let url = try #require(endpoint["url"] as? String)
            // Built from the Host header the client sent (the test client names the host, not always the port).
            #expect(url.hasPrefix("http://") && url.hasSuffix("/open311/v2") && port > 0, "\(url)")
            #expect(endpoint["type"] as? String == "test")
            #expect(endpoint["formats"] as? [String] == ["text/xml", "application/json"])
            let xml = try await client.execute(uri: "/open311/v2/discovery.xml", method: .get)
            #expect(xml.headers[.contentType] == "text/xml; charset=utf-8")
            #expect(xml.text.hasPrefix(Self.declaration + "<discovery><changeset>"), "\(xml.text)")
            #expect(xml.text.contains("<contact>call 0571-12345</contact><key_service>"))
            #expect(xml.text.contains("<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification>"
                + "<url>\(url)</url><changeset>"), "\(xml.text)")
            #expect(xml.text.contains("<type>test</type><formats><format>text/xml</format><format>application/json</format></formats>"
                + "</endpoint></endpoints></discovery>"))
        }
    }

    @Test("XML on every Open311 path: services, definition, POST answer, list, one request, errors")
    func xml() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.router) { client in
            let services = try await client.execute(uri: "/open311/v2/services.xml", method: .get)
            #expect(services.text.hasPrefix(Self.declaration + "<services><service><service_code>"), "\(services.text)")
            #expect(services.text.contains("</service_name><description>"))
            #expect(services.text.contains("<metadata>false</metadata><type>realtime</type><keywords>"))
            #expect(services.text.hasSuffix("</group></service></services>\n"))
            let definition = try await client.execute(uri: "/open311/v2/services/garbage.xml", method: .get)
            #expect(definition.text == Self.declaration
                + "<service_definition><service_code>garbage</service_code><attributes></attributes></service_definition>\n")

            let created = try await client.form("/open311/v2/requests.xml", [
                ("api_key", f.tokens["reporter"]!), ("service_code", "garbage"), ("lat", "\(p.lat)"), ("long", "\(p.lon)"),
                ("description", "bins <full> & smelly"), ("phone", "13800000000"),
            ])
            #expect(created.status == .created)
            #expect(created.text.hasPrefix(Self.declaration + "<service_requests><request><service_request_id>1</service_request_id>"
                + "<service_notice>routed to staff "), "\(created.text)")
            #expect(created.text.hasSuffix("</service_notice><account_id/></request></service_requests>\n"))

            let key = f.tokens["dispatcher"]!
            let list = try await client.execute(uri: "/open311/v2/requests.xml?api_key=\(key)", method: .get)
            let fields = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                          "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                          "address", "address_id", "zipcode", "lat", "long", "media_url"]
            // Every field in the spec's order, text escaped.
            var at = list.text.startIndex
            for field in fields {
                let range = try #require(list.text.range(of: "<\(field)", range: at..<list.text.endIndex), "\(field): \(list.text)")
                at = range.upperBound
            }
            #expect(list.text.contains("<description>bins &lt;full&gt; &amp; smelly</description>"))
            #expect(list.text.contains("<status>open</status>") && list.text.contains("<lat>\(p.lat)</lat>"))
            let one = try await client.execute(uri: "/open311/v2/requests/1.xml?api_key=\(key)", method: .get)
            #expect(one.text.hasPrefix(Self.declaration + "<service_requests><request><service_request_id>1</service_request_id>"))

            let unauthorized = try await client.execute(uri: "/open311/v2/requests.xml", method: .get)
            #expect(unauthorized.status == .unauthorized)
            #expect(unauthorized.text.hasPrefix(Self.declaration + "<errors><error><code>401</code><description>missing API token"),
                    "\(unauthorized.text)")
            let missing = try await client.execute(uri: "/open311/v2/requests/99.xml?api_key=\(key)", method: .get)
            #expect(missing.status == .notFound && missing.text.contains("<errors><error><code>404</code>"))
            let unmatched = try await client.execute(uri: "/open311/v2/nothing.xml", method: .get)
            #expect(unmatched.status == .notFound && unmatched.headers[.contentType] == "text/xml; charset=utf-8", "\(unmatched.text)")
            let method = try await client.execute(uri: "/open311/v2/services.xml", method: .post)
            #expect(method.status == .methodNotAllowed && method.text.contains("<code>405</code>"))
        }
    }

    @Test("public read: off by default (401 saying how to turn it on); on, lists, one request and photos need no key, contacts never shown")
    func publicRead() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        var form = MultipartBody()
        for (k, v) in [("api_key", f.tokens["reporter"]!), ("service_code", "garbage"), ("lat", "\(p.lat)"), ("long", "\(p.lon)"),
                       ("first_name", "Wang"), ("phone", "13912345678"), ("email", "wang@example.cn")] { form.field(k, v) }
        form.file("media", "a.jpg", type: "image/jpeg", Images.jpeg)
        try await f.application().test(.router) { [form] client in
            #expect(try await client.multipart("/open311/v2/requests.json", form).status == .created)
            let closed = try await client.execute(uri: "/open311/v2/requests.json", method: .get)
            #expect(closed.status == .unauthorized)
            #expect((closed.array.first?["description"] as? String)?.contains("--open311-public-read") == true, "\(closed.text)")
            #expect(try await client.execute(uri: "/api/v1/media/1.jpg", method: .get).status == .unauthorized)
        }
        try await f.application(open311: Open311Settings(publicRead: true)).test(.router) { client in
            let list = try await client.execute(uri: "/open311/v2/requests.json", method: .get)
            #expect(list.status == .ok && list.array.count == 1, "\(list.text)")
            let one = try await client.execute(uri: "/open311/v2/requests/1.xml", method: .get)
            #expect(one.status == .ok && one.text.contains("<service_request_id>1</service_request_id>"))
            for text in [list.text, one.text] {
                #expect(!text.contains("13912345678") && !text.contains("wang@example.cn") && !text.contains("Wang"), "\(text)")
            }
            let path = try #require(URL(string: list.array.first?["media_url"] as? String ?? "")?.path)
            let photo = try await client.execute(uri: path, method: .get)
            #expect(photo.status == .ok && Data(photo.body.readableBytesView) == Images.jpeg)
            // A key that is sent still counts: its role's view, and a wrong key is refused.
            let worker = try await client.execute(uri: "/open311/v2/requests.json?api_key=\(f.tokens["otherWorker"]!)", method: .get)
            #expect(worker.status == .ok && worker.array.isEmpty)
            #expect(try await client.execute(uri: "/open311/v2/requests.json?api_key=nope", method: .get).status == .unauthorized)
            // The native API is not opened by the setting.
            #expect(try await client.execute(uri: "/api/v1/incidents", method: .get).status == .unauthorized)
        }
    }

    @Test("a 100 KB header is 431 stating the limit, in each API's format; beyond the parser's limit too, over a real socket")
    func headerTooLarge() async throws {
        let f = try Fixture()
        let big = String(repeating: "a", count: 100_000)
        try await f.application().test(.live) { client in
            let native = try await client.execute(uri: "/api/v1/incidents", method: .get,
                                                  headers: [.authorization: "Bearer \(f.tokens["dispatcher"]!)", .cookie: big])
            #expect(native.status == .requestHeaderFieldsTooLarge)
            #expect(native.errorMessage.contains("larger than 64 KiB"), "\(native.text)")
            let open311 = try await client.execute(uri: "/open311/v2/requests.json", method: .get, headers: [.cookie: big])
            #expect(open311.status == .requestHeaderFieldsTooLarge)
            #expect(open311.array.first?["code"] as? Int == 431)
            #expect((open311.array.first?["description"] as? String)?.contains("larger than 64 KiB") == true, "\(open311.text)")
            let fine = try await client.execute(uri: "/api/v1/categories", method: .get, headers: [.cookie: String(big.prefix(50_000))])
            #expect(fine.status == .ok)
            let spoofed = try await client.execute(uri: "/api/v1/categories", method: .get, headers: [HeaderLimitHandler.marker: "1"])
            #expect(spoofed.status == .ok, "a client cannot send the marker itself")
        }
        try await f.application().test(.live) { client in
            let huge = try await client.execute(uri: "/api/v1/categories", method: .get,
                                                headers: [.cookie: String(repeating: "b", count: 1_200_000)])
            #expect(huge.status == .requestHeaderFieldsTooLarge)
            #expect(huge.errorMessage.contains("larger than 64 KiB"), "\(huge.text)")
        }
    }
}
