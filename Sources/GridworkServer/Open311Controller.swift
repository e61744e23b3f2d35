import Foundation
import Gridwork
import GridworkDispatch
import Hummingbird

/// Open311 GeoReport v2 (`/open311/v2`), in JSON and XML (`.json` or `.xml` on every path), so existing Open311
/// clients work unchanged.
///
/// - `GET discovery.json`: the endpoint, its formats and whom to ask for a key.
/// - `GET services.json`: the categories (public, as the standard has it).
/// - `POST requests.json`: form-encoded or `multipart/form-data` `api_key`, `service_code`, `lat`, `long`,
///   `description`, `address_string`, `email`, `phone`, `first_name`, `last_name`, and (multipart) a `media` photo;
///   gridwork also reads `crs` (default EPSG:4326: GCJ02 for Amap apps) and the `Idempotency-Key` header.
/// - `GET requests.json` with `service_request_id`, `service_code`, `start_date`, `end_date`, `status`
///   (and `api_key`: results are filtered by the token's role).
/// - `GET requests/{id}.json`.
/// Reading requests needs an `api_key` unless the server runs with `--open311-public-read` (`Open311Settings`).
/// Errors are Open311's `[{"code": ..., "description": ...}]` (`<errors>` in XML).
struct Open311Controller<Context: RequestContext> {
    let service: DispatchService
    let limits: ServerLimits
    var settings = Open311Settings()

    /// When this Open311 endpoint last changed (`changeset` of discovery.json).
    static var changeset: String { "2026-12-02T00:00:00Z" }

    // Open311's field names come from the API-wide snake_case encoder (`serviceCode` → `service_code`).
    struct ServiceEntry: Codable {
        var serviceCode, serviceName, description: String
        var metadata: Bool
        var type, keywords, group: String
    }

    struct RequestEntry: Codable {
        var serviceRequestId, status, statusNotes, serviceName, serviceCode, description, agencyResponsible: String
        var serviceNotice, requestedDatetime, updatedDatetime, expectedDatetime, address, addressId, zipcode: String
        var lat, long: Double
        var mediaUrl: String
    }

    struct Created: Codable {
        var serviceRequestId, serviceNotice: String
        @Nullable var accountId: String?
    }

    struct ErrorEntry: Codable {
        var code: Int
        var description: String
    }

    /// Runs a handler, answering failures in Open311's error format (XML for a `.xml` path).
    func open311(_ request: Request, _ body: (Open311Format) async throws -> Response) async -> Response {
        let format = Open311Format.of(request.uri.path) ?? .json
        do {
            return try await body(format)
        } catch {
            if let answer = ErrorAnswer.of(error) {
                var response = format.error(answer.status, answer.message)
                if let error = error as? HTTPError { response.headers.append(contentsOf: error.headers) }
                if (error as? DispatchError)?.kind == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer" }
                return response
            }
            service.logger.error("open311 request failed: \(error)")
            return format.error(.internalServerError, "internal error; the server log has the detail")
        }
    }

    /// The caller of a read: the `api_key`'s token, or nil (the public) when none is sent and the server allows
    /// public read; without either, 401 saying both ways.
    func reader(_ request: Request) throws -> Principal? {
        if request.apiToken == nil && settings.publicRead { return nil }
        do {
            return try service.authenticate(token: request.apiToken)
        } catch let error as DispatchError where request.apiToken == nil {
            throw DispatchError(error.kind, error.message + "; reading requests without a key needs the server started with "
                + "--open311-public-read")
        }
    }

    /// `GET discovery.json`: GeoReport v2's service discovery, this server's one endpoint.
    struct Discovery: Codable {
        struct Endpoint: Codable {
            var specification, url, changeset, type: String
            var formats: [String]
        }

        var changeset, contact, keyService: String
        var endpoints: [Endpoint]
    }

    @Sendable func discovery(_ request: Request, context: Context) async throws -> Response {
        await open311(request) { format in
            let endpoint = Discovery.Endpoint(specification: "http://wiki.open311.org/GeoReport_v2",
                                              url: Self.baseURL(request) + "/open311/v2", changeset: Self.changeset,
                                              type: settings.endpointType.rawValue, formats: ["text/xml", "application/json"])
            return try format.response(Discovery(changeset: Self.changeset, contact: settings.contact, keyService: settings.keyService,
                                                 endpoints: [endpoint]), root: "discovery", item: nil)
        }
    }

