import Foundation
import GridworkDispatch
@testable import GridworkServer
import Testing

/// The report layers' thread (issue 12: start-up reports must not slow intake).
@Suite("Background thread for start-up work")
struct BackgroundThreadTests {
    #if os(Linux)
    static func nice() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    @Test("work runs at nice 19 on its own thread, the caller's priority is untouched, errors come back")
    func lowPriority() async throws {
        let before = Self.nice()
        let inside = try await BackgroundThread.run { Self.nice() }
        #expect(inside == 19)
        #expect(Self.nice() == before)
        let error = await #expect(throws: DispatchError.self) {
            try await BackgroundThread.run { () throws -> Int in throw DispatchError(.invalidInput, "layers failed") }
        }
        #expect(error?.message == "layers failed")
    }
    #endif
}
