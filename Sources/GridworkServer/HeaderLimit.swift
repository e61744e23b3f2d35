import GridworkDispatch
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Request headers over the server's limit get `431` with a message in the path's format, like every other error.
///
/// Hummingbird's HTTP/1 handler answers a parser error (NIO's `headerOverflow`) with an empty `400` before any
/// router or middleware sees the request. So the parser's own limit is raised to `hardLimit` (1 MiB), and this
/// channel handler, which sits after the HTTP/1 decoder, measures each request's headers against `limit` (64 KiB):
/// an oversized request goes on to the router with its headers replaced by one marker field carrying their size,
/// and `DispatchErrorMiddleware` answers it `431` (`{"error": {"message"}}`, or the Open311 error array under
/// `/open311/`). A client cannot send the marker itself: it is removed from every request. Headers beyond even
/// the hard limit cannot be parsed (the path may not be known): they get a native-format `431` written here and
/// the connection closed.
final class HeaderLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// The marker field an oversized request reaches the router with: the headers' size in bytes.
    static let marker = HTTPField.Name("X-Gridwork-Header-Bytes-Over-Limit")!
    /// The parser's limit (`HTTP1Channel.Configuration.httpDecoder`): beyond it a request cannot be read at all.
    static let hardLimit = 1024 * 1024

    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Header bytes as sent: `name: value` CRLF per field.
    static func size(_ fields: HTTPFields) -> Int {
        fields.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
    }

    /// The message of a 431: the size when known, and the limit.
    static func message(size: Int?, limit: Int) -> String {
        "request headers " + (size.map { "(\($0) bytes) are" } ?? "are") + " larger than \(MediaLimits.size(limit)); "
            + "send fewer or shorter headers (cookies, tokens)"
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        head.headerFields[Self.marker] = nil
        let size = Self.size(head.headerFields)
        if size > limit {
            var kept = HTTPFields()
            kept[Self.marker] = String(size)
            head.headerFields = kept
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        let text = #"{"error":{"message":""# + Self.message(size: nil, limit: limit)
            + #" (and beyond the parser's limit of \#(MediaLimits.size(Self.hardLimit)): the connection is closed)"}}"#
        let body = ByteBuffer(string: text)
        let head = HTTPResponse(status: .requestHeaderFieldsTooLarge,
                                headerFields: [.contentType: "application/json; charset=utf-8",
                                               .contentLength: String(body.readableBytes), .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
