import Crypto
import Foundation

/// A photo as a client sent it, before any check.
public struct PhotoUpload: Sendable, Hashable {
    /// The file's bytes.
    public var data: Data
    /// The name the client gave the file (`filename=` of its part), for messages; may be empty.
    public var fileName: String

    public init(data: Data, fileName: String = "") {
        self.data = data
        self.fileName = fileName
    }
}

/// The photo formats accepted, recognised by their first bytes (magic numbers), never by a name or a declared type.
public enum PhotoType: String, Sendable, Hashable, CaseIterable, Codable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case webp = "image/webp"

    /// The file name extension the service stores and serves the type under.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .webp: "webp"
        }
    }

    /// JPEG starts `FF D8 FF`; PNG with its 8-byte signature `89 50 4E 47 0D 0A 1A 0A`; WebP is a RIFF container,
    /// `RIFF` size `WEBP`.
    public static func sniff(_ data: Data) -> PhotoType? {
        let b = [UInt8](data.prefix(12))
        if b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF { return .jpeg }
        if b.count >= 8 && b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if b.count >= 12 && b[0..<4] == [0x52, 0x49, 0x46, 0x46] && b[8..<12] == [0x57, 0x45, 0x42, 0x50] { return .webp }
        return nil
    }

    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "png": self = .png
        case "webp": self = .webp
        default: return nil
        }
    }
}

/// How many photos a request may carry and how large each may be.
public struct MediaLimits: Sendable, Hashable {
    /// Largest photo accepted, in bytes (5 MiB).
    public var maxBytes: Int
    /// Most photos in one request (one report or one step).
    public var maxCount: Int

    public init(maxBytes: Int = 5 * 1024 * 1024, maxCount: Int = 4) {
        self.maxBytes = maxBytes
        self.maxCount = maxCount
    }

    /// `5 MiB`, `300 KiB` or `1000 bytes`.
    public static func size(_ bytes: Int) -> String {
        if bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024)) MiB" }
        if bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
        return "\(bytes) bytes"
    }
}

/// A checked photo written to the media directory, ready to be recorded with its incident step.
public struct NewMedia: Sendable, Hashable {
    public var type: PhotoType
    public var bytes: Int
    /// Hex SHA-256 of the content; the stored file is `<sha256>.<ext>`.
    public var sha256: String
    public var originalName: String
}

/// A photo recorded in the store: which incident and step it belongs to, and where its bytes are.
public struct StoredMedia: Sendable, Hashable {
    public var id: Int64
    public var incidentID: Int64
    /// The history event (`IncidentEvent.id`) it was sent with: the report, or a step such as `resolve`.
    public var eventID: Int64
    /// The event's action: `report`, or an `IncidentAction` (`resolve`, ...).
    public var step: String
    public var type: PhotoType
    public var bytes: Int
    public var sha256: String
    public var originalName: String
    public var createdAt: Date
    public var actor: String

    /// The file's name inside the media directory.
    public var fileName: String { "\(sha256).\(type.fileExtension)" }
}

/// The photos of a county database: files in a directory beside the database (`county.sqlite` → `county.media/`),
/// named by their SHA-256 (the same photo sent twice, a retried upload, is one file), their metadata in the store
/// (`dispatch_media`). Files are written (and synced) before the store records them, so a recorded photo always has
/// its file; a failure in between leaves at most an unreferenced file.
public struct MediaLibrary: Sendable {
    public let directory: String
    public let limits: MediaLimits

    public init(directory: String, limits: MediaLimits = MediaLimits()) {
        self.directory = directory
        self.limits = limits
    }

    /// The media directory of a database: its path with the extension replaced by `.media`
    /// (`/srv/county.sqlite` → `/srv/county.media`; a path without an extension gets `.media` appended).
    public static func directory(besideDatabase path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.pathExtension.isEmpty ? url : url.deletingPathExtension()
        return base.path + ".media"
    }

    /// Checks count, size and type of every photo, naming the first one that fails and the limits.
    public func check(_ uploads: [PhotoUpload]) throws -> [(upload: PhotoUpload, type: PhotoType)] {
        guard uploads.count <= limits.maxCount else {
            throw DispatchError(.invalidInput, "\(uploads.count) photos sent; at most \(limits.maxCount) per request")
        }
        return try uploads.enumerated().map { index, upload in
            let name = upload.fileName.isEmpty ? "photo \(index + 1)" : "photo \(index + 1) (\(upload.fileName))"
            guard !upload.data.isEmpty else { throw DispatchError(.invalidInput, "\(name) is empty") }
            guard upload.data.count <= limits.maxBytes else {
                throw DispatchError(.invalidInput, "\(name) is \(upload.data.count) bytes, larger than \(MediaLimits.size(limits.maxBytes)) "
                    + "per photo; send a smaller or more compressed image")
            }
            guard let type = PhotoType.sniff(upload.data) else {
                throw DispatchError(.invalidInput, "\(name) is not a JPEG, PNG or WebP image (judged by its first bytes, not its name "
                    + "or Content-Type); send one of those formats")
            }
            return (upload, type)
        }
    }

    /// Checks the photos and writes each to the directory (created when missing), returning what the store records.
    public func save(_ uploads: [PhotoUpload]) throws -> [NewMedia] {
        let checked = try check(uploads)
        guard !checked.isEmpty else { return [] }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try checked.map { upload, type in
            let sha = SHA256.hash(data: upload.data).map { String(format: "%02x", $0) }.joined()
            let media = NewMedia(type: type, bytes: upload.data.count, sha256: sha, originalName: String(upload.fileName.prefix(200)))
            let path = directory + "/" + "\(sha).\(type.fileExtension)"
            if !FileManager.default.fileExists(atPath: path) {
                // Write to a temporary name, sync, then rename: a crash never leaves a half file under the final name.
                let temporary = directory + "/.\(sha).\(UUID().uuidString).tmp"
                guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
                    throw DispatchError(.unprocessable, "cannot write to the media directory \(directory)")
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
                try handle.write(contentsOf: upload.data)
                try handle.synchronize()
                try handle.close()
                if rename(temporary, path) != 0 {
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw DispatchError(.unprocessable, "cannot store a photo in the media directory \(directory) (errno \(errno))")
                }
            }
            return media
        }
    }

    /// The bytes of a stored photo.
    public func read(_ media: StoredMedia) throws -> Data {
        guard let data = FileManager.default.contents(atPath: directory + "/" + media.fileName) else {
            throw DispatchError(.notFound, "photo \(media.id) is recorded but its file \(media.fileName) is missing from \(directory)")
        }
        return data
    }
}
