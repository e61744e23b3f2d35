import Foundation
import Gridwork
import GridPostgres
import GridStore
import Logging

/// A report as the native API takes it (`POST /api/v1/incidents`).
public struct IntakeRequest: Sendable, Codable, Hashable {
    public struct Location: Sendable, Codable, Hashable {
        /// Longitude or easting.
        public var x: Double
        /// Latitude or northing.
        public var y: Double
        /// Any CRS the geocoder takes; default EPSG:4326.
        public var crs: String?

        public init(x: Double, y: Double, crs: String? = nil) {
            self.x = x
            self.y = y
            self.crs = crs
        }
    }

    public var category: String
    public var description: String
    /// Where it happened; nil when the report gives only an `address`, which then places it (`AddressPlacer`).
    public var location: Location?
    /// The address as reported (门牌地址); places the incident when there is no `location`.
    public var address: String?
    /// Phone or e-mail of the reporter, shown only to dispatchers and the reporting app.
    public var reporterContact: String?
    /// A client-chosen key: sending the same report twice (a retry) stores it once.
    public var idempotencyKey: String?

    public init(category: String, description: String, location: Location?, address: String? = nil,
                reporterContact: String? = nil, idempotencyKey: String? = nil) {
        self.category = category
        self.description = description
        self.location = location
        self.address = address
        self.reporterContact = reporterContact
        self.idempotencyKey = idempotencyKey
    }
}

/// A transition as the native API takes it (`POST /api/v1/incidents/{id}/{action}`); every field optional.
public struct TransitionBody: Sendable, Codable, Hashable {
    public struct Assignee: Sendable, Codable, Hashable {
        public var kind: AssigneeKind
        public var id: String
    }

    public var note: String?
    public var rating: Int?
    public var assignee: Assignee?
    /// For `escalate`: the level to reach (`village`, `town`, `county`); default one level up.
    public var level: String?

    public init(note: String? = nil, rating: Int? = nil, assignee: Assignee? = nil, level: String? = nil) {
        self.note = note
        self.rating = rating
        self.assignee = assignee
        self.level = level
    }
}

/// The dispatch service: intake, routing, the closed loop, escalation and reports, independent of HTTP.
public final class DispatchService: Sendable {
    public let store: any IncidentStore
    /// The boundary version served: its directory with the routing rules, and its geocoder. Replaced as a whole by
    /// `reloadBoundaries()`, so one request sees one version.
    private let served: ServedBoundaries
    /// Where a newer boundary version is read from (`reloadBoundaries()`); nil serves one version for good.
    public let boundaries: BoundarySource?
    public let clock: any DispatchClock
    public let logger: Logger
    /// Where photos are kept; nil refuses photos (a service built without a database directory).
    public let media: MediaLibrary?
    /// Every committed change of an incident, for live pages (`GET /api/v1/events`); filtered per subscriber by
    /// `IncidentVisibility`.
    public let feed: IncidentFeed
    /// Single-use tickets that stand for a token on the live feed's URL.
    public let eventTickets: EventTickets

    public var router: IncidentRouter { served.current.router }
    public var geocoder: IncidentGeocoder { served.current.geocoder }
    public var rules: RoutingRules { router.rules }
    public var directory: CountyDirectory { router.directory }

    public init(store: some IncidentStore, router: IncidentRouter, geocoder: IncidentGeocoder,
                clock: some DispatchClock = SystemDispatchClock(), logger: Logger = Logger(label: "gridwork.dispatch"),
                media: MediaLibrary? = nil, feed: IncidentFeed = IncidentFeed(), eventTickets: EventTickets = EventTickets(),
                boundaries: BoundarySource? = nil) {
        self.media = media
        self.store = store
        self.served = ServedBoundaries((router, geocoder))
        self.boundaries = boundaries
        self.clock = clock
        self.logger = logger
        self.feed = feed
        self.eventTickets = eventTickets
    }

