import Foundation
import Testing

/// Outside programs the tests use as independent oracles (GDAL's `ogrinfo`, Python with shapely and pyproj).
public enum ExternalTool {
    /// What a finished program wrote and how it exited.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Standard output followed by standard error, for messages and for checks that read both.
        public var output: String { stdout + stderr }
    }

    /// The executable called `name` in a directory of PATH, or nil when it is not installed.
    public static func path(of name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether `name` is on PATH and exits with status 0 for `arguments` (e.g. `--version`).
    public static func runs(_ name: String, _ arguments: [String]) -> Bool {
        (try? run(name, arguments))??.status == 0
    }

    /// Runs the program `name` found on PATH with `arguments` and waits for it; nil when it is not installed.
    /// Both output streams are read at the same time, so neither can fill its pipe and stall the program.
    public static func run(_ name: String, _ arguments: [String]) throws -> Output? {
        guard let executable = path(of: name) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = StreamCollector(err.fileHandleForReading)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// Reads one stream to its end on a thread of its own.
private final class StreamCollector: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled, read only after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// Python 3 with the packages the oracles import (shapely, pyproj, numpy); `tools/setup --checks` installs them.
public enum Python {
    /// Whether `python3` is on PATH and imports every one of `modules` (none: whether Python runs at all).
    public static func canImport(_ modules: [String]) -> Bool {
        ExternalTool.runs("python3", ["-c", modules.isEmpty ? "pass" : "import " + modules.joined(separator: ", ")])
    }

    /// Runs `script` (`python3 -c script arguments...`; `sys.argv[1...]` are the arguments) and waits for it.
    /// Throws when python3 is not installed; run it in a test marked `.requiresPython(...)`.
    public static func run(_ script: String, _ arguments: [String] = []) throws -> ExternalTool.Output {
        guard let output = try ExternalTool.run("python3", ["-c", script] + arguments) else {
            throw PythonMissing()
        }
        return output
    }

    struct PythonMissing: Error, CustomStringConvertible {
        var description: String { "python3 is not on PATH: install Python 3 and run tools/setup --checks" }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where python3 imports every one of `modules`; elsewhere it is skipped with the fix.
    public static func requiresPython(_ modules: String...) -> Self {
        let what = modules.isEmpty ? "python3" : "python3 with " + modules.joined(separator: " and ")
        return .enabled(if: Python.canImport(modules), "\(what) is not installed; run tools/setup --checks")
    }

    /// Runs the test only where the program `name` runs with `arguments`; elsewhere it is skipped with `fix`.
    public static func requiresTool(_ name: String, _ arguments: [String], fix: String) -> Self {
        .enabled(if: ExternalTool.runs(name, arguments), "\(name) is not on PATH; \(fix)")
    }
}
