import ArgumentParser
import Foundation
import Gridwork

/// `gridwork plan`: propose, compare and apply new grids.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Redraw grids: rebalance, split, merge, move buildings; diff a proposal; apply it as a new boundary version.",
        discussion: """
            Proposals are built from parcels: pieces of each village cut by GEOS from its current grids and a \
            regular lattice, each holding whole buildings. Grouping parcels keeps every grid inside its village, \
            contiguous and made of whole buildings, and the grids tile the village. Every command except apply \
            writes a proposal folder (--out): grids.geojson, buildings.geojson, proposal.gpkg, moves.csv, report.md, proposal.png. \
            Nothing changes in the database until `plan apply`.
            """,
        subcommands: [PlanRebalanceCommand.self, PlanSplitCommand.self, PlanMergeCommand.self, PlanMoveCommand.self,
                      PlanDiffCommand.self, PlanApplyCommand.self]
    )
}

/// Where the county comes from, and the workload index.
struct PlanSourceOptions: ParsableArguments {
    @Option(help: "County database (a SQLite file or a PostgreSQL URL); its newest boundary version is planned.") var db: String?
    @Option(name: .customLong("county"), help: "With a PostgreSQL --db: the county's 6-digit code (e.g. 330182).")
    var countyCode: String?
    @Option(help: "Boundary version in --db (default: the newest).") var version: Int?
    @Option(help: "Or a folder in the sample layout (villages.geojson, grids.geojson, buildings.geojson, households.csv, incidents.csv, staff.csv).")
    var dir: String?
    @Option(help: "Start from this proposal folder instead of the current grids (to chain edits).") var from: String?
    @Option(help: "Weights of the workload index (JSON file, as for `gridwork workload`; default: its defaults).")
    var weights: String?
    @Option(name: .customLong("window-days"), help: "Count incidents reported in this many days.") var windowDays = 365

    func validate() throws {
        if (db == nil) == (dir == nil) { throw ValidationError("give either --db FILE or --dir FOLDER") }
        if windowDays < 1 { throw ValidationError("--window-days must be ≥ 1") }
        if let countyCode {
            if db == nil { throw ValidationError("--county goes with --db") }
            _ = try CountyCode.validated(countyCode)
        }
    }

    func parsedWeights() throws -> WorkloadWeights {
        guard let weights else { return WorkloadWeights() }
        do { return try WorkloadWeights.load(path: weights) } catch { throw ValidationError("--weights: \(error)") }
    }

    func county() throws -> PlanningCounty {
        var county: PlanningCounty
        do {
            if let db {
                county = try PlanningCounty(store: CountyStores.open(db: db, county: countyCode), version: version)
            } else {
                county = try PlanningCounty(directory: dir!)
            }
            if let from { county = try county.withProposal(directory: from) }
        } catch let failed as ImportFailed {
            throw PlanFailure(failed.description)
        } catch let error as PlanningError {
            throw PlanFailure(error.description)
        }
        return county
    }

    func map() throws -> ParcelMap {
        try ParcelMap(county: county(), weights: parsedWeights(), windowDays: windowDays)
    }
}

struct PlanFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Builds a proposal with the planner over `source`'s county and writes its folder to `out`, saying what it did;
/// a planning error becomes a `PlanFailure` with its message.
func propose(_ source: PlanSourceOptions, out: String, _ make: (GridPlanner) throws -> GridProposal) throws {
    let started = Date()
    do {
        try finish(make(GridPlanner(map: source.map())), out: out, started: started)
    } catch let error as PlanningError { throw PlanFailure(error.description) }
}

func finish(_ proposal: GridProposal, out: String, started: Date) throws {
    let diff = try ProposalWriter(proposal: proposal).write(to: out)
    print(diff.balanceTable())
    print("\(diff.buildingMoves.count) buildings (\(diff.householdsMoved) households) change grid; " +
          "\(diff.newGrids.count) new, \(diff.retiredGrids.count) retired grids")
    for note in proposal.notes.prefix(10) { print("note: \(note)") }
    if proposal.notes.count > 10 { print("note: … \(proposal.notes.count - 10) more in \(out)/report.md") }
    print("proposal written to \(out) (grids.geojson, buildings.geojson, proposal.gpkg, moves.csv, report.md, proposal.png) in " +
          String(format: "%.1f s", Date().timeIntervalSince(started)))
}