    /// Loads everything from a county database: the directory and locator of the newest boundary version, and
    /// the routing rules (the shipped `config/routing.json`, built in, when `rulesPath` is nil). Refuses rules that do
    /// not fit the county. Photos go to the media directory beside the database (`MediaLibrary.directory(besideDatabase:)`).
    public static func open(databasePath: String, county countyCode: String? = nil, rulesPath: String?,
                            clock: some DispatchClock = SystemDispatchClock(),
                            logger: Logger = Logger(label: "gridwork.dispatch"),
                            mediaLimits: MediaLimits = MediaLimits(), mediaDirectory: String? = nil) throws -> DispatchService {
        // A SQLite file, or a PostgreSQL URL with the county (CountyStores: bad codes, a database without PostGIS or
        // without the county are refused with the fix).
        let county = try CountyStores.open(db: databasePath, county: countyCode)
        let directory = try CountyDirectory.load(from: county)
        let rules = try rulesPath.map(RoutingRules.load(path:)) ?? RoutingRules.shipped(fittedTo: directory)
        let problems = rules.problems(against: directory)
        if !problems.isEmpty {
            throw StoreError("routing rules \(rulesPath ?? "(built in)") do not fit the database:\n  " + problems.joined(separator: "\n  "))
        }
        let geocoder = try IncidentGeocoder(grids: try county.grids(version: directory.versionID),
                                            buildings: try county.buildings(version: directory.versionID),
                                            snapMetres: rules.snapMetres)
        let router = IncidentRouter(rules: rules, directory: directory)
        if PostgresLocation.isPostgres(databasePath), let code = county.countyCode {
            let store = try PostgresIncidentStore(location: try PostgresLocation(parsing: databasePath), countyCode: code, logger: logger)
            let media = MediaLibrary(directory: mediaDirectory ?? "gridwork-media/\(code)", limits: mediaLimits)
            return DispatchService(store: store, router: router, geocoder: geocoder, clock: clock, logger: logger, media: media,
                                   boundaries: .store(db: databasePath, county: code))
        }
        let store = try SQLiteIncidentStore(path: databasePath)
        return DispatchService(store: store, router: router, geocoder: geocoder, clock: clock, logger: logger,
                               media: MediaLibrary(directory: mediaDirectory ?? MediaLibrary.directory(besideDatabase: databasePath),
                                                   limits: mediaLimits),
                               boundaries: .store(db: databasePath, county: nil))
    }

    // MARK: Boundary versions

    /// Serves the newest boundary version when it is newer than the one served: a version imported while the server
    /// runs is picked up without a restart (the server checks every few seconds; `BoundarySource`). Returns the new
    /// version, or nil when there is none. Rules that do not fit the new version keep the old one and throw, saying why.
    @discardableResult
    public func reloadBoundaries() throws -> Int? {
        guard let boundaries, let newest = try boundaries.currentVersion(), newest > directory.versionID else { return nil }
        let county = try boundaries.load(newest)
        let rules = self.rules
        let problems = rules.problems(against: county.directory)
        if !problems.isEmpty {
            throw StoreError("boundary version \(newest) is not served: the routing rules do not fit it:\n  "
                + problems.joined(separator: "\n  "))
        }
        let geocoder = try IncidentGeocoder(grids: county.grids, buildings: county.buildings, snapMetres: rules.snapMetres)
        served.replace((IncidentRouter(rules: rules, directory: county.directory), geocoder))
        logger.info("boundary version \(newest) loaded (\(county.grids.count) grids); new incidents are placed in it")
        return newest
    }

    // MARK: Authentication

    /// The caller of a token, or an `unauthenticated` error saying how to get one. Every call reads the token's row
    /// (one indexed read on a pooled reader; no cache), so a token `gridwork token revoke` revokes, from any process,
    /// is refused from the next request on.
    public func authenticate(token: String?) throws -> Principal {
        guard let token, !token.isEmpty else {
            throw DispatchError(.unauthenticated, "missing API token: send `Authorization: Bearer <token>` (or `api_key` for Open311); "
                + "`gridwork token create --db ... --role ...` makes one")
        }
        return try authenticate(tokenHash: APIToken.hash(token))
    }

    private func authenticate(tokenHash: String) throws -> Principal {
        guard let stored = try store.token(hash: tokenHash) else {
            throw DispatchError(.unauthenticated, "unknown or revoked API token")
        }
        return Principal(tokenID: stored.tokenID, role: stored.role, staffID: stored.staffID,
                         departmentID: stored.departmentID, gridIDs: stored.staffID.map(directory.gridIDs(ofStaff:)) ?? [])
    }

    // MARK: The live feed

    /// A single-use ticket, valid for `eventTickets.lifetime` seconds, that opens the live feed for the caller of
    /// `token` (a browser's `EventSource` cannot send the token in a header, and a token in a URL would end up in
    /// logs and history; a ticket is spent on first use).
    public func issueEventTicket(token: String?) throws -> (ticket: String, expiresAt: Date, principal: Principal) {
        let principal = try authenticate(token: token)
        let issued = eventTickets.issue(tokenHash: APIToken.hash(token ?? ""), now: clock.now())
        return (issued.ticket, issued.expiresAt, principal)
    }

