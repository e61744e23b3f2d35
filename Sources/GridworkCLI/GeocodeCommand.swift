import ArgumentParser
import Foundation
import GridAddress
import Gridwork
import GridProjection

/// `gridwork geocode`: which grid and building contains each point of a CSV file.
struct GeocodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geocode",
        abstract: "Locate households or incidents (CSV points) in their grid and building.",
        discussion: """
            Input: a CSV with a header holding `id` and `lon,lat` (geographic) or `x,y` (projected). Output: \
            id,grid_id,building_id,status plus the input's other columns, in input order. Status is inside, \
            boundary (on an edge or vertex shared by grids), overlap (inside two grids: a data error), outside, \
            snapped (outside but within --snap-metres of a grid) or invalid (the row could not be read). \
            A point covered by several grids goes to the grid with the lowest id (string order); \
            likewise the building. The id column is `id`, or a first column named like household_id. \
            Invalid rows are listed on standard error with their line numbers; the others still go through.

            Rows with an `address` column (门牌地址) and no coordinates are placed by address when the buildings \
            carry door-plate addresses: status `address` (or `unplaced`, listed with the reason), and the columns \
            match (exact, building, road_number, village, ambiguous, none), score and matched_address after status. \
            --check-address also matches rows that have coordinates and lists where the address names another \
            building than the point lies in. See docs/addresses.md.
            """
    )

    @Option(help: "Grid polygons (GeoJSON), instead of --db.") var grids: String?
    @Option(help: "Building footprints (GeoJSON), with --grids.") var buildings: String?
    @Option(help: "County database, instead of --grids: a SQLite file or a PostgreSQL URL (postgres://...).") var db: String?
    @Option(help: "With a PostgreSQL --db: the county's 6-digit code (e.g. 330182).") var county: String?
    @Option(help: "Boundary version in --db (default: the newest).") var version: Int?
    @Option(help: "The points CSV.") var points: String
    @Option(help: "CRS of the points: EPSG:4326 (default), EPSG:4490, EPSG:45xx, GCJ02, BD09, ...")
    var crs: String = "EPSG:4326"
    @Option(help: "Output CSV (default: POINTS.geocoded.csv beside the input).") var out: String?
    @Option(name: .customLong("snap-metres"), help: "Name the nearest grid for points this close outside every grid.")
    var snapMetres: Double = 0
    @Option(help: "Threads to use (default: every core).") var threads: Int = 0
    @Option(name: .customLong("block-kib"), help: .hidden) var blockKiB: Int = 4_096
    @Option(name: .customLong("address-column"), help: "Column with the address, for rows without coordinates.")
    var addressColumn: String = "address"
    @Option(help: "Address aliases: CSV with columns alias,name (old or short names of villages, roads, estates).")
    var aliases: String?
    @Flag(name: .customLong("check-address"), help: "Also match rows that have coordinates; list address/point disagreements.")
    var checkAddress = false
    @Flag(name: .customLong("no-address"), help: "Do not place rows by address (rows without coordinates are invalid).")
    var noAddress = false

    func validate() throws {
        if (grids == nil) == (db == nil) { throw ValidationError("give either --grids FILE or --db FILE") }
        if buildings != nil && grids == nil { throw ValidationError("--buildings goes with --grids") }
        if let county {
            if db == nil { throw ValidationError("--county goes with --db") }
            _ = try CountyCode.validated(county)
        }
        if snapMetres < 0 || !snapMetres.isFinite { throw ValidationError("--snap-metres must be ≥ 0") }
        if threads < 0 { throw ValidationError("--threads must be ≥ 0 (0: every core)") }
        if checkAddress && noAddress { throw ValidationError("--check-address and --no-address exclude each other") }
        try requireFiles([("--points", points), ("--grids", grids), ("--buildings", buildings), ("--db", db),
                          ("--aliases", aliases)])
    }

    func run() throws {
        let system: CoordinateReferenceSystem
        do {
            system = try CoordinateReferenceSystem(parsing: crs)
        } catch {
            throw ValidationError("--crs \(crs): \(error)")
        }
        let started = Date()
        let gridList: [Grid]
        let buildingList: [Building]
        do {
            if let grids {
                (gridList, buildingList) = try LayerReader(policy: .strict, purpose: .geocoding).read { reader, problems in
                    (reader.grids(grids, problems: &problems),
                     buildings.map { reader.buildings($0, problems: &problems) } ?? [])
                }
            } else {
                let store = try CountyStores.open(db: db!, county: county)
                gridList = try store.grids(version: version)
                buildingList = try store.buildings(version: version)
            }
        } catch let failed as ImportFailed {
            printError(failed.description)
            throw ExitCode(2)
        }
        var job = GeocodeJob(crs: system, snapMetres: snapMetres, blockBytes: blockKiB << 10, threads: threads)
        let aliasTable = try aliases.map { try AddressAliases.read(path: $0) } ?? [:]
        let matcher = noAddress ? nil : try AddressMatcher.forBuildings(buildingList, grids: gridList, aliases: aliasTable)
        if let matcher {
            job.addressMatcher = matcher
            job.addressColumn = addressColumn
            job.checkAddress = checkAddress
        } else if checkAddress {
            throw ValidationError("--check-address needs buildings with door-plate addresses (an `address` property); these have none")
        }
        let residentBefore = processMemoryKiB("VmRSS:"), peakBefore = processMemoryKiB("VmHWM:")
        let locator = try GridLocator(grids: gridList, buildings: buildingList, frame: job.frame)
        let indexMemory = (residentBefore, peakBefore, processMemoryKiB("VmRSS:"), processMemoryKiB("VmHWM:"))
        let loaded = Date()
        let output = out ?? (points.hasSuffix(".csv") ? String(points.dropLast(4)) : points) + ".geocoded.csv"
        let summary = try job.run(points: points, output: output, locator: locator)
        let seconds = Date().timeIntervalSince(loaded)
        for row in summary.invalidRows.prefix(100) { printError("invalid: \(points) \(row)") }
        let invalid = summary.byStatus[.invalid, default: 0]
        if invalid > 100 { printError("... \(invalid - 100) more invalid rows") }
        for row in summary.unplacedRows.prefix(100) { printError("unplaced: \(points) \(row)") }
        let unplaced = summary.byStatus[.unplaced, default: 0]
        if unplaced > 100 { printError("... \(unplaced - 100) more unplaced rows") }
        for row in summary.disagreements.prefix(100) { printError("address differs: \(points) \(row)") }
        if summary.disagreementCount > 100 { printError("... \(summary.disagreementCount - 100) more disagreements") }
        if !summary.byMatch.isEmpty || checkAddress {
            let matches = AddressMatchStatus.allCases.compactMap { s in summary.byMatch[s].map { "\($0) \(s.rawValue)" } }
            print("by address: " + (matches.isEmpty ? "no rows without coordinates" : matches.joined(separator: ", "))
                  + (checkAddress ? "; \(summary.disagreementCount) rows whose address names another building" : ""))
        }
        let counts = GeocodeStatus.allCases.compactMap { s in summary.byStatus[s].map { "\($0) \(s.rawValue)" } }
        print("geocoded \(summary.rows) points against \(gridList.count) grids and \(buildingList.count) buildings " +
              "in \(String(format: "%.2f", seconds)) s (+\(String(format: "%.2f", loaded.timeIntervalSince(started))) s " +
              "loading): \(counts.joined(separator: ", ")) → \(output)")
        if let peak = peakResidentKiB() { print("peak memory \(peak) KiB") }
        let bytes = locator.memoryBytes
        var memory = "index memory: grid index \(bytes.grids >> 10) KiB, building index \(bytes.buildings >> 10) KiB"
        if case let (r0?, p0?, r1?, p1?) = indexMemory {
            memory += "; building both: resident +\(r1 - r0) KiB, peak +\(max(0, p1 - p0)) KiB"
        }
        print(memory)
    }
}

/// A `/proc/self/status` figure in KiB (`VmRSS:`, `VmHWM:`), nil where there is none.
func processMemoryKiB(_ field: String) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return nil }
    return Int(line.dropFirst(field.count).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
}

/// The process's peak resident set in KiB: `VmHWM` from /proc/self/status on Linux (it belongs to this program's
/// own address space, unlike `getrusage`'s `ru_maxrss`, which can inherit the parent's peak across exec), or
/// `getrusage(RUSAGE_SELF)` elsewhere.
func peakResidentKiB() -> Int? {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
        return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    }
    #if os(macOS)
    var usage = rusage()
    guard getrusage(RUSAGE_SELF, &usage) == 0 else { return nil }
    return Int(usage.ru_maxrss) / 1024
    #else
    return nil
    #endif
}
