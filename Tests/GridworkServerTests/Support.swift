import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting

extension Fixture {
    func application(port: Int = 0, open311: Open311Settings = Open311Settings()) throws -> some ApplicationProtocol {
        try buildApplication(service: service, options: DispatchServerOptions(port: port, sweepInterval: .seconds(3600),
                                                                              open311: open311))
    }
}

/// Small request helpers over any Hummingbird test client.
extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func form(_ uri: String, _ fields: [(String, String)]) async throws -> TestResponse {
        let body = fields.map { k, v in
            "\(k)=" + (v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? v)
        }.joined(separator: "&")
        return try await execute(uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                 body: ByteBuffer(string: body))
    }
}

extension TestResponse {
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    var text: String { String(buffer: body) }
    var errorMessage: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? text }
}

func incidentJSON(category: String, x: Double, y: Double, crs: String? = nil, description: String = "test report",
                  key: String? = nil) -> String {
    var location: [String: Any] = ["x": x, "y": y]
    if let crs { location["crs"] = crs }
    var object: [String: Any] = ["category": category, "description": description, "location": location,
                                 "reporter_contact": "13800000000"]
    if let key { object["idempotency_key"] = key }
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}
