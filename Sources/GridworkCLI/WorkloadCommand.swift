import ArgumentParser
import Foundation
import Gridwork

/// `gridwork workload`: per-grid workload and the county's balance.
struct WorkloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "Per-grid workload (households, residents, incidents, staff), a workload index, county balance.",
        discussion: """
            Writes OUT/workload.json, workload.csv and workload.md (and workload.png with --map). The index is \
            100 × the grid's weighted workload over the county mean; weights come from --weights (JSON, see \
            docs/reports.md).
            """
    )

    @OptionGroup var input: CountyInputOptions
    @Option(help: "Output folder.") var out: String
    @Option(help: "Weights of the workload index (JSON file).") var weights: String?
    @Option(name: .customLong("window-days"), help: "Count incidents reported in this many days.") var windowDays = 365
    @Option(name: .customLong("as-of"), help: "End of the window, ISO 8601 (default: the newest incident).")
    var asOf: String?
    @Flag(help: "Also draw OUT/workload.png, grids coloured by workload index.") var map = false

    func validate() throws {
        if windowDays <= 0 { throw ValidationError("--window-days must be positive") }
        if let asOf, ISO8601DateFormatter().date(from: asOf) == nil {
            throw ValidationError("--as-of \(asOf): write a time such as 2025-12-31T23:59:59+08:00")
        }
    }

    func run() throws {
        let started = Date()
        let layers = try input.load()
        let loaded = Date()
        var options = WorkloadOptions(windowDays: windowDays, asOf: asOf.flatMap { ISO8601DateFormatter().date(from: $0) })
        if let weights { options.weights = try WorkloadWeights.load(path: weights) }
        let report = try WorkloadReport.compute(layers, options: options)
        let computed = Date()
        try ReportOutput.write(report, to: out)
        if map {
            try WorkloadMap.render(grids: layers.grids, workload: report)
                .writePNG(to: URL(fileURLWithPath: out).appendingPathComponent("workload.png").path)
        }
        let b = report.balance
        print(String(format: "workload of %d grids: max/mean %.2f, CV %.3f, Gini %.3f; computed in %.2f s " +
                     "(+%.2f s loading) → %@", report.grids.count, b.maxOverMean, b.coefficientOfVariation, b.gini,
                     computed.timeIntervalSince(loaded), loaded.timeIntervalSince(started), out))
    }
}
