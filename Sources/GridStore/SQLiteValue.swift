/// One SQLite value, as bound to a parameter or read from a column.
///
/// SQLite has five storage classes; this enum has one case for each. Values are bound through
/// parameters only (`?`, `:name`): this module has no API that splices a value into SQL text.
public enum SQLiteValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    /// `nil` becomes `.null`.
    public init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    /// `nil` becomes `.null`.
    public init(_ value: [UInt8]?) { self = value.map { .blob($0) } ?? .null }

    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The integer, or nil when the value is not `.integer`.
    public var int64Value: Int64? { if case .integer(let v) = self { v } else { nil } }
    /// The integer as `Int`, or nil when the value is not `.integer` (or does not fit).
    public var intValue: Int? { int64Value.flatMap { Int(exactly: $0) } }
    /// The number: `.real` as is, `.integer` converted; nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
    /// The text, or nil when the value is not `.text`.
    public var stringValue: String? { if case .text(let v) = self { v } else { nil } }
    /// The bytes, or nil when the value is not `.blob`.
    public var blobValue: [UInt8]? { if case .blob(let v) = self { v } else { nil } }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let v): String(reflecting: v)
        case .blob(let v): "<blob \(v.count) bytes>"
        }
    }
}

extension SQLiteValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .real(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}

/// One result row, copied out of SQLite: a `Sendable` value that outlives its statement.
public struct SQLiteRow: Sendable, Hashable, CustomStringConvertible {
    /// Column names in result order (shared between the rows of one query).
    public let columnNames: [String]
    /// Values in result order.
    public let values: [SQLiteValue]

    public init(columnNames: [String], values: [SQLiteValue]) {
        precondition(columnNames.count == values.count, "SQLiteRow: \(columnNames.count) names for \(values.count) values")
        self.columnNames = columnNames
        self.values = values
    }

    public var count: Int { values.count }

    /// The value at a column index; traps when the index is out of range (a programming error).
    public subscript(index: Int) -> SQLiteValue {
        precondition(values.indices.contains(index), "SQLiteRow: column \(index) out of range 0..<\(values.count) (columns: \(columnNames))")
        return values[index]
    }

    /// The value of the first column with this name (case-sensitive), or nil when there is no such column.
    public subscript(name: String) -> SQLiteValue? {
        columnNames.firstIndex(of: name).map { values[$0] }
    }

    public var description: String {
        "(" + zip(columnNames, values).map { "\($0): \($1)" }.joined(separator: ", ") + ")"
    }
}
