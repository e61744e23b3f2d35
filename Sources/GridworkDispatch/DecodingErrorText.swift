import Foundation

/// `DecodingError`s as messages that name the field to fix (request bodies, the routing file).
public enum DecodingErrorText {
    /// How field names are written in the JSON the message is about.
    public enum Keys: Sendable {
        /// As the Swift type declares them (`config/routing.json`: `deadlineHours`).
        case asDeclared
        /// In snake_case, as the HTTP API writes them (`reporter_contact`).
        case snakeCase
    }

    /// What is wrong and where, e.g. "missing field `category`" or "`location.x` should be a number".
    public static func describe(_ error: DecodingError, keys: Keys = .asDeclared) -> String {
        func name(_ key: any CodingKey) -> String {
            keys == .snakeCase ? snakeCase(key.stringValue) : key.stringValue
        }
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? name(key) }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return text.isEmpty ? "the top level" : "`\(text)`"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : " in \(path(context.codingPath))"
            return "missing field `\(name(key))`\(parent)"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) should be \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null; it should be \(typeName(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                return "the body is not valid JSON" + (underlying.map { " (\($0))" } ?? "")
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// `reporterContact` → `reporter_contact`, as `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase` writes it.
    public static func snakeCase(_ name: String) -> String {
        var out = ""
        for (i, c) in name.enumerated() {
            if c.isUppercase {
                if i > 0 { out.append("_") }
                out += c.lowercased()
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int64.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Dictionary") || "\(type)".contains("Location") ? "an object" : "\(type)"
        }
    }
}
