import GeoJSON
import Testing
@testable import GridProjection

@Suite struct CoordinateReferenceSystemTests {
    @Test(arguments: [
        ("EPSG:4549", CoordinateReferenceSystem.epsg(4549)),
        ("epsg:4326", .wgs84),
        ("4326", .wgs84),
        ("  4490 ", .cgcs2000),
        ("WGS84", .wgs84),
        ("wgs84", .wgs84),
        ("CGCS2000", .cgcs2000),
        ("cgcs2000", .cgcs2000),
        ("GCJ02", .gcj02),
        ("gcj-02", .gcj02),
        ("BD09", .bd09),
        ("Bd-09", .bd09),
        ("urn:ogc:def:crs:EPSG::4547", .epsg(4547)),
    ])
    func parsesAcceptedForms(text: String, expected: CoordinateReferenceSystem) throws {
        #expect(try CoordinateReferenceSystem(parsing: text) == expected)
    }

    @Test func epsgCodesOfNamedSystemsAreTheNamedCases() throws {
        #expect(CoordinateReferenceSystem.epsg(4326) == .wgs84)
        #expect(CoordinateReferenceSystem.epsg(4490) == .cgcs2000)
        #expect(Set([CoordinateReferenceSystem.epsg(4326), .wgs84, .epsg(4490), .cgcs2000]).count == 2)
        #expect(CoordinateReferenceSystem.gcj02 != .wgs84)
        #expect(CoordinateReferenceSystem.epsg(4549) != .epsg(4550))
    }

    @Test func descriptionParsesBack() throws {
        for crs in [CoordinateReferenceSystem.wgs84, .cgcs2000, .epsg(4549), .gcj02, .bd09] {
            #expect(try CoordinateReferenceSystem(parsing: crs.description) == crs)
        }
        #expect(CoordinateReferenceSystem.wgs84.description == "EPSG:4326")
        #expect(CoordinateReferenceSystem.gcj02.description == "GCJ-02")
    }

    @Test func geographicOrProjected() {
        #expect(CoordinateReferenceSystem.wgs84.isGeographic)
        #expect(CoordinateReferenceSystem.cgcs2000.isGeographic)
        #expect(CoordinateReferenceSystem.gcj02.isGeographic)
        #expect(CoordinateReferenceSystem.bd09.isGeographic)
        #expect(!CoordinateReferenceSystem.epsg(4549).isGeographic)
        #expect(!CoordinateReferenceSystem.epsg(3857).isGeographic)  // asked of PROJ
        #expect(CoordinateReferenceSystem.epsg(4214).isGeographic)  // Beijing 1954, asked of PROJ
        #expect(!CoordinateReferenceSystem.epsg(999_999).isGeographic)
    }

    @Test func unknownEPSGCodeCarriesPROJMessage() {
        do {
            _ = try CoordinateReferenceSystem(parsing: "EPSG:999999")
            Issue.record("EPSG:999999 was accepted")
        } catch let error as ProjectionError {
            guard case .unknownEPSG(let code, let message) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(code == 999_999)
            #expect(message.contains("crs not found"), "PROJ's message: \(message)")
            #expect(error.description.contains("EPSG:999999 is not in PROJ's database"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: ["", "EPSG:", "EPSG:abc", "WGS-1984x", "4326.5", "EPSG:-4326", "GCJ 02 please"])
    func garbageTextListsAcceptedForms(text: String) {
        #expect {
            try CoordinateReferenceSystem(parsing: text)
        } throws: { error in
            guard let error = error as? ProjectionError, case .unrecognizedCRSText(let echoed) = error else { return false }
            let message = error.description
            return echoed == text && message.contains("\"\(text)\"") && message.contains("EPSG:4549")
                && message.contains("GCJ-02") && message.contains("BD-09") && message.contains("CGCS2000")
        }
    }
}
