import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The connections a server has open, shared by every connection's `ConnectionGuard`.
final class ConnectionCount: Sendable {
    /// The most connections served at once; one more is answered 503 and closed.
    let limit: Int
    private let open = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection in, unless `limit` are open already.
    func enter() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() {
        open.withLock { $0 -= 1 }
    }

    var current: Int { open.withLock { $0 } }
}

/// Guards the server against slow and excess clients (slowloris), per connection:
///
/// - **Connection limit**: past `ConnectionCount.limit` open connections a new one gets a `503` with `Retry-After`
///   and is closed at once, before it is read, so file descriptors and memory stay bounded
///   (`gridwork serve --max-connections`).
/// - **Body deadline**: once a request's head has arrived, its whole body must arrive within `bodyTimeout`, however
///   steadily it trickles in; else the connection is closed (`--body-timeout-seconds`).
///
/// The third guard is Hummingbird's idle timeout (`HTTP1Channel.Configuration.idleTimeout`, `--idle-timeout-seconds`): a
/// connection that completes no request head for that long after it opened or after its last answer is closed. A
/// head sent a byte at a time completes nothing, so it is closed then too.
///
/// Sits after the HTTP/1 decoder (`HTTP1Channel.Configuration.additionalChannelHandlers`), one per connection.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    let count: ConnectionCount
    let bodyTimeout: TimeAmount
    /// Whether this connection is counted in `count` (and must leave it once).
    private var counted = false
    /// Whether this connection was over the limit: its reads are dropped until it closes.
    private var refused = false
    private var bodyDeadline: Scheduled<Void>?

    init(count: ConnectionCount, bodyTimeout: TimeAmount) {
        self.count = count
        self.bodyTimeout = bodyTimeout
    }

    /// The message of the 503 a connection over the limit gets.
    static func busyMessage(limit: Int) -> String {
        "the server has \(limit) connections open, its limit (--max-connections; 服务器繁忙): try again in a few seconds"
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !counted, !refused else { return }
        if count.enter() {
            counted = true
            return
        }
        refused = true
        let body = ByteBuffer(string: #"{"error":{"message":"\#(Self.busyMessage(limit: count.limit))"}}"#)
        let head = HTTPResponse(status: .serviceUnavailable,
                                headerFields: [.contentType: "application/json; charset=utf-8", .retryAfter: "5",
                                               .contentLength: String(body.readableBytes), .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func release() {
        bodyDeadline?.cancel()
        bodyDeadline = nil
        if counted {
            counted = false
            count.leave()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if refused { return }
        switch unwrapInboundIn(data) {
        case .head:
            bodyDeadline?.cancel()
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            bodyDeadline = context.eventLoop.scheduleTask(in: bodyTimeout) { bound.value.close(promise: nil) }
        case .body:
            break
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        }
        context.fireChannelRead(data)
    }
}
