import ArgumentParser
import Foundation
import SampleCounty

/// `gridwork sample`: writes a seeded synthetic county (towns, villages, grids, buildings, households, staff,
/// departments, a year of incidents) at real scale, or a synthetic province of such counties.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate a deterministic synthetic county (presets: tiny, jiande, liyang, imperfect) or province.",
        discussion: """
            The same preset and seed always give byte-identical files. All data is synthetic.
            --preset province (or --counties N) writes a province of N counties (default \
            \(SampleProvince.defaultCountyCount)) in prefecture cities of 10-15 counties: one directory per county, \
            named by its synthetic six-digit county code, and \(SampleProvince.manifestName) listing cities, \
            counties, codes, extents and counts. Counties are made on --jobs threads; the files do not depend on it.
            """
    )

    @Option(help: "Preset: \((SamplePreset.allCases.map(\.rawValue) + [SampleProvince.presetName]).joined(separator: ", ")) (default: jiande, or province with --counties).")
    var preset: String?
    @Option(help: "Random seed.") var seed: UInt64 = 20_260_101
    @Option(help: "Output folder (created when missing).") var out: String
    @Option(help: "Counties of a province (1-\(SampleProvince.maximumCountyCount)); implies --preset province.")
    var counties: Int?
    @Option(help: "Threads making the counties of a province (default: the processor count).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    var isProvince: Bool { preset == SampleProvince.presetName || counties != nil }
    var countyPreset: String { preset ?? "jiande" }

    func validate() throws {
        if let counties {
            guard (1...SampleProvince.maximumCountyCount).contains(counties) else {
                throw ValidationError("--counties \(counties) is out of range; a province has 1 to \(SampleProvince.maximumCountyCount) counties")
            }
            if let preset, preset != SampleProvince.presetName {
                throw ValidationError("--counties makes a province; it cannot be combined with --preset \(preset) (drop one of them)")
            }
        }
        guard isProvince || SamplePreset(rawValue: countyPreset) != nil else {
            throw ValidationError("unknown preset '\(countyPreset)'; choose one of: " +
                                  (SamplePreset.allCases.map(\.rawValue) + [SampleProvince.presetName]).joined(separator: ", "))
        }
        guard jobs >= 1 else { throw ValidationError("--jobs \(jobs) must be at least 1") }
    }

    func run() throws {
        let started = Date()
        if isProvince {
            let province = SampleProvince(counties: counties ?? SampleProvince.defaultCountyCount, seed: seed)
            let summaries = try province.write(to: out, jobs: jobs) { summary in
                print("  \(summary.code) \(summary.name): \(summary.grids) grids, \(summary.buildings) buildings, "
                      + "\(summary.households) households")
            }
            let bytes = directoryBytes(out)
            print("wrote the sample province \(province.name) \(province.code) (seed \(seed)) to \(out): "
                  + "\(province.cities.count) cities, \(summaries.count) counties, "
                  + "\(summaries.reduce(0) { $0 + $1.grids }) grids, \(summaries.reduce(0) { $0 + $1.buildings }) buildings, "
                  + "\(summaries.reduce(0) { $0 + $1.households }) households; "
                  + String(format: "%.1f s on %d threads, %.0f MB", Date().timeIntervalSince(started), jobs,
                           Double(bytes) / 1e6))
            return
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let county = SampleCountyGenerator(preset: SamplePreset(rawValue: countyPreset)!, seed: seed).generate()
        try county.write(to: out)
        print("wrote the \(countyPreset) sample county (seed \(seed)) to \(out) in " +
              String(format: "%.1f s", Date().timeIntervalSince(started)))
    }

    /// The bytes of the regular files under `path`.
    private func directoryBytes(_ path: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let name = walker.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).appendingPathComponent(name))
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int) ?? 0 }
        }
        return total
    }
}
