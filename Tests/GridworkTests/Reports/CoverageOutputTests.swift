import Foundation
import GeoJSON
import GridGeometry
import GridworkTestSupport
import Testing
@testable import Gridwork

/// What the coverage outputs write is valid: real gaps and overlaps at 7 decimals, slivers in their own layer at
/// full precision, every ring wound per RFC 7946.
@Suite struct CoverageOutputTests {
    /// Reads a written GeoJSON file back and checks every geometry with GEOS and its winding.
    static func expectValidAndWound(_ path: String) throws -> [FeatureRecord] {
        let context = GEOSContext()
        let records = try GeoJSONFeatureReader.readAll(path: path)
        for record in records {
            let geometry = try #require(try record.geometry.get(), "\(path) \(record.location)")
            #expect(try GEOSGeometry(geometry, context: context).validity() == .valid, "\(path) \(record.location)")
            for polygon in geometry.polygons {
                #expect(polygon.exterior.isCounterClockwise, "\(path) \(record.location)")
                #expect(polygon.holes.allSatisfy { !$0.isCounterClockwise }, "\(path) \(record.location)")
            }
        }
        return records
    }

    @Test func gapsOverlapsAndSliversAreWrittenApartAndValid() throws {
        let scratch = Scratch()
        let layers = plantedLayers()
        let report = try CoverageReport.compute(layers)
        try ReportOutput.write(report, layers: layers, to: scratch.path)
        let gaps = try Self.expectValidAndWound(scratch.path + "/gaps.geojson")
        let overlaps = try Self.expectValidAndWound(scratch.path + "/overlaps.geojson")
        let slivers = try Self.expectValidAndWound(scratch.path + "/slivers.geojson")
        // Real ones only in gaps and overlaps; every sliver in slivers, with its kind; coverage.json counts as before.
        #expect(gaps.count == report.gaps.count && gaps.allSatisfy { $0.properties["sliver"] == .bool(false) })
        #expect(overlaps.count == report.overlaps.count && overlaps.allSatisfy { $0.properties["sliver"] == .bool(false) })
        #expect(slivers.count == report.sliverGaps.count + report.sliverOverlaps.count)
        #expect(slivers.filter { $0.properties["kind"] == .string("gap") }.count == report.sliverGaps.count)
        #expect(slivers.filter { $0.properties["kind"] == .string("overlap") }.count == report.sliverOverlaps.count)
        let json = try String(contentsOfFile: scratch.path + "/coverage.json", encoding: .utf8)
        #expect(json.contains("\"sliver_gaps\"") && json.contains("\"sliver_overlaps\""))
        // Slivers keep their coordinates to the last digits (15 decimals).
        for (record, sliver) in zip(slivers.prefix(report.sliverGaps.count), report.sliverGaps) {
            let written = try #require(try record.geometry.get())
            #expect(Self.maxDifference(written, sliver.polygon.geometry) < 1e-14)
        }
    }

    /// The planted layers with G21 pushed 3 mm (3e-8°) west into G11: a sliver overlap 3 mm wide.
    static func millimetreSliverLayers() -> CountyLayers {
        var layers = plantedLayers()
        let i = layers.grids.firstIndex { $0.gridID == "G21" }!
        layers.grids[i].geometry = layers.grids[i].geometry.mapPositions {
            abs($0.x - 119.31) < 1e-9 ? Position($0.x - 3e-8, $0.y) : $0
        }
        return layers
    }

    /// A 3 mm sliver rounded to 7 decimals, as the reports wrote it before, is a ring of zero area (invalid); written
    /// at full precision in `slivers.geojson` it is valid, and `overlaps.geojson` does not carry it.
    @Test func aMillimetreSliverIsWrittenValidAtFullPrecisionNotRoundedAway() throws {
        let scratch = Scratch()
        let layers = Self.millimetreSliverLayers()
        let report = try CoverageReport.compute(layers)
        let sliver = try #require(report.sliverOverlaps.first { $0.grids == ["G11", "G21"] }, "\(report.sliverOverlaps.map(\.grids))")
        let context = GEOSContext()
        let rounded = sliver.polygon.geometry.mapPositions {
            Position(($0.x * 1e7).rounded() / 1e7, ($0.y * 1e7).rounded() / 1e7)
        }
        #expect(try GEOSGeometry(rounded, context: context).validity() != .valid)
        try ReportOutput.write(report, layers: layers, to: scratch.path)
        let slivers = try Self.expectValidAndWound(scratch.path + "/slivers.geojson")
        #expect(slivers.contains { $0.properties["grid_a"] == .string("G11") && $0.properties["grid_b"] == .string("G21") })
        let overlaps = try Self.expectValidAndWound(scratch.path + "/overlaps.geojson")
        #expect(!overlaps.contains { $0.properties["grid_b"] == .string("G21") && $0.properties["grid_a"] == .string("G11") })
    }

    @Test func exportWritesTheSliversLayerInEveryFormat() throws {
        let scratch = Scratch()
        let export = try LayerExport(layers: plantedLayers())
        let slivers = try export.features(.slivers)
        #expect(!slivers.isEmpty)
        #expect(try export.features(.gaps).allSatisfy { $0.properties["sliver"] == .bool(false) })
        let path = scratch.path + "/slivers.geojson"
        #expect(try export.write(.slivers, to: path, format: .geojson) == slivers.count)
        _ = try Self.expectValidAndWound(path)
        #expect(try export.write(.slivers, to: scratch.path + "/county.gpkg", format: .gpkg) == slivers.count)
    }

    /// The largest difference between the sorted vertex lists (rings may be written reversed, per RFC 7946).
    static func maxDifference(_ a: Geometry, _ b: Geometry) -> Double {
        func sorted(_ g: Geometry) -> [Position] {
            var out: [Position] = []
            g.forEachPosition { out.append($0) }
            return out.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        }
        let pa = sorted(a), pb = sorted(b)
        guard pa.count == pb.count else { return .infinity }
        return zip(pa, pb).map { max(abs($0.x - $1.x), abs($0.y - $1.y)) }.max() ?? 0
    }
}
