import Foundation
import Testing
@testable import GridStore

/// Every GridStore suite nests in this one so they run one after another: the leak check reads the process's
/// resident memory, which other suites' large blobs and threads would disturb.
@Suite(.serialized) struct GridStoreTests {}

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gridstore-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` expecting an `SQLiteError`, and returns it (records an issue and returns nil otherwise).
func expectSQLiteError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> SQLiteError? {
    do {
        try body()
        Issue.record("expected an SQLiteError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SQLiteError {
        return error
    } catch {
        Issue.record("expected an SQLiteError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
