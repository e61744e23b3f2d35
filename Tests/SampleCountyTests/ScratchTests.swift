import Foundation
import Testing
@testable import SampleCounty

@Suite struct ScratchTests {
    @Test(arguments: [SamplePreset.jiande]) func writeOut(_ preset: SamplePreset) throws {
        let start = Date()
        let county = SampleCountyGenerator(preset: preset, seed: 1).generate()
        print(preset, "generated in", Date().timeIntervalSince(start))
        try county.write(to: "/tmp/sample-out/\(preset.rawValue)")
        print(county.manifestJSON())
    }
}
