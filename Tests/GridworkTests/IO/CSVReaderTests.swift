import Foundation
import Testing
@testable import Gridwork

/// The row reader on top of the shared byte scanner: fields, lines and strict quoting, whatever the chunk size.
@Suite struct CSVReaderTests {
    static let text = "\u{FEFF}id,name,note\r\n" +       // 1: BOM, CRLF
        "1,\"Wang, Li\",\"said \"\"hi\"\"\"\n" +           // 2
        "\n" +                                            // 3: blank
        "2,\"two\nlines\",x\r\n" +                        // 4-5
        "3,,\"\"\n" +                                     // 6
        "4,last,no newline"                               // 7

    static let expected: [(Int, [String])] = [
        (1, ["id", "name", "note"]), (2, ["1", "Wang, Li", "said \"hi\""]), (4, ["2", "two\nlines", "x"]),
        (6, ["3", "", ""]), (7, ["4", "last", "no newline"]),
    ]

    func records(_ reader: CSVReader) throws -> [(Int, [String])] {
        var result: [(Int, [String])] = []
        while let r = try reader.next() { result.append((r.line, r.fields)) }
        return result
    }

    @Test(arguments: [1, 2, 3, 7, 1 << 20])
    func readsFieldsAndLinesWhateverTheChunkSize(chunkSize: Int) throws {
        let scratch = Scratch()
        let path = scratch.write("t.csv", Self.text)
        let got = try records(CSVReader(path: path, chunkSize: chunkSize))
        #expect(got.map(\.0) == Self.expected.map(\.0))
        #expect(got.map(\.1) == Self.expected.map(\.1))
        let inMemory = try records(CSVReader(text: Self.text))
        #expect(inMemory.map(\.1) == Self.expected.map(\.1))
    }

    @Test(arguments: [
        ("a,b\n1,x\"y\n", 2, "a '\"' inside an unquoted field"),
        ("a,b\n1,\"x\"y\n", 2, "text after a closing quote"),
        ("a,b\n1,2\n3,\"open\nstill open\n", 3, "a quoted field is not closed before the end of the file"),
        ("a,b\n1,\"two\nlines\" y\n", 3, "text after a closing quote"),
    ])
    func quotingErrorsNameTheirLine(text: String, line: Int, message: String) throws {
        for chunkSize in [2, 1 << 20] {
            let scratch = Scratch()
            let reader = try CSVReader(path: scratch.write("bad.csv", text), chunkSize: chunkSize)
            do {
                _ = try records(reader)
                Issue.record("accepted \(text.debugDescription)")
            } catch let error as CSVError {
                #expect(error.line == line, "\(text.debugDescription) chunk \(chunkSize)")
                #expect(error.message.hasPrefix(message), "\(error)")
            }
        }
    }

    /// A stray quote early in a long file is reported at once, not after the rest of the file was buffered.
    @Test func aStrayQuoteDoesNotSwallowTheFile() throws {
        let scratch = Scratch()
        let text = "a,b\n1,x\"y\n" + String(repeating: "2,z\n", count: 100_000)
        let reader = try CSVReader(path: scratch.write("stray.csv", text), chunkSize: 4_096)
        #expect(throws: CSVError.self) { _ = try records(reader) }
    }
}
