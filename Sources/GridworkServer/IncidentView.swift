import Foundation
import Gridwork
import GridworkDispatch

/// An incident as the native API shows it.
struct IncidentView: Codable, Sendable, Hashable {
    struct Location: Codable, Sendable, Hashable {
        var lon: Double
        var lat: Double
        var source: IntakeRequest.Location
    }

    struct Assignee: Codable, Sendable, Hashable {
        var kind: AssigneeKind
        var id: String
    }

    var id: Int64
    var category, description: String
    var state: IncidentState
    var location: Location
    var address: String
    @Nullable var gridId: String?
    @Nullable var buildingId: String?
    @Nullable var villageId: String?
    @Nullable var townId: String?
    var geocodeStatus: String
    var assignee: Assignee
    var escalationLevel: String
    /// ISO 8601 UTC with milliseconds (`Timestamp`). `deadline_at` is the first deadline (never moved), `due_at` the
    /// current one (each escalation step and dispatch sets it anew).
    var reportedAt, deadlineAt, dueAt, updatedAt: String
    @Nullable var resolvedAt: String?
    @Nullable var closedAt: String?
    @Nullable var rating: Int?
    /// Only for dispatchers, admins and the reporting token.
    @Nullable var reporterContact: String?
    @Nullable var idempotencyKey: String?
    var routingReason: String
    @Nullable var repeatOf: Int64?
    /// Only in `GET /api/v1/incidents/{id}` (left out of lists, not null).
    var history: [EventView]?
    /// Every photo of the incident, oldest first, each naming its step: in `GET /api/v1/incidents/{id}` and the
    /// answers of intake and actions (left out of lists).
    var photos: [PhotoView]?

    struct EventView: Codable, Sendable, Hashable {
        var at, actor, action: String
        @Nullable var from: IncidentState?
        var to: IncidentState
        var note: String
        /// The photos sent with this step.
        var photos: [PhotoView]
    }

    /// A photo: where to fetch it (`GET /api/v1/media/{id}.{ext}`, with the same token) and which step it belongs to.
    struct PhotoView: Codable, Sendable, Hashable {
        var id: Int64
        var url: String
        /// `report`, or the action of the step (`resolve`, ...).
        var step: String
        var eventId: Int64
        var contentType: String
        var bytes: Int
        var at: String
        var actor: String

        init(_ m: StoredMedia) {
            id = m.id
            url = PhotoView.path(m)
            step = m.step
            eventId = m.eventID
            contentType = m.type.rawValue
            bytes = m.bytes
            at = Timestamp.string(m.createdAt)
            actor = m.actor
        }

        static func path(_ m: StoredMedia) -> String { "/api/v1/media/\(m.id).\(m.type.fileExtension)" }
    }

    init(_ i: Incident, for principal: Principal, history: [IncidentEvent]? = nil, photos: [StoredMedia]? = nil) {
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
        deadlineAt = Timestamp.string(i.deadlineAt)
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
        let photoViews = photos?.map(PhotoView.init)
        self.photos = photoViews
        self.history = history?.map { event in
            EventView(at: Timestamp.string(event.at), actor: event.actor, action: event.action, from: event.fromState,
                      to: event.toState, note: event.note, photos: (photoViews ?? []).filter { $0.eventId == event.id })
        }
    }
}
