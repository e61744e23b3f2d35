import Foundation

/// The states of the closed loop (事件闭环): reported → dispatched → accepted → in progress → resolved → rated → closed.
///
/// One enum for the dispatch service's incidents and the county's incident history (`IncidentRecord`).
public enum IncidentState: String, Sendable, Codable, CaseIterable {
    case reported, dispatched, accepted
    case inProgress = "in_progress"
    case resolved, rated, closed

    /// Open means someone still owes work: the deadline and escalation apply.
    public var isOpen: Bool {
        switch self {
        case .reported, .dispatched, .accepted, .inProgress: true
        case .resolved, .rated, .closed: false
        }
    }

    /// The states counted as open, for SQL `IN (...)` lists (bound as parameters).
    public static let openStates: [IncidentState] = allCases.filter(\.isOpen)

    /// A status as incident registers write it (`incidents.csv`): a state name, or the register's older words
    /// `handling` (处置中, in progress) and `feedback` (反馈, resolved). Case and surrounding blanks do not matter.
    public init?(registerStatus text: String) {
        let word = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch word {
        case "handling", "in progress": self = .inProgress
        case "feedback": self = .resolved
        default: self.init(rawValue: word)
        }
    }

    /// The status words `init(registerStatus:)` takes, for error messages.
    public static var registerStatuses: [String] { allCases.map(\.rawValue) + ["handling", "feedback"] }
}

/// Times of the county's incident history: read from ISO 8601 text with an offset (`2026-03-01T09:30:00+08:00`
/// or `...Z`), written back in China Standard Time (UTC+8) to whole seconds.
public enum IncidentTime {
    /// The time of `text`, or nil when it is not an ISO 8601 date and time.
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return fastISO8601(trimmed) ?? ISO8601DateFormatter().date(from: trimmed)
    }

    /// `date` as `YYYY-MM-DDTHH:MM:SS+08:00`.
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
        return formatter.string(from: date)
    }
}
