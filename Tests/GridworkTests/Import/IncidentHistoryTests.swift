import Foundation
import Testing
@testable import Gridwork

/// The incident history is read once into typed times and states (`IncidentRecord`), and bad rows are refused
/// with their line, field and fix.
@Suite struct IncidentHistoryTests {
    /// The valid grids and villages with `csv` as the incident history.
    func options(_ scratch: Scratch, incidents csv: String) -> ImportOptions {
        var options = ImportOptions(grids: scratch.write("grids.geojson", validGrids()))
        options.villages = scratch.write("villages.geojson", villagesJSON)
        options.incidents = scratch.write("incidents.csv", "incident_id,reported_at,category,lon,lat,status,description\n" + csv)
        return options
    }

    @Test func registerStatusesMapToTheClosedLoopStates() {
        #expect(IncidentState(registerStatus: "handling") == .inProgress)
        #expect(IncidentState(registerStatus: "feedback") == .resolved)
        #expect(IncidentState(registerStatus: " Closed ") == .closed)
        #expect(IncidentState(registerStatus: "in_progress") == .inProgress)
        #expect(IncidentState(registerStatus: "lost") == nil)
        #expect(IncidentTime.parse("2026-03-01T09:30:00+08:00") == IncidentTime.parse("2026-03-01T01:30:00Z"))
        #expect(IncidentTime.string(IncidentTime.parse("2026-03-01T01:30:00Z")!) == "2026-03-01T09:30:00+08:00")
        #expect(IncidentTime.parse("2026-13-01") == nil)
    }

    @Test func importedHistoryComesBackTyped() throws {
        let scratch = Scratch()
        let options = options(scratch, incidents: """
            E1,2026-03-01T09:30:00+08:00,garbage,119.305,29.505,handling,bins full
            E2,2026-03-02T01:00:00Z,garbage,119.315,29.505,,old report
            """)
        let store = try SQLiteCountyStore(path: scratch.db)
        _ = try CountyImporter(options: options).run(into: store)
        let history = try store.incidentHistory()
        #expect(history.map(\.incidentID) == ["E1", "E2"])
        #expect(history.map(\.state) == [.inProgress, .closed], "an empty status is closed")
        #expect(history[0].reportedAt == Date(timeIntervalSince1970: 1_772_328_600))
        #expect(history[1].reportedAt == Date(timeIntervalSince1970: 1_772_413_200))
    }

    @Test func badTimesAndStatusesAreRefusedByLine() throws {
        let scratch = Scratch()
        let options = options(scratch, incidents: """
            E1,2026-03-01T09:30:00+08:00,garbage,119.305,29.505,reported,fine
            E2,2026-03-41T09:30:00+08:00,garbage,119.305,29.505,reported,bad day
            E3,2026-03-01T09:30:00+08:00,garbage,119.305,29.505,lost,bad status
            """)
        let store = try SQLiteCountyStore(path: scratch.db)
        do {
            _ = try CountyImporter(options: options).run(into: store)
            Issue.record("the import was accepted")
        } catch let failed as ImportFailed {
            let problems = failed.problems.filter { $0.severity == .error }
            #expect(problems.map(\.place) == ["line 3", "line 4"])
            #expect(problems.map(\.field) == ["reported_at", "status"])
            #expect(problems[1].fix.contains("handling") && problems[1].fix.contains("in_progress"))
        }
    }
}
