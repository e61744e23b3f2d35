import Testing
@testable import SampleCounty

@Suite struct SampleCountyModuleTests {
    @Test func moduleLoads() {
        #expect(Bool(true))
    }
}
