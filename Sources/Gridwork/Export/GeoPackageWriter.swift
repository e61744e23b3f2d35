import Foundation
import GeoJSON
import GridGeometry
import GridStore
import OrderedCollections

/// Writes feature layers into an OGC GeoPackage 1.3 file (SQLite): the `gpkg_spatial_ref_sys`, `gpkg_contents` and
/// `gpkg_geometry_columns` tables, and one feature table per layer whose geometries are GeoPackage binary blobs
/// (the `GP` header with an envelope, then little-endian WKB from `GEOSWKBWriter_write_r`).
///
/// Coordinates are WGS84 longitude/latitude (EPSG:4326). Polygonal layers are stored as MULTIPOLYGON and point
/// layers as POINT, so a layer has one geometry type, as QGIS expects. Writing a layer that already exists in the file
/// replaces it; other layers stay.
public struct GeoPackageWriter {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The GeoPackage `application_id` ("GPKG") and the version written to `user_version` (1.3.0).
    static let applicationID: Int32 = 0x4750_4B47
    static let userVersion = 10300

    static let wgs84Definition = #"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#

    /// Writes `features` as the layer `name` (letters, digits and underscores).
    public func write(layer name: String, features: [Feature], description: String = "") throws {
        guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
            throw ReportError("layer name \(name) must be letters, digits and underscores")
        }
        let db = try SQLiteConnection(path: path, mode: .create)
        try db.execute("PRAGMA application_id = \(Self.applicationID); PRAGMA user_version = \(Self.userVersion);")
        let context = GEOSContext()
        let isPoint = features.contains { if case .point = $0.geometry { true } else { false } }
        let geometryType = isPoint ? "POINT" : "MULTIPOLYGON"
        let columns = Self.columns(of: features)
        var box: BoundingBox?
        for f in features { if let b = f.geometry?.boundingBox { box = box.map { var m = $0; m.extend(b); return m } ?? b } }

        try db.transaction(.immediate) {
            try db.execute("""
                CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
                    srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
                CREATE TABLE IF NOT EXISTS gpkg_contents (
                    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
                    description TEXT DEFAULT '',
                    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
                    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
                CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
                    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
                    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
                    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
                    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
                    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
                """)
            try db.run("""
                INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
                ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
                ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
                ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')
                """, [.text(Self.wgs84Definition)])
            try db.run("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", [.text(name)])
            try db.run("DELETE FROM gpkg_contents WHERE table_name = ?", [.text(name)])
            try db.execute("DROP TABLE IF EXISTS \"\(name)\"")
            let columnSQL = columns.map { ", \"\($0.name)\" \($0.type)" }.joined()
            try db.execute("CREATE TABLE \"\(name)\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom \(geometryType)\(columnSQL))")
            try db.run("""
                INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
                VALUES (?, 'features', ?, ?, ?, ?, ?, ?, 4326)
                """, [.text(name), .text(name), .text(description),
                      box.map { .real($0.minX) } ?? .null, box.map { .real($0.minY) } ?? .null,
                      box.map { .real($0.maxX) } ?? .null, box.map { .real($0.maxY) } ?? .null])
            try db.run("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)",
                       [.text(name), .text(geometryType)])
            let placeholders = String(repeating: ", ?", count: columns.count)
            let names = columns.map { ", \"\($0.name)\"" }.joined()
            let insert = try db.prepare("INSERT INTO \"\(name)\" (geom\(names)) VALUES (?\(placeholders))")
            for feature in features {
                var values: [SQLiteValue] = [try feature.geometry.map { .blob(try Self.blob($0, asMulti: !isPoint, context: context)) } ?? .null]
                for column in columns { values.append(Self.value(feature.properties[column.name], type: column.type)) }
                insert.reset()
                try insert.bind(values)
                _ = try insert.step()
            }
        }
    }

    struct Column { var name: String; var type: String }

    /// One column per property key, typed INTEGER (whole numbers and booleans), REAL or TEXT (strings, JSON).
    static func columns(of features: [Feature]) -> [Column] {
        var order: OrderedDictionary<String, String> = [:]
        for f in features {
            for (key, value) in f.properties {
                let type: String? = switch value {
                case .null: nil
                case .bool: "INTEGER"
                case .number(let n): n.rounded() == n && abs(n) < 9e15 ? "INTEGER" : "REAL"
                default: "TEXT"
                }
                let seen = order[key]
                switch (seen, type) {
                case (nil, let t): order[key] = t ?? ""
                case ("", let t?): order[key] = t
                case ("INTEGER", "REAL"): order[key] = "REAL"
                case (let s?, let t?) where s != t && !(s == "REAL" && t == "INTEGER"): order[key] = "TEXT"
                default: break
                }
            }
        }
        return order.filter { $0.key.lowercased() != "fid" && $0.key.lowercased() != "geom" }
            .map { Column(name: $0.key, type: $0.value.isEmpty ? "TEXT" : $0.value) }
    }

    static func value(_ json: JSONValue?, type: String) -> SQLiteValue {
        switch json {
        case nil, .null?: .null
        case .bool(let b)?: .integer(b ? 1 : 0)
        case .number(let n)?: type == "INTEGER" ? .integer(Int64(n)) : type == "REAL" ? .real(n) : .text(JSONValue.number(n).jsonText)
        case .string(let s)?: .text(s)
        case let other?: .text(other.jsonText)
        }
    }

    /// The GeoPackage binary geometry: magic "GP", version 0, flags (little-endian, envelope [minx, maxx, miny, maxy]
    /// or none for points), srs_id 4326, then WKB.
    static func blob(_ geometry: Geometry, asMulti: Bool, context: GEOSContext) throws -> [UInt8] {
        var shaped = geometry
        if asMulti, case .polygon(let p) = geometry { shaped = .multiPolygon(MultiPolygon([p])) }
        let wkb = try GEOSGeometry(shaped, context: context).wkb()
        let isPoint = if case .point = shaped { true } else { false }
        var out: [UInt8] = [0x47, 0x50, 0, isPoint ? 0b0000_0001 : 0b0000_0011]
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        append(Int32(4326))
        if !isPoint, let b = shaped.boundingBox {
            for v in [b.minX, b.maxX, b.minY, b.maxY] { append(v.bitPattern) }
        }
        return out + wkb
    }
}
