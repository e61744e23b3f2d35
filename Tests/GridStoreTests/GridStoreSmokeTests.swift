import Testing
@testable import GridStore

@Suite struct GridStoreModuleTests {
    @Test func moduleLoads() {
        #expect(Bool(true))
    }
}
