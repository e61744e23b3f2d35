// libFuzzer entry point for the HTTP multipart/form-data parser (Sources/GridworkServer/Multipart.swift). Built only
// by `tools/fuzz multipart`, never by `swift build`; see docs/reliability.md. Uses `@testable import` because the
// parser is internal (the fuzz build is a debug build, compiled with testing enabled).
//
// The input's first line is the Content-Type header, the rest the body. Checked: a refusal is always a
// `DispatchError(.invalidInput)` (a 400 with a message), and an accepted form keeps to the limits (part count, a
// name on every part, text fields within their size) with every part's content inside the body.
import Foundation
import GridworkDispatch
@testable import GridworkServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let newline = bytes.firstIndex(of: 10) ?? size
    let contentType = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<newline]), as: UTF8.self)
    let body = Data(bytes[min(newline + 1, size)...])
    let limits = MultipartLimits(maxParts: 8, maxPartHeaderBytes: 512, maxFieldBytes: 256)
    do {
        let form = try Multipart.parse(body, contentType: contentType, limits: limits)
        precondition(form.parts.count <= limits.maxParts, "\(form.parts.count) parts accepted")
        var total = 0
        for part in form.parts {
            precondition(!part.name.isEmpty, "a part without a name was accepted")
            precondition(part.fileName != nil || part.body.count <= limits.maxFieldBytes, "field \(part.name) over the limit")
            total += part.body.count
        }
        precondition(total <= body.count, "parts hold \(total) bytes of a \(body.count)-byte body")
        _ = form.fields
        _ = form.files(named: ["media", "photo"])
    } catch let error as DispatchError {
        precondition(error.kind == .invalidInput, "multipart refusal of kind \(error.kind): \(error)")
    } catch {
        preconditionFailure("multipart threw something other than DispatchError: \(error)")
    }
    return 0
}