    /// The live feed for the holder of `ticket`: the token it stands for is authenticated again (a revoked one is
    /// refused), then the caller gets every change it may see from now on. `stillValid` says, whenever asked,
    /// whether the token still stands (the HTTP layer asks at each heartbeat and ends the stream when not).
    public func subscribe(ticket: String?) throws -> (principal: Principal, events: AsyncStream<FeedEvent>,
                                                      stillValid: @Sendable () -> Bool) {
        guard let ticket, !ticket.isEmpty else {
            throw DispatchError(.unauthenticated, "missing ticket: POST /api/v1/events/tickets with `Authorization: Bearer <token>` "
                + "gives one, then open /api/v1/events?ticket=...")
        }
        guard let tokenHash = eventTickets.redeem(ticket, now: clock.now()) else {
            throw DispatchError(.unauthenticated, "unknown, used or expired ticket (a ticket opens the feed once, within "
                + "\(Int(eventTickets.lifetime)) s): POST /api/v1/events/tickets for a new one")
        }
        let principal = try authenticate(tokenHash: tokenHash)
        let store = self.store
        return (principal, feed.subscribe(principal), { ((try? store.token(hash: tokenHash)) ?? nil) != nil })
    }

    // MARK: Intake

    /// Validates, geocodes, routes and stores one report. Nothing is written when any check fails.
    /// `descriptionRequired` is false for Open311, where a report may be its category and place alone (GeoReport v2
    /// makes `description` optional); the native API requires one. `photos` are checked with everything else and
    /// written to the media directory before the incident is stored with them (a retry with the same idempotency key
    /// adds none).
    public func intake(_ request: IntakeRequest, by principal: Principal, descriptionRequired: Bool = true,
                       photos: [PhotoUpload] = []) throws -> (incident: Incident, created: Bool) {
        guard principal.role != .planner else {
            throw DispatchError(.forbidden, "a planner token is read-only; report incidents with a reporter, grid_worker or dispatcher token")
        }
        let (router, geocoder) = served.current
        let directory = router.directory
        let category = request.category.trimmingCharacters(in: .whitespaces)
        guard router.rule(for: category) != nil else {
            throw DispatchError(.invalidInput, "unknown category '\(request.category)'; known categories: "
                + router.knownCategories.joined(separator: ", "))
        }
        let description = request.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !description.isEmpty || !descriptionRequired else {
            throw DispatchError(.invalidInput, "description is empty: say what happened")
        }
        guard description.count <= 4000 else { throw DispatchError(.invalidInput, "description is longer than 4,000 characters") }
        if let key = request.idempotencyKey, key.isEmpty || key.count > 200 {
            throw DispatchError(.invalidInput, "idempotency_key must be 1 to 200 characters")
        }
        _ = try checkedPhotos(photos)
        let located: IncidentGeocoder.Located
        let source: (x: Double, y: Double, crs: String)
        if let location = request.location {
            located = try geocoder.locate(x: location.x, y: location.y, crsText: location.crs ?? "EPSG:4326")
            source = (location.x, location.y, located.crs.description)
        } else if let address = request.address, !address.trimmingCharacters(in: .whitespaces).isEmpty {
            located = try geocoder.locate(address: address)
            source = (located.lon, located.lat, "address")
        } else {
            throw DispatchError(.invalidInput, "give the location (x, y; Open311: lat, long) or an address (address_string)")
        }
        let grid = located.result.gridID.flatMap { directory.grids[$0] }
        let new = NewIncident(
            category: category, description: description, lon: located.lon, lat: located.lat,
            sourceX: source.x, sourceY: source.y, sourceCRS: source.crs,
            address: request.address ?? "", boundaryVersion: directory.versionID, gridID: located.result.gridID,
            buildingID: located.result.buildingID, villageID: grid?.villageID,
            townID: grid?.townID ?? grid?.villageID.flatMap { directory.villageTown[$0] },
            geocodeStatus: located.result.status.rawValue, reporterContact: request.reporterContact ?? "",
            idempotencyKey: request.idempotencyKey, photos: try savedPhotos(photos))
        let stored = try store.create(new, reporter: principal, now: clock.now(), candidates: router.candidateStaff(grid: new.gridID),
                                      repeatWindow: rules.repeatWindowDays * 86_400) { workload in
            try router.route(category: category, gridID: new.gridID, workload: workload)
        }
        if stored.created {
            feed.publish(IncidentChange(kind: .created, incident: stored.incident, before: nil, action: "report"))
        }
        return stored
    }

    // MARK: Reading

