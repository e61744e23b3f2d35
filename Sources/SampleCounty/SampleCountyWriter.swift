import Foundation
import GeoJSON

/// A failure to write a sample county's files.
public struct SampleCountyWriteError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public var description: String { "cannot write \(path): \(message)" }
}

extension SampleCounty {
    /// The files `write(to:)` produces, in the order it writes them.
    public static let fileNames = [
        "county.geojson", "towns.geojson", "villages.geojson", "grids.geojson", "buildings.geojson",
        "households.csv", "staff.csv", "departments.csv", "incidents.csv", "address-variants.csv",
        "address-aliases.csv", "manifest.json",
    ]

    /// Writes the county into `directory` (created if missing): GeoJSON feature collections at 7 decimals
    /// (`GeoJSONFeatureWriter`), CSV files with a header row (RFC 4180 quoting, CRLF line ends, UTF-8) and `manifest.json` with the
    /// preset, the seed and the counts. Existing files of the same names are replaced.
    public func write(to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SampleCountyWriteError(path: directory, message: "cannot create the directory (\(error.localizedDescription)); check the path and permissions")
        }
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        try writeFeatures([county], to: path("county.geojson"))
        try writeFeatures(towns, to: path("towns.geojson"))
        try writeFeatures(villages, to: path("villages.geojson"))
        try writeFeatures(grids, to: path("grids.geojson"))
        try writeFeatures(buildings, to: path("buildings.geojson"))

        try writeCSV(path("households.csv"), header: ["household_id", "building_id", "grid_id", "address", "lon", "lat", "residents"],
                     rows: households.lazy.map { [$0.id, $0.buildingID, $0.gridID, $0.address, coordinateText($0.lon), coordinateText($0.lat), String($0.residents)] })
        try writeCSV(path("staff.csv"), header: ["staff_id", "role", "grid_id", "building_id", "name", "phone", "on_duty", "synthetic"],
                     rows: staff.lazy.map { [$0.id, $0.role.rawValue, $0.gridID, $0.buildingID, $0.name, $0.phone, String($0.onDuty), "true"] })
        try writeCSV(path("departments.csv"), header: ["department_id", "name", "name_zh", "name_en", "categories"],
                     rows: departments.lazy.map { [$0.id, $0.name, $0.nameZh, $0.nameEn, $0.categories.joined(separator: ";")] })
        try writeCSV(path("incidents.csv"), header: ["incident_id", "reported_at", "category", "lon", "lat", "grid_id", "status", "description"],
                     rows: incidents.lazy.map { [$0.id, $0.reportedAt, $0.category, coordinateText($0.lon), coordinateText($0.lat), $0.gridID, $0.status, $0.description] })

        try writeCSV(path("address-variants.csv"), header: ["variant_id", "address", "kind", "building_id", "expect"],
                     rows: addressVariants.lazy.map { [$0.id, $0.address, $0.kind, $0.buildingID, $0.expectation.rawValue] })
        try writeCSV(path("address-aliases.csv"), header: ["alias", "name"], rows: addressAliases.lazy.map { [$0.alias, $0.name] })

