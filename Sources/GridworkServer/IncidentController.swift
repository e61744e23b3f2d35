import Foundation
import Gridwork
import GridworkDispatch
import Hummingbird

/// The native JSON API under `/api/v1`: intake, reading, the closed loop, reports, escalation sweep, GeoJSON
/// (routes in `buildRouter`).
struct IncidentController<Context: RequestContext> {
    let service: DispatchService
    let limits: ServerLimits
    /// `GET /api/v1/grids.geojson`, built once per boundary version served.
    let gridsGeoJSON: GridsGeoJSON
    /// Whether photos may be read without a token (`--open311-public-read`).
    var publicRead = false

    /// The photo parts of a multipart body: files named `photo` or `media`.
    static var photoFields: Set<String> { ["photo", "media"] }

    /// `application/json`, or `multipart/form-data` with the incident as JSON in a part named `incident` and photos
    /// in parts named `photo` (or `media`).
    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        var intake: IntakeRequest
        var photos: [PhotoUpload] = []
        if Multipart.isFormData(request.headers[.contentType]) {
            let form = try await JSONInput.multipart(of: request, limits: limits)
            guard let part = form.parts.first(where: { $0.name == "incident" }) else {
                throw DispatchError(.invalidInput, "multipart incident: no part named 'incident' with the incident as JSON "
                    + "(the same document as a JSON POST); photos go in parts named 'photo'")
            }
            intake = try JSONInput.decode(IntakeRequest.self, from: part.body, what: "incident part")
            photos = form.files(named: Self.photoFields).map { PhotoUpload(data: $0.body, fileName: $0.fileName ?? "") }
        } else {
            intake = try await JSONInput.decode(IntakeRequest.self, from: request, limit: limits.maxBodyBytes, what: "incident")
        }
        if intake.idempotencyKey == nil, let header = request.idempotencyKeyHeader {
            intake.idempotencyKey = header
        }
        let (incident, created) = try service.intake(intake, by: principal, photos: photos)
        var response = try JSONOutput.response(IncidentView(incident, for: principal, photos: try service.photos(of: [incident.id])),
                                               status: created ? .created : .ok)
        response.headers[.location] = "/api/v1/incidents/\(incident.id)"
        return response
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let id = try Self.incidentID(context)
        let incident = try service.incident(id: id, for: principal)
        return try JSONOutput.response(IncidentView(incident, for: principal, history: try service.store.events(of: id),
                                                    photos: try service.photos(of: [id])))
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let query = try Self.query(request)
        let incidents = try service.incidents(query, for: principal)
        return try JSONOutput.response(["incidents": incidents.map { IncidentView($0, for: principal) }])
    }

    @Sendable func act(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let id = try Self.incidentID(context)
        let name = context.parameters.get("action") ?? ""
        guard let action = IncidentAction(rawValue: name) else {
            throw DispatchError(.notFound, "unknown action '\(name)'; actions: "
                + IncidentAction.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var body = TransitionBody()
        var photos: [PhotoUpload] = []
        if Multipart.isFormData(request.headers[.contentType]) {
            // The body as JSON in an optional part named `body`, photos of the step in parts named `photo`.
            let form = try await JSONInput.multipart(of: request, limits: limits)
            if let part = form.parts.first(where: { $0.name == "body" }), !part.body.isEmpty {
                body = try JSONInput.decode(TransitionBody.self, from: part.body, what: "\(action.rawValue) body part")
            }
            photos = form.files(named: Self.photoFields).map { PhotoUpload(data: $0.body, fileName: $0.fileName ?? "") }
        } else {
            let buffer = try await JSONInput.body(of: request, limit: limits.maxBodyBytes)
            if buffer.readableBytes > 0 {
                try JSONInput.checkContentType(request, what: "\(action.rawValue) body")
                body = try JSONInput.decode(TransitionBody.self, from: Data(buffer.readableBytesView), what: "\(action.rawValue) body")
            }
        }
        let incident = try service.act(action, on: id, body: body, by: principal, photos: photos)
        return try JSONOutput.response(IncidentView(incident, for: principal, photos: try service.photos(of: [id])))
    }

    /// `GET /api/v1/media/{id}.{ext}`: a photo's bytes, for a token that may see its incident (or anyone, when the
    /// server's Open311 public read is on).
    @Sendable func media(_ request: Request, context: Context) async throws -> Response {
        let principal: Principal? = try publicRead && request.apiToken == nil ? nil : service.authenticate(token: request.apiToken)
        let file = context.parameters.get("file") ?? ""
        let parts = file.split(separator: ".", maxSplits: 1)
        guard let first = parts.first, let id = Int64(first), id > 0, parts.count == 1 || PhotoType(fileExtension: String(parts[1])) != nil else {
            throw DispatchError(.invalidInput, "'\(file)' is not a photo: GET /api/v1/media/{id}.jpg (or .png, .webp), as the incident's photos list")
        }
        let (stored, data) = try service.photo(id: id, for: principal)
        return Response(status: .ok, headers: [.contentType: stored.type.rawValue, .cacheControl: "private, max-age=86400",
                                               .init("X-Content-Type-Options")!: "nosniff"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func incidentsGeoJSON(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let incidents = try service.incidents(try Self.query(request), for: principal)
        return JSONOutput.raw(MapLayers.incidents(incidents), contentType: "application/geo+json")
    }

    @Sendable func grids(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        return JSONOutput.raw(gridsGeoJSON.text(service), contentType: "application/geo+json")
    }

    @Sendable func report(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let from = try Self.date(request, "from"), to = try Self.date(request, "to")
        return try JSONOutput.response(try service.report(from: from, to: to, for: principal))
    }

    @Sendable func sweep(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        guard principal.isDispatch else { throw DispatchError(.forbidden, "the escalation sweep is for dispatcher and admin tokens") }
        let done = try service.sweep()
        return try JSONOutput.response(["escalations": done.map {
            EscalationRow(incident: $0.incidentID, level: $0.level.name, fellDueAt: Timestamp.string($0.fellDueAt))
        }])
    }

    @Sendable func categories(_ request: Request, context: Context) async throws -> Response {
        let rows = service.router.knownCategories.compactMap { code in
            service.router.rule(for: code).map {
                CategoryRow(code: code, owner: $0.owner,
                    department: $0.owner == .department ? ($0.department ?? service.directory.departmentOfCategory[code]) : nil,
                    deadlineHours: $0.deadlineHours ?? service.rules.defaultDeadlineHours, label: $0.label ?? code)
            }
        }
        return try JSONOutput.response(["categories": rows])
    }

    // MARK: Parameters

    static func incidentID(_ context: Context) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else {
            throw DispatchError(.invalidInput, "incident id '\(text)' is not a positive integer")
        }
        return id
    }

    static func date(_ request: Request, _ name: String) throws -> Date? {
        guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw DispatchError(.invalidInput, "\(name)=\(text) is not an ISO 8601 time such as 2026-01-31T08:00:00Z")
        }
        return date
    }

    /// `state` (a state name, `open`, `closed` or `all`, comma-separated), `category`, `from`, `to`, `q` (text in the
    /// description or address, at most 200 characters), `limit`.
    static func query(_ request: Request) throws -> IncidentQuery {
        let params = request.uri.queryParameters
        var query = IncidentQuery(reportedFrom: try date(request, "from"), reportedTo: try date(request, "to"))
        if let states = params.get("state"), !states.isEmpty, states != "all" {
            var chosen: [IncidentState] = []
            for name in states.split(separator: ",").map(String.init) {
                switch name {
                case "open": chosen += IncidentState.openStates
                case "done": chosen += IncidentState.allCases.filter { !$0.isOpen }
                default:
                    guard let s = IncidentState(rawValue: name) else {
                        throw DispatchError(.invalidInput, "state=\(name) is unknown; use open, done, all or one of "
                            + IncidentState.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    chosen.append(s)
                }
            }
            query.states = chosen
        }
        if let c = params.get("category"), !c.isEmpty { query.categories = c.split(separator: ",").map(String.init) }
        if let text = params.get("q")?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard text.count <= 200 else { throw DispatchError(.invalidInput, "q= is longer than 200 characters") }
            query.text = text
        }
        if let l = params.get("limit") {
            guard let n = Int(l), (1...10_000).contains(n) else {
                throw DispatchError(.invalidInput, "limit=\(l) must be an integer from 1 to 10000")
            }
            query.limit = n
        }
        return query
    }
}

struct EscalationRow: Codable {
    var incident: Int64
    var level: String
    var fellDueAt: String
}

struct CategoryRow: Codable {
    var code: String
    var owner: CategoryOwner
    @Nullable var department: String?
    var deadlineHours: Double
    /// The rules' label ("垃圾清运 Garbage": Chinese, then English), or the code when the rules give none.
    var label: String
}
