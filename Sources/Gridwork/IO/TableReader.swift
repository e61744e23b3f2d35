import GeoJSON

/// Reads the CSV tables of an import (households, staff, departments, incidents), checking every row.
/// A bad row becomes an `ImportProblem` naming its file, line and column; reading goes on. Used by the import, the
/// reports (files instead of a database) and the planner (a folder in the sample layout).
public struct TableReader {
    /// The grid ids rows may name (staff).
    public let gridIDs: Set<String>
    /// The building ids rows may name (households, staff); empty: any building id is taken.
    public let buildingIDs: Set<String>

    public init(gridIDs: Set<String>, buildingIDs: Set<String>) {
        self.gridIDs = gridIDs
        self.buildingIDs = buildingIDs
    }

    private func problem(_ table: CSVTable, _ line: Int, _ id: String?, _ field: String?, _ reason: String,
                         _ fix: String) -> ImportProblem {
        ImportProblem(file: table.reader.file, place: "line \(line)", featureID: id, field: field, reason: reason, fix: fix)
    }

    /// Opens a table; a missing file or header becomes a problem rather than an exception.
    private func open(_ path: String, required: [String], _ problems: inout [ImportProblem]) -> (CSVTable, [Int])? {
        do {
            let table = try CSVTable(path: path)
            return (table, try required.map { try table.requireColumn($0) })
        } catch let error as CSVError {
            problems.append(ImportProblem(file: error.file, place: "line \(error.line)", reason: error.message,
                                          fix: "fix the file's header line"))
        } catch {
            problems.append(ImportProblem(file: fileName(path), place: "file", reason: "\(error)", fix: "check the file"))
        }
        return nil
    }

    /// Reads every row, turning CSV syntax errors into problems.
    private func rows(_ table: CSVTable, _ body: (CSVRecord) -> Void) -> ImportProblem? {
        do {
            while let record = try table.next() { body(record) }
            return nil
        } catch let error as CSVError {
            return ImportProblem(file: error.file, place: "line \(error.line)", reason: error.message,
                                 fix: "repair the CSV quoting on that line")
        } catch {
            return ImportProblem(file: table.reader.file, place: "file", reason: "\(error)", fix: "check the file")
        }
    }

    private func field(_ record: CSVRecord, _ index: Int?) -> String {
        guard let index, index < record.fields.count else { return "" }
        return record.fields[index].trimmingCharacters(in: .whitespaces)
    }

    /// Parses a longitude/latitude pair, or says what is wrong with it.
    private func lonLat(_ lonText: String, _ latText: String) -> Result<Position, RowFault> {
        guard let lon = Double(lonText), let lat = Double(latText) else {
            return .failure(RowFault("coordinates are not numbers: lon '\(lonText)', lat '\(latText)'"))
        }
        guard lon.isFinite, lat.isFinite else { return .failure(RowFault("coordinates are not finite: \(lonText), \(latText)")) }
        guard abs(lon) <= 180, abs(lat) <= 90 else {
            return .failure(RowFault("coordinates are not longitude/latitude: (\(lonText), \(latText)) is out of range"))
        }
        return .success(Position(lon, lat))
    }

    public func households(_ path: String, _ problems: inout [ImportProblem]) throws -> [Household] {
        guard let (table, cols) = open(path, required: ["household_id", "address", "residents"], &problems) else { return [] }
        let lonCol = table.index(of: "lon"), latCol = table.index(of: "lat"), buildingCol = table.index(of: "building_id")
        var result: [Household] = []
        var seen: [String: Int] = [:]
        let syntax = rows(table) { r in
            let id = field(r, cols[0])
            guard !id.isEmpty else {
                problems.append(problem(table, r.line, nil, "household_id", "empty household_id", "give every household an id"))
                return
            }
            if let first = seen[id] {
                problems.append(problem(table, r.line, id, "household_id", "duplicate household_id (first on line \(first))",
                                        "give every household its own id"))
                return
            }
            seen[id] = r.line
            guard let residents = Int(field(r, cols[2])), residents >= 0 else {
                problems.append(problem(table, r.line, id, "residents", "residents '\(field(r, cols[2]))' is not a whole number ≥ 0",
                                        "write the number of residents, e.g. 3"))
                return
            }
            var location: Position?
            let lonText = field(r, lonCol), latText = field(r, latCol)
            if !lonText.isEmpty || !latText.isEmpty {
                switch lonLat(lonText, latText) {
                case .success(let p): location = p
                case .failure(let fault):
                    problems.append(problem(table, r.line, id, "lon,lat", fault.reason,
                                            "give WGS84/CGCS2000 longitude and latitude in degrees, or leave both empty"))
                    return
                }
            }
            let building = field(r, buildingCol)
            if !building.isEmpty && !buildingIDs.isEmpty && !buildingIDs.contains(building) {
                problems.append(problem(table, r.line, id, "building_id", "building \(building) is not in the buildings file",
                                        "correct the building id, or leave it empty"))
                return
            }
            result.append(Household(householdID: id, buildingID: building.isEmpty ? nil : building,
                                    address: field(r, cols[1]), location: location, residents: residents))
        }
        if let syntax { problems.append(syntax) }
        return result
    }

