import DispatchTestSupport
import Foundation
import Gridwork
@testable import GridworkDispatch
import GridStore
import Testing

/// Photos in the dispatch domain: the checks, the files beside the database, the records of each step, visibility.
@Suite("Photos: library, store and service")
struct MediaTests {
    /// A real 2×2 PNG (made with GDAL's PNG driver) and bytes that start like each accepted type.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==")!
    static let jpegStart = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46])
    static let webpStart = Data("RIFF\u{24}\0\0\0WEBPVP8 ".utf8)

    static func report(at point: (lon: Double, lat: Double), key: String? = nil) -> IntakeRequest {
        IntakeRequest(category: "garbage", description: "bins full", location: .init(x: point.lon, y: point.lat),
                      idempotencyKey: key)
    }

    @Test("types by their first bytes; size, count and emptiness refused with the limit named")
    func checks() throws {
        #expect(PhotoType.sniff(Self.png) == .png && PhotoType.sniff(Self.jpegStart) == .jpeg && PhotoType.sniff(Self.webpStart) == .webp)
        #expect(PhotoType.sniff(Data("RIFF\0\0\0\0WAVE".utf8)) == nil && PhotoType.sniff(Data("<svg>".utf8)) == nil)
        let library = MediaLibrary(directory: NSTemporaryDirectory() + "gridwork-media-\(UUID().uuidString)",
                                   limits: MediaLimits(maxBytes: 1024, maxCount: 2))
        func message(_ uploads: [PhotoUpload]) -> String {
            do { _ = try library.check(uploads); return "" } catch let error as DispatchError { return error.message } catch { return "\(error)" }
        }
        #expect(message([PhotoUpload(data: Self.jpegStart + Data(count: 2000), fileName: "big.jpg")])
            .contains("photo 1 (big.jpg) is 2010 bytes, larger than 1 KiB per photo"))
        #expect(message(Array(repeating: PhotoUpload(data: Self.png), count: 3)).contains("3 photos sent; at most 2 per request"))
        #expect(message([PhotoUpload(data: Self.png), PhotoUpload(data: Data())]).contains("photo 2 is empty"))
        #expect(message([PhotoUpload(data: Data("GIF89a".utf8), fileName: "a.png")]).contains("not a JPEG, PNG or WebP image"))
        #expect(message([PhotoUpload(data: Self.png), PhotoUpload(data: Self.webpStart)]).isEmpty)
        #expect(MediaLimits.size(5 * 1024 * 1024) == "5 MiB" && MediaLimits.size(1000) == "1000 bytes")
        #expect(MediaLibrary.directory(besideDatabase: "/srv/county.sqlite") == "/srv/county.media")
        #expect(MediaLibrary.directory(besideDatabase: "/srv/county") == "/srv/county.media")
    }

    @Test("intake and steps record photos with their events; a retry or a refused step adds none; same visibility as the incident")
    func service() throws {
        let f = try Fixture()
        let reporter = try f.service.authenticate(token: f.tokens["reporter"])
        let worker = try f.service.authenticate(token: f.tokens["worker"])
        let other = try f.service.authenticate(token: f.tokens["otherWorker"])
        let p = f.workerPoint
        let photos = [PhotoUpload(data: Self.png, fileName: "a.png"), PhotoUpload(data: Self.jpegStart, fileName: "b.jpg")]
        let (incident, _) = try f.service.intake(Self.report(at: (p.lon, p.lat), key: "k1"), by: reporter, photos: photos)
        var stored = try f.service.photos(of: [incident.id])
        let reportEvent = try #require(try f.service.store.events(of: incident.id).first)
        #expect(stored.map(\.step) == ["report", "report"] && stored.allSatisfy { $0.eventID == reportEvent.id })
        #expect(stored.map(\.type) == [.png, .jpeg] && stored.map(\.originalName) == ["a.png", "b.jpg"])
        #expect(stored[0].bytes == Self.png.count && stored[0].actor == reporter.actor)
        let directory = MediaLibrary.directory(besideDatabase: f.dbPath)
        #expect(FileManager.default.contents(atPath: directory + "/" + stored[0].fileName) == Self.png)

        // A retry with the same idempotency key returns the stored incident and records no more photos.
        let (again, created) = try f.service.intake(Self.report(at: (p.lon, p.lat), key: "k1"), by: reporter, photos: photos)
        #expect(!created && again.id == incident.id)
        #expect(try f.service.photos(of: [incident.id]).count == 2)

        // A refused step (resolve before accept is a conflict) records nothing; the accepted one does.
        #expect(throws: DispatchError.self) {
            _ = try f.service.act(.rate, on: incident.id, body: TransitionBody(rating: 5), by: reporter,
                                  photos: [PhotoUpload(data: Self.png)])
        }
        _ = try f.service.act(.accept, on: incident.id, body: TransitionBody(), by: worker)
        _ = try f.service.act(.resolve, on: incident.id, body: TransitionBody(note: "done"), by: worker,
                              photos: [PhotoUpload(data: Self.webpStart, fileName: "after.webp")])
        stored = try f.service.photos(of: [incident.id])
        #expect(stored.map(\.step) == ["report", "report", "resolve"])
        let resolveEvent = try #require(try f.service.store.events(of: incident.id).last)
        #expect(resolveEvent.action == "resolve" && stored[2].eventID == resolveEvent.id)
        // A bad photo refuses the whole step before anything is written.
        #expect(throws: DispatchError.self) {
            _ = try f.service.act(.close, on: incident.id, body: TransitionBody(), by: reporter, photos: [PhotoUpload(data: Data("x".utf8))])
        }
        #expect(try f.service.incident(id: incident.id, for: reporter).state == .resolved)

        #expect(try f.service.photo(id: stored[0].id, for: worker).data == Self.png)
        #expect(try f.service.photo(id: stored[2].id, for: nil).media.step == "resolve")
        let hidden = #expect(throws: DispatchError.self) { _ = try f.service.photo(id: stored[0].id, for: other) }
        #expect(hidden?.kind == .notFound)
        #expect(throws: DispatchError.self) { _ = try f.service.photo(id: 999, for: reporter) }
    }

    @Test("a database at dispatch schema version 1 gains the media table")
    func migration() throws {
        let path = NSTemporaryDirectory() + "gridwork-media-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try SQLiteConnection(path: path)
        try c.execute("CREATE TABLE dispatch_schema (version INTEGER NOT NULL)")
        try c.execute(DispatchSchema.migrations[0].sql)
        try c.run("INSERT INTO dispatch_schema (version) VALUES (1)")
        #expect(try DispatchSchema.migrate(c) == [2])
        #expect(try c.query("SELECT count(*) FROM dispatch_media").first?[0].intValue == 0)
        #expect(try DispatchSchema.migrate(c).isEmpty)
    }
}
