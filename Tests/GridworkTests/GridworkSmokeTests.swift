import Testing
@testable import Gridwork

@Suite struct GridworkModuleTests {
    @Test func moduleLoads() {
        #expect(Bool(true))
    }
}
