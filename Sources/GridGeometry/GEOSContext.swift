internal import CGEOS

/// An error raised by GEOS, carrying GEOS's own message.
public struct GEOSError: Error, Sendable, CustomStringConvertible {
    /// What gridwork was doing (e.g. "GEOSIntersection_r").
    public var operation: String
    /// The message GEOS reported through its error handler, if any.
    public var message: String

    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String {
        message.isEmpty ? "GEOS \(operation) failed" : "GEOS \(operation) failed: \(message)"
    }
}

/// Collects the messages GEOS hands to the context's error and notice handlers.
final class GEOSMessageSink {
    var lastError = ""
    var notices: [String] = []
}

/// A GEOS reentrant context (`GEOSContextHandle_t`).
///
/// GEOS contexts are not thread-safe: a context, and every geometry made with it, belongs to one owner at a time
/// (one thread, one task, one actor). Make one per worker thread. The context is finished (`GEOS_finish_r`) when the
/// last reference goes, which is never before the last geometry made with it, since geometries hold their context.
public final class GEOSContext {
    let handle: GEOSContextHandle_t
    private let sink: GEOSMessageSink
    private let sinkPointer: UnsafeMutableRawPointer

    /// Creates a context with `GEOS_init_r` and installs message handlers that capture GEOS's errors.
    public init() {
        // GEOS_init_r returns NULL only when out of memory.
        guard let handle = GEOS_init_r() else { fatalError("GEOS_init_r failed: out of memory") }
        self.handle = handle
        self.sink = GEOSMessageSink()
        self.sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        GEOSContext_setErrorMessageHandler_r(handle, { message, userdata in
            guard let message, let userdata else { return }
            Unmanaged<GEOSMessageSink>.fromOpaque(userdata).takeUnretainedValue().lastError = String(cString: message)
        }, sinkPointer)
        GEOSContext_setNoticeMessageHandler_r(handle, { message, userdata in
            guard let message, let userdata else { return }
            let sink = Unmanaged<GEOSMessageSink>.fromOpaque(userdata).takeUnretainedValue()
            if sink.notices.count < 100 { sink.notices.append(String(cString: message)) }
        }, sinkPointer)
    }

    deinit {
        GEOS_finish_r(handle)
    }

    /// The GEOS library version (`GEOSversion`).
    public static var libraryVersion: String { String(cString: GEOSversion()) }

    /// Notices GEOS emitted since the last call (e.g. the reason `GEOSisValid_r` printed).
    public func takeNotices() -> [String] {
        defer { sink.notices.removeAll() }
        return sink.notices
    }

    /// Builds the error for a failed call, consuming the captured message.
    func error(_ operation: String) -> GEOSError {
        defer { sink.lastError = "" }
        return GEOSError(operation: operation, message: sink.lastError)
    }

    /// Takes ownership of a string GEOS allocated and frees it with `GEOSFree_r`.
    func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { GEOSFree_r(handle, pointer) }
        return String(cString: pointer)
    }
}
