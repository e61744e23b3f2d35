import Foundation
import GridworkDispatch
@testable import GridworkServer
import Testing

/// The `multipart/form-data` parser (RFC 7578 over RFC 2046) on bodies written by hand.
@Suite("Multipart parser")
struct MultipartTests {
    static func message(_ body: String, _ contentType: String = "multipart/form-data; boundary=x",
                        limits: MultipartLimits = MultipartLimits()) -> String {
        do {
            _ = try Multipart.parse(Data(body.utf8), contentType: contentType, limits: limits)
            return ""
        } catch let error as DispatchError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("preamble, quoted boundary and file name, binary content with CRLF and dashes, epilogue")
    func wellFormed() throws {
        let binary = Data([0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF, 0x0D, 0x0A])
        var raw = Data("preamble to ignore\r\n--b\"q\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a \\\"b\\\".png\"\r\n".utf8)
        raw += Data("Content-Type: image/png\r\n\r\n".utf8) + binary
        raw += Data("\r\n--b\"q  \r\ncontent-disposition: form-data; name=description\r\n\r\nbins, full\r\n--b\"q--\r\nepilogue".utf8)
        // A quote is not a boundary character in RFC 2046, but the parser takes the parameter as given.
        let form = try Multipart.parse(raw, contentType: #"multipart/form-data; boundary="b"q""#)
        #expect(form.parts.count == 2)
        #expect(form.parts[0].fileName == #"a "b".png"# && form.parts[0].contentType == "image/png" && form.parts[0].body == binary)
        #expect(form.fields == ["description": "bins, full"], "transport padding after a boundary is allowed")
        #expect(form.files(named: ["media"]).count == 1 && form.files(named: ["photo"]).isEmpty)
        let empty = try Multipart.parse(Data("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--x--".utf8),
                                        contentType: "multipart/form-data; boundary=x")
        #expect(empty.fields == ["a": ""])
        let extended = try Multipart.parse(Data("--x\r\nContent-Disposition: form-data; name=\"media\"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg\r\n\r\nv\r\n--x--".utf8),
                                           contentType: "multipart/form-data; boundary=x")
        #expect(extended.parts.first?.fileName == "照片.jpg", "RFC 8187 file names, as apps send non-ASCII ones")
        #expect(Multipart.isFormData("Multipart/Form-Data; boundary=x") && !Multipart.isFormData("application/json"))
    }

    @Test("every malformed body is refused saying what and where")
    func malformed() {
        #expect(Self.message("x", "multipart/form-data").contains("has no boundary parameter"))
        #expect(Self.message("x", "multipart/form-data; boundary=\(String(repeating: "b", count: 71))").contains("1 to 70 characters"))
        #expect(Self.message("no boundary here").contains("the boundary 'x' of the Content-Type does not occur in the body"))
        #expect(Self.message("--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--").contains("part 1 has no Content-Disposition"))
        #expect(Self.message("--x\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--x--").contains("not form-data"))
        #expect(Self.message("--x\r\nContent-Disposition form-data\r\n\r\nv\r\n--x--").contains("has no ':'"))
        #expect(Self.message("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv").contains("part 1 is not closed by the boundary"))
        #expect(Self.message("--xjunk\r\n").contains("must end with CRLF"))
        let parts = String(repeating: "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n", count: 3) + "--x--"
        #expect(Self.message(parts, limits: MultipartLimits(maxParts: 2)).contains("more than 2 parts"))
        let longHeader = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: \(String(repeating: "p", count: 200))\r\n\r\nv\r\n--x--"
        #expect(Self.message(longHeader, limits: MultipartLimits(maxPartHeaderBytes: 100)).contains("no empty line after its headers"))
        let longField = "--x\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n\(String(repeating: "n", count: 2048))\r\n--x--"
        #expect(Self.message(longField, limits: MultipartLimits(maxFieldBytes: 1024)).contains("field 'note' is larger than 1 KiB"))
    }
}
