import Foundation
import Gridwork
import GridStore

/// Who owns a category: the grid handles it itself, or the owning department reports for duty
/// ("the grid blows the whistle, departments report for duty", 网格吹哨、部门报到).
public enum CategoryOwner: String, Sendable, Codable {
    case grid, department
}

/// The rule for one incident category, as written in the county's routing file.
public struct CategoryRule: Sendable, Codable, Hashable {
    public var owner: CategoryOwner
    /// For `owner: department`: the department's id. When absent, the department whose `categories` list in the
    /// database holds the category.
    public var department: String?
    /// Hours from report to the deadline of the first level; each escalation grants `escalationStepHours` more.
    public var deadlineHours: Double?
    /// A human label (Open311 `service_name`).
    public var label: String?

    public init(owner: CategoryOwner, department: String? = nil, deadlineHours: Double? = nil, label: String? = nil) {
        self.owner = owner
        self.department = department
        self.deadlineHours = deadlineHours
        self.label = label
    }
}

/// The routing configuration a county edits (`config/routing.json`).
public struct RoutingRules: Sendable, Codable, Hashable {
    /// Deadline for categories without their own.
    public var defaultDeadlineHours: Double
    /// Time granted at each escalation level before the next one.
    public var escalationStepHours: Double
    /// A point this close outside every grid still goes to the nearest grid.
    public var snapMetres: Double
    /// An earlier incident of the same category at the same place (building, or ~50 m cell) within this many days
    /// makes a new one a repeat report.
    public var repeatWindowDays: Double
    /// Categories the county knows, by code. Categories owned by a department in the database and missing here
    /// are routed to that department with the default deadline.
    public var categories: [String: CategoryRule]

    public init(defaultDeadlineHours: Double = 72, escalationStepHours: Double = 24, snapMetres: Double = 30,
                repeatWindowDays: Double = 30, categories: [String: CategoryRule] = [:]) {
        self.defaultDeadlineHours = defaultDeadlineHours
        self.escalationStepHours = escalationStepHours
        self.snapMetres = snapMetres
        self.repeatWindowDays = repeatWindowDays
        self.categories = categories
    }

    enum CodingKeys: String, CodingKey {
        case defaultDeadlineHours, escalationStepHours, snapMetres, repeatWindowDays, categories
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        defaultDeadlineHours = try c.decodeIfPresent(Double.self, forKey: .defaultDeadlineHours) ?? 72
        escalationStepHours = try c.decodeIfPresent(Double.self, forKey: .escalationStepHours) ?? 24
        snapMetres = try c.decodeIfPresent(Double.self, forKey: .snapMetres) ?? 30
        repeatWindowDays = try c.decodeIfPresent(Double.self, forKey: .repeatWindowDays) ?? 30
        categories = try c.decodeIfPresent([String: CategoryRule].self, forKey: .categories) ?? [:]
    }

    /// Reads and checks a routing file. Errors name the file and what to fix.
    public static func load(path: String) throws -> RoutingRules {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StoreError("cannot read the routing rules at \(path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(RoutingRules.self, from: data)
        } catch let error as DecodingError {
            throw StoreError("routing rules \(path): \(DecodingErrorText.describe(error))")
        }
    }

    /// Problems of these rules against a county (unknown departments, bad numbers); empty when usable.
    public func problems(against directory: CountyDirectory) -> [String] {
        var problems: [String] = []
        for (name, value) in [("defaultDeadlineHours", defaultDeadlineHours), ("escalationStepHours", escalationStepHours)]
        where !(value > 0 && value.isFinite) {
            problems.append("\(name) must be a positive number of hours, got \(value)")
        }
        for (code, rule) in categories.sorted(by: { $0.key < $1.key }) {
            if let hours = rule.deadlineHours, !(hours > 0 && hours.isFinite) {
                problems.append("category \(code): deadlineHours must be positive, got \(hours)")
            }
            if rule.owner == .department {
                if let d = rule.department {
                    if directory.departments[d] == nil {
                        problems.append("category \(code): department \(d) is not in the database (known: "
                            + directory.departments.keys.sorted().prefix(10).joined(separator: ", ") + ")")
                    }
                } else if directory.departmentOfCategory[code] == nil {
                    problems.append("category \(code): owner is department but no department lists it; add \"department\": \"D..\"")
                }
            }
        }
        return problems
    }
}

/// What the router needs to know about the county, read once at start-up from the current boundary version.
public struct CountyDirectory: Sendable {
    public struct GridInfo: Sendable, Hashable {
        public var gridID: String
        public var name: String
        public var villageID: String?
        public var townID: String?
    }

    public struct StaffInfo: Sendable, Hashable {
        public var staffID: String
        public var role: StaffRole
        public var gridID: String?
        public var onDuty: Bool
    }

    public var versionID: Int
    public var grids: [String: GridInfo]
    public var villageTown: [String: String]
    /// Staff by grid, full-time first.
    public var staffByGrid: [String: [StaffInfo]]
    public var staff: [String: StaffInfo]
    public var departments: [String: Department]
    public var departmentOfCategory: [String: String]

