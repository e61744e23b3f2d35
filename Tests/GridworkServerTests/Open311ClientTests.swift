import DispatchTestSupport
import Foundation
import GridworkTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

/// An Open311 client written from the GeoReport v2 specification alone (`Tests/Open311Client/open311_client.py`,
/// Python's standard library only) against a live server: it posts with and without a description and with a photo,
/// lists with each filter and reads each request, in JSON and in XML, checking the spec's field names and types.
@Suite("Open311 client written from the spec")
struct Open311ClientTests {
    static let script = Fixture.packageRoot + "/Tests/Open311Client/open311_client.py"

    @Test("the spec's client passes every check over a real socket", .requiresPython())
    func specClient() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        try await f.application().test(.live) { client in
            let port = try #require(client.port)
            let arguments = [Self.script, "http://127.0.0.1:\(port)", f.tokens["reporter"]!, f.tokens["dispatcher"]!,
                             "\(p.lat)", "\(p.lon)"]
            // Run on a thread of its own: the server's handlers need the cooperative pool meanwhile.
            let output: ExternalTool.Output? = try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    do { continuation.resume(returning: try ExternalTool.run("python3", arguments)) } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
            let result = try #require(output)
            #expect(result.status == 0, "\(result.output.suffix(3000))")
            #expect(result.stdout.contains("all checks passed"))
            #expect(result.stdout.components(separatedBy: "\nok: ").count > 100, "\(result.stdout.suffix(1000))")
        }
        #expect(try f.count() == 4)
    }
}
