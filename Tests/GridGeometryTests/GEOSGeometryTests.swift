import Foundation
import GeoJSON
import GridworkTestSupport
import Testing
@testable import GridGeometry

func square(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> LinearRing {
    LinearRing([Position(x0, y0), Position(x1, y0), Position(x1, y1), Position(x0, y1), Position(x0, y0)])
}

/// A 10×10 square with a 2×2 hole, and a separate second part: the shapes grids really take.
let squareWithHole = Polygon(exterior: square(0, 0, 10, 10), holes: [square(4, 4, 6, 6).reversed])
let multipart = Geometry.multiPolygon(MultiPolygon([squareWithHole, Polygon(exterior: square(20, 0, 22, 2))]))

@Suite struct GEOSGeometryTests {
    let context = GEOSContext()

    @Test func valueRoundTripKeepsHolesPartsAndOrder() throws {
        let g = try GEOSGeometry(multipart, context: context)
        #expect(try g.toGeometry() == multipart)
        #expect(try g.partCount() == 2)
        #expect(try g.area() == 100 - 4 + 4)
        #expect(g.typeName == "MultiPolygon")
    }

    @Test func wkbRoundTrip() throws {
        let g = try GEOSGeometry(multipart, context: context)
        let wkb = try g.wkb()
        #expect(wkb.first == 1) // little-endian
        let back = try GEOSGeometry(wkb: wkb, context: context)
        #expect(try back.toGeometry() == multipart)
        #expect(try back.wkt(decimals: 0).hasPrefix("MULTIPOLYGON"))
    }

    @Test func malformedWKBCarriesGEOSMessage() throws {
        #expect {
            try GEOSGeometry(wkb: [1, 3, 0, 0, 0, 9], context: context)
        } throws: { error in
            let e = error as! GEOSError
            return e.operation == "GEOSWKBReader_read_r" && !e.message.isEmpty
        }
    }

    @Test func unclosedRingIsRefusedWithGEOSReason() throws {
        let open = Polygon(exterior: LinearRing([Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 1)]))
        #expect {
            try GEOSGeometry(.polygon(open), context: context)
        } throws: { error in
            let e = error as! GEOSError
            return e.message.contains("closed")
        }
    }

    @Test func tooFewPointsIsInvalid() throws {
        // GEOS 3.11 builds a closed three-point ring but reports it invalid.
        let tiny = Polygon(exterior: LinearRing([Position(0, 0), Position(1, 0), Position(0, 0)]))
        let result = Result { try GEOSGeometry(.polygon(tiny), context: context).validity() }
        switch result {
        case .success(.invalid(let reason, _)): #expect(reason.lowercased().contains("too few points"))
        case .success(.valid): Issue.record("a three-point ring was reported valid")
        case .failure(let error): #expect((error as! GEOSError).message.contains("number of points"))
        }
    }

    @Test func failedHoleFreesTheShellAndOtherHoles() throws {
        // The second hole is invalid: the builder must free the shell and the first hole (checked by the leak test).
        let bad = Polygon(exterior: square(0, 0, 10, 10),
                          holes: [square(1, 1, 2, 2), LinearRing([Position(3, 3), Position(4, 4)])])
        #expect(throws: GEOSError.self) { try GEOSGeometry(.polygon(bad), context: context) }
    }

    @Test func bowtieIsInvalidWithReasonAndLocation() throws {
        let bowtie = Polygon(exterior: LinearRing([Position(0, 0), Position(2, 2), Position(2, 0), Position(0, 2),
                                                   Position(0, 0)]))
        let g = try GEOSGeometry(.polygon(bowtie), context: context)
        guard case .invalid(let reason, let location) = try g.validity() else {
            Issue.record("bowtie reported valid")
            return
        }
        #expect(reason.contains("Self-intersection"))
        #expect(location == Position(1, 1))

        let repaired = try g.makeValid()
        #expect(try repaired.validity() == .valid)
        #expect(abs(try repaired.area() - 2) < 1e-12)
    }

    @Test func validPolygonWithHoleIsValid() throws {
        let g = try GEOSGeometry(.polygon(squareWithHole), context: context)
        #expect(try g.validity() == .valid)
    }

    @Test func overlayAreas() throws {
        let a = try GEOSGeometry(.polygon(Polygon(exterior: square(0, 0, 2, 2))), context: context)
        let b = try GEOSGeometry(.polygon(Polygon(exterior: square(1, 1, 3, 3))), context: context)
        #expect(try a.intersection(b).area() == 1)
        #expect(try a.union(b).area() == 7)
        #expect(try a.difference(b).area() == 3)
        #expect(try a.symmetricDifference(b).area() == 6)
        #expect(try a.intersects(b))
        #expect(try !a.covers(b))
        #expect(try a.envelope() == BoundingBox(minX: 0, minY: 0, maxX: 2, maxY: 2))
        let both = try GEOSGeometry.collection([a, b], context: context)
        #expect(try both.unaryUnion().area() == 7)
    }

    @Test func coverageUnionOfTilingSquares() throws {
        let left = try GEOSGeometry(.polygon(Polygon(exterior: square(0, 0, 1, 1))), context: context)
        let right = try GEOSGeometry(.polygon(Polygon(exterior: square(1, 0, 2, 1))), context: context)
        let merged = try GEOSGeometry.collection([left, right], context: context).coverageUnion()
        #expect(try merged.area() == 2)
        #expect(try merged.toGeometry().polygons.count == 1)
    }

    @Test func preparedCoversCountsBoundaryPoints() throws {
        let g = try GEOSGeometry(.polygon(squareWithHole), context: context)
        let prepared = try g.prepared()
        #expect(try prepared.covers(Position(1, 1)))
        #expect(try prepared.covers(Position(0, 5)))      // on an edge
        #expect(try prepared.covers(Position(10, 10)))    // on a vertex
        #expect(try prepared.covers(Position(4, 5)))      // on the hole's edge
        #expect(try !prepared.covers(Position(5, 5)))     // inside the hole
        #expect(try !prepared.covers(Position(11, 5)))
    }

    @Test func strtreeFindsIntersectingBoxes() throws {
        let boxes = (0..<100).map { i in
            BoundingBox(minX: Double(i), minY: 0, maxX: Double(i) + 1, maxY: 1)
        }
        let tree = try STRtree(boxes: boxes, context: context)
        #expect(try tree.query(BoundingBox(minX: 10.5, minY: 0.5, maxX: 12.5, maxY: 0.6)) == [10, 11, 12])
        #expect(try tree.query(BoundingBox(minX: 200, minY: 0, maxX: 201, maxY: 1)).isEmpty)
    }

    @Test func pointOnSurfaceAndCentroid() throws {
        let g = try GEOSGeometry(.polygon(Polygon(exterior: square(0, 0, 2, 2))), context: context)
        #expect(try g.centroid() == Position(1, 1))
        let inside = try g.pointOnSurface()
        #expect(try g.prepared().covers(inside))
    }
}

