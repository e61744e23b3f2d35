import Foundation
import GridworkDispatch

/// A `multipart/form-data` body (RFC 7578 over RFC 2046's multipart syntax), as phone apps send a report with a photo.
///
/// The parser works on the whole body (collected under the upload limit first): it finds the boundary from the
/// `Content-Type`, then each part between delimiter lines (`--boundary` CRLF ... CRLF `--boundary`, the last one
/// `--boundary--`), each part's headers (`Content-Disposition: form-data; name="..."; filename="..."`,
/// `Content-Type`) up to an empty line, and its content. Limits: `MultipartLimits`. Every refusal says what is wrong
/// and where (which part), as `DispatchError(.invalidInput)` (400).
struct MultipartForm: Sendable {
    struct Part: Sendable {
        /// The `name` of its `Content-Disposition`.
        var name: String
        /// The `filename`, when the part is a file.
        var fileName: String?
        var contentType: String?
        var body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    var parts: [Part]

    /// The first text value of each field name (parts without a file name), as a form.
    var fields: [String: String] {
        var form: [String: String] = [:]
        for part in parts where part.fileName == nil && form[part.name] == nil { form[part.name] = part.text }
        return form
    }

    /// Parts that carry a file, under any of `names`.
    func files(named names: Set<String>) -> [Part] {
        parts.filter { names.contains($0.name) && ($0.fileName != nil || $0.contentType.map { !$0.hasPrefix("text/") } == true) }
    }
}

struct MultipartLimits: Sendable {
    /// Most parts in one body.
    var maxParts = 32
    /// Largest header block of one part.
    var maxPartHeaderBytes = 8 * 1024
    /// Largest text field (a part without a file name).
    var maxFieldBytes = 64 * 1024
}

enum Multipart {
    /// Whether a `Content-Type` is `multipart/form-data` (any parameters).
    static func isFormData(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        return mediaType(contentType) == "multipart/form-data"
    }

    static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// The `boundary` parameter of a `multipart/form-data` content type (quoted or not; 1 to 70 characters).
    static func boundary(of contentType: String) throws -> String {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else {
                throw DispatchError(.invalidInput, "multipart boundary must be 1 to 70 characters (RFC 2046); got \(value.utf8.count)")
            }
            return value
        }
        throw DispatchError(.invalidInput, "Content-Type multipart/form-data has no boundary parameter "
            + "(multipart/form-data; boundary=...); let the HTTP library build the body")
    }