    @Sendable func services(_ request: Request, context: Context) async throws -> Response {
        await open311(request) { format in
            let entries = service.router.knownCategories.map { code -> ServiceEntry in
                let rule = service.router.rule(for: code)
                let department = rule?.owner == .department
                    ? (rule?.department ?? service.directory.departmentOfCategory[code]).flatMap { service.directory.departments[$0]?.name }
                    : nil
                return ServiceEntry(serviceCode: code, serviceName: rule?.label ?? code,
                                    description: rule?.owner == .grid ? "handled by the grid worker" : "handled by \(department ?? "a department")",
                                    metadata: false, type: "realtime", keywords: code.replacingOccurrences(of: "_", with: ","),
                                    group: department ?? "grid")
            }
            return try format.response(entries, root: "services", item: "service")
        }
    }

    /// A service definition (`GET services/{code}.json`): gridwork's services have no attributes.
    struct Definition: Codable {
        var serviceCode: String
        var attributes: [String]
    }

    @Sendable func definition(_ request: Request, context: Context) async throws -> Response {
        await open311(request) { format in
            let code = try Self.fileName(context, what: "service_code", example: "services/{service_code}.json")
            guard service.router.rule(for: code) != nil else {
                throw DispatchError(.notFound, "unknown service_code '\(code)'; GET /open311/v2/services.\(format.rawValue) lists them")
            }
            return try format.response(Definition(serviceCode: code, attributes: []), root: "service_definition", item: nil)
        }
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        await open311(request) { format in
            let form: [String: String]
            var photos: [PhotoUpload] = []
            if Multipart.isFormData(request.headers[.contentType]) {
                // How phone apps send a photo: the same fields as form parts, the image in a file part named `media`.
                let multipart = try await JSONInput.multipart(of: request, limits: limits)
                form = multipart.fields
                photos = multipart.files(named: ["media"]).map { PhotoUpload(data: $0.body, fileName: $0.fileName ?? "") }
            } else {
                form = Open311Form.parse(try await JSONInput.text(of: request, limit: limits.maxBodyBytes))
            }
            let principal = try service.authenticate(token: form["api_key"] ?? request.apiToken)
            let intake = try Open311Form.intakeRequest(form: form, idempotencyKey: request.idempotencyKeyHeader)
            let (incident, created) = try service.intake(intake, by: principal, descriptionRequired: false, photos: photos)
            return try format.response(
                [Created(serviceRequestId: String(incident.id),
                         serviceNotice: "routed to \(incident.assigneeKind.rawValue) \(incident.assigneeID); due \(Timestamp.string(incident.dueAt))",
                         accountId: nil)],
                root: "service_requests", item: "request", status: created ? .created : .ok)
        }
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        await open311(request) { format in
            let principal = try reader(request)
            let params = request.uri.queryParameters
            var query = IncidentQuery()
            if let ids = params.get("service_request_id"), !ids.isEmpty {
                // GeoReport v2: service_request_id overrides every other filter (apps refresh the ids they track).
                query.ids = try ids.split(separator: ",").map { part in
                    guard let id = Int64(part.trimmingCharacters(in: .whitespaces)) else {
                        throw DispatchError(.invalidInput, "service_request_id '\(part)' is not a request id")
                    }
                    return id
                }
            } else {
                query = try Self.filters(request, now: service.clock.now())
            }
            query.limit = 1000
            let incidents = try principal.map { try service.incidents(query, for: $0) } ?? service.publicIncidents(query)
            let media = try firstPhotos(of: incidents.map(\.id), request: request)
            return try format.response(incidents.map { entry($0, mediaURL: media[$0.id]) }, root: "service_requests", item: "request")
        }
    }

    /// `service_code`, `status`, `start_date`, `end_date`; without `start_date` the standard's default window, the
    /// last 90 days.
    static func filters(_ request: Request, now: Date) throws -> IncidentQuery {
        let params = request.uri.queryParameters
        var query = IncidentQuery()
        if let codes = params.get("service_code"), !codes.isEmpty { query.categories = codes.split(separator: ",").map(String.init) }
        if let status = params.get("status"), !status.isEmpty {
            var states: [IncidentState] = []
            for s in status.split(separator: ",") {
                switch s {
                case "open": states += IncidentState.openStates
                case "closed": states += IncidentState.allCases.filter { !$0.isOpen }
                default: throw DispatchError(.invalidInput, "status=\(s): Open311 status is open or closed")
                }
            }
            query.states = states
        }
        query.reportedFrom = try date(params.get("start_date"), "start_date") ?? now - 90 * 86_400
        query.reportedTo = try date(params.get("end_date"), "end_date")
        return query
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        await open311(request) { format in
            let principal = try reader(request)
            let name = try Self.fileName(context, what: "service_request_id", example: "requests/{id}.json")
            guard let id = Int64(name) else {
                throw DispatchError(.invalidInput, "'\(name)' is not a service_request_id")
            }
            let incident = try principal.map { try service.incident(id: id, for: $0) } ?? service.publicIncident(id: id)
            return try format.response([entry(incident, mediaURL: try firstPhotos(of: [id], request: request)[id])],
                                       root: "service_requests", item: "request")
        }
    }

