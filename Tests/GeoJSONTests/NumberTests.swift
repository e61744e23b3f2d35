import Foundation
import GridworkTestSupport
import Testing
@testable import GeoJSON

/// Parsing equals `Double(String)` exactly; formatting rounds to the precision and trims zeros.
@Suite struct NumberTests {
    /// Parses `text` (one number) with the reader's scanner, `chunkSize` bytes at a time.
    static func parse(_ text: String, chunkSize: Int = 1 << 20) throws -> Double {
        let scanner = JSONScanner(source: .memory(Array(text.utf8), offset: 0), chunkSize: chunkSize)
        _ = try scanner.skipWhitespace()
        let value = try scanner.readNumber()
        #expect(try scanner.skipWhitespace() == nil, "trailing bytes after \(text)")
        return value
    }

    static func same(_ a: Double, _ b: Double) -> Bool {
        a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
    }

    @Test func fixedCases() throws {
        let cases = ["0", "-0", "1", "-1", "120.5", "0.1", "0.3", "29.1234567", "-179.9999999", "1e22", "1e23", "9007199254740993",
                     "123456789012345678901234567890", "0.000000000000000000000000000001", "2.2250738585072014e-308",
                     "4.9406564584124654e-324", "1.7976931348623157e308", "1e400", "-1e400", "1e-400", "0e99999",
                     "3.14159265358979323846264338327950288", "1E5", "1e+5", "1e-5", "12345678901234567e-20", "0.0000001"]
        for text in cases {
            let parsed = try Self.parse(text)
            let expected = try #require(Double(text))
            #expect(Self.same(parsed, expected), "\(text): \(parsed) != \(expected)")
        }
        #expect(try Self.parse("NaN").isNaN)
        #expect(try Self.parse("Infinity") == .infinity)
        #expect(try Self.parse("-Infinity") == -.infinity)
    }

