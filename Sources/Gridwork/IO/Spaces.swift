extension String {
    /// The text without leading and trailing spaces: tab and every space separator (Unicode Zs: ASCII space,
    /// no-break space, the ideographic space U+3000 …) and the zero-width space, as Foundation's `.whitespaces` has them, but without bridging
    /// to `NSString`; the geocode job trims every address field with it.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !Self.isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !Self.isSpace($0) })!
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }

    private static func isSpace(_ s: Unicode.Scalar) -> Bool {
        // The space separators listed, not looked up: an address starts and ends with a CJK character, and a
        // property lookup per field cost more than the trim.
        switch s.value {
        case 0x20, 0x09, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}