    /// One incident the caller may see; `notFound` otherwise (a grid worker learns nothing of other grids).
    public func incident(id: Int64, for principal: Principal) throws -> Incident {
        guard let incident = try store.incident(id: id), principal.canSee(incident) else {
            throw DispatchError(.notFound, "no incident \(id) visible to this token")
        }
        return incident
    }

    public func incidents(_ query: IncidentQuery, for principal: Principal) throws -> [Incident] {
        var q = query
        q.visibleTo = principal
        return try store.incidents(q)
    }

    /// Every incident matching `query`, for a public reader (Open311's public read, when the server allows it).
    /// Callers show only public fields: never the reporter's contact or idempotency key.
    public func publicIncidents(_ query: IncidentQuery) throws -> [Incident] {
        var q = query
        q.visibleTo = nil
        return try store.incidents(q)
    }

    /// One incident for a public reader (see `publicIncidents`).
    public func publicIncident(id: Int64) throws -> Incident {
        guard let incident = try store.incident(id: id) else { throw DispatchError(.notFound, "no incident \(id)") }
        return incident
    }

    // MARK: The closed loop

    /// Applies one action, with its permission checks and history entry.
    /// `photos` belong to this step (a worker's "resolved" photo); they are checked before anything is written.
    public func act(_ action: IncidentAction, on id: Int64, body: TransitionBody, by principal: Principal,
                    photos: [PhotoUpload] = []) throws -> Incident {
        let now = clock.now()
        _ = try checkedPhotos(photos)
        var request = TransitionRequest(action: action, note: body.note ?? "")
        switch action {
        case .escalate:
            if let name = body.level {
                guard let level = EscalationLevel(name: name) else {
                    throw DispatchError(.invalidInput, "unknown level '\(name)'; levels: "
                        + EscalationLevel.allCases.map(\.name).joined(separator: ", "))
                }
                request.level = level
            }
        case .rate:
            guard let rating = body.rating, (1...5).contains(rating) else {
                throw DispatchError(.invalidInput, "rate needs \"rating\": an integer from 1 (very unsatisfied) to 5 (very satisfied)")
            }
            request.rating = rating
        case .return:
            guard !(body.note ?? "").trimmingCharacters(in: .whitespaces).isEmpty else {
                throw DispatchError(.invalidInput, "return needs a \"note\" saying why the incident goes back to the dispatch centre")
            }
        case .dispatch:
            if let a = body.assignee {
                try checkAssignee(kind: a.kind, id: a.id)
                request.assignee = (a.kind, a.id)
            }
        default:
            break
        }
        if body.assignee != nil && action != .dispatch {
            throw DispatchError(.invalidInput, "\"assignee\" goes only with the dispatch action")
        }
        if body.rating != nil && action != .rate {
            throw DispatchError(.invalidInput, "\"rating\" goes only with the rate action")
        }
        if body.level != nil && action != .escalate {
            throw DispatchError(.invalidInput, "\"level\" goes only with the escalate action")
        }
        let router = self.router
        var prepared = request
        prepared.photos = try savedPhotos(photos)
        var before: Incident?
        let after = try store.transition(id: id, prepared, actor: principal.actor, now: now) { incident in
            before = incident
            guard principal.canSee(incident) else { throw DispatchError(.notFound, "no incident \(id) visible to this token") }
            let isAssignee = (incident.assigneeKind == .staff && principal.role == .gridWorker && incident.assigneeID == principal.staffID)
                || (incident.assigneeKind == .department && principal.role == .department && incident.assigneeID == principal.departmentID)
            let isReporter = principal.role == .reporter && incident.reporterTokenID == principal.tokenID
            let allowed: Bool = switch action {
            case .dispatch, .escalate: principal.isDispatch
            case .accept, .start, .resolve, .return: principal.isDispatch || isAssignee
            case .rate, .close, .reopen: principal.isDispatch || isReporter
            }
            guard allowed else {
                let who: String = switch action {
                case .dispatch, .escalate: "a dispatcher or admin"
                case .accept, .start, .resolve, .return: "the assignee (\(incident.assigneeKind.rawValue) \(incident.assigneeID)) or a dispatcher"
                default: "the reporter or a dispatcher"
                }
                throw DispatchError(.forbidden, "a \(principal.role.rawValue) token cannot \(action.rawValue) incident \(id): only \(who) can")
            }
            guard action == .dispatch || action == .reopen else { return nil }
            let hours = router.rule(for: incident.category)?.deadlineHours ?? router.rules.defaultDeadlineHours
            return now + hours * 3600
        }
        feed.publish(IncidentChange(kind: .changed, incident: after, before: before, action: action.rawValue))
        return after
    }

