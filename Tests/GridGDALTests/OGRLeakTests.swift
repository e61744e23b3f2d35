import Foundation
import GeoJSON
import GridworkTestSupport
import Testing
@testable import GridGDAL

/// Every handle has one owner that frees it: opening, reading and writing many datasets leaves the resident set flat.
/// (Named "Leak" so `tools/test` runs it alone: it measures the whole process.)
@Suite struct OGRLeakTests {
    @Test(.residentMemoryMeasurable) func openingReadingAndWritingManyDatasetsDoesNotLeak() throws {
        let scratch = Scratch()
        let path = scratch.path + "/squares.gpkg"
        func write(_ file: String, count: Int) throws {
            try? FileManager.default.removeItem(atPath: file)
            let dataset = try OGRDataset.create(file, driver: "GPKG")
            let layer = try dataset.createLayer("squares", geometryType: .polygon,
                                                spatialReference: try OGRSpatialReference(epsg: 4326))
            try layer.createField(OGRFieldDefinition(name: "name", kind: .string))
            try dataset.transaction {
                for i in 0..<count {
                    let x = 119 + Double(i % 100) * 0.001, y = 29 + Double(i / 100) * 0.001
                    let square = Geometry.polygon(Polygon(exterior: LinearRing([
                        Position(x, y), Position(x + 0.001, y), Position(x + 0.001, y + 0.001), Position(x, y + 0.001),
                        Position(x, y),
                    ])))
                    try layer.write(values: [.string("网格 \(i)")], wkb: WKB.encode(square))
                }
            }
            try dataset.close()
        }
        try write(path, count: 500)
        func churn(_ rounds: Int) throws {
            for round in 0..<rounds {
                let layer = try OGRDataset.open(path).layer(at: 0)
                var count = 0
                while let feature = try layer.nextFeature() {
                    count += 1
                    _ = try feature.geometry()
                }
                #expect(count == 500)
                _ = layer.spatialReference?.epsgCode()
                if round % 10 == 0 { try write(scratch.path + "/out.gpkg", count: 20) }
            }
        }
        try churn(20)  // warm up GDAL's driver state, SQLite and the allocator
        let before = try ResidentMemory.bytes()
        try churn(200)
        let after = try ResidentMemory.bytes()
        // 100,000 leaked features (each with its geometry) or 200 leaked GeoPackage connections would cost far more.
        #expect(after - before < 24 << 20, "resident memory grew by \((after - before) >> 20) MiB")
    }
}