    public init(versionID: Int, grids: [Grid], villages: [Village], staff: [StaffMember], departments: [Department]) {
        self.versionID = versionID
        self.grids = Dictionary(grids.map {
            ($0.gridID, GridInfo(gridID: $0.gridID, name: $0.name, villageID: $0.villageID, townID: $0.townID))
        }, uniquingKeysWith: { a, _ in a })
        villageTown = Dictionary(villages.compactMap { v in v.townID.map { (v.villageID, $0) } }, uniquingKeysWith: { a, _ in a })
        var byGrid: [String: [StaffInfo]] = [:]
        var all: [String: StaffInfo] = [:]
        for s in staff {
            let info = StaffInfo(staffID: s.staffID, role: s.role, gridID: s.gridID, onDuty: s.onDuty)
            all[s.staffID] = info
            if let g = s.gridID { byGrid[g, default: []].append(info) }
        }
        staffByGrid = byGrid
        self.staff = all
        self.departments = Dictionary(departments.map { ($0.departmentID, $0) }, uniquingKeysWith: { a, _ in a })
        var owner: [String: String] = [:]
        for d in departments.sorted(by: { $0.departmentID < $1.departmentID }) {
            for c in d.categories where owner[c] == nil { owner[c] = d.departmentID }
        }
        departmentOfCategory = owner
    }

    /// Reads the directory from a county database (the newest boundary version).
    public static func load(from store: any CountyStore, version: Int? = nil) throws -> CountyDirectory {
        guard let version = try version ?? store.currentVersionID() else {
            throw StoreError("the database has no grids yet: run `gridwork import --db ... --grids ...` first")
        }
        return CountyDirectory(versionID: version, grids: try store.grids(version: version),
                               villages: try store.villages(version: version), staff: try store.staff(),
                               departments: try store.departments())
    }

    /// Grids of one staff member (a grid worker's token sees these).
    public func gridIDs(ofStaff staffID: String) -> Set<String> {
        staff[staffID]?.gridID.map { [$0] } ?? []
    }
}

/// The decision the router made for one incident, with the reason recorded in its history.
public struct RoutingDecision: Sendable, Hashable {
    public var assigneeKind: AssigneeKind
    public var assigneeID: String
    public var deadlineHours: Double
    public var reason: String
}

/// Routes incidents: the category decides who owns it; among eligible grid workers the one with the fewest open
/// items wins; an empty grid falls back to part-time workers, then the village.
public struct IncidentRouter: Sendable {
    public let rules: RoutingRules
    public let directory: CountyDirectory

    public init(rules: RoutingRules, directory: CountyDirectory) {
        self.rules = rules
        self.directory = directory
    }

    /// Every category code intake accepts, sorted.
    public var knownCategories: [String] {
        Set(rules.categories.keys).union(directory.departmentOfCategory.keys).sorted()
    }

    /// The rule of a category, or nil when the county does not know it.
    public func rule(for category: String) -> CategoryRule? {
        if let rule = rules.categories[category] { return rule }
        if let d = directory.departmentOfCategory[category] { return CategoryRule(owner: .department, department: d) }
        return nil
    }

    /// Staff ids the router may consider for a grid (so the store can count their open items).
    public func candidateStaff(grid: String?) -> [String] {
        guard let grid else { return [] }
        return (directory.staffByGrid[grid] ?? []).filter { $0.onDuty && $0.role != .buildingHead }.map(\.staffID)
    }

    /// Decides. `workload` gives open items per staff id (missing means zero).
    public func route(category: String, gridID: String?, workload: [String: Int]) throws -> RoutingDecision {
        guard let rule = rule(for: category) else {
            throw DispatchError(.invalidInput, "unknown category '\(category)'; known categories: "
                + knownCategories.joined(separator: ", ") + " (GET /open311/v2/services.json lists them)")
        }
        let hours = rule.deadlineHours ?? rules.defaultDeadlineHours
        if rule.owner == .department {
            guard let d = rule.department ?? directory.departmentOfCategory[category] else {
                throw DispatchError(.unprocessable, "category \(category) is owned by a department but none is configured; "
                    + "fix config/routing.json")
            }
            let name = directory.departments[d]?.name ?? d
            return RoutingDecision(assigneeKind: .department, assigneeID: d, deadlineHours: hours,
                                   reason: "category \(category) is owned by department \(d) (\(name))")
        }
        guard let gridID, let grid = directory.grids[gridID] else {
            throw DispatchError(.unprocessable, "category \(category) is handled by the grid, but the location is in no grid")
        }
        let staff = directory.staffByGrid[gridID] ?? []
        func pick(_ role: StaffRole) -> CountyDirectory.StaffInfo? {
            staff.filter { $0.role == role && $0.onDuty }
                .min { (workload[$0.staffID] ?? 0, $0.staffID) < (workload[$1.staffID] ?? 0, $1.staffID) }
        }
        if let worker = pick(.gridWorker) {
            return RoutingDecision(assigneeKind: .staff, assigneeID: worker.staffID, deadlineHours: hours,
                                   reason: "category \(category) is handled by the grid; grid \(gridID) worker \(worker.staffID) "
                                       + "on duty with \(workload[worker.staffID] ?? 0) open items")
        }
        if let worker = pick(.partTimeWorker) {
            return RoutingDecision(assigneeKind: .staff, assigneeID: worker.staffID, deadlineHours: hours,
                                   reason: "category \(category) is handled by the grid; grid \(gridID) has no full-time worker "
                                       + "on duty, part-time worker \(worker.staffID) has the fewest open items (\(workload[worker.staffID] ?? 0))")
        }
        guard let village = grid.villageID else {
            throw DispatchError(.unprocessable, "grid \(gridID) has no worker on duty and no village to fall back to; "
                + "add staff or a village_id to the grid")
        }
        return RoutingDecision(assigneeKind: .village, assigneeID: village, deadlineHours: hours,
                               reason: "category \(category) is handled by the grid; grid \(gridID) has no worker or part-time "
                                   + "worker on duty, so village \(village) takes it")
    }
}
