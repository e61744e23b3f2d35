import DispatchTestSupport
import Foundation
import GridworkDispatch
@testable import GridworkServer
import Hummingbird
import HummingbirdTesting
import Testing

/// Real 2×2 images (made with GDAL's PNG, JPEG and WebP drivers).
enum Images {
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==")!
    static let jpeg = Data(base64Encoded: "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAACAAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAABQf/xAAUEQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCQACqY/9k=")!
    static let webp = Data(base64Encoded: "UklGRjgAAABXRUJQVlA4ICwAAACQAQCdASoCAAIAAgA0JaACdLoAA5gA/vBsr/c1FbFvQ/9pZ/9Sz/6ln+KgAA==")!
    static let gif = Data("GIF89a\u{1}\0\u{1}\0\0\0\0;".utf8)
}

/// A `multipart/form-data` body built by hand, as RFC 7578 writes it.
struct MultipartBody {
    let boundary = "----gridwork-test-\(UUID().uuidString)"
    var data = Data()

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func field(_ name: String, _ value: String) {
        data += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func file(_ name: String, _ fileName: String, type: String, _ content: Data) {
        data += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(fileName)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
        data += content
        data += Data("\r\n".utf8)
    }

    var body: ByteBuffer { ByteBuffer(bytes: data + Data("--\(boundary)--\r\n".utf8)) }
}

extension TestClientProtocol {
    func multipart(_ uri: String, _ body: MultipartBody, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: body.contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .post, headers: headers, body: body.body)
    }
}

