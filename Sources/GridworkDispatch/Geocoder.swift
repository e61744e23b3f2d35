import Foundation
import GeoJSON
import Gridwork
import GridProjection

/// Turns a reported location in any CRS the geocoder takes into longitude/latitude, grid and building, with
/// Gridwork's `PointPlacer` (the placement rules the bulk geocoder uses too), its refusals as `DispatchError`s:
/// `invalidInput` for the request's own faults (CRS, numbers, swapped or projected coordinates, PROJ), and
/// `unprocessable` for a point outside every grid.
public final class IncidentGeocoder: Sendable {
    public let placer: PointPlacer
    public var grids: [Grid] { placer.grids }
    public var buildings: [Building] { placer.buildings }
    public var snapMetres: Double { placer.snapMetres }
    /// The county's extent (longitude/latitude), for error messages.
    public var bounds: BoundingBox { placer.bounds }

    /// Where a point is: longitude/latitude, the CRS it came in, grid and building.
    public typealias Located = PlacedPoint

    /// Places reports that give an address and no location; nil when no building carries an address.
    public let addressPlacer: AddressPlacer?

    public init(grids: [Grid], buildings: [Building], snapMetres: Double) throws {
        guard !grids.isEmpty else { throw StoreError("the database has no grids: import them before serving") }
        placer = try PointPlacer(grids: grids, buildings: buildings, snapMetres: snapMetres)
        addressPlacer = try AddressPlacer(buildings: buildings, grids: grids)
    }

    /// Places a report by its address: the building it names surely (exact, building, road_number), its grid, and
    /// a point inside the building. An address that names no single building is refused (`unprocessable`) with the
    /// matcher's reason and the candidates, never placed by a guess.
    public func locate(address: String) throws -> Located {
        guard let addressPlacer else {
            throw DispatchError(.unprocessable, "this county's buildings have no door-plate addresses; give the location (x, y; Open311: lat, long)")
        }
        let (match, point) = addressPlacer.place(address)
        guard let point, let building = match.buildingID else {
            var message = "address \(address) names no single building (\(match.status.rawValue)"
                + (match.reason.map { ": \($0)" } ?? "") + ")"
            if !match.candidates.isEmpty { message += "; candidates: " + match.candidates.prefix(10).joined(separator: ", ") }
            throw DispatchError(.unprocessable, message + "; give the building (幢/栋), the town, or the location")
        }
        let result = GeocodeResult(gridID: match.gridID, buildingID: building, status: .address)
        return Located(lon: point.x, lat: point.y, crs: .wgs84, result: result)
    }

    /// Locates `(x, y)` given in `crsText`. Throws `DispatchError` (`invalidInput` or `unprocessable`) saying what to fix.
    public func locate(x: Double, y: Double, crsText: String) throws -> Located {
        do {
            return try placer.locate(x: x, y: y, crsText: crsText)
        } catch let error as PlacementError {
            switch error {
            case .outside: throw DispatchError(.unprocessable, error.description)
            default: throw DispatchError(.invalidInput, error.description)
            }
        }
    }
}
