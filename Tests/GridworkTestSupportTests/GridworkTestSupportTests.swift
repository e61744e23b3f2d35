import GridworkTestSupport
import Testing

@Suite struct ExternalToolTests {
    @Test(.requiresTool("sh", ["-c", "exit 0"], fix: "a POSIX shell is needed"))
    func outputStreamsAreKeptApartAndLargeOutputDoesNotStall() throws {
        // 1 MiB on standard error before anything on standard output: a runner that read the streams one after the
        // other would wait forever once the error pipe filled.
        let result = try #require(try ExternalTool.run("sh", ["-c", "head -c 1048576 /dev/zero | tr '\\0' e >&2; echo out; exit 3"]))
        #expect(result.status == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr.utf8.count == 1 << 20 && result.stderr.allSatisfy { $0 == "e" })
        #expect(result.output == result.stdout + result.stderr)
    }

    @Test func aMissingToolIsNilAndDoesNotRun() throws {
        #expect(ExternalTool.path(of: "gridwork-no-such-tool") == nil)
        #expect(try ExternalTool.run("gridwork-no-such-tool", []) == nil)
        #expect(!ExternalTool.runs("gridwork-no-such-tool", ["--version"]))
    }

    @Test(.requiresPython())
    func pythonRunsAScriptWithArguments() throws {
        let result = try Python.run("import sys; print(sys.argv[1:]); sys.exit(int(sys.argv[2]))", ["a b", "4"])
        #expect(result.status == 4 && result.stdout == "['a b', '4']\n", "\(result.output)")
        #expect(!Python.canImport(["gridwork_no_such_module"]))
    }
}

@Suite struct ResidentMemoryTests {
    /// Other tests run at the same time in this process, so only bounds that they cannot move are checked.
    @Test(.residentMemoryMeasurable) func residentSizeCountsTouchedMemory() throws {
        let before = try ResidentMemory.bytes()
        #expect(before > 1 << 20 && before < 1 << 40, "\(before) bytes")
        // Write 64 MiB: every page written is resident while the array lives.
        var block = [UInt8](repeating: 1, count: 64 << 20)
        block[block.count - 1] = 2
        let during = try ResidentMemory.bytes()
        #expect(during >= 64 << 20, "\(during) bytes resident while 64 MiB are written")
        #expect(block.last == 2)
    }
}
