import OrderedCollections

/// A JSON value, as found in a feature's `properties`.
public indirect enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(OrderedDictionary<String, JSONValue>)

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// A string, or a whole number written without a fractional part: the forms ids take.
    public var identifierValue: String? {
        switch self {
        case .string(let s): return s
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { return String(Int64(n)) }
            return String(n)
        default: return nil
        }
    }
}

/// A Feature `id` (RFC 7946 section 3.2): a string or a number.
public enum FeatureID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(Double)

    /// The id as text; whole numbers print without a fractional part.
    public var description: String {
        switch self {
        case .string(let s): s
        case .number(let n): JSONValue.number(n).identifierValue ?? String(n)
        }
    }
}

/// A GeoJSON Feature: a geometry (possibly null), an optional id and ordered properties.
public struct Feature: Sendable, Hashable {
    public var id: FeatureID?
    public var geometry: Geometry?
    public var properties: OrderedDictionary<String, JSONValue>

    public init(id: FeatureID? = nil, geometry: Geometry?, properties: OrderedDictionary<String, JSONValue> = [:]) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }
}

/// Where a feature stands in its source file, for error messages.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// 1-based line of the feature's opening brace.
    public var line: Int
    /// 1-based column of the feature's opening brace.
    public var column: Int
    /// 0-based index of the feature in the `features` array.
    public var featureIndex: Int

    public init(line: Int, column: Int, featureIndex: Int) {
        self.line = line
        self.column = column
        self.featureIndex = featureIndex
    }

    /// "feature #3 at line 40, column 5"; "feature #3" when the source has no lines (line 0).
    public var description: String {
        line > 0 ? "feature #\(featureIndex) at line \(line), column \(column)" : "feature #\(featureIndex)"
    }
}