    /// Parses a whole body.
    static func parse(_ body: Data, contentType: String, limits: MultipartLimits = MultipartLimits()) throws -> MultipartForm {
        let bytes = [UInt8](body)
        let boundary = try boundary(of: contentType)
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        func fail(_ what: String) -> DispatchError {
            DispatchError(.invalidInput, "malformed multipart/form-data body: \(what)")
        }
        // The first delimiter may be at the very start (no preamble) or after a preamble and CRLF.
        var position: Int
        if bytes.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: bytes, from: 0) {
            position = found + delimiter.count
        } else {
            throw fail("the boundary '\(boundary)' of the Content-Type does not occur in the body")
        }
        var parts: [MultipartForm.Part] = []
        while true {
            // After a delimiter: `--` ends the body, else optional whitespace and CRLF start a part.
            if position + 2 <= bytes.count, bytes[position] == 0x2D, bytes[position + 1] == 0x2D { break }
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
            guard position + 2 <= bytes.count, bytes[position] == 0x0D, bytes[position + 1] == 0x0A else {
                throw fail("part \(parts.count + 1): a boundary line must end with CRLF, or with -- after the last part")
            }
            position += 2
            guard parts.count < limits.maxParts else { throw fail("more than \(limits.maxParts) parts") }
            let number = parts.count + 1
            let headerEnd: Int
            if bytes[position...].starts(with: [0x0D, 0x0A]) {
                headerEnd = position - 2  // no headers (refused below: a part needs its name)
            } else if let found = find(Array("\r\n\r\n".utf8), in: bytes, from: position, within: limits.maxPartHeaderBytes) {
                headerEnd = found
            } else {
                throw fail("part \(number): no empty line after its headers within \(limits.maxPartHeaderBytes / 1024) KiB")
            }
            let headerText = headerEnd > position ? String(decoding: bytes[position..<headerEnd], as: UTF8.self) : ""
            let contentStart = headerEnd + 4
            guard let contentEnd = find(delimiter, in: bytes, from: contentStart) else {
                throw fail("part \(number) is not closed by the boundary (the body was cut short?)")
            }
            var part = try header(headerText, number: number, fail: fail)
            part.body = Data(bytes[contentStart..<contentEnd])
            if part.fileName == nil, part.body.count > limits.maxFieldBytes {
                throw fail("field '\(part.name)' is larger than \(limits.maxFieldBytes / 1024) KiB")
            }
            parts.append(part)
            position = contentEnd + delimiter.count
        }
        return MultipartForm(parts: parts)
    }

    /// A part's headers: `Content-Disposition: form-data; name="..."` (required) and `Content-Type`.
    private static func header(_ text: String, number: Int, fail: (String) -> DispatchError) throws -> MultipartForm.Part {
        var name: String?, fileName: String?, contentType: String?
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw fail("part \(number): header line '\(line.prefix(80))' has no ':'") }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch field {
            case "content-disposition":
                let parameters = dispositionParameters(value)
                guard parameters.type == "form-data" else {
                    throw fail("part \(number): Content-Disposition is '\(parameters.type)', not form-data")
                }
                name = parameters.values["name"]
                fileName = parameters.values["filename"] ?? parameters.values["filename*"].map(extendedValue)
            case "content-type":
                contentType = value
            default:
                continue
            }
        }
        guard let name, !name.isEmpty else {
            throw fail("part \(number) has no Content-Disposition: form-data; name=\"...\"")
        }
        return MultipartForm.Part(name: name, fileName: fileName, contentType: contentType, body: Data())
    }

    /// An RFC 8187 extended value (`filename*=UTF-8''%E7%85%A7.jpg`): the percent-decoded text after the charset and
    /// language; as given when it is not one.
    static func extendedValue(_ value: String) -> String {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return value }
        return String(parts[2]).removingPercentEncoding ?? String(parts[2])
    }

    /// `form-data; name="media"; filename="a b.jpg"`: the type and the parameters (quoted strings with `\"`).
    static func dispositionParameters(_ value: String) -> (type: String, values: [String: String]) {
        var values: [String: String] = [:]
        let chars = Array(value)
        var i = 0
        func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        var type = ""
        while i < chars.count, chars[i] != ";" { type.append(chars[i]); i += 1 }
        while i < chars.count {
            i += 1  // the ';'
            skipSpaces()
            var key = ""
            while i < chars.count, chars[i] != "=", chars[i] != ";" { key.append(chars[i]); i += 1 }
            guard i < chars.count, chars[i] == "=" else { continue }
            i += 1
            var parsed = ""
            if i < chars.count, chars[i] == "\"" {
                i += 1
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    parsed.append(chars[i]); i += 1
                }
                i += 1
                while i < chars.count, chars[i] != ";" { i += 1 }
            } else {
                while i < chars.count, chars[i] != ";" { parsed.append(chars[i]); i += 1 }
                parsed = parsed.trimmingCharacters(in: .whitespaces)
            }
            values[key.trimmingCharacters(in: .whitespaces).lowercased()] = parsed
        }
        return (type.trimmingCharacters(in: .whitespaces).lowercased(), values)
    }

    /// The first index of `needle` in `haystack` at or after `from` (starting within `within` bytes of it when given).
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int, within: Int? = nil) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        let last = haystack.count - needle.count
        let limit = within.map { min(last, from + $0) } ?? last
        guard from <= limit else { return nil }
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = from
                while i <= limit {
                    if h[i] == first {
                        var j = 1
                        while j < n.count, h[i + j] == n[j] { j += 1 }
                        if j == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}
