import Foundation

/// One change of an incident as the dispatch service publishes it, after the store has committed it.
public struct IncidentChange: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// A new report (native API or Open311).
        case created
        /// A step of the closed loop, a dispatch, or an escalation (by hand or by the deadline sweep).
        case changed
    }

    public var kind: Kind
    /// The incident as it is now.
    public var incident: Incident
    /// The incident before the change (nil when created): who could see it then and cannot now is told it is gone.
    public var before: Incident?
    /// What happened: `report`, or an `IncidentAction` (`dispatch`, `escalate`, ...).
    public var action: String

    public init(kind: Kind, incident: Incident, before: Incident?, action: String) {
        self.kind = kind
        self.incident = incident
        self.before = before
        self.action = action
    }
}

/// What one subscriber of the feed receives: the changes its principal may see (`IncidentVisibility`), nothing else.
public enum FeedEvent: Sendable, Hashable {
    /// An incident the subscriber may see was created or changed.
    case incident(IncidentChange)
    /// An incident the subscriber could see before the change and cannot any more (dispatched out of its view): its
    /// id only, so the page can drop it, and nothing of where it went.
    case gone(id: Int64)
}

/// The dispatch service's live feed: every committed change of an incident goes to every open subscription whose
/// principal may see it, in the order the changes were published. Subscriptions live in memory (one process); a
/// subscriber that falls `bufferLimit` events behind is ended (its client reconnects and reloads), so a stalled
/// client cannot make the server hold an unbounded queue. `close()` ends every subscription (graceful shutdown).
public final class IncidentFeed: @unchecked Sendable {
    private struct Subscriber {
        let principal: Principal
        let continuation: AsyncStream<FeedEvent>.Continuation
    }

    /// Most events queued for one subscriber before it is ended.
    public let bufferLimit: Int
    private let lock = NSLock()
    private var subscribers: [UInt64: Subscriber] = [:]
    private var nextID: UInt64 = 0
    private var closed = false

    public init(bufferLimit: Int = 1000) {
        precondition(bufferLimit > 0, "bufferLimit must be positive")
        self.bufferLimit = bufferLimit
    }

    /// The events `principal` may see from now on. The stream ends when the feed closes, when the subscriber falls
    /// `bufferLimit` events behind, or when the consumer stops iterating (the subscription is then removed).
    public func subscribe(_ principal: Principal) -> AsyncStream<FeedEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: FeedEvent.self, bufferingPolicy: .bufferingOldest(bufferLimit))
        lock.lock()
        guard !closed else {
            lock.unlock()
            continuation.finish()
            return stream
        }
        let id = nextID
        nextID += 1
        subscribers[id] = Subscriber(principal: principal, continuation: continuation)
        lock.unlock()
        continuation.onTermination = { [weak self] _ in self?.remove(id) }
        return stream
    }

    /// Hands `change` to every subscriber that may see it now (`.incident`) or could see it before and cannot now
    /// (`.gone`).
    public func publish(_ change: IncidentChange) {
        var overflowed: [AsyncStream<FeedEvent>.Continuation] = []
        lock.lock()
        for (id, s) in subscribers {
            let event: FeedEvent
            if s.principal.canSee(change.incident) {
                event = .incident(change)
            } else if let before = change.before, s.principal.canSee(before) {
                event = .gone(id: change.incident.id)
            } else {
                continue
            }
            if case .dropped = s.continuation.yield(event) {
                subscribers[id] = nil
                overflowed.append(s.continuation)
            }
        }
        lock.unlock()
        // Finished outside the lock: finishing runs `onTermination`, which takes it.
        for continuation in overflowed { continuation.finish() }
    }

    /// Ends every subscription and refuses new ones (they end at once).
    public func close() {
        lock.lock()
        closed = true
        let all = subscribers.values.map(\.continuation)
        subscribers.removeAll()
        lock.unlock()
        for continuation in all { continuation.finish() }
    }

    /// Open subscriptions.
    public var subscriberCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return subscribers.count
    }

    private func remove(_ id: UInt64) {
        lock.lock()
        subscribers[id] = nil
        lock.unlock()
    }
}

/// Short-lived, single-use tickets that stand for an API token where a client cannot send a header: a browser's
/// `EventSource` (the live feed) takes only a URL. A ticket is 32 random bytes, valid for `lifetime` seconds and
/// for one use; it is kept in memory with the hash of the token it stands for (never the token), and redeeming it
/// authenticates that token again, so a token revoked in between is refused.
public final class EventTickets: @unchecked Sendable {
    /// Seconds a ticket stays valid.
    public let lifetime: TimeInterval
    private let lock = NSLock()
    private var tickets: [String: (tokenHash: String, expires: Date)] = [:]

    public init(lifetime: TimeInterval = 30) {
        self.lifetime = lifetime
    }

    /// A new ticket for the token whose hash is `tokenHash`; expired tickets are dropped on the way.
    func issue(tokenHash: String, now: Date) -> (ticket: String, expiresAt: Date) {
        let ticket = "gwt_" + APIToken.generate().dropFirst(3)
        let expires = now + lifetime
        lock.lock()
        tickets = tickets.filter { $0.value.expires > now }
        tickets[ticket] = (tokenHash, expires)
        lock.unlock()
        return (ticket, expires)
    }

    /// The token hash a ticket stands for, removing the ticket; nil when unknown, used or expired.
    func redeem(_ ticket: String, now: Date) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = tickets.removeValue(forKey: ticket), entry.expires > now else { return nil }
        return entry.tokenHash
    }
}