    /// The name in a `{name}.json` or `{name}.xml` path segment; other formats are 404 (GeoReport v2 has these two).
    static func fileName(_ context: Context, what: String, example: String) throws -> String {
        let file = context.parameters.get("file") ?? ""
        guard let format = Open311Format.of(file), file.count > format.rawValue.count + 1 else {
            throw DispatchError(.notFound, "'\(file)' names no format: GET /open311/v2/\(example) (\(what)), or .xml for XML")
        }
        return String(file.dropLast(format.rawValue.count + 1))
    }

    /// Each incident's first photo (the report's, else a step's) as an absolute URL on this server, for `media_url`.
    func firstPhotos(of ids: [Int64], request: Request) throws -> [Int64: String] {
        var first: [Int64: String] = [:]
        let base = Self.baseURL(request)
        for media in try service.photos(of: ids) where first[media.incidentID] == nil {
            first[media.incidentID] = base + IncidentView.PhotoView.path(media)
        }
        return first
    }

    /// `http://HOST:PORT` as the client addressed this server (the `Host` header; `X-Forwarded-Proto` for https
    /// behind a proxy).
    static func baseURL(_ request: Request) -> String {
        let scheme = request.headers[.init("X-Forwarded-Proto")!].map { $0.lowercased() == "https" ? "https" : "http" } ?? "http"
        return "\(scheme)://\(request.head.authority ?? "localhost")"
    }

    func entry(_ i: Incident, mediaURL: String? = nil) -> RequestEntry {
        let agency: String = switch i.assigneeKind {
        case .department: service.directory.departments[i.assigneeID]?.name ?? i.assigneeID
        case .staff: "grid \(i.gridID ?? "?") worker \(i.assigneeID)"
        case .village: "village \(i.assigneeID)"
        }
        return RequestEntry(
            serviceRequestId: String(i.id), status: i.state.isOpen ? "open" : "closed",
            statusNotes: i.state.rawValue, serviceName: service.router.rule(for: i.category)?.label ?? i.category,
            serviceCode: i.category, description: i.description, agencyResponsible: agency, serviceNotice: "",
            requestedDatetime: Timestamp.string(i.reportedAt), updatedDatetime: Timestamp.string(i.updatedAt),
            expectedDatetime: Timestamp.string(i.dueAt), address: i.address, addressId: i.buildingID ?? "",
            zipcode: "", lat: i.lat, long: i.lon, mediaUrl: mediaURL ?? "")
    }

    static func date(_ text: String?, _ name: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        guard let d = Timestamp.parse(text) else {
            throw DispatchError(.invalidInput, "\(name)=\(text) is not a W3C/ISO 8601 time such as 2026-01-31T08:00:00Z")
        }
        return d
    }
}

/// The fields of an Open311 `POST requests` body, form-encoded or multipart (apart from HTTP, so they can be tested and
/// fuzzed without a server).
enum Open311Form {
    /// The report of a `POST requests` form (form-encoded fields, or the fields of a multipart body): `service_code`,
    /// `lat`/`long` (or `address_string` when they are absent), `crs`, `description` and the reporter's contact.
    /// Refuses (`invalidInput`) a form without a service code, with coordinates that are not numbers, or with no place.
    static func intakeRequest(form: [String: String], idempotencyKey: String?) throws -> IntakeRequest {
        guard let code = form["service_code"], !code.isEmpty else {
            throw DispatchError(.invalidInput, "service_code is required; GET /open311/v2/services.json lists them")
        }
        // GeoReport v2: lat/long, or address_string when they are absent.
        var location: IntakeRequest.Location? = nil
        let latText = form["lat"] ?? "", longText = form["long"] ?? ""
        if !latText.isEmpty || !longText.isEmpty {
            guard let lat = Double(latText), let long = Double(longText) else {
                throw DispatchError(.invalidInput, "lat=\(latText) long=\(longText): both must be decimal degrees")
            }
            location = .init(x: long, y: lat, crs: form["crs"])
        } else if (form["address_string"] ?? "").isEmpty {
            throw DispatchError(.invalidInput, "give lat and long, or address_string")
        }
        let contact = [form["first_name"], form["last_name"], form["phone"], form["email"]]
            .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return IntakeRequest(
            category: code, description: form["description"] ?? "",
            location: location, address: form["address_string"],
            reporterContact: contact, idempotencyKey: idempotencyKey)
    }

    /// `application/x-www-form-urlencoded`: `+` is a space, `%XX` bytes; the first value of a repeated key wins.
    static func parse(_ body: String) -> [String: String] {
        var form: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            let key = decode(parts[0])
            if form[key] == nil { form[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return form
    }
}