    public func staff(_ path: String, _ problems: inout [ImportProblem]) throws -> [StaffMember] {
        guard let (table, cols) = open(path, required: ["staff_id", "role", "name"], &problems) else { return [] }
        let gridCol = table.index(of: "grid_id"), buildingCol = table.index(of: "building_id")
        let phoneCol = table.index(of: "phone"), dutyCol = table.index(of: "on_duty")
        var result: [StaffMember] = []
        var seen: Set<String> = []
        let syntax = rows(table) { r in
            let id = field(r, cols[0])
            guard !id.isEmpty, seen.insert(id).inserted else {
                problems.append(problem(table, r.line, id, "staff_id", id.isEmpty ? "empty staff_id" : "duplicate staff_id",
                                        "give every staff member their own id"))
                return
            }
            guard let role = StaffRole(rawValue: field(r, cols[1])) else {
                problems.append(problem(table, r.line, id, "role", "unknown role '\(field(r, cols[1]))'",
                                        "use one of: " + StaffRole.allCases.map(\.rawValue).joined(separator: ", ")))
                return
            }
            let grid = field(r, gridCol), building = field(r, buildingCol)
            if !grid.isEmpty && !gridIDs.contains(grid) {
                problems.append(problem(table, r.line, id, "grid_id", "grid \(grid) is not in the grids file",
                                        "correct the grid id"))
                return
            }
            if role == .buildingHead && building.isEmpty {
                problems.append(problem(table, r.line, id, "building_id", "a building head needs a building_id",
                                        "name the building this person heads"))
                return
            }
            if role != .buildingHead && grid.isEmpty {
                problems.append(problem(table, r.line, id, "grid_id", "a \(role.rawValue) needs a grid_id",
                                        "name the grid this person works in"))
                return
            }
            if !building.isEmpty && !buildingIDs.isEmpty && !buildingIDs.contains(building) {
                problems.append(problem(table, r.line, id, "building_id", "building \(building) is not in the buildings file",
                                        "correct the building id"))
                return
            }
            let duty = field(r, dutyCol).lowercased()
            result.append(StaffMember(staffID: id, role: role, gridID: grid.isEmpty ? nil : grid,
                                      buildingID: building.isEmpty ? nil : building, name: field(r, cols[2]),
                                      phone: field(r, phoneCol), onDuty: !["0", "false", "no"].contains(duty)))
        }
        if let syntax { problems.append(syntax) }
        return result
    }

    public func departments(_ path: String, _ problems: inout [ImportProblem]) throws -> [Department] {
        guard let (table, cols) = open(path, required: ["department_id", "name", "categories"], &problems) else { return [] }
        var result: [Department] = []
        var seen: Set<String> = []
        let syntax = rows(table) { r in
            let id = field(r, cols[0])
            guard !id.isEmpty, seen.insert(id).inserted else {
                problems.append(problem(table, r.line, id, "department_id", "empty or duplicate department_id",
                                        "give every department its own id"))
                return
            }
            let categories = field(r, cols[2]).split(whereSeparator: { $0 == ";" || $0 == "|" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            result.append(Department(departmentID: id, name: field(r, cols[1]), categories: categories))
        }
        if let syntax { problems.append(syntax) }
        return result
    }

    public func incidents(_ path: String, _ problems: inout [ImportProblem]) throws -> [IncidentRecord] {
        guard let (table, _) = open(path, required: ["reported_at", "category", "lon", "lat"], &problems) else { return [] }
        guard let idCol = table.index(of: "incident_id") ?? table.index(of: "id") else {
            problems.append(ImportProblem(file: table.reader.file, place: "line 1", field: "incident_id",
                                          reason: "missing column 'incident_id' (or 'id')", fix: "add an id column"))
            return []
        }
        let timeCol = table.index(of: "reported_at"), categoryCol = table.index(of: "category")
        let lonCol = table.index(of: "lon"), latCol = table.index(of: "lat")
        let statusCol = table.index(of: "status"), descriptionCol = table.index(of: "description")
        var result: [IncidentRecord] = []
        var seen: Set<String> = []
        let syntax = rows(table) { r in
            let id = field(r, idCol)
            guard !id.isEmpty, seen.insert(id).inserted else {
                problems.append(problem(table, r.line, id, "incident_id", "empty or duplicate incident id",
                                        "give every incident its own id"))
                return
            }
            let time = field(r, timeCol)
            guard let reportedAt = IncidentTime.parse(time) else {
                problems.append(problem(table, r.line, id, "reported_at", "'\(time)' is not an ISO 8601 time",
                                        "write e.g. 2026-03-01T09:30:00+08:00"))
                return
            }
            let status = field(r, statusCol)
            guard let state = status.isEmpty ? .closed : IncidentState(registerStatus: status) else {
                problems.append(problem(table, r.line, id, "status", "'\(status)' is not an incident status",
                                        "write one of " + IncidentState.registerStatuses.joined(separator: ", ")
                                            + " (empty means closed)"))
                return
            }
            switch lonLat(field(r, lonCol), field(r, latCol)) {
            case .failure(let fault):
                problems.append(problem(table, r.line, id, "lon,lat", fault.reason, "give longitude and latitude in degrees"))
            case .success(let p):
                result.append(IncidentRecord(incidentID: id, reportedAt: reportedAt, category: field(r, categoryCol),
                                             location: p, state: state, description: field(r, descriptionCol)))
            }
        }
        if let syntax { problems.append(syntax) }
        return result
    }
}

/// Why one CSV row cannot be used.
struct RowFault: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
