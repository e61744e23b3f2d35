import Foundation

/// Where the id, the coordinates and the carried columns are.
struct ColumnLayout: Sendable {
    /// A column by position and header name.
    struct Column: Sendable {
        var index: Int
        var name: String
    }

    var fieldCount: Int
    var id: Column
    /// The coordinates: `lon`,`lat` or `x`,`y`.
    var x: Column, y: Column
    /// The other columns, copied to the output after the located ones (renamed `input_<name>` when taken).
    var carried: [Int]
    var carriedNames: [String]
    /// The address column, when rows without coordinates are to be placed by address (it is also carried).
    var address: Column?

    init(header: [String], file: String, addressColumn: String? = nil) throws {
        fieldCount = header.count
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        let idColumn: Int
        if let id = column("id") {
            idColumn = id
        } else if let first = header.first, first.hasSuffix("_id") {
            idColumn = 0
        } else {
            throw CSVError(file: file, line: 1, message: "missing column 'id' (or a first column named like " +
                           "household_id); the header has: \(header.joined(separator: ", "))")
        }
        id = Column(index: idColumn, name: header[idColumn])
        guard let (xName, yName) = [("lon", "lat"), ("x", "y")].first(where: { column($0.0) != nil && column($0.1) != nil })
        else {
            throw CSVError(file: file, line: 1, message: "the header needs columns lon,lat (geographic) or x,y " +
                           "(projected); it has: \(header.joined(separator: ", "))")
        }
        x = Column(index: column(xName)!, name: xName)
        y = Column(index: column(yName)!, name: yName)
        let fixed: Set = [id.index, x.index, y.index]
        carried = header.indices.filter { !fixed.contains($0) }
        let taken: Set = ["id", "grid_id", "building_id", "status"]
        carriedNames = carried.map { taken.contains(header[$0]) ? "input_" + header[$0] : header[$0] }
        if let addressColumn, let a = column(addressColumn) { address = Column(index: a, name: addressColumn) }
    }

    /// The columns written after `status` when rows are placed by address.
    static let addressColumns = ["match", "score", "matched_address"]
}

/// Grid ids, building ids and statuses as CSV-ready bytes, each list flat: label `i` is
/// `bytes[start[i] ..< start[i + 1]]`.
struct OutputLabels: Sendable {
    struct Table: Sendable {
        var bytes: [UInt8] = []
        var start: [Int] = [0]
        /// The length of the longest label in bytes.
        var longest = 0

        init(_ labels: [String]) {
            for label in labels {
                bytes.append(contentsOf: CSVFormat.escaped(label).utf8)
                longest = max(longest, bytes.count - start.last!)
                start.append(bytes.count)
            }
            bytes.append(0)  // never empty, so its buffer always has a base address
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
        case .address: 6
        case .unplaced: 7
        case .invalid: 5
        }
    }
}
