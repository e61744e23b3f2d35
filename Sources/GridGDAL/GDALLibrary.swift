internal import CGDAL
import Foundation

/// An error raised by GDAL/OGR, carrying GDAL's own message (`CPLGetLastErrorMsg`).
public struct GDALError: Error, Sendable, CustomStringConvertible {
    /// What gridwork was doing, e.g. "GDALOpenEx grids.shp".
    public var operation: String
    /// The message GDAL reported (empty when it said nothing).
    public var message: String

    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String {
        message.isEmpty ? "GDAL \(operation) failed" : "GDAL \(operation) failed: \(message)"
    }
}

/// Process-wide GDAL set-up: registers the drivers once (`GDALAllRegister`) and routes GDAL's messages to a quiet
/// handler, so warnings do not go to standard error; the last one stays readable per thread (`CPLGetLastErrorMsg`).
public enum GDALLibrary {
    /// Runs once, on first use of any wrapper.
    private static let registered: Bool = {
        GDALAllRegister()
        CPLSetErrorHandler(CPLQuietErrorHandler)
        return true
    }()

    static func ensureRegistered() {
        _ = registered
    }

    /// The GDAL release, e.g. "3.6.2" (`GDALVersionInfo("RELEASE_NAME")`).
    public static var version: String {
        ensureRegistered()
        return GDALVersionInfo("RELEASE_NAME").map { String(cString: $0) } ?? "unknown"
    }

    /// The short names of the vector drivers this GDAL build has (`GDALGetDriver`, `DCAP_VECTOR`).
    public static var vectorDrivers: [String] {
        ensureRegistered()
        return (0..<GDALGetDriverCount()).compactMap { i in
            guard let driver = GDALGetDriver(i),
                  GDALGetMetadataItem(driver, GDAL_DCAP_VECTOR, nil) != nil else { return nil }
            return String(cString: GDALGetDriverShortName(driver))
        }
    }

    /// Clears the thread's last error (`CPLErrorReset`) before a call whose failure is read afterwards.
    static func resetError() {
        CPLErrorReset()
    }

    /// The thread's last GDAL message (`CPLGetLastErrorMsg`), cleared after reading.
    static func takeMessage() -> String {
        defer { CPLErrorReset() }
        return String(cString: CPLGetLastErrorMsg())
    }

    /// Whether the last GDAL call on this thread reported a failure (`CPLGetLastErrorType` ≥ `CE_Failure`).
    static var lastCallFailed: Bool {
        CPLGetLastErrorType().rawValue >= CE_Failure.rawValue
    }

    /// The error for a failed call, with GDAL's message.
    static func error(_ operation: String) -> GDALError {
        GDALError(operation: operation, message: takeMessage())
    }

    /// Checks an `OGRErr` (`OGRERR_NONE` is 0); any other value throws with GDAL's message.
    static func check(_ code: OGRErr, _ operation: String) throws {
        if code != OGRERR_NONE { throw error("\(operation) (OGRErr \(code))") }
    }
}

/// A NULL-terminated `char **` list built from Swift strings (`CSLAddString`), freed with `CSLDestroy` by its one
/// owner.
final class CStringList {
    private(set) var pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    init(_ strings: [String]) {
        for s in strings { pointer = CSLAddString(pointer, s) }
    }

    /// `KEY=VALUE` entries.
    convenience init(_ options: [String: String]) {
        self.init(options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
    }

    deinit {
        CSLDestroy(pointer)
    }

    /// The list as a `const char * const *`, for the calls that only read it.
    var constPointer: UnsafePointer<UnsafePointer<CChar>?>? {
        UnsafeRawPointer(pointer).map { $0.assumingMemoryBound(to: UnsafePointer<CChar>?.self) }
    }
}
