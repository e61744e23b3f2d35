import GeoJSON

/// A household of the sample county. `gridID` is the grid it was generated in: the truth geocoding is tested against.
public struct SampleHousehold: Sendable, Hashable {
    public var id: String
    public var buildingID: String
    public var gridID: String
    /// Synthetic Chinese-style address, e.g. "建德市安宁镇东山村3组12号".
    public var address: String
    /// A point inside the household's building (WGS84, 7 decimals).
    public var lon: Double
    public var lat: Double
    /// 1 to 6.
    public var residents: Int
}

/// A member of staff. Names and phones are synthetic (phones in the 1380000xxxx block) and marked so.
public struct SampleStaff: Sendable, Hashable {
    /// The role of a member of staff; its raw values are the `role` column of staff.csv, which Gridwork's own
    /// `StaffRole` reads (this module does not depend on Gridwork, so the sample keeps its own nested enum).
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// Full-time grid worker (专职网格员), one per grid.
        case gridWorker = "grid_worker"
        /// Part-time grid worker (兼职网格员), about three per grid.
        case partTimeWorker = "part_time_worker"
        /// Building head (楼长), one per urban building.
        case buildingHead = "building_head"
    }

    public var id: String
    public var role: Role
    /// The grid worked in (for building heads, the grid of their building).
    public var gridID: String
    /// Set for building heads only.
    public var buildingID: String
    public var name: String
    public var phone: String
    public var onDuty: Bool
    /// Always true: no real person is described.
    public var synthetic: Bool { true }
}

/// A county department (职能部门) and the incident categories it owns.
public struct SampleDepartment: Sendable, Hashable {
    public var id: String
    public var nameZh: String
    public var nameEn: String
    public var categories: [String]

    /// Chinese and English, e.g. "生态环境局 Environment".
    public var name: String { nameZh + " " + nameEn }
}

/// An incident reported in the county during the preset's year.
public struct SampleIncident: Sendable, Hashable {
    public var id: String
    /// ISO 8601 with the China offset, e.g. "2025-03-14T09:27:13+08:00".
    public var reportedAt: String
    public var category: String
    public var lon: Double
    public var lat: Double
    /// The grid the point lies in (truth).
    public var gridID: String
    /// One of reported, dispatched, accepted, handling, feedback, rated, closed.
    public var status: String
    public var description: String
}

/// A generated county: features (towns, villages, grids, buildings) and records (households, staff, departments,
/// incidents). Geometry coordinates have at most 7 decimals, so GeoJSON written at precision 7 reads back equal.
public struct SampleCounty: Sendable {
    public var preset: SamplePreset
    public var seed: UInt64
    public var countyName: String
    /// The whole county as one feature (id "county").
    public var county: Feature
    public var towns: [Feature]
    public var villages: [Feature]
    public var grids: [Feature]
    public var buildings: [Feature]
    public var households: [SampleHousehold]
    public var staff: [SampleStaff]
    public var departments: [SampleDepartment]
    public var incidents: [SampleIncident]
    /// Addresses written as registers and callers write them, each with its building and what a matcher must
    /// answer (`address-variants.csv`).
    public var addressVariants: [SampleAddressVariant]
    /// Old names of some villages (`address-aliases.csv`: alias,name), used by the `old_name` variants.
    public var addressAliases: [(alias: String, name: String)]
    /// The faults planted into the `imperfect` preset (none for the others); written to faults.csv.
    public var faults: [PlantedFault] = []
    /// The county's administrative division codes when it belongs to a synthetic province (`SampleProvince`);
    /// nil for the presets.
    public var division: SampleDivision? = nil

    /// The lattice the regions are made of, and the grid index (into `grids`) of each cell (-1 outside):
    /// kept for the tiling tests.
    let lattice: Lattice
    let cellGrid: [Int32]
}
