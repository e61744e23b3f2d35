import Foundation
import GeoJSON
import GridIndex
import GridProjection

/// A row the geocoder could not read.
public struct InvalidPointRow: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var id: String
    public var reason: String

    public var description: String { "line \(line) (id \(id.isEmpty ? "?" : id)): \(reason)" }
}

/// What a geocoding run did.
public struct GeocodeSummary: Sendable {
    public var rows = 0
    public var byStatus: [GeocodeStatus: Int] = [:]
    /// Every invalid row is counted; the first 1,000 are kept with their reason.
    public var invalidRows: [InvalidPointRow] = []
}

/// Streams a CSV of points through a `GridLocator`, batch by batch, writing one output row per input row in
/// input order: `id,grid_id,building_id,status` followed by the input's other columns.
///
/// Input columns: `id` and either `lon,lat` (geographic) or `x,y` (projected metres). Points in EPSG systems are
/// transformed to longitude/latitude with PROJ; GCJ-02 and BD-09 points are located against grids moved into
/// their frame. Memory is bounded by the batch size, whatever the file's length.
public struct GeocodeJob: Sendable {
    public var crs: CoordinateReferenceSystem
    public var snapMetres: Double
    public var batchSize: Int

    public init(crs: CoordinateReferenceSystem = .wgs84, snapMetres: Double = 0, batchSize: Int = 1 << 16) {
        self.crs = crs
        self.snapMetres = snapMetres
        self.batchSize = batchSize
    }

    /// The frame the locator must be built in for this job's CRS.
    public var frame: LocatorFrame {
        switch crs {
        case .gcj02: .gcj02
        case .bd09: .bd09
        default: .lonLat
        }
    }

    private struct Row {
        var line: Int
        var id: String
        var position: Position?
        var reason: String?
        var carried: [String]
    }

    /// Runs the job. `locator` must have been built with `frame`.
    public func run(points path: String, output outPath: String, locator: GridLocator) throws -> GeocodeSummary {
        precondition(locator.frame == frame, "the locator's frame must match the job's CRS")
        let table = try CSVTable(path: path)
        let idCol = try table.requireColumn("id")
        let xName = table.index(of: "lon") != nil ? "lon" : "x"
        let yName = xName == "lon" ? "lat" : "y"
        guard let xCol = table.index(of: xName), let yCol = table.index(of: yName) else {
            throw CSVError(file: table.reader.file, line: 1,
                           message: "the header needs columns lon,lat (geographic) or x,y (projected); it has: " +
                               table.header.joined(separator: ", "))
        }
        let carriedCols = table.header.indices.filter { ![idCol, xCol, yCol].contains($0) }
        let writer = try CSVWriter(path: outPath)
        try writer.write(["id", "grid_id", "building_id", "status"] + carriedCols.map { table.header[$0] })

        let transformer: CoordinateTransformer? = switch crs {
        case .wgs84, .cgcs2000, .gcj02, .bd09: nil
        default: try CoordinateTransformer(from: crs, to: .wgs84)
        }
        var summary = GeocodeSummary()
        var batch: [Row] = []
        batch.reserveCapacity(batchSize)

        func flush() throws {
            try locateBatch(&batch, transformer: transformer, locator: locator, summary: &summary, writer: writer)
            batch.removeAll(keepingCapacity: true)
        }

        while let record = try table.next() {
            func field(_ i: Int) -> String { i < record.fields.count ? record.fields[i] : "" }
            var row = Row(line: record.line, id: field(idCol), position: nil, reason: nil,
                          carried: carriedCols.map(field))
            let xText = field(xCol).trimmingCharacters(in: .whitespaces)
            let yText = field(yCol).trimmingCharacters(in: .whitespaces)
            if xText.isEmpty || yText.isEmpty {
                row.reason = "missing \(xName) or \(yName)"
            } else if let x = Double(xText), let y = Double(yText) {
                if !x.isFinite || !y.isFinite {
                    row.reason = "\(xName),\(yName) is not a finite number (\(xText), \(yText))"
                } else if crs.isGeographic && (abs(x) > 180 || abs(y) > 90) {
                    row.reason = "(\(xText), \(yText)) is out of range for longitude/latitude; is --crs right?"
                } else {
                    row.position = Position(x, y)
                }
            } else {
                row.reason = "\(xName),\(yName) is not numeric ('\(xText)', '\(yText)')"
            }
            batch.append(row)
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        try writer.close()
        return summary
    }

    private func locateBatch(_ rows: inout [Row], transformer: CoordinateTransformer?, locator: GridLocator,
                             summary: inout GeocodeSummary, writer: CSVWriter) throws {
        if let transformer {
            // Transform the readable rows; a failing batch falls back to one point at a time to find the bad ones.
            let readable = rows.indices.filter { rows[$0].position != nil }
            var positions = readable.map { rows[$0].position! }
            do {
                try transformer.transform(&positions)
                for (k, i) in readable.enumerated() { rows[i].position = positions[k] }
            } catch {
                for i in readable {
                    do {
                        rows[i].position = try transformer.transform(rows[i].position!)
                    } catch {
                        rows[i].position = nil
                        rows[i].reason = "cannot transform from \(crs): \(error)"
                    }
                }
            }
        }
        let results: [GeocodeResult] = locateAll(rows.map(\.position), locator: locator)
        for (row, result) in zip(rows, results) {
            var result = result
            var reason = row.reason
            if reason == nil && result.status == .invalid { reason = "the point is not a valid longitude/latitude" }
            if reason != nil { result = .invalid }
            summary.rows += 1
            summary.byStatus[result.status, default: 0] += 1
            if let reason, summary.invalidRows.count < 1_000 {
                summary.invalidRows.append(InvalidPointRow(line: row.line, id: row.id, reason: reason))
            }
            try writer.write([row.id, result.gridID ?? "", result.buildingID ?? "", result.status.rawValue] + row.carried)
        }
    }

    /// Locates points on all cores, in order.
    func locateAll(_ positions: [Position?], locator: GridLocator) -> [GeocodeResult] {
        let n = positions.count
        guard n > 0 else { return [] }
        var results = [GeocodeResult](repeating: .invalid, count: n)
        let chunk = 4_096
        let chunks = (n + chunk - 1) / chunk
        results.withUnsafeMutableBufferPointer { out in
            let shared = SharedResults(base: out.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: chunks) { k in
                for i in (k * chunk)..<min(n, (k + 1) * chunk) {
                    if let p = positions[i] {
                        shared.base[i] = locator.locate(p, snapMetres: snapMetres)
                    }
                }
            }
        }
        return results
    }
}

/// The output buffer of one `locateAll` call; each chunk writes a disjoint range.
private struct SharedResults: @unchecked Sendable {
    let base: UnsafeMutablePointer<GeocodeResult>
}
