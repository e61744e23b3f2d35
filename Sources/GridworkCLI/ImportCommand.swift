import ArgumentParser
import Foundation
import GridAddress
import GridStore
import Gridwork
import GridPostgres

/// Options naming the county database, shared by subcommands.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The county database: a SQLite file, or PostgreSQL + PostGIS (postgres://user@host:port/name, postgres:///name?host=/socket/dir, or postgres: with PG* variables; docs/scale.md).")
    var db: String = "county.sqlite"
    @Option(help: "The county's 6-digit administrative division code (e.g. 330182); needed with PostgreSQL when the database holds more than one county (and on its first import).")
    var county: String?

    func validate() throws {
        if let county { _ = try CountyCode.validated(county) }
    }

    /// The county store `--db` names (`create`: a new SQLite file or PostgreSQL schema may be made).
    func open(create: Bool) throws -> any CountyStore {
        try CountyStores.open(db: db, county: county, create: create)
    }
}

/// `gridwork import`: validates and stores a county's layers as a new boundary version, in one transaction.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Validate and import grids (with towns, villages, buildings, households, staff, departments, incidents).",
        discussion: """
            Every bad feature or row is reported with its file, position and the fix; if any error remains, nothing \
            is written. Each import of grids makes a new boundary version; older versions stay readable. \
            Layers not given are carried over from the previous version (towns, villages, buildings) or left as \
            they are (households, staff, departments). Household, staff and department files are full snapshots: \
            they replace what the database held. Polygon files may be GeoJSON or any vector format GDAL reads \
            (Shapefile, zipped too; GeoPackage; KML/KMZ; File Geodatabase; GeoJSONSeq; CSV with WKT; FlatGeobuf); \
            their CRS comes from the file (.prj, GeoPackage SRS) unless --crs is given (docs/formats.md).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Grid polygons (GeoJSON, Shapefile, GeoPackage, KML/KMZ, File Geodatabase, CSV with WKT, ...).")
    var grids: String
    @Option(help: "Town polygons (any format --grids takes).") var towns: String?
    @Option(help: "Village polygons (any format --grids takes).") var villages: String?
    @Option(help: "Building footprints (any format --grids takes).") var buildings: String?
    @Option(help: "Households CSV: household_id,building_id,address,lon,lat,residents.") var households: String?
    @Option(help: "Staff CSV: staff_id,role,grid_id,building_id,name,phone,on_duty.") var staff: String?
    @Option(help: "Departments CSV: department_id,name,categories (separated by ';').") var departments: String?
    @Option(help: "Incident history CSV: incident_id,reported_at,category,lon,lat,status,description.") var incidents: String?
    @Option(name: .customLong("id-field"), help: "Property holding the grid id (else the Feature id).")
    var idField: String = "grid_id"
    @Option(name: .customLong("village-id-field"), help: "Property holding the village id.")
    var villageIDField: String = "village_id"
    @Option(name: .customLong("building-id-field"), help: "Property holding the building id.")
    var buildingIDField: String = "building_id"
    @Option(help: ArgumentHelp(
        "CRS of the polygon files, e.g. EPSG:4549; overrides the file's own (.prj, GeoPackage SRS).",
        discussion: "Without it: the file's CRS; longitude/latitude for GeoJSON, KML and CSV."))
    var crs: String?
    @Option(name: .customLong("layer"), help: ArgumentHelp(
        "The layer of a multi-layer file (GeoPackage, File Geodatabase): ROLE=NAME (grids, towns, villages, " +
            "buildings), or NAME for --grids. Repeatable.",
        discussion: "Without it, a file with one layer gives that layer, else the layer named like the role."))
    var layer: [String] = []
    @Option(help: ArgumentHelp(
        "Text encoding of Shapefile attributes when there is no .cpg: GBK, GB18030, UTF-8, CP936.",
        valueName: "encoding"))
    var encoding: String?
    @Option(name: .customLong("axis-order"), help: ArgumentHelp(
        "easting-first (GIS files, default) or northing-first (surveyors' X = northing).", valueName: "order"))
    var axisOrder: String = "easting-first"
    @Flag(name: .customLong("make-valid"), help: "Repair what can be repaired and report each change.")
    var makeValid = false
    @Flag(name: .customLong("dry-run"), help: "Check everything, write nothing.") var dryRun = false
    @Option(help: "A note stored with the boundary version.") var note: String = ""

    func validate() throws {
        try requireFiles([("--grids", grids), ("--towns", towns), ("--villages", villages), ("--buildings", buildings),
                          ("--households", households), ("--staff", staff), ("--departments", departments),
                          ("--incidents", incidents)])
        _ = try layerChoices()
        if !["easting-first", "northing-first"].contains(axisOrder) {
            throw ValidationError("--axis-order \(axisOrder): say easting-first or northing-first")
        }
    }

    /// `--layer` values by role.
    func layerChoices() throws -> [BoundaryLayer?: String] {
        var choices: [BoundaryLayer?: String] = [:]
        for value in layer {
            guard let equals = value.firstIndex(of: "=") else {
                choices[nil] = value
                continue
            }
            let role = String(value[..<equals]), name = String(value[value.index(after: equals)...])
            let singular = role.hasSuffix("s") ? String(role.dropLast()) : role
            guard let found = BoundaryLayer(rawValue: singular), !name.isEmpty else {
                throw ValidationError("--layer \(value): say ROLE=NAME with ROLE one of grids, towns, villages, " +
                                      "buildings (or just NAME for --grids)")
            }
            choices[found] = name
        }
        return choices
    }

    func run() throws {
        var options = ImportOptions(grids: grids)
        options.towns = towns
        options.villages = villages
        options.buildings = buildings
        options.households = households
        options.staff = staff
        options.departments = departments
        options.incidents = incidents
        options.gridIDField = idField
        options.villageIDField = villageIDField
        options.buildingIDField = buildingIDField
        options.crs = crs
        options.sourceOptions = LayerSourceOptions(layers: try layerChoices(), encoding: encoding,
                                                   northingFirst: axisOrder == "northing-first")
        options.makeValid = makeValid
        options.dryRun = dryRun
        options.note = note

        let store = try database.open(create: true)
        let started = Date()
        do {
            let summary = try CountyImporter(options: options).run(into: store)
            for problem in summary.problems { printError(problem.description) }
            if !summary.householdsByAddress.isEmpty {
                print("households placed by address: " + AddressMatchStatus.allCases.compactMap { s in
                    summary.householdsByAddress[s].map { "\($0) \(s.rawValue)" }
                }.joined(separator: ", "))
            }
            let counts = summary.counts.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
            if summary.dryRun {
                print("dry run: \(counts) would be imported; nothing written (\(seconds) s)")
            } else {
                print("imported boundary version \(summary.versionID ?? 0) into \(storeLabel(database.db, store)): \(counts) (\(seconds) s)")
                print(try store.counts())
            }
        } catch let failed as ImportFailed {
            printError(failed.description)
            throw ExitCode(2)
        } catch let failure as SQLiteError where failure.isStorageFailure {
            // The import is one transaction: SQLite rolled it back, so the database is as it was.
            printError("import refused: nothing was imported into \(database.db), the database is as it was before; \(failure)")
            throw ExitCode(3)
        }
    }
}

/// `gridwork versions`: the boundary versions in a database.
struct VersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions", abstract: "List the boundary versions (generations) of a county database.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.open(create: false)
        for version in try store.versions() {
            print("\(version.versionID)\t\(version.importedAt)\t\(version.source)\t\(version.note)")
        }
        print(try store.counts())
    }
}

/// Refuses a command whose named input files do not exist, naming the option and the path.
func requireFiles(_ options: [(flag: String, path: String?)]) throws {
    for (flag, path) in options {
        // GDAL's virtual paths (/vsizip/..., /vsicurl/...) are checked by GDAL when opened.
        if let path, !path.hasPrefix("/vsi"), !(flag == "--db" && PostgresLocation.isPostgres(path)),
           !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(flag) \(path): no such file")
        }
    }
}

/// The database and, with PostgreSQL, the county (for messages), without a password.
func storeLabel(_ db: String, _ store: any CountyStore) -> String {
    guard let code = store.countyCode else { return db }
    let location = (try? PostgresLocation(parsing: db)).map(\.description) ?? "PostgreSQL"
    return "county \(code) of \(location)"
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
