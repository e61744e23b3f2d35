import Foundation
import GeoJSON
import GridPostgres

/// The county database, whichever engine holds it: a SQLite file (`SQLiteCountyStore`, the default `--db`) or a
/// PostgreSQL + PostGIS database holding many counties (`PostgresCountyStore`, `--db postgres://…`, one county
/// selected by its 6-digit code). Domain code (geocoding, coverage, workload, export, planning, import) takes
/// `any CountyStore` and does not know which engine it has; `CountyStores.open` picks the implementation from the
/// `--db` value.
///
/// Reading: boundary versions and, for one version (the newest when nil), towns, villages, grids and buildings;
/// people and incident history (not versioned); counts. Writing: `write(_:)` stores one county's import as one
/// transaction: a new boundary version, layers not given carried over from the previous version, people replaced
/// when given, incident history upserted. Either all of it is stored or nothing is.
///
/// Use one store from one thread or task at a time (both implementations own one connection and one GEOS context).
public protocol CountyStore: AnyObject {
    /// "SQLite" or "PostgreSQL" (messages, reports).
    var engine: String { get }
    /// The county this store reads and writes (administrative division code, e.g. 330182); nil for a SQLite file.
    var countyCode: String? { get }

    /// All boundary versions of the county, oldest first.
    func versions() throws -> [BoundaryVersion]
    /// The newest boundary version, or nil before the first import.
    func currentVersionID() throws -> Int?
    /// `version` checked to exist, or the newest one; a clear error when there is none.
    func resolve(_ version: Int?) throws -> Int

    func towns(version: Int?) throws -> [Town]
    func villages(version: Int?) throws -> [Village]
    func grids(version: Int?) throws -> [Grid]
    func buildings(version: Int?) throws -> [Building]
    func households() throws -> [Household]
    func staff() throws -> [StaffMember]
    func departments() throws -> [Department]
    func incidentHistory() throws -> [IncidentRecord]
    /// Counts for the current boundary version.
    func counts() throws -> CountyCounts

    /// Stores one county import in one transaction and returns the new boundary version's id.
    func write(_ batch: CountyImportBatch) throws -> Int
}

extension CountyStore {
    public func towns() throws -> [Town] { try towns(version: nil) }
    public func villages() throws -> [Village] { try villages(version: nil) }
    public func grids() throws -> [Grid] { try grids(version: nil) }
    public func buildings() throws -> [Building] { try buildings(version: nil) }
}

/// One county's validated import, ready to store. A layer or table left nil is not replaced: boundary layers are
/// carried over from the previous version, people and departments stay as they are.
public struct CountyImportBatch: Sendable {
    /// The files the boundaries came from (stored with the version).
    public var source: String
    public var note: String
    public var towns: [Town]?
    public var villages: [Village]?
    public var grids: [Grid]
    public var buildings: [Building]?
    public var households: [Household]?
    public var staff: [StaffMember]?
    public var departments: [Department]?
    /// Upserted by incident id (history is kept across imports).
    public var incidents: [IncidentRecord]?

    public init(source: String, note: String, grids: [Grid]) {
        self.source = source
        self.note = note
        self.grids = grids
    }
}

/// Administrative division codes (行政区划代码) of counties: six digits, e.g. 330182 (建德市), 320481 (溧阳市).
public enum CountyCode {
    /// `code` when it is six ASCII digits; otherwise a `StoreError` saying what is wrong and how to fix it.
    public static func validated(_ code: String, option: String = "--county") throws -> String {
        guard code.utf8.count == 6, code.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw StoreError("\(option) \(code.isEmpty ? "(empty)" : code) is not a county code: give the 6-digit "
                             + "administrative division code, e.g. 330182 for 建德市 or 320481 for 溧阳市")
        }
        return code
    }
}

/// Opening a county store from a `--db` value.
public enum CountyStores {
    /// A SQLite path opens `SQLiteCountyStore` (`county`, when given, is only checked to be 6 digits: the file is
    /// one county). A `postgres:`/`postgresql:` URL opens `PostgresCountyStore` for `county`, which may be left out
    /// while the database holds at most one county. `create`: a missing SQLite file, or the PostgreSQL schema, may
    /// be created (import does; the reading commands do not).
    public static func open(db: String, county: String? = nil, create: Bool = false) throws -> any CountyStore {
        let code = try county.map { try CountyCode.validated($0) }
        if PostgresLocation.isPostgres(db) {
            return try PostgresCountyStore(location: try PostgresLocation(parsing: db), county: code, create: create)
        }
        return try SQLiteCountyStore(path: db, create: create)
    }
}

/// One import of boundaries (a "generation", as MapIt calls it).
public struct BoundaryVersion: Sendable, Hashable {
    public var versionID: Int
    public var importedAt: String
    public var source: String
    public var note: String
}

/// How much of each kind the database holds (for the current boundary version).
public struct CountyCounts: Sendable, Hashable, CustomStringConvertible {
    public var versionID: Int?
    public var towns = 0
    public var villages = 0
    public var grids = 0
    public var buildings = 0
    public var households = 0
    public var residents = 0
    public var staff = 0
    public var departments = 0
    public var incidents = 0

    public var description: String {
        "boundary version \(versionID.map(String.init) ?? "none"): \(towns) towns, \(villages) villages, \(grids) grids, " +
            "\(buildings) buildings; \(households) households (\(residents) residents), \(staff) staff, " +
            "\(departments) departments, \(incidents) incidents"
    }
}


/// A store-level error with the fix in its message.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
