import Foundation
import GridStore
import Testing
@testable import Gridwork

/// Buildings keep their door-plate address through import, re-import without buildings, and a schema upgrade.
@Suite struct BuildingAddressImportTests {
    func buildingFeature(_ id: String, _ x: Double, _ y: Double, address: String?) -> String {
        let ring = "[[\(x),\(y)],[\(x + 0.001),\(y)],[\(x + 0.001),\(y + 0.001)],[\(x),\(y + 0.001)],[\(x),\(y)]]"
        let addressJSON = address.map { ",\"address\":\"\($0)\"" } ?? ""
        return "{\"type\":\"Feature\",\"id\":\"\(id)\",\"properties\":{\"grid_id\":\"G1\"\(addressJSON)}," +
            "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[\(ring)]}}"
    }

    @Test func addressesAreStoredAndCarriedOver() throws {
        let scratch = Scratch()
        var options = ImportOptions(grids: scratch.write("grids.geojson", validGrids()))
        options.buildings = scratch.write("buildings.geojson", collection([
            buildingFeature("B1", 119.301, 29.501, address: "样例县清埠街道云信社区湾昌路1号"),
            buildingFeature("B2", 119.303, 29.501, address: nil),
            buildingFeature("B3", 119.305, 29.501, address: ""),
        ]))
        let store = try CountyStore(path: scratch.db)
        _ = try CountyImporter(options: options).run(into: store)
        #expect(try store.buildings().map(\.address) == ["样例县清埠街道云信社区湾昌路1号", nil, nil])
        // A new boundary version without a buildings layer carries the buildings over, addresses included.
        _ = try CountyImporter(options: ImportOptions(grids: options.grids)).run(into: store)
        #expect(try store.buildings().map(\.address) == ["样例县清埠街道云信社区湾昌路1号", nil, nil])
    }

    @Test func aDatabaseFromBeforeAddressesIsUpgraded() throws {
        let scratch = Scratch()
        do {
            let old = try SQLiteConnection(path: scratch.db)
            #expect(try Migrator(Array(CountySchema.migrations.prefix(1))).migrate(old) == [1])
        }
        let store = try CountyStore(path: scratch.db, create: false)
        #expect(try store.connection.query("PRAGMA user_version", []).first?[0].intValue == CountySchema.migrations.last!.version)
        let columns = try store.connection.query("SELECT name FROM pragma_table_info('building')", []).map { $0[0].stringValue }
        #expect(columns.contains("address"))
    }
}
