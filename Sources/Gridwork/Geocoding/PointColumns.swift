import Foundation

/// Where the id, the coordinates and the carried columns are.
struct ColumnLayout: Sendable {
    var fieldCount: Int
    var idColumn: Int
    var idName: String
    var xColumn: Int
    var yColumn: Int
    var xName: String
    var yName: String
    var carried: [Int]
    var carriedNames: [String]

    init(header: [String], file: String) throws {
        fieldCount = header.count
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        if let id = column("id") {
            idColumn = id
        } else if let first = header.first, first.hasSuffix("_id") {
            idColumn = 0
        } else {
            throw CSVError(file: file, line: 1, message: "missing column 'id' (or a first column named like " +
                           "household_id); the header has: \(header.joined(separator: ", "))")
        }
        idName = header[idColumn]
        if let x = column("lon"), let y = column("lat") {
            (xColumn, yColumn, xName, yName) = (x, y, "lon", "lat")
        } else if let x = column("x"), let y = column("y") {
            (xColumn, yColumn, xName, yName) = (x, y, "x", "y")
        } else {
            throw CSVError(file: file, line: 1, message: "the header needs columns lon,lat (geographic) or x,y " +
                           "(projected); it has: \(header.joined(separator: ", "))")
        }
        let fixed: Set = [idColumn, xColumn, yColumn]
        carried = header.indices.filter { !fixed.contains($0) }
        let taken: Set = ["id", "grid_id", "building_id", "status"]
        carriedNames = carried.map { taken.contains(header[$0]) ? "input_" + header[$0] : header[$0] }
    }
}

/// Grid ids, building ids and statuses as CSV-ready bytes, each list flat: label `i` is
/// `bytes[start[i] ..< start[i + 1]]`.
struct OutputLabels: Sendable {
    struct Table: Sendable {
        var bytes: [UInt8] = []
        var start: [Int] = [0]

        init(_ labels: [String]) {
            for label in labels {
                bytes.append(contentsOf: CSVFormat.escaped(label).utf8)
                start.append(bytes.count)
            }
        }
    }

    var grids: Table
    var buildings: Table
    var statuses: Table

    init(locator: GridLocator) {
        grids = Table(locator.gridIDs)
        buildings = Table(locator.buildingIDs)
        statuses = Table(GeocodeStatus.allCases.map(\.rawValue))
    }
}

extension GeocodeStatus {
    /// The position in `allCases`, without building that array.
    var ordinal: Int {
        switch self {
        case .inside: 0
        case .boundary: 1
        case .overlap: 2
        case .outside: 3
        case .snapped: 4
        case .invalid: 5
        }
    }
}
