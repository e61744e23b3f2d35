import GridStore

/// Who may see which incidents: the one rule behind both `Principal.canSee` (one incident, in memory) and the
/// store's listing filter (SQL). Each condition is written once with both of its forms side by side, so the two
/// cannot drift apart (a test checks they agree for every role).
public enum IncidentVisibility: Sendable, Hashable {
    /// Every incident (dispatchers, planners, admins).
    case everything
    /// The incidents that meet at least one of the conditions; none means no incident at all.
    case anyOf([Condition])

    public enum Condition: Sendable, Hashable {
        /// Reported with this token.
        case reportedBy(tokenID: Int64)
        /// Located in one of these grids.
        case inGrids(Set<String>)
        /// Assigned to this staff member, department or village.
        case assignedTo(AssigneeKind, String)

        /// Whether `incident` meets the condition.
        public func admits(_ incident: Incident) -> Bool {
            switch self {
            case .reportedBy(let tokenID): incident.reporterTokenID == tokenID
            case .inGrids(let grids): incident.gridID.map(grids.contains) == true
            case .assignedTo(let kind, let id): incident.assigneeKind == kind && incident.assigneeID == id
            }
        }

        /// The same condition over the columns of `dispatch_incident`, with its parameters.
        var sql: (text: String, parameters: [SQLiteValue]) {
            switch self {
            case .reportedBy(let tokenID):
                ("reporter_token_id = ?", [.integer(tokenID)])
            case .inGrids(let grids) where grids.isEmpty:
                ("0", [])
            case .inGrids(let grids):
                ("grid_id IN (" + Array(repeating: "?", count: grids.count).joined(separator: ",") + ")",
                 grids.sorted().map { .text($0) })
            case .assignedTo(let kind, let id):
                ("(assignee_kind = ? AND assignee_id = ?)", [.text(kind.rawValue), .text(id)])
            }
        }
    }

    /// Whether `incident` is visible.
    public func admits(_ incident: Incident) -> Bool {
        switch self {
        case .everything: true
        case .anyOf(let conditions): conditions.contains { $0.admits(incident) }
        }
    }

    /// The SQL `WHERE` term of the same rule, or nil when everything is visible.
    var sql: (text: String, parameters: [SQLiteValue])? {
        switch self {
        case .everything:
            return nil
        case .anyOf(let conditions):
            guard !conditions.isEmpty else { return ("0", []) }
            let parts = conditions.map(\.sql)
            return ("(" + parts.map(\.text).joined(separator: " OR ") + ")", parts.flatMap(\.parameters))
        }
    }
}

extension Principal {
    /// What this caller may see: everything for the dispatch centre and planners; for a reporting app its own
    /// reports; for a grid worker the incidents of their grids and those assigned to them; for a department those
    /// assigned to it.
    public var visibility: IncidentVisibility {
        switch role {
        case .dispatcher, .planner, .admin:
            .everything
        case .reporter:
            .anyOf([.reportedBy(tokenID: tokenID)])
        case .gridWorker:
            .anyOf([.inGrids(gridIDs)] + (staffID.map { [.assignedTo(.staff, $0)] } ?? []))
        case .department:
            .anyOf(departmentID.map { [.assignedTo(.department, $0)] } ?? [])
        }
    }
}
