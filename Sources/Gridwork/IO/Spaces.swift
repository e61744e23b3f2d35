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
        s == " " || s == "\t" || (s.value >= 0x80 && (s.properties.generalCategory == .spaceSeparator || s.value == 0x200B))
    }
}
