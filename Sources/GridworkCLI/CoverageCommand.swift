import ArgumentParser
import Foundation
import Gridwork

/// Where a report reads the county from: a database, or files.
struct CountyInputOptions: ParsableArguments {
    @Option(help: "County database (instead of --grids): a SQLite file or a PostgreSQL URL (postgres://...).") var db: String?
    @Option(help: "Boundary version in --db (default: the newest).") var version: Int?
    @Option(help: "Grid polygons (GeoJSON, or any GIS format GDAL reads: docs/formats.md).") var grids: String?
    @Option(help: "Village polygons (any format --grids takes); gaps are measured per village.") var villages: String?
    @Option(help: "With --grids: the county outline (any format --grids takes), for gaps when there are no villages. With a PostgreSQL --db: the county's 6-digit code (e.g. 330182).") var county: String?
    @Option(help: "Town polygons (any format --grids takes).") var towns: String?
    @Option(help: "Building footprints (any format --grids takes).") var buildings: String?
    @Option(help: "Households (CSV: household_id, address, residents, lon, lat, building_id).") var households: String?
    @Option(help: "Staff (CSV: staff_id, role, name, grid_id, building_id, on_duty).") var staff: String?
    @Option(help: "Incidents (CSV: incident_id, reported_at, category, lon, lat, status).") var incidents: String?

    func validate() throws {
        if (grids == nil) == (db == nil) { throw ValidationError("give either --db FILE or --grids FILE") }
        if db != nil, [villages, towns, buildings, households, staff, incidents].contains(where: { $0 != nil }) {
            throw ValidationError("--db reads every layer from the database; leave out the file options")
        }
        if db != nil, let county { _ = try CountyCode.validated(county) }
        try requireFiles([("--db", db), ("--grids", grids), ("--villages", villages), ("--county", db == nil ? county : nil),
                          ("--towns", towns), ("--buildings", buildings), ("--households", households),
                          ("--staff", staff), ("--incidents", incidents)])
    }

    func load() throws -> CountyLayers {
        do {
            if let db {
                return try CountyLayers.load(store: try CountyStores.open(db: db, county: county), version: version)
            }
            return try CountyLayers.load(files: CountyFiles(
                grids: grids!, county: county, towns: towns, villages: villages, buildings: buildings,
                households: households, staff: staff, incidents: incidents))
        } catch let failed as ImportFailed {
            printError(failed.description)
            throw ExitCode(2)
        }
    }
}

/// `gridwork coverage`: gaps, overlaps and the other checks of the grid layer.
struct CoverageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Check that grids tile the county: gaps, overlaps, invalid grids, buildings and households.",
        discussion: """
            Writes OUT/coverage.json, gaps.geojson, overlaps.geojson, problems.geojson and coverage.md. Areas are \
            square metres on the WGS84 ellipsoid. Gaps and overlaps narrower than --tolerance-metres are slivers, \
            listed apart. See docs/reports.md.
            """
    )

    @OptionGroup var input: CountyInputOptions
    @Option(help: "Output folder.") var out: String
    @Option(name: .customLong("tolerance-metres"), help: "Gaps and overlaps narrower than this are slivers.")
    var toleranceMetres: Double = 0.5

    func validate() throws {
        if !(toleranceMetres >= 0) || !toleranceMetres.isFinite { throw ValidationError("--tolerance-metres must be ≥ 0") }
    }

    func run() throws {
        let started = Date()
        let layers = try input.load()
        let loaded = Date()
        let report = try CoverageReport.compute(layers, options: CoverageOptions(toleranceMetres: toleranceMetres))
        let computed = Date()
        try ReportOutput.write(report, layers: layers, to: out)
        print(String(format: "coverage of %d grids: %d gaps (%.1f m²), %d overlaps (%.1f m²), %d slivers, %d invalid, " +
                     "%d buildings not within one grid, %d households outside every grid; computed in %.2f s " +
                     "(+%.2f s loading) → %@",
                     report.grids, report.gaps.count, report.gapAreaM2, report.overlaps.count, report.overlapAreaM2,
                     report.sliverGaps.count + report.sliverOverlaps.count, report.invalidGrids.count,
                     report.buildingsNotWithinOneGrid.count, report.householdsOutsideEveryGrid.count,
                     computed.timeIntervalSince(loaded), loaded.timeIntervalSince(started), out))
    }
}