    // MARK: Photos

    private func checkedPhotos(_ photos: [PhotoUpload]) throws -> Int {
        guard !photos.isEmpty else { return 0 }
        guard let media else { throw DispatchError(.invalidInput, "this server stores no photos") }
        return try media.check(photos).count
    }

    private func savedPhotos(_ photos: [PhotoUpload]) throws -> [NewMedia] {
        guard !photos.isEmpty, let media else { return [] }
        return try media.save(photos)
    }

    /// The photos of incidents, oldest first (callers have checked that the incidents are visible).
    public func photos(of incidentIDs: [Int64]) throws -> [StoredMedia] {
        try store.media(ofIncidents: incidentIDs)
    }

    /// One photo and its bytes, for a caller who may see its incident (nil: anyone may, as Open311's public read);
    /// `notFound` otherwise, as for the incident itself.
    public func photo(id: Int64, for principal: Principal?) throws -> (media: StoredMedia, data: Data) {
        guard let media, let stored = try store.media(id: id) else {
            throw DispatchError(.notFound, "no photo \(id) visible to this token")
        }
        if let principal {
            guard let incident = try store.incident(id: stored.incidentID), principal.canSee(incident) else {
                throw DispatchError(.notFound, "no photo \(id) visible to this token")
            }
        }
        return (stored, try media.read(stored))
    }

    private func checkAssignee(kind: AssigneeKind, id: String) throws {
        let known: Bool = switch kind {
        case .staff: directory.staff[id] != nil
        case .department: directory.departments[id] != nil
        case .village: directory.grids.values.contains { $0.villageID == id }
        }
        guard known else { throw DispatchError(.invalidInput, "assignee \(kind.rawValue) \(id) is not in the database") }
    }

    // MARK: Deadlines

    /// Escalates every overdue open incident (one level per passed step), logging what it did.
    @discardableResult
    public func sweep() throws -> [Escalation] {
        let done = try store.escalateOverdue(now: clock.now(), stepHours: rules.escalationStepHours)
        if !done.isEmpty { logger.info("escalation sweep: \(done.count) escalations") }
        // One change per incident, as it stands after the sweep (escalation keeps the handler, so visibility too).
        if feed.subscriberCount > 0 {
            var seen = Set<Int64>()
            for e in done where seen.insert(e.incidentID).inserted {
                if let incident = try store.incident(id: e.incidentID) {
                    feed.publish(IncidentChange(kind: .changed, incident: incident, before: incident, action: "escalate"))
                }
            }
        }
        return done
    }

    public func report(from: Date?, to: Date?, for principal: Principal) throws -> DispatchReport {
        guard [.planner, .dispatcher, .admin].contains(principal.role) else {
            throw DispatchError(.forbidden, "reports are for planner, dispatcher and admin tokens")
        }
        return try store.report(from: from, to: to, now: clock.now())
    }
}

/// Where a dispatch service reads newer boundary versions from.
public struct BoundarySource: Sendable {
    /// The newest boundary version in the store (nil before the first import).
    public var currentVersion: @Sendable () throws -> Int?
    /// The directory, grids and buildings of one version.
    public var load: @Sendable (Int) throws -> (directory: CountyDirectory, grids: [Grid], buildings: [Building])

    public init(currentVersion: @escaping @Sendable () throws -> Int?,
                load: @escaping @Sendable (Int) throws -> (directory: CountyDirectory, grids: [Grid], buildings: [Building])) {
        self.currentVersion = currentVersion
        self.load = load
    }

    /// A county store (`--db`: SQLite file or PostgreSQL URL with its county): each check opens it and reads the
    /// newest version's id (on PostgreSQL one indexed query on a short-lived session).
    public static func store(db: String, county: String?) -> BoundarySource {
        BoundarySource(
            currentVersion: { try CountyStores.open(db: db, county: county).currentVersionID() },
            load: { version in
                let store = try CountyStores.open(db: db, county: county)
                return (try CountyDirectory.load(from: store, version: version), try store.grids(version: version),
                        try store.buildings(version: version))
            })
    }
}

/// The router and geocoder of the version served, swapped as a pair.
final class ServedBoundaries: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (router: IncidentRouter, geocoder: IncidentGeocoder)

    init(_ value: (router: IncidentRouter, geocoder: IncidentGeocoder)) { self.value = value }

    var current: (router: IncidentRouter, geocoder: IncidentGeocoder) { lock.withLock { value } }
    func replace(_ new: (router: IncidentRouter, geocoder: IncidentGeocoder)) { lock.withLock { value = new } }
}
