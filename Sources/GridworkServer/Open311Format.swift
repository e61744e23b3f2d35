import Foundation
import GridworkDispatch
import Hummingbird
import NIOCore

/// The two formats GeoReport v2 requires, chosen by the path's extension (`requests.json`, `requests.xml`).
enum Open311Format: String, Sendable {
    case json
    case xml

    /// The format a path asks for; nil when it names neither.
    static func of(_ path: String) -> Open311Format? {
        if path.hasSuffix(".json") { return .json }
        if path.hasSuffix(".xml") { return .xml }
        return nil
    }

    var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .xml: "text/xml; charset=utf-8"
        }
    }

    /// An answer: JSON through the API's encoder (snake_case keys), XML as the spec's examples write it: a root
    /// element (`services`, `service_requests`, ...) holding one `item` element per entry (`service`, `request`), or
    /// for a single object (`root` with `item` nil) its fields directly.
    func response<T: Encodable>(_ value: T, root: String, item: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        switch self {
        case .json:
            var response = try JSONOutput.response(value, status: status)
            response.headers[.contentType] = contentType
            return response
        case .xml:
            let text = Open311XML.document(root: root, item: item, value)
            return Response(status: status, headers: [.contentType: contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Open311's error answer: `[{"code": 400, "description": "..."}]`, or
    /// `<errors><error><code>400</code><description>...</description></error></errors>`.
    func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let entry = [Open311Controller<BasicRequestContext>.ErrorEntry(code: status.code, description: message)]
        return (try? response(entry, root: "errors", item: "error", status: status)) ?? Response(status: status)
    }
}

/// An optional field as the XML writer sees it (`Optional`, `@Nullable`): empty when nil.
protocol XMLOptionalField {
    var xmlValue: Any? { get }
}

extension Optional: XMLOptionalField {
    var xmlValue: Any? { self.map { $0 as Any } }
}

extension Nullable: XMLOptionalField {
    var xmlValue: Any? { wrappedValue.map { $0 as Any } }
}

/// GeoReport v2's XML: an XML declaration, elements named as the JSON keys (snake_case), fields in the order the
/// spec lists them (the order the answer types declare them), arrays as an element holding one singular-named
/// element per value (`attributes` → `attribute`, `formats` → `format`, `endpoints` → `endpoint`), nil as an empty
/// element (`<account_id/>`), text escaped.
enum Open311XML {
    static func document(root: String, item: String?, _ value: Any) -> String {
        var out = #"<?xml version="1.0" encoding="utf-8"?>"# + "\n"
        if let item, let values = value as? [Any] {
            out += "<\(root)>"
            for entry in values { write(entry, name: item, into: &out) }
            out += "</\(root)>\n"
        } else {
            write(value, name: root, into: &out)
            out += "\n"
        }
        return out
    }

    static func write(_ value: Any, name: String, into out: inout String) {
        var value = value
        if let optional = value as? any XMLOptionalField {
            guard let wrapped = optional.xmlValue else { out += "<\(name)/>"; return }
            value = wrapped
        }
        switch value {
        case let text as String: out += "<\(name)>\(escape(text))</\(name)>"
        case let flag as Bool: out += "<\(name)>\(flag)</\(name)>"
        case let number as Double: out += "<\(name)>\(number)</\(name)>"
        case let number as any BinaryInteger: out += "<\(name)>\(number)</\(name)>"
        case let list as [Any]:
            out += "<\(name)>"
            for element in list { write(element, name: singular(name), into: &out) }
            out += "</\(name)>"
        default:
            out += "<\(name)>"
            for child in Mirror(reflecting: value).children {
                guard var label = child.label else { continue }
                if label.hasPrefix("_") { label.removeFirst() }  // a property wrapper's storage (`@Nullable`)
                write(child.value, name: snakeCase(label), into: &out)
            }
            out += "</\(name)>"
        }
    }

    /// `serviceRequestId` → `service_request_id`.
    static func snakeCase(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }

    static func singular(_ name: String) -> String {
        name.hasSuffix("s") ? String(name.dropLast()) : name + "_item"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Characters XML 1.0 does not allow are left out (control characters other than tab, CR, LF).
            case _ where c.value < 0x20 && c != "\t" && c != "\n" && c != "\r": continue
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
