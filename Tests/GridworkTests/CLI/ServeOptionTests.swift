import Testing
@testable import GridworkCLI

/// `gridwork serve`'s Open311 options (issue 12): public read off unless asked, the discovery contact and type.
@Suite struct ServeOptionTests {
    /// Any file that exists stands for the database: `validate()` only checks that it is there.
    static let existing = #filePath

    @Test func open311Options() throws {
        let plain = try #require(try GridworkCommand.parseAsRoot(["serve", "--db", Self.existing]) as? ServeCommand)
        #expect(!plain.open311PublicRead && plain.open311EndpointType == "production" && plain.open311Contact == nil)
        let open = try #require(try GridworkCommand.parseAsRoot([
            "serve", "--db", Self.existing, "--open311-public-read", "--open311-contact", "0571-12345", "--open311-endpoint-type", "test",
        ]) as? ServeCommand)
        #expect(open.open311PublicRead && open.open311Contact == "0571-12345" && open.open311EndpointType == "test")
        do {
            _ = try GridworkCommand.parseAsRoot(["serve", "--db", Self.existing, "--open311-endpoint-type", "staging"])
            Issue.record("an unknown endpoint type was accepted")
        } catch {
            #expect(GridworkCommand.message(for: error).contains("--open311-endpoint-type staging: use production or test"))
        }
    }
}