        if !faults.isEmpty {
            try writeCSV(path("faults.csv"), header: ["kind", "ids", "area_m2", "description"],
                         rows: faults.lazy.map { [$0.kind.rawValue, $0.ids.joined(separator: ";"), String(Int($0.areaM2.rounded())), $0.description] })
        }
        let file = try TextFile(path: path("manifest.json"))
        try file.append(manifestJSON())
        try file.close()
    }

    /// The manifest: what was generated, from which preset and seed, with every count.
    public func manifestJSON() -> String {
        let counts: [(String, Int)] = [
            ("towns", towns.count), ("villages", villages.count), ("grids", grids.count),
            ("buildings", buildings.count),
            ("urban_buildings", buildings.filter { $0.properties["kind"] == .string("urban") }.count),
            ("rural_buildings", buildings.filter { $0.properties["kind"] == .string("rural") }.count),
            ("households", households.count), ("residents", households.reduce(0) { $0 + $1.residents }),
            ("staff", staff.count),
            ("grid_workers", staff.filter { $0.role == .gridWorker }.count),
            ("grids_without_worker", grids.count - Set(staff.filter { $0.role == .gridWorker }.map(\.gridID)).count),
            ("part_time_workers", staff.filter { $0.role == .partTimeWorker }.count),
            ("building_heads", staff.filter { $0.role == .buildingHead }.count),
            ("departments", departments.count), ("incidents", incidents.count),
            ("address_variants", addressVariants.count), ("address_aliases", addressAliases.count),
        ]
        var text = "{\n"
        text += "  \"generator\": \"gridwork SampleCounty 1\",\n"
        text += "  \"preset\": \"\(division == nil ? preset.rawValue : SampleProvince.presetName)\",\n"
        text += "  \"seed\": \(seed),\n"
        text += "  \"county\": \(jsonString(countyName)),\n"
        if let division {
            text += "  \"county_code\": \"\(division.countyCode)\",\n"
            text += "  \"city\": {\"code\": \"\(division.cityCode)\", \"name\": \(jsonString(division.cityName))},\n"
            text += "  \"province\": {\"code\": \"\(division.provinceCode)\", \"name\": \(jsonString(division.provinceName))},\n"
            text += "  \"division_codes\": \"synthetic (\(SampleProvince.codeNote))\",\n"
        }
        text += "  \"crs\": \"EPSG:4326\",\n"
        text += "  \"coordinate_precision\": 7,\n"
        text += "  \"synthetic\": true,\n"
        text += "  \"note\": \"Synthetic data: names, addresses and phone numbers describe no real person.\",\n"
        text += "  \"files\": [" + SampleCounty.fileNames.filter { $0 != "manifest.json" }.map(jsonString).joined(separator: ", ") + "],\n"
        text += "  \"counts\": {\n"
        text += counts.map { "    \(jsonString($0.0)): \($0.1)" }.joined(separator: ",\n")
        text += "\n  }\n}\n"
        return text
    }

    private func writeCSV<Rows: Sequence>(_ path: String, header: [String], rows: Rows) throws where Rows.Element == [String] {
        let file = try TextFile(path: path)
        try file.append(csvLine(header))
        for row in rows { try file.append(csvLine(row)) }
        try file.close()
    }

    /// A FeatureCollection through the shared GeoJSON writer, coordinates at 7 decimals (the generator's
    /// coordinates are whole multiples of 1e-7 degree, so they read back equal), with bounding boxes.
    private func writeFeatures(_ features: [Feature], to path: String) throws {
        let writer = try GeoJSONFeatureWriter(path: path, options: GeoJSONWriteOptions(precision: 7))
        for feature in features { try writer.write(feature) }
        try writer.finish()
    }
}

/// One CSV record: fields quoted when they hold a comma, a quote or a line break (quotes doubled), CRLF ended.
func csvLine(_ fields: [String]) -> String {
    fields.map { field in
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return field
    }.joined(separator: ",") + "\r\n"
}

/// A coordinate with at most 7 decimals and no trailing zeros. The generator's coordinates are whole
/// multiples of 1e-7, so the text reads back as the same `Double`.
func coordinateText(_ value: Double) -> String {
    let units = Int((value * 1e7).rounded())
    let sign = units < 0 ? "-" : ""
    let magnitude = abs(units)
    var fraction = padded(magnitude % 10_000_000, 7)
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return sign + String(magnitude / 10_000_000) + (fraction.isEmpty ? "" : "." + fraction)
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += "\\u" + padded(Int(scalar.value), 4)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A UTF-8 text file written through a 1 MiB buffer.
final class TextFile {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw SampleCountyWriteError(path: path, message: "cannot create the file; check that the directory is writable")
        }
        self.path = path
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    func append(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw SampleCountyWriteError(path: path, message: "write failed (\(error.localizedDescription)); check free disk space")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}