@Suite("Photos: multipart uploads, limits, media_url, visibility")
struct MediaTests {
    @Test("Open311 POST multipart with api_key as a form field and a media part; media_url serves the photo, over a real socket")
    func open311Upload() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        var form = MultipartBody()
        form.field("api_key", f.tokens["reporter"]!)
        form.field("service_code", "garbage")
        form.field("lat", "\(p.lat)")
        form.field("long", "\(p.lon)")
        form.file("media", "bins.png", type: "image/png", Images.png)
        try await f.application().test(.live) { [form] client in
            let r = try await client.multipart("/open311/v2/requests.json", form)
            #expect(r.status == .created, "\(r.text)")
            let id = try #require(r.array.first?["service_request_id"] as? String)
            let one = try await client.execute(uri: "/open311/v2/requests/\(id).json?api_key=\(f.tokens["reporter"]!)", method: .get)
            let url = try #require(one.array.first?["media_url"] as? String)
            #expect(url.hasPrefix("http://") && url.hasSuffix(".png"), "\(one.text)")
            let path = try #require(URL(string: url)?.path)
            let photo = try await client.send(.get, path, token: f.tokens["reporter"])
            #expect(photo.status == .ok && photo.headers[.contentType] == "image/png")
            #expect(Data(photo.body.readableBytesView) == Images.png)
            // The same visibility as the incident: the worker of its grid sees it, another grid's worker does not.
            #expect(try await client.send(.get, path, token: f.tokens["worker"]).status == .ok)
            let other = try await client.send(.get, path, token: f.tokens["otherWorker"])
            #expect(other.status == .notFound && other.errorMessage.contains("no photo"), "\(other.text)")
            #expect(try await client.send(.get, path, token: nil).status == .unauthorized)
            let list = try await client.execute(uri: "/open311/v2/requests.json?api_key=\(f.tokens["dispatcher"]!)", method: .get)
            #expect(list.array.first?["media_url"] as? String == url)
        }
        // Stored beside the database, named by its SHA-256.
        let files = try FileManager.default.contentsOfDirectory(atPath: f.dir + "/county.media")
        #expect(files.count == 1 && files[0].hasSuffix(".png"), "\(files)")
        #expect(try f.count("SELECT count(*) FROM dispatch_media") == 1)
    }

    @Test("native multipart intake with two photos, and a worker's resolved photo on its step, over a real socket")
    func nativeSteps() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        var form = MultipartBody()
        form.field("incident", incidentJSON(category: "garbage", x: p.lon, y: p.lat))
        form.file("photo", "a.jpg", type: "image/jpeg", Images.jpeg)
        form.file("photo", "b.webp", type: "application/octet-stream", Images.webp)
        try await f.application().test(.live) { [form] client in
            let r = try await client.multipart("/api/v1/incidents", form, token: f.tokens["reporter"])
            #expect(r.status == .created, "\(r.text)")
            let id = try #require(r.object["id"] as? Int)
            let photos = r.object["photos"] as? [[String: Any]] ?? []
            #expect(photos.map { $0["content_type"] as? String } == ["image/jpeg", "image/webp"], "\(r.text)")
            #expect(photos.allSatisfy { $0["step"] as? String == "report" })

            _ = try await client.send(.post, "/api/v1/incidents/\(id)/accept", token: f.tokens["worker"])
            var resolved = MultipartBody()
            resolved.field("body", #"{"note": "bins emptied"}"#)
            resolved.file("photo", "after.png", type: "image/png", Images.png)
            let done = try await client.multipart("/api/v1/incidents/\(id)/resolve", resolved, token: f.tokens["worker"])
            #expect(done.status == .ok && done.object["state"] as? String == "resolved", "\(done.text)")

            let one = try await client.send(.get, "/api/v1/incidents/\(id)", token: f.tokens["reporter"])
            let all = one.object["photos"] as? [[String: Any]] ?? []
            #expect(all.map { $0["step"] as? String } == ["report", "report", "resolve"], "\(one.text)")
            let history = one.object["history"] as? [[String: Any]] ?? []
            let resolveStep = try #require(history.first { $0["action"] as? String == "resolve" })
            #expect(resolveStep["note"] as? String == "bins emptied")
            let stepPhotos = resolveStep["photos"] as? [[String: Any]] ?? []
            #expect(stepPhotos.count == 1 && stepPhotos[0]["bytes"] as? Int == Images.png.count)
            #expect((history.first { $0["action"] as? String == "report" }?["photos"] as? [Any])?.count == 2)
            let url = try #require(stepPhotos.first?["url"] as? String)
            let fetched = try await client.send(.get, url, token: f.tokens["reporter"])
            #expect(Data(fetched.body.readableBytesView) == Images.png)
            #expect(one.object["photos"] != nil)
            let list = try await client.send(.get, "/api/v1/incidents", token: f.tokens["dispatcher"])
            #expect((list.object["incidents"] as? [[String: Any]])?.first?["photos"] == nil, "lists leave photos out")
        }
    }

    @Test("type, size and count limits are stated; a refused upload stores nothing; malformed bodies are 400")
    func limits() async throws {
        let f = try Fixture()
        let p = f.workerPoint
        @Sendable func report(_ add: (inout MultipartBody) -> Void) -> MultipartBody {
            var form = MultipartBody()
            form.field("api_key", f.tokens["reporter"]!)
            form.field("service_code", "garbage")
            form.field("lat", "\(p.lat)")
            form.field("long", "\(p.lon)")
            add(&form)
            return form
        }
        try await f.application().test(.live) { client in
            let gif = try await client.multipart("/open311/v2/requests.json", report { $0.file("media", "x.jpg", type: "image/jpeg", Images.gif) })
            #expect(gif.status == .badRequest)
            #expect((gif.array.first?["description"] as? String)?.contains("photo 1 (x.jpg) is not a JPEG, PNG or WebP image") == true, "\(gif.text)")

            var big = Images.jpeg
            big += Data(count: 5 * 1024 * 1024)
            let large = try await client.multipart("/open311/v2/requests.json", report { $0.file("media", "big.jpg", type: "image/jpeg", big) })
            #expect(large.status == .badRequest)
            #expect((large.array.first?["description"] as? String)?.contains("larger than 5 MiB per photo") == true, "\(large.text)")

            var many = MultipartBody()
            many.field("incident", incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            for i in 0..<5 { many.file("photo", "\(i).png", type: "image/png", Images.png) }
            let five = try await client.multipart("/api/v1/incidents", many, token: f.tokens["reporter"])
            #expect(five.status == .badRequest && five.errorMessage.contains("5 photos sent; at most 4 per request"), "\(five.text)")

            var huge = MultipartBody()
            huge.field("incident", incidentJSON(category: "garbage", x: p.lon, y: p.lat))
            huge.file("photo", "huge.jpg", type: "image/jpeg", Images.jpeg + Data(count: 21 * 1024 * 1024))
            let tooLarge = try await client.multipart("/api/v1/incidents", huge, token: f.tokens["reporter"])
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorMessage.contains("at most 4 photos of 5 MiB each"), "\(tooLarge.text)")

            var noIncident = MultipartBody()
            noIncident.file("photo", "a.png", type: "image/png", Images.png)
            let missing = try await client.multipart("/api/v1/incidents", noIncident, token: f.tokens["reporter"])
            #expect(missing.status == .badRequest && missing.errorMessage.contains("no part named 'incident'"), "\(missing.text)")

            let noBoundary = try await client.execute(uri: "/api/v1/incidents", method: .post,
                                                      headers: [.contentType: "multipart/form-data",
                                                                .authorization: "Bearer \(f.tokens["reporter"]!)"],
                                                      body: ByteBuffer(string: "x"))
            #expect(noBoundary.status == .badRequest && noBoundary.errorMessage.contains("no boundary parameter"), "\(noBoundary.text)")

            var cut = report { $0.file("media", "a.png", type: "image/png", Images.png) }
            cut.data.removeLast(4)
            let truncated = try await client.execute(uri: "/open311/v2/requests.json", method: .post,
                                                     headers: [.contentType: cut.contentType], body: ByteBuffer(bytes: cut.data))
            #expect(truncated.status == .badRequest)
            #expect((truncated.array.first?["description"] as? String)?.contains("is not closed by the boundary") == true, "\(truncated.text)")
        }
        #expect(try f.count() == 0)
        #expect(try f.count("SELECT count(*) FROM dispatch_media") == 0)
    }

    @Test("photo types are recognised by their first bytes (the domain checks are in GridworkDispatchTests)")
    func library() {
        #expect(PhotoType.sniff(Images.png) == .png && PhotoType.sniff(Images.jpeg) == .jpeg && PhotoType.sniff(Images.webp) == .webp)
        #expect(PhotoType.sniff(Images.gif) == nil && PhotoType.sniff(Data()) == nil)
        #expect(MediaLibrary.directory(besideDatabase: "/srv/county.sqlite") == "/srv/county.media")
        #expect(MediaLibrary.directory(besideDatabase: "/srv/county") == "/srv/county.media")
    }
}
