import Crypto
import Foundation
import Gridwork
import GridPostgres

/// API tokens: random secrets shown once, stored only as their SHA-256 (swift-crypto's `SHA256`).
public enum APIToken {
    /// A new token: `gw_` and 43 characters of base64url (32 random bytes from the system generator).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "gw_" + base64
    }

    /// The stored form: lowercase hex of SHA-256 of the token's UTF-8 bytes.
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Creates tokens in the store; used by `gridwork token create` and tests.
public struct TokenIssuer {
    public let store: any IncidentStore
    public let directory: CountyDirectory

    public init(store: any IncidentStore, directory: CountyDirectory) {
        self.store = store
        self.directory = directory
    }

    /// An issuer over a county database: its directory (to check bindings) and its dispatch tables.
    /// A PostgreSQL URL opens the county `county` of that database (its dispatch tables are the county's).
    public static func open(databasePath: String, county: String? = nil) throws -> TokenIssuer {
        let countyStore = try CountyStores.open(db: databasePath, county: county)
        let directory = try CountyDirectory.load(from: countyStore)
        if PostgresLocation.isPostgres(databasePath), let code = countyStore.countyCode {
            return TokenIssuer(store: try PostgresIncidentStore(location: try PostgresLocation(parsing: databasePath),
                                                                countyCode: code, connections: 1),
                               directory: directory)
        }
        return TokenIssuer(store: try SQLiteIncidentStore(path: databasePath, readers: 1), directory: directory)
    }

    /// Checks the role's binding (grid workers need a known staff id, departments a known department id), stores
    /// the hash and returns the token, which is never stored and cannot be shown again.
    public func create(role: TokenRole, staffID: String?, departmentID: String?, label: String = "",
                       now: Date = Date()) throws -> (token: String, tokenID: Int64) {
        switch role {
        case .gridWorker:
            guard let staffID else { throw DispatchError(.invalidInput, "a grid_worker token needs --staff-id (a staff_id from staff.csv)") }
            guard let member = directory.staff[staffID] else {
                throw DispatchError(.invalidInput, "no staff member \(staffID) in the database; `gridwork import --staff` loads them")
            }
            guard member.gridID != nil else {
                throw DispatchError(.invalidInput, "staff member \(staffID) has no grid; a grid_worker token sees the incidents of its grid")
            }
            if departmentID != nil { throw DispatchError(.invalidInput, "--department-id goes with --role department, not grid_worker") }
        case .department:
            guard let departmentID else { throw DispatchError(.invalidInput, "a department token needs --department-id") }
            guard directory.departments[departmentID] != nil else {
                throw DispatchError(.invalidInput, "no department \(departmentID) in the database (known: "
                    + directory.departments.keys.sorted().joined(separator: ", ") + ")")
            }
            if staffID != nil { throw DispatchError(.invalidInput, "--staff-id goes with --role grid_worker, not department") }
        default:
            if staffID != nil || departmentID != nil {
                throw DispatchError(.invalidInput, "--staff-id and --department-id go only with the grid_worker and department roles")
            }
        }
        let token = APIToken.generate()
        let id = try store.createToken(hash: APIToken.hash(token), role: role, staffID: staffID, departmentID: departmentID,
                                       label: label, now: now)
        return (token, id)
    }
}
