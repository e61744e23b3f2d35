import Testing
@testable import GridIndex

@Suite struct GridIndexModuleTests {
    @Test func moduleLoads() {
        #expect(Bool(true))
    }
}
