import ArgumentParser
import Foundation
import SampleCounty

/// `gridwork sample`: writes a seeded synthetic county (towns, villages, grids, buildings, households, staff,
/// departments, a year of incidents) at real scale.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate a deterministic synthetic county (presets: tiny, jiande, liyang, imperfect).",
        discussion: "The same preset and seed always give byte-identical files. All data is synthetic."
    )

    @Option(help: "Preset: \(SamplePreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "jiande"
    @Option(help: "Random seed.") var seed: UInt64 = 20_260_101
    @Option(help: "Output folder (created when missing).") var out: String

    func validate() throws {
        guard SamplePreset(rawValue: preset) != nil else {
            throw ValidationError("unknown preset '\(preset)'; choose one of: " +
                                  SamplePreset.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let started = Date()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let county = SampleCountyGenerator(preset: SamplePreset(rawValue: preset)!, seed: seed).generate()
        try county.write(to: out)
        print("wrote the \(preset) sample county (seed \(seed)) to \(out) in " +
              String(format: "%.1f s", Date().timeIntervalSince(started)))
    }
}