    /// Seeded random doubles in many textual forms, compared bit for bit with `Double(String)`.
    @Test func randomValuesMatchDoubleFromString() throws {
        var rng = SplitMix64(seed: 0x6E65_7477_6F72_6B)
        var texts: [String] = []
        for _ in 0..<20_000 {
            let bits = Double(bitPattern: rng.next())
            if bits.isFinite { texts.append(bits.description) }  // shortest round-trip, any exponent
            let lon = Double.random(in: -180...180, using: &rng)
            texts.append(lon.description)
            texts.append(String(format: "%.7f", lon))
            texts.append(String(format: "%.\(Int.random(in: 0...20, using: &rng))e", lon))
            let digits = (0..<Int.random(in: 1...30, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            let point = Int.random(in: 0...digits.count, using: &rng)
            var decimal = String(digits.prefix(point).drop { $0 == "0" })  // JSON forbids leading zeros
            if decimal.isEmpty { decimal = "0" }
            if point < digits.count { decimal += "." + digits.dropFirst(point) }
            let exponent = Int.random(in: -330...310, using: &rng)
            texts.append(Bool.random(using: &rng) ? "-" + decimal : decimal)
            texts.append(decimal + "e" + String(exponent))
        }
        var mismatches: [String] = []
        // One JSON array of all values, read in odd chunks so numbers straddle chunk boundaries.
        let array = "[" + texts.joined(separator: ",") + "]"
        let scanner = JSONScanner(source: .memory(Array(array.utf8), offset: 0), chunkSize: 4093)
        _ = try scanner.skipWhitespace()
        guard case .array(let values) = try scanner.readValue() else {
            Issue.record("expected an array")
            return
        }
        #expect(values.count == texts.count)
        for (text, value) in zip(texts, values) {
            guard let expected = Double(text), case .number(let parsed) = value, Self.same(parsed, expected) else {
                mismatches.append(text)
                continue
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(5))")
    }

    @Test func coordinateFormatting() {
        func format(_ v: Double, precision: Int = 7) -> String {
            var output = JSONOutput(options: GeoJSONWriteOptions(precision: precision))
            output.coordinate(v)
            return output.string
        }
        #expect(format(120.5) == "120.5")
        #expect(format(120) == "120")
        #expect(format(-0.0) == "0")
        #expect(format(-0.00000001) == "0")
        #expect(format(0.1 + 0.2) == "0.3")
        #expect(format(29.12345678) == "29.1234568")
        #expect(format(-29.12345672) == "-29.1234567")
        #expect(format(0.00000005) == "0.0000001")
        #expect(format(119.99999999) == "120")
        #expect(format(1.25, precision: 1) == "1.3")
        #expect(format(1.25, precision: 0) == "1")
        #expect(format(512345.678, precision: 2) == "512345.68")
        #expect(format(1e20) == "1e+20")
        #expect(format(.nan) == "null")
        #expect(format(-.infinity) == "null")
        #expect(format(40_500_000.123, precision: 3) == "40500000.123")
    }

    @Test func formattedCoordinatesReadBackWithinHalfAUnitOfPrecision() throws {
        var rng = SplitMix64(seed: 42)
        for precision in [0, 3, 7, 9] {
            var output = JSONOutput(options: GeoJSONWriteOptions(precision: precision))
            var values: [Double] = []
            output.raw("[")
            for i in 0..<2000 {
                let v = Double.random(in: -1e6...1e6, using: &rng) / Double(1 << Int.random(in: 0...20, using: &rng))
                values.append(v)
                if i > 0 { output.raw(",") }
                output.coordinate(v)
            }
            output.raw("]")
            let text = output.string
            #expect(!text.contains("e"), "no exponent for ordinary coordinates")
            let parsed = text.dropFirst().dropLast().split(separator: ",").map { Double(String($0))! }
            var scale = 1.0
            for _ in 0..<precision { scale *= 10 }
            for (v, p) in zip(values, parsed) {
                #expect(abs(v - p) <= 0.5 / scale * (1 + 1e-9) + abs(v) * 1e-15, "\(v) -> \(p) at precision \(precision)")
            }
            // Trailing zeros are trimmed.
            for token in text.dropFirst().dropLast().split(separator: ",") where token.contains(".") {
                #expect(!token.hasSuffix("0"), "\(token)")
            }
        }
    }

    @Test func exactNumbersRoundTrip() throws {
        func format(_ v: Double) -> String {
            var output = JSONOutput(options: GeoJSONWriteOptions())
            output.exact(v)
            return output.string
        }
        #expect(format(42) == "42")
        #expect(format(-7) == "-7")
        #expect(format(1e15) == "1000000000000000")
        #expect(format(0.1) == "0.1")
        #expect(format(1e-7) == "1e-07")
        #expect(format(.infinity) == "null")
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5000 {
            let v = Double(bitPattern: rng.next())
            guard v.isFinite else { continue }
            let text = format(v)
            #expect(try Self.same(Self.parse(text), v), "\(v) -> \(text)")
        }
    }

    /// CSV fields (the geocoder's point files): spaces and one pair of quotes around the number are ignored; `+`,
    /// `.5` and `5.` are taken; the whole field must be a number.
    @Test func csvFieldsParseExactlyAsSwiftDoes() {
        let texts = ["119.2345678", "-0.5", "+29.1", "29", "0.000000000000000000001", "1e-3", "119.23456789012345678",
                     "  30.5 ", "\"120.25\"", "4503599627370497.5", ".5", "5.", "1.7976931348623157e308"]
        for text in texts {
            let bytes = Array(text.utf8)
            let got = bytes.withUnsafeBufferPointer { NumberParser.parseField($0, 0..<bytes.count) }
            let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")
            #expect(got == .number(Double(trimmed)!), "\(text)")
        }
        for bad in ["abc", "1.2.3", "12a", "-", "1,5"] {
            let bytes = Array(bad.utf8)
            #expect(bytes.withUnsafeBufferPointer { NumberParser.parseField($0, 0..<bytes.count) } == .notNumeric, "\(bad)")
        }
        let blank = Array("   ".utf8)
        #expect(blank.withUnsafeBufferPointer { NumberParser.parseField($0, 0..<blank.count) } == .empty)
    }

    /// `plainDecimal` (the geocoder's per-row path) gives, bit for bit, what `parseField` gives wherever it answers,
    /// answers for every plain coordinate with up to 15 significant digits, and declines everything else.
    @Test func plainDecimalEqualsParseField() {
        var rng = SplitMix64(seed: 0x706C_6169_6E)
        var texts = ["0", "-0", "+0", "0.0", ".5", "5.", "-.5", "007.25", "120.1234567", "-29.0000001", "9007199254740993",
                     "12345678901234567890", "0.00000000000000000000001", "1234567890123456789", "0.1234567890123456789"]
        for _ in 0..<20_000 {
            let whole = Int(rng.next() % 400) - 200
            let decimals = Int(rng.next() % 12)
            let fraction = String(rng.next() % 1_000_000_000_000).prefix(decimals)
            texts.append(decimals == 0 ? "\(whole)" : "\(whole).\(fraction)")
        }
        var answered = 0
        for text in texts {
            let bytes = Array(text.utf8)
            let plain = bytes.withUnsafeBufferPointer { NumberParser.plainDecimal($0.baseAddress!, count: $0.count) }
            let field = bytes.withUnsafeBufferPointer { NumberParser.parseField($0, 0..<$0.count) }
            if let plain {
                answered += 1
                guard case .number(let value) = field else { Issue.record("\(text): parseField says \(field)"); continue }
                #expect(Self.same(plain, value), "\(text): \(plain) != \(value)")
                #expect(Self.same(plain, Double(text)!), "\(text): \(plain) != Double(String)")
            } else {
                let significant = text.filter(\.isNumber).drop { $0 == "0" }.count
                #expect(significant > 15 || text.split(separator: ".").last!.count > 22, "\(text) declined")
            }
        }
        #expect(answered > 20_000)
        for other in ["", " 1", "1 ", "\"1\"", "1e5", "1.2.3", "-", ".", "nan", "inf", "0x10", "1,5", "--1"] {
            let bytes = Array(other.utf8)
            #expect(bytes.withUnsafeBufferPointer { NumberParser.plainDecimal($0.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: $0.count) } == nil, "\(other)")
        }
    }
}
