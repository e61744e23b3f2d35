import Foundation
import Testing
@testable import SampleCounty

/// The sample files in `geodata/` are exactly what the generator makes: nobody edits them by hand, and the
/// generator stays deterministic across changes.
@Suite struct CommittedSampleTests {
    static let geodata = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("geodata").path

    func regenerate(_ preset: SamplePreset) throws -> String {
        let out = NSTemporaryDirectory() + "gridwork-sample-\(UUID().uuidString)"
        try SampleCountyGenerator(preset: preset, seed: 20_260_101).generate().write(to: out)
        return out
    }

    @Test func tinyFolderIsTheGeneratorsOutput() throws {
        let out = try regenerate(.tiny)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let committed = Self.geodata + "/tiny"
        let names = try FileManager.default.contentsOfDirectory(atPath: committed).sorted()
        #expect(Set(names) == Set(SampleCounty.fileNames))
        for name in names {
            let expected = FileManager.default.contents(atPath: out + "/" + name)
            let actual = FileManager.default.contents(atPath: committed + "/" + name)
            #expect(expected != nil && expected == actual, "geodata/tiny/\(name) differs from the generator's output")
        }
    }

    @Test func jiandeBoundariesAreTheGeneratorsOutput() throws {
        let out = try regenerate(.jiande)
        defer { try? FileManager.default.removeItem(atPath: out) }
        for name in ["county.geojson", "towns.geojson", "villages.geojson", "grids.geojson", "manifest.json"] {
            let expected = FileManager.default.contents(atPath: out + "/" + name)
            let actual = FileManager.default.contents(atPath: Self.geodata + "/jiande/" + name)
            #expect(expected != nil && expected == actual, "geodata/jiande/\(name) differs from the generator's output")
        }
    }
}
