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
        let store = try SQLiteCountyStore(path: scratch.db)
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
        let store = try SQLiteCountyStore(path: scratch.db, create: false)
        #expect(try store.connection.query("PRAGMA user_version", []).first?[0].intValue == CountySchema.migrations.last!.version)
        let columns = try store.connection.query("SELECT name FROM pragma_table_info('building')", []).map { $0[0].stringValue }
        #expect(columns.contains("address"))
    }
}

extension BuildingAddressImportTests {
    @Test func householdsWithOnlyAnAddressGetTheirBuilding() throws {
        let scratch = Scratch()
        var options = ImportOptions(grids: scratch.write("grids.geojson", validGrids()))
        options.buildings = scratch.write("buildings.geojson", collection([
            buildingFeature("B1", 119.301, 29.501, address: "样例县清埠街道云信社区湾昌路1号"),
            buildingFeature("B2", 119.303, 29.501, address: "样例县清埠街道云信社区湾昌路3号"),
        ]))
        options.households = scratch.write("households.csv", """
            household_id,building_id,address,lon,lat,residents
            H1,,样例县清埠街道云信社区湾昌路1号101室,,,3
            H2,,湾昌路3号2单元,,,2
            H3,B1,湾昌路3号,,,1
            H4,,湾昌路99号,,,4
            H5,,,,,1
            H6,,湾昌路3号,119.3015,29.5015,2

            """)
        let store = try SQLiteCountyStore(path: scratch.db)
        let summary = try CountyImporter(options: options).run(into: store)
        let byID = Dictionary(uniqueKeysWithValues: try store.households().map { ($0.householdID, $0) })
        // Placed by address; a given building or location is never overridden; nothing is dropped.
        #expect(byID.count == 6)
        #expect(byID["H1"]?.buildingID == "B1" && byID["H2"]?.buildingID == "B2")
        #expect(byID["H3"]?.buildingID == "B1" && byID["H6"]?.buildingID == nil)
        #expect(byID["H4"]?.buildingID == nil && byID["H5"]?.buildingID == nil)
        #expect(summary.householdsByAddress == [.exact: 1, .building: 1, .none: 1])
        let warnings = summary.problems.filter { $0.severity == .warning && $0.field == "address" }
        #expect(warnings.map(\.featureID) == ["H4"])
        #expect(warnings.first?.reason.contains("no door plate 湾昌路99号") == true)
    }
}
