import Foundation
import Gridwork
import GridworkDispatch
import Hummingbird

/// The native JSON API under `/api/v1`: intake, reading, the closed loop, reports, escalation sweep, GeoJSON
/// (routes in `buildRouter`).
struct IncidentController<Context: RequestContext> {
    let service: DispatchService
    let limits: ServerLimits
    /// `GET /api/v1/grids.geojson`, built once (grids do not change while serving).
    let gridsGeoJSON: String

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        var intake = try await JSONInput.decode(IntakeRequest.self, from: request, limit: limits.maxBodyBytes, what: "incident")
        if intake.idempotencyKey == nil, let header = request.idempotencyKeyHeader {
            intake.idempotencyKey = header
        }
        let (incident, created) = try service.intake(intake, by: principal)
        var response = try JSONOutput.response(IncidentView(incident, for: principal), status: created ? .created : .ok)
        response.headers[.location] = "/api/v1/incidents/\(incident.id)"
        return response
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let id = try Self.incidentID(context)
        let incident = try service.incident(id: id, for: principal)
        return try JSONOutput.response(IncidentView(incident, for: principal, history: try service.store.events(of: id)))
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
        var request = request
        let buffer = try await request.collectBody(upTo: limits.maxBodyBytes)
        let body: TransitionBody
        if buffer.readableBytes == 0 {
            body = TransitionBody()
        } else {
            body = try await JSONInput.decode(TransitionBody.self, from: request, limit: limits.maxBodyBytes, what: "\(action.rawValue) body")
        }
        let incident = try service.act(action, on: id, body: body, by: principal)
        return try JSONOutput.response(IncidentView(incident, for: principal))
    }

    @Sendable func incidentsGeoJSON(_ request: Request, context: Context) async throws -> Response {
        let principal = try service.authenticate(token: request.apiToken)
        let incidents = try service.incidents(try Self.query(request), for: principal)
        return JSONOutput.raw(MapLayers.incidents(incidents), contentType: "application/geo+json")
    }

    @Sendable func grids(_ request: Request, context: Context) async throws -> Response {
        _ = try service.authenticate(token: request.apiToken)
        return JSONOutput.raw(gridsGeoJSON, contentType: "application/geo+json")
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
