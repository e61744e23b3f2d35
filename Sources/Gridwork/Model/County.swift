import Foundation
import GeoJSON

/// The layers of the county hierarchy that carry polygons: county → town (乡镇/街道) → village (村/社区)
/// → grid (网格) → building (楼栋).
public enum BoundaryLayer: String, Sendable, CaseIterable, Codable {
    case town, village, grid, building

    /// The property that names a feature's own id in this layer (`grid_id`, ...).
    public var idProperty: String { "\(rawValue)_id" }

    /// The layer's usual file name in a sample folder.
    public var defaultFileName: String { "\(rawValue)s.geojson" }
}

/// A town or street (乡镇/街道).
public struct Town: Sendable, Hashable {
    public var townID: String
    public var name: String
    public var geometry: Geometry

    public init(townID: String, name: String, geometry: Geometry) {
        self.townID = townID
        self.name = name
        self.geometry = geometry
    }
}

/// A village or urban community (村/社区). Grids tile their village exactly ("村网合一").
public struct Village: Sendable, Hashable {
    public var villageID: String
    public var townID: String?
    public var name: String
    public var geometry: Geometry

    public init(villageID: String, townID: String?, name: String, geometry: Geometry) {
        self.villageID = villageID
        self.townID = townID
        self.name = name
        self.geometry = geometry
    }
}

/// A grid (网格): the polygon one full-time grid worker answers for.
public struct Grid: Sendable, Hashable {
    public var gridID: String
    public var villageID: String?
    public var townID: String?
    public var name: String
    public var geometry: Geometry
    /// Every other property of the source feature, as JSON text, kept so exports can give it back.
    public var extraProperties: String

    public init(gridID: String, villageID: String?, townID: String?, name: String, geometry: Geometry,
                extraProperties: String = "{}") {
        self.gridID = gridID
        self.villageID = villageID
        self.townID = townID
        self.name = name
        self.geometry = geometry
        self.extraProperties = extraProperties
    }
}

/// A building footprint (楼栋): an urban block with a building head (楼长), or a rural house compound.
public struct Building: Sendable, Hashable {
    public var buildingID: String
    public var gridID: String?
    public var villageID: String?
    public var kind: String
    public var floors: Int?
    /// The door-plate address (门牌地址), e.g. "建德市新安江街道府东社区严州大道18号锦绣花园3幢"; nil when the layer has
    /// none. Households and incidents without coordinates are placed by it (`GridAddress.AddressMatcher`).
    public var address: String?
    public var geometry: Geometry

    public init(buildingID: String, gridID: String?, villageID: String?, kind: String, floors: Int?,
                address: String? = nil, geometry: Geometry) {
        self.buildingID = buildingID
        self.gridID = gridID
        self.villageID = villageID
        self.kind = kind
        self.floors = floors
        self.address = address
        self.geometry = geometry
    }
}

/// A household (户). Only what the job needs: an address, a location when known, and the number of residents.
/// No names or ID numbers are stored.
public struct Household: Sendable, Hashable {
    public var householdID: String
    public var buildingID: String?
    public var address: String
    public var location: Position?
    public var residents: Int

    public init(householdID: String, buildingID: String?, address: String, location: Position?, residents: Int) {
        self.householdID = householdID
        self.buildingID = buildingID
        self.address = address
        self.location = location
        self.residents = residents
    }
}

/// The roles of grid staff.
public enum StaffRole: String, Sendable, CaseIterable, Codable {
    /// 专职网格员: one full-time worker per grid.
    case gridWorker = "grid_worker"
    /// 兼职网格员: about three part-time helpers per grid.
    case partTimeWorker = "part_time_worker"
    /// 楼长: one volunteer per urban building.
    case buildingHead = "building_head"
}

/// A member of the grid staff.
public struct StaffMember: Sendable, Hashable {
    public var staffID: String
    public var role: StaffRole
    public var gridID: String?
    public var buildingID: String?
    public var name: String
    public var phone: String
    public var onDuty: Bool

    public init(staffID: String, role: StaffRole, gridID: String?, buildingID: String?, name: String, phone: String,
                onDuty: Bool) {
        self.staffID = staffID
        self.role = role
        self.gridID = gridID
        self.buildingID = buildingID
        self.name = name
        self.phone = phone
        self.onDuty = onDuty
    }
}

/// A functional department (职能部门) owning incident categories.
public struct Department: Sendable, Hashable {
    public var departmentID: String
    public var name: String
    public var categories: [String]

    public init(departmentID: String, name: String, categories: [String]) {
        self.departmentID = departmentID
        self.name = name
        self.categories = categories
    }
}

/// A reported incident (事件), as imported from history or taken in by the dispatch service.
public struct IncidentRecord: Sendable, Hashable {
    public var incidentID: String
    public var reportedAt: Date
    public var category: String
    public var location: Position
    /// Where the incident stands in the closed loop; reports count every state but `closed` as open.
    public var state: IncidentState
    public var description: String

    public init(incidentID: String, reportedAt: Date, category: String, location: Position, state: IncidentState,
                description: String) {
        self.incidentID = incidentID
        self.reportedAt = reportedAt
        self.category = category
        self.location = location
        self.state = state
        self.description = description
    }
}
