import Testing
@testable import GridGeometry

@Suite struct GridGeometryModuleTests {
    @Test func moduleLoads() {
        #expect(Bool(true))
    }
}