@Suite struct GEOSHandleLeakTests {
    /// Creates and drops contexts, geometries, prepared geometries, trees and failing builds many times:
    /// resident memory must not grow with the number of iterations.
    @Test(.residentMemoryMeasurable) func repeatedUseDoesNotLeak() throws {
        func cycle(_ n: Int) throws {
            for _ in 0..<n {
                let context = GEOSContext()
                let g = try GEOSGeometry(multipart, context: context)
                _ = try GEOSGeometry(wkb: try g.wkb(), context: context)
                _ = try g.prepared().covers(Position(1, 1))
                _ = try g.unaryUnion().validity()
                _ = try STRtree(boxes: [BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1)], context: context)
                    .query(BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1))
                let bad = Polygon(exterior: square(0, 0, 10, 10), holes: [LinearRing([Position(3, 3), Position(4, 4)])])
                _ = try? GEOSGeometry(.polygon(bad), context: context)
                _ = try? GEOSGeometry(wkb: [1, 3, 0], context: context)
            }
        }
        try cycle(2_000) // warm up allocator pools
        let before = try ResidentMemory.bytes()
        try cycle(20_000)
        let grown = try ResidentMemory.bytes() - before
        // Leaking even one small geometry per iteration would grow by several megabytes.
        #expect(grown < 4 * 1024 * 1024, "resident memory grew by \(grown) bytes over 20,000 cycles")
    }
}
