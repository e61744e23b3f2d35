internal import CPROJ
import Foundation

/// Keeps the last error PROJ logged on one context, so thrown errors can quote PROJ's own words
/// (`proj_context_errno_string` only gives a generic text for the error class).
/// Owned by whoever owns the context, and kept alive until after `proj_context_destroy`.
final class PROJMessageLog {
    var lastMessage: String?

    /// Takes and clears the last logged message.
    func take() -> String? {
        defer { lastMessage = nil }
        return lastMessage
    }
}

/// Creates a `PJ_CONTEXT` (`proj_context_create`) that sends error-level log messages to `log`
/// (`proj_log_func`, `proj_log_level`) instead of stderr. The caller owns the context and must
/// destroy it with `proj_context_destroy` while `log` is still alive.
func makePROJContext(log: PROJMessageLog) -> OpaquePointer? {
    guard let context = proj_context_create() else { return nil }  // returns NULL on allocation failure
    proj_log_level(context, PJ_LOG_ERROR)
    proj_log_func(context, Unmanaged.passUnretained(log).toOpaque()) { appData, _, message in
        guard let appData, let message else { return }
        Unmanaged<PROJMessageLog>.fromOpaque(appData).takeUnretainedValue().lastMessage = String(cString: message)
    }
    return context
}

/// PROJ's text for the context's current error (`proj_context_errno_string`), preferring the
/// more specific message PROJ logged, if any.
func projMessage(context: OpaquePointer, errno: Int32, log: PROJMessageLog) -> String {
    let logged = log.take()
    var text = errno != 0 ? proj_context_errno_string(context, errno).map { String(cString: $0) } : nil
    if let logged, !logged.isEmpty {
        // PROJ 9.1 has no text for some codes ("Unknown error (code 4096)"); the logged message says it all.
        text = text.flatMap { $0.hasPrefix("Unknown error") ? nil : "\($0): \(logged)" } ?? logged
    }
    return text ?? "unknown PROJ error"
}

/// What PROJ's database says about an EPSG code.
struct CRSInfo: Sendable, Hashable {
    var name: String
    var isGeographic: Bool
}

/// Looks EPSG codes up in PROJ's database (`proj_create`, `proj_is_crs`, `proj_get_type`, `proj_get_name`)
/// and caches what it finds. Each lookup of a new code uses a fresh context under a lock, so the
/// catalog is safe to share between threads.
final class PROJCatalog: @unchecked Sendable {
    static let shared = PROJCatalog()

    private let lock = NSLock()
    private var known: [Int: CRSInfo] = [:]  // guarded by lock

    /// The CRS named `EPSG:<code>`, or `ProjectionError.unknownEPSG` with PROJ's message.
    func lookup(epsg code: Int) throws -> CRSInfo {
        lock.lock()
        defer { lock.unlock() }
        if let info = known[code] { return info }

        let log = PROJMessageLog()
        guard let context = makePROJContext(log: log) else {
            throw ProjectionError.unknownEPSG(code: code, projMessage: "proj_context_create failed (out of memory?)")
        }
        defer { proj_context_destroy(context) }
        guard let crs = proj_create(context, "EPSG:\(code)") else {  // returns NULL when the code is unknown
            let message = projMessage(context: context, errno: proj_context_errno(context), log: log)
            throw ProjectionError.unknownEPSG(code: code, projMessage: message)
        }
        defer { proj_destroy(crs) }
        guard proj_is_crs(crs) != 0 else {
            throw ProjectionError.unknownEPSG(code: code, projMessage: "EPSG:\(code) is not a coordinate reference system")
        }
        let type = proj_get_type(crs)
        let geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS || type == PJ_TYPE_GEOGRAPHIC_3D_CRS
            || type == PJ_TYPE_GEOGRAPHIC_CRS
        let info = CRSInfo(name: proj_get_name(crs).map { String(cString: $0) } ?? "EPSG:\(code)",
                           isGeographic: geographic)
        known[code] = info
        return info
    }
}
