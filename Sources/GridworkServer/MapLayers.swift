import Foundation
import GeoJSON
import Gridwork
import GridworkDispatch
import OrderedCollections

/// The read-only GeoJSON layers the map page uses.
enum MapLayers {
    /// Current grids with id, name, village, town and the number of on-duty workers (full- and part-time).
    static func grids(_ grids: [Grid], directory: CountyDirectory) -> String {
        let features = grids.map { g -> Feature in
            let staff = directory.staffByGrid[g.gridID] ?? []
            let full = staff.filter { $0.role == .gridWorker && $0.onDuty }.count
            let part = staff.filter { $0.role == .partTimeWorker && $0.onDuty }.count
            let properties: OrderedDictionary<String, JSONValue> = [
                "grid_id": .string(g.gridID), "name": .string(g.name),
                "village_id": g.villageID.map(JSONValue.string) ?? .null, "town_id": g.townID.map(JSONValue.string) ?? .null,
                "worker_count": .number(Double(full + part)), "full_time_workers": .number(Double(full)),
                "part_time_workers": .number(Double(part)),
            ]
            return Feature(id: .string(g.gridID), geometry: g.geometry, properties: properties)
        }
        return GeoJSONEncoder.encodeCollection(features)
    }

    /// Incidents as points (longitude/latitude) with their state, category, grid, assignee, deadline and last change.
    static func incidents(_ incidents: [Incident]) -> String {
        GeoJSONEncoder.encodeCollection(incidents.map(incidentFeature), options: GeoJSONWriteOptions(featureBBox: false))
    }

    /// One incident as `incidents` writes it (also each incident of the live feed, `GET /api/v1/events`).
    static func incidentFeature(_ i: Incident) -> Feature {
        let properties: OrderedDictionary<String, JSONValue> = [
            "id": .number(Double(i.id)), "category": .string(i.category), "state": .string(i.state.rawValue),
            "grid_id": i.gridID.map(JSONValue.string) ?? .null, "village_id": i.villageID.map(JSONValue.string) ?? .null,
            "town_id": i.townID.map(JSONValue.string) ?? .null, "assignee_kind": .string(i.assigneeKind.rawValue),
            "assignee_id": .string(i.assigneeID),
            "escalation_level": .string(i.escalationLevel.name), "reported_at": .string(Timestamp.string(i.reportedAt)),
            "deadline_at": .string(Timestamp.string(i.deadlineAt)), "due_at": .string(Timestamp.string(i.dueAt)),
            "updated_at": .string(Timestamp.string(i.updatedAt)),
        ]
        return Feature(id: .number(Double(i.id)), geometry: .point(Position(i.lon, i.lat)), properties: properties)
    }
}

/// The grids layer of the boundary version a service serves, made again when the service moves to a newer version.
final class GridsGeoJSON: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: (version: Int, text: String)?

    func text(_ service: DispatchService) -> String {
        let (router, geocoder) = (service.router, service.geocoder)
        let version = router.directory.versionID
        if let cached = lock.withLock({ cached }), cached.version == version { return cached.text }
        let text = MapLayers.grids(geocoder.grids, directory: router.directory)
        lock.withLock { cached = (version, text) }
        return text
    }
}
