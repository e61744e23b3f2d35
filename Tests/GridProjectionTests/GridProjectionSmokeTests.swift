import Testing
@testable import GridProjection

@Suite struct GridProjectionModuleTests {
    @Test func moduleLoads() {
        #expect(Bool(true))
    }
}
