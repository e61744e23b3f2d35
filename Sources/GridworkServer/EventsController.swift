import Foundation
import GeoJSON
import GridworkDispatch
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The live feed over HTTP: Server-Sent Events (`text/event-stream`) streaming what `DispatchService.feed` publishes,
/// each subscriber only what its token may see (routes in `buildRouter`; the protocol in docs/api.md).
///
/// A browser's `EventSource` cannot send `Authorization`, and a token in a URL ends up in logs and history, so the
/// stream is opened with a ticket: `POST /api/v1/events/tickets` (with the token as usual) answers a single-use
/// ticket valid for 30 s, and `GET /api/v1/events?ticket=...` spends it. The stream then sends
/// - `event: hello` once, with the role it was opened for;
/// - `event: incident` for each incident created or changed that the token may see: `{"change": "created" |
///   "changed", "action": "report" | "dispatch" | ..., "feature": <the incident as in incidents.geojson>}`;
/// - `event: gone` `{"id": N}` for an incident the token saw and no longer may (dispatched out of its view);
/// - a comment line (`: heartbeat`) every `heartbeat`, when the token is checked again: a revoked token gets
///   `event: revoked` and the stream ends.
/// The stream also ends when the server shuts down and when the client falls 1,000 events behind; a client
/// reconnects with a new ticket and reloads what it shows, since events sent while it was away are not replayed.
struct EventsController<Context: RequestContext> {
    let service: DispatchService
    /// How often a comment keeps the connection open through proxies, and the token is checked again.
    var heartbeat: Duration = .seconds(15)

    struct TicketView: Encodable {
        var ticket: String
        var expiresAt: String
        /// Where to open the stream with it.
        var url: String
    }

    @Sendable func ticket(_ request: Request, context: Context) async throws -> Response {
        let issued = try service.issueEventTicket(token: request.apiToken)
        return try JSONOutput.response(TicketView(ticket: issued.ticket, expiresAt: Timestamp.string(issued.expiresAt),
                                                  url: "/api/v1/events?ticket=" + issued.ticket), status: .created)
    }

    @Sendable func stream(_ request: Request, context: Context) async throws -> Response {
        let subscription = try service.subscribe(ticket: request.uri.queryParameters.get("ticket"))
        let heartbeat = self.heartbeat
        let hello = #"{"role":"\#(subscription.principal.role.rawValue)"}"#
        let body = ResponseBody { writer in
            let (items, out) = AsyncStream.makeStream(of: Item.self)
            // Graceful shutdown ends the stream, so the server's quiescing does not wait on an open feed forever.
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in subscription.events { out.yield(.event(event)) }
                        out.finish()
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            out.yield(.heartbeat)
                        }
                    }
                    // `retry` is for clients that reconnect by themselves (the console reconnects with a new ticket).
                    try await writer.write(ByteBuffer(string: "retry: 3000\n" + Self.frame("hello", hello)))
                    loop: for await item in items {
                        switch item {
                        case .event(let event):
                            try await writer.write(ByteBuffer(string: Self.frame(event)))
                        case .heartbeat:
                            guard subscription.stillValid() else {
                                try await writer.write(ByteBuffer(string: Self.frame("revoked", #"{"message":"the API token was revoked"}"#)))
                                break loop
                            }
                            try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                out.finish()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
                        body: body)
    }

    private enum Item: Sendable {
        case event(FeedEvent)
        case heartbeat
    }

    /// One event of the stream: its name and its data, one `data:` line per line of `data`.
    static func frame(_ name: String, _ data: String) -> String {
        "event: \(name)\n" + data.split(separator: "\n", omittingEmptySubsequences: false).map { "data: \($0)\n" }.joined() + "\n"
    }

    static func frame(_ event: FeedEvent) -> String {
        switch event {
        case .incident(let change):
            let feature = GeoJSONEncoder.encode(MapLayers.incidentFeature(change.incident), options: GeoJSONWriteOptions(featureBBox: false))
            return frame("incident", #"{"change":"\#(change.kind.rawValue)","action":"\#(change.action)","feature":\#(feature)}"#)
        case .gone(let id):
            return frame("gone", #"{"id":\#(id)}"#)
        }
    }
}
