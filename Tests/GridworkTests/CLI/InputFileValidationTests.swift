import Testing
@testable import GridworkCLI

/// Every command that reads files refuses a missing one before doing anything, naming the option and the path.
@Suite struct InputFileValidationTests {
    @Test(arguments: [
        ["import", "--db", "/tmp/never-written.sqlite", "--grids", "/no/such/grids.geojson"],
        ["geocode", "--grids", "/no/such/grids.geojson", "--points", "/no/such/grids.geojson"],
        ["coverage", "--grids", "/no/such/grids.geojson", "--out", "/tmp/never-written"],
        ["workload", "--grids", "/no/such/grids.geojson", "--out", "/tmp/never-written"],
    ])
    func missingInputIsNamed(arguments: [String]) {
        do {
            _ = try GridworkCommand.parseAsRoot(arguments)
            Issue.record("\(arguments[0]) accepted a missing file")
        } catch {
            let message = GridworkCommand.message(for: error)
            #expect(message.contains("/no/such/grids.geojson: no such file"), "\(message)")
        }
    }

    /// The token subcommands share one `--db` option group; each refuses a database that does not exist.
    @Test(arguments: [
        ["token", "create", "--db", "/no/such/county.sqlite", "--role", "dispatcher"],
        ["token", "list", "--db", "/no/such/county.sqlite"],
        ["token", "revoke", "--db", "/no/such/county.sqlite", "7"],
    ])
    func tokenCommandsNameAMissingDatabase(arguments: [String]) {
        do {
            _ = try GridworkCommand.parseAsRoot(arguments)
            Issue.record("\(arguments.prefix(2).joined(separator: " ")) accepted a missing database")
        } catch {
            let message = GridworkCommand.message(for: error)
            #expect(message.contains("--db /no/such/county.sqlite: no such file"), "\(message)")
        }
    }

    /// `serve --tiles`: a BD-09 (Baidu) base map is refused with the reason, as are a template without {z}/{x}/{y} and
    /// tiles with --no-console (checked before the database is opened; an existing file stands in for it).
    @Test(arguments: [
        (["--tiles", "https://t.example/{z}/{x}/{y}.png", "--tiles-datum", "bd09"], "their own tile grid"),
        (["--tiles", "https://t.example/tile.png"], "needs {z}, {x} and {y}"),
        (["--tiles", "https://t.example/{z}/{x}/{y}.png", "--no-console"], "does nothing with --no-console"),
    ])
    func serveRefusesBadTiles(extra: [String], expected: String) {
        do {
            _ = try GridworkCommand.parseAsRoot(["serve", "--db", #filePath] + extra)
            Issue.record("serve accepted \(extra)")
        } catch {
            let message = GridworkCommand.message(for: error)
            #expect(message.contains(expected), "\(message)")
        }
    }
}
