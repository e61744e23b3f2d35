import Foundation
import Testing
@testable import Gridwork

struct SpacesTests {
    @Test(arguments: ["", " ", "\t \u{3000}", "严州大道18号", "  严州大道18号 ", "\u{3000}府东社区\u{00A0}", " a b ",
                      "\u{2003}x\t", "x\n", "\u{200B}x"])
    func trimsAsFoundationsWhitespaces(_ text: String) {
        #expect(text.trimmingSpaces == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
    }

    @Test func everyScalarOfTheBasicPlaneAgreesWithFoundation() {
        var differing: [UInt32] = []
        for v in UInt32(0)...0xFFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            let text = String(s) + "x" + String(s)
            if text.trimmingSpaces != text.trimmingCharacters(in: .whitespaces) { differing.append(v) }
        }
        #expect(differing.isEmpty, "\(differing.map { String($0, radix: 16) })")
    }
}
