import Foundation
import GeoJSON

/// One thing wrong (or repaired) in an input file, said so that a person can find it and fix it.
public struct ImportProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        /// The feature or row cannot be imported; the import fails.
        case error
        /// `--make-valid` changed the feature; the import goes on and says what it changed.
        case repaired
        /// Worth a look, does not stop the import.
        case warning
    }

    public var severity: Severity
    /// The input file name, e.g. "grids.geojson".
    public var file: String
    /// Where in the file: "feature #3 at line 40, column 5" or "line 17".
    public var place: String
    /// The feature or row id when known.
    public var featureID: String?
    /// The property, column or JSON path concerned, when there is one.
    public var field: String?
    /// What is wrong.
    public var reason: String
    /// How to fix it.
    public var fix: String

    public init(severity: Severity = .error, file: String, place: String, featureID: String? = nil, field: String? = nil,
                reason: String, fix: String) {
        self.severity = severity
        self.file = file
        self.place = place
        self.featureID = featureID
        self.field = field
        self.reason = reason
        self.fix = fix
    }

    public var description: String {
        var text = "\(severity.rawValue): \(file) \(place)"
        if let featureID { text += " (id \(featureID))" }
        if let field { text += " [\(field)]" }
        text += ": \(reason)"
        if !fix.isEmpty { text += ". Fix: \(fix)" }
        return text
    }
}

/// Layers or tables that were refused: an import (nothing was written), or the files a report, the planner or the
/// geocoder was to read. Carries every problem found, not just the first, and what was being done.
public struct ImportFailed: Error, Sendable, CustomStringConvertible {
    /// What the refused input was for; it opens the message.
    public enum Purpose: Sendable, Hashable {
        /// `gridwork import` or `plan apply`: nothing was written to the database.
        case `import`
        /// Files a coverage or workload report (or an export) reads instead of a database.
        case report
        /// A county the planner reads from a folder or a proposal.
        case planning
        /// Grids and buildings the geocoder locates points in.
        case geocoding

        /// The first words of the message.
        public var refusal: String {
            switch self {
            case .import: "import refused"
            case .report: "cannot load the layers for the report"
            case .planning: "cannot load the county for planning"
            case .geocoding: "cannot load the grids and buildings to geocode against"
            }
        }
    }

    public var problems: [ImportProblem]
    public var purpose: Purpose

    public init(problems: [ImportProblem], purpose: Purpose = .import) {
        self.problems = problems
        self.purpose = purpose
    }

    public var description: String {
        let errors = problems.filter { $0.severity == .error }
        var head = "\(purpose.refusal): \(errors.count) error(s)"
        if purpose == .import { head += "; nothing was written to the database" }
        var lines = [head]
        lines += problems.prefix(200).map(\.description)
        if problems.count > 200 { lines.append("... and \(problems.count - 200) more") }
        return lines.joined(separator: "\n")
    }
}

/// Formats a coordinate pair for messages.
func describe(_ p: Position) -> String {
    "(\(formatCoordinate(p.x)), \(formatCoordinate(p.y)))"
}

func formatCoordinate(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    var text = String(format: "%.7f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
