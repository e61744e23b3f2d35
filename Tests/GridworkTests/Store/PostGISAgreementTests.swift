import Foundation
import GeoJSON
import GridPostgres
import PostgresTestSupport
import SampleCounty
import Testing
@testable import Gridwork
@testable import GridworkCLI

/// Independent checks: PostGIS, computing in SQL over what the PostgreSQL store holds, agrees with gridwork's own
/// geocoding and coverage report (GEOS and the in-process index). The imperfect sample county is used: it has a
/// planted gap and overlap, so both measures are non-zero.
@Suite struct PostGISAgreementTests {
    static let county = "330182"

    /// A PostgreSQL database with the imperfect sample imported as county 330182.
    func imported() throws -> (db: String, store: any CountyStore, session: PostgresSession) {
        let cluster = try PostgresTestCluster.shared()
        let db = cluster.url(try cluster.makeDatabase())
        let store = try CountyStores.open(db: db, county: Self.county, create: true)
        _ = try CountyImporter(options: try SampleFiles.importOptions(.imperfect)).run(into: store)
        return (db, store, try PostgresSession.open(db))
    }

    /// `gridwork geocode --db postgres://… --county 330182` names, for every household point and for every grid
    /// vertex and edge midpoint (points on edges shared by grids), the grid PostGIS names with `ST_Covers` and the
    /// same tie rule (the lowest grid id, byte order).
    @Test func geocodeAgreesWithSTCovers() throws {
        let (db, store, session) = try imported()
        defer { session.close() }
        let scratch = Scratch()
        var points: [(id: String, x: Double, y: Double)] = []
        for h in try store.households() {
            if let p = h.location { points.append((h.householdID, p.x, p.y)) }
        }
        let households = points.count
        for grid in try store.grids() {
            guard case .polygon(let polygon) = grid.geometry else { continue }
            let ring = polygon.exterior.positions
            for k in 0..<(ring.count - 1) where k % 3 == 0 {
                points.append(("\(grid.gridID)-v\(k)", ring[k].x, ring[k].y))
                points.append(("\(grid.gridID)-m\(k)", (ring[k].x + ring[k + 1].x) / 2, (ring[k].y + ring[k + 1].y) / 2))
            }
        }
        #expect(households > 8_000)
        #expect(points.count > households + 1_000)
        let csv = scratch.write("points.csv", "id,lon,lat\n" + points.map { "\($0.id),\($0.x),\($0.y)" }.joined(separator: "\n") + "\n")
        let out = scratch.path + "/out.csv"
        var command = try GridworkCommand.parseAsRoot(["geocode", "--db", db, "--county", Self.county, "--points", csv,
                                                        "--out", out, "--no-address", "--threads", "2"])
        try command.run()
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let ours = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[1]) })
        #expect(ours.count == points.count)

        try session.run("CREATE TEMPORARY TABLE pts (id text PRIMARY KEY, geom geometry(Point, 4326))")
        var data = CopyText()
        for p in points {
            var wkb: [UInt8] = [1, 1, 0, 0, 0]
            withUnsafeBytes(of: p.x.bitPattern.littleEndian) { wkb += $0 }
            withUnsafeBytes(of: p.y.bitPattern.littleEndian) { wkb += $0 }
            data.append(rawRow: [p.id, CopyText.ewkbHex(wkb: wkb, srid: 4326)])
        }
        try session.copy(into: "pts", columns: ["id", "geom"], data: data)
        let version = try #require(try store.currentVersionID())
        let theirs = try session.query("""
            SELECT p.id, (SELECT g.grid_id FROM gridwork.grid g
                          WHERE g.county_code = $1 AND g.version_id = $2 AND ST_Covers(g.geom, p.geom)
                          ORDER BY g.grid_id COLLATE "C" LIMIT 1)
            FROM pts p
            """, [.text(Self.county), .int(version)])
        #expect(theirs.count == points.count)
        var disagreements: [String] = []
        var onSharedEdges = 0
        for row in theirs {
            let id = row[0].stringValue!, grid = row[1].stringValue ?? ""
            if ours[id] != grid { disagreements.append("\(id): gridwork \(ours[id] ?? "-"), PostGIS \(grid)") }
            if id.contains("-v") || id.contains("-m"), !grid.isEmpty, !id.hasPrefix(grid + "-") { onSharedEdges += 1 }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements: \(disagreements.prefix(10))")
        #expect(onSharedEdges > 100, "the tie rule was exercised (\(onSharedEdges) points went to a neighbour)")
    }

    /// The coverage report's gap and overlap areas equal PostGIS's, computed in SQL with ST_Union, ST_Difference and
    /// ST_Intersection and measured on the spheroid (geography), within 0.1 %.
    @Test func coverageAreasAgreeWithPostGIS() throws {
        let (_, store, session) = try imported()
        defer { session.close() }
        let report = try CoverageReport.compute(try CountyLayers.load(store: store))
        let version = try #require(try store.currentVersionID())
        let p: [PGValue] = [.text(Self.county), .int(version)]
        let gaps = try #require(try session.query("""
            WITH v AS (SELECT village_id, geom FROM gridwork.village WHERE county_code = $1 AND version_id = $2),
                 u AS (SELECT g.village_id, ST_Union(g.geom) AS geom FROM gridwork.grid g
                       WHERE g.county_code = $1 AND g.version_id = $2 GROUP BY g.village_id)
            SELECT coalesce(sum(ST_Area(ST_CollectionExtract(
                       CASE WHEN u.geom IS NULL THEN v.geom ELSE ST_Difference(v.geom, u.geom) END, 3)::geography)), 0)
            FROM v LEFT JOIN u USING (village_id)
            """, p).first?[0].doubleValue)
        let overlaps = try #require(try session.query("""
            SELECT coalesce(sum(ST_Area(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3)::geography)), 0)
            FROM gridwork.grid a JOIN gridwork.grid b
              ON b.county_code = a.county_code AND b.version_id = a.version_id AND a.grid_id < b.grid_id
             AND ST_Intersects(a.geom, b.geom)
            WHERE a.county_code = $1 AND a.version_id = $2
            """, p).first?[0].doubleValue)
        let ourGaps = report.gapAreaM2 + report.sliverGapAreaM2
        let ourOverlaps = report.overlapAreaM2 + report.sliverOverlapAreaM2
        #expect(report.gapAreaM2 > 1_000 && ourOverlaps > 0, "the planted gap and overlap are measured: \(ourGaps) m², \(ourOverlaps) m²")
        #expect(abs(ourGaps - gaps) <= 0.001 * gaps, "gaps: gridwork \(ourGaps) m², PostGIS \(gaps) m²")
        #expect(abs(ourOverlaps - overlaps) <= 0.001 * overlaps, "overlaps: gridwork \(ourOverlaps) m², PostGIS \(overlaps) m²")
    }
}