struct PlanRebalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Propose grids whose workloads lie within a band around the mean (ReCom spanning-tree moves, seeded).",
        discussion: """
            Scope: the county, a town (--town) or a village (--village). Grid count: keep (same total, shared among \
            villages by workload), keep-per-village, or --target-workload W (about W per full-time worker). \
            --lock keeps grids as they are. The report says where the band cannot be reached and why \
            (a village too small or too busy for its grids, one building alone above the band).
            """
    )
    @OptionGroup var source: PlanSourceOptions
    @Option(help: "Only this town's villages.") var town: String?
    @Option(help: "Only this village.") var village: String?
    @Option(help: "keep | keep-per-village") var count: String = "keep"
    @Option(name: .customLong("target-workload"), help: "Choose the number of grids so each carries about this workload.")
    var targetWorkload: Double?
    @Option(help: "Band around the mean, as a fraction (0.15 = ±15%).") var band: Double = 0.15
    @Option(help: "Grids that must not change (repeat, or separate with commas).") var lock: [String] = []
    @Option(help: "Random seed: the same seed gives the same proposal.") var seed: UInt64 = 1
    @Option(name: .customLong("moves-per-grid"), help: "ReCom moves per grid (more: closer balance, slower).")
    var movesPerGrid: Int = 60
    @Flag(name: .customLong("trade-compactness"),
          help: "Allow the median Polsby-Popper to fall by more than 10% for a better balance (the report shows the trade).")
    var tradeCompactness = false
    @Option(help: "Output folder for the proposal.") var out: String

    func validate() throws {
        if town != nil && village != nil { throw ValidationError("give --town or --village, not both") }
        if !(band > 0 && band < 1) { throw ValidationError("--band must be between 0 and 1, e.g. 0.15") }
        if !["keep", "keep-per-village"].contains(count) { throw ValidationError("--count is keep or keep-per-village") }
        if let targetWorkload, !(targetWorkload > 0) { throw ValidationError("--target-workload must be > 0") }
    }

    func run() throws {
        var options = RebalanceOptions()
        options.scope = town.map(PlanningScope.town) ?? village.map(PlanningScope.village) ?? .county
        options.count = targetWorkload.map(GridCountRule.targetWorkload) ?? (count == "keep" ? .keep : .keepPerVillage)
        options.band = band
        options.lockedGridIDs = Set(lock.flatMap { $0.split(separator: ",").map(String.init) })
        options.seed = seed
        options.movesPerGrid = movesPerGrid
        options.tradeCompactness = tradeCompactness
        try propose(source, out: out) { try $0.rebalance(options) }
    }
}

struct PlanSplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "split",
        abstract: "Split a grid into contiguous grids of near-equal workload.")
    @OptionGroup var source: PlanSourceOptions
    @Option(help: "The grid to split.") var grid: String
    @Option(help: "Number of parts.") var parts: Int = 2
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Output folder for the proposal.") var out: String

    func run() throws {
        try propose(source, out: out) { try $0.split(gridID: grid, parts: parts, seed: seed) }
    }
}

struct PlanMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge",
        abstract: "Merge neighbouring grids of one village into one (it keeps the largest grid's id).")
    @OptionGroup var source: PlanSourceOptions
    @Argument(help: "The grids to merge.") var grids: [String]
    @Option(help: "Output folder for the proposal.") var out: String

    func run() throws {
        try propose(source, out: out) { try $0.merge(gridIDs: grids) }
    }
}

struct PlanMoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "move",
        abstract: "Move buildings (with the parcels they stand on) to a neighbouring grid.")
    @OptionGroup var source: PlanSourceOptions
    @Argument(help: "The buildings to move.") var buildings: [String]
    @Option(help: "The grid that receives them.") var to: String
    @Option(help: "Output folder for the proposal.") var out: String

    func run() throws {
        try propose(source, out: out) { try $0.move(buildingIDs: buildings, to: to) }
    }
}

struct PlanDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff",
        abstract: "Compare the current grids with a proposal: buildings and households that change grid, workers' gains and losses, balance before and after.")
    @OptionGroup var source: PlanSourceOptions
    @Option(help: "The proposal folder.") var proposal: String
    @Option(help: "Band for the figures.") var band: Double = 0.15
    @Option(help: "Also write the report (Markdown) and moves.csv into this folder.") var out: String?

    func run() throws {
        let before = try source.county()
        let after: PlanningCounty
        do { after = try before.withProposal(directory: proposal) } catch let error as PlanningError {
            throw PlanFailure(error.description)
        }
        // Figures over the villages whose grids changed.
        let oldGrids = Dictionary(before.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        let newGrids = Dictionary(after.grids.map { ($0.gridID, $0) }, uniquingKeysWith: { a, _ in a })
        var villages = Set<String>()
        for g in after.grids where oldGrids[g.gridID]?.geometry != g.geometry { if let v = g.villageID { villages.insert(v) } }
        for g in before.grids where newGrids[g.gridID]?.geometry != g.geometry { if let v = g.villageID { villages.insert(v) } }
        let diff = try PlanDiff(before: before, after: after, weights: try source.parsedWeights(),
                                windowDays: source.windowDays, band: band,
                            villages: villages.isEmpty ? nil : villages)
        let report = diff.markdown(title: "Diff: \(proposal) against \(before.source) (\(villages.count) villages changed)")
        print(report)
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try report.write(toFile: (out as NSString).appendingPathComponent("diff.md"), atomically: true, encoding: .utf8)
            try diff.writeMoves(to: (out as NSString).appendingPathComponent("moves.csv"))
        }
    }
}

struct PlanApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply",
        abstract: "Make a proposal the new boundary version (validated like any import; the old version stays as history).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "The proposal folder.") var proposal: String
    @Option(help: "Note stored with the new boundary version.") var note: String = ""
    @Flag(name: .customLong("dry-run"), help: "Check everything, write nothing.") var dryRun = false

    func run() throws {
        let store = try database.open(create: false)
        do {
            let summary = try PlanApplier(proposalDirectory: proposal, note: note).apply(to: store, dryRun: dryRun)
            for problem in summary.problems { print(problem) }
            if dryRun {
                print("dry run: the proposal is valid (\(summary.counts["grids"] ?? 0) grids); nothing was written")
            } else {
                print("applied \(proposal) as boundary version \(summary.versionID ?? 0) (\(summary.counts["grids"] ?? 0) grids, " +
                      "\(summary.counts["buildings"] ?? 0) buildings); earlier versions stay as history")
            }
        } catch let failed as ImportFailed {
            printError(failed.description)
            throw ExitCode(2)
        } catch let error as PlanningError { throw PlanFailure(error.description) }
    }
}
