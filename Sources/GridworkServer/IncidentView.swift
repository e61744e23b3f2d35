import Foundation

/// An incident as the native API shows it.
public struct IncidentView: Codable, Sendable, Hashable {
    public struct Location: Codable, Sendable, Hashable {
        public var lon: Double
        public var lat: Double
        public var source: IntakeRequest.Location
    }

    public struct Assignee: Codable, Sendable, Hashable {
        public var kind: AssigneeKind
        public var id: String
    }

    public var id: Int64
    public var category: String
    public var description: String
    public var state: IncidentState
    public var location: Location
    public var address: String
    public var gridId: String?
    public var buildingId: String?
    public var villageId: String?
    public var townId: String?
    public var geocodeStatus: String
    public var assignee: Assignee
    public var escalationLevel: String
    public var reportedAt: String
    public var dueAt: String
    public var updatedAt: String
    public var resolvedAt: String?
    public var closedAt: String?
    public var rating: Int?
    /// Only for dispatchers, admins and the reporting token.
    public var reporterContact: String?
    public var idempotencyKey: String?
    public var routingReason: String
    public var repeatOf: Int64?
    /// Only in `GET /api/v1/incidents/{id}`.
    public var history: [EventView]?

    public struct EventView: Codable, Sendable, Hashable {
        public var at: String
        public var actor: String
        public var action: String
        public var from: String?
        public var to: String
        public var note: String
    }

    public init(_ i: Incident, for principal: Principal, history: [IncidentEvent]? = nil) {
        id = i.id
        category = i.category
        description = i.description
        state = i.state
        location = Location(lon: i.lon, lat: i.lat, source: .init(x: i.sourceX, y: i.sourceY, crs: i.sourceCRS))
        address = i.address
        gridId = i.gridID
        buildingId = i.buildingID
        villageId = i.villageID
        townId = i.townID
        geocodeStatus = i.geocodeStatus
        assignee = Assignee(kind: i.assigneeKind, id: i.assigneeID)
        escalationLevel = i.escalationLevel.name
        reportedAt = Timestamp.string(i.reportedAt)
        dueAt = Timestamp.string(i.dueAt)
        updatedAt = Timestamp.string(i.updatedAt)
        resolvedAt = i.resolvedAt.map(Timestamp.string)
        closedAt = i.closedAt.map(Timestamp.string)
        rating = i.rating
        let seesContact = principal.isDispatch || (principal.role == .reporter && principal.tokenID == i.reporterTokenID)
        reporterContact = seesContact ? i.reporterContact : nil
        idempotencyKey = seesContact ? i.idempotencyKey : nil
        routingReason = i.routingReason
        repeatOf = i.repeatOf
        self.history = history?.map {
            EventView(at: Timestamp.string($0.at), actor: $0.actor, action: $0.action, from: $0.fromState, to: $0.toState, note: $0.note)
        }
    }
}
