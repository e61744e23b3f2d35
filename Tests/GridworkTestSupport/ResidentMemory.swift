import Foundation
import Testing

/// The resident set size of this process, for leak tests that run a workload many times and check that resident
/// memory stays flat.
///
/// It is read from `/proc/self/statm` (Linux). Where that cannot be read (macOS, a container without /proc) a leak
/// test must not pass as if it had measured something: mark it `.residentMemoryMeasurable` so it is skipped with
/// the reason, and read the size with `ResidentMemory.bytes()`, which cancels (skips) the running test instead of
/// returning a made-up value.
public enum ResidentMemory {
    /// Where the size is read from.
    public static let source = "/proc/self/statm"

    /// The resident set size in bytes (the second field of /proc/self/statm, in pages, times the page size), or nil
    /// where it cannot be read or parsed.
    public static func currentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: source, encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pageSize > 0 else { return nil }
        return pages * pageSize
    }

    /// Whether resident memory can be measured here.
    public static var isMeasurable: Bool { currentBytes() != nil }

    /// Why a test that needs the resident size is skipped where it cannot be measured.
    public static let unavailableReason: Comment =
        "resident memory cannot be measured here: \(source) is missing or unreadable (it is a Linux file)"

    /// The resident set size in bytes; where it cannot be measured, cancels the running test, which is then reported
    /// as skipped with the reason, never as passed.
    public static func bytes(sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        guard let bytes = currentBytes() else { try Test.cancel(unavailableReason, sourceLocation: sourceLocation) }
        return bytes
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where `ResidentMemory` can measure this process; elsewhere it is skipped with the reason.
    public static var residentMemoryMeasurable: Self {
        .enabled(if: ResidentMemory.isMeasurable, ResidentMemory.unavailableReason)
    }
}
