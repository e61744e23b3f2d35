/// An error that stops reading or writing a GeoJSON document.
///
/// Syntax errors carry the 1-based line and column (counted in bytes) of the offending character,
/// and a message saying what was expected there, e.g.
/// `expected ',' or ']' after array element, found '}' at line 12, column 5`.
public struct GeoJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Hashable {
        /// The bytes are not valid JSON (or use a token GeoJSON does not allow).
        case syntax
        /// The JSON is valid but its shape is not GeoJSON (e.g. `features` is not an array).
        case structure
        /// A feature's geometry could not be decoded (only thrown by the convenience readers that
        /// give up on the first bad feature; the streaming reader reports these per record).
        case geometry
        /// The file could not be opened, read or written.
        case io
    }

    public var kind: Kind
    /// What is wrong, without the location.
    public var message: String
    /// 1-based line, or 0 when the error has no place in the text (I/O errors).
    public var line: Int
    /// 1-based column in bytes, or 0 when the error has no place in the text.
    public var column: Int
    /// The file being read or written, when there is one.
    public var file: String?

    public init(kind: Kind, message: String, line: Int = 0, column: Int = 0, file: String? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.file = file
    }

    public var description: String {
        var text = message
        if line > 0 { text += " at line \(line), column \(column)" }
        if let file { text += " in \(file)" }
        return text
    }
}

/// Why one feature's geometry (or another member of that feature) could not be decoded.
///
/// The reader keeps going after such an error: it is stored in that feature's
/// ``FeatureRecord/geometry`` so an importer can list every bad feature.
public struct GeometryDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the offending value inside the feature, e.g. `geometry.coordinates[0][3]`.
    public var path: String
    /// What is wrong with it, e.g. `a position needs at least 2 numbers (x, y), found 1`.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// The reason followed by the path: `a position needs ... at geometry.coordinates[0][3]`.
    public var message: String { "\(reason) at \(path)" }
    public var description: String { message }
}
