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

    public init(grids: [Grid], buildings: [Building], snapMetres: Double) throws {
        guard !grids.isEmpty else { throw StoreError("the database has no grids: import them before serving") }
        placer = try PointPlacer(grids: grids, buildings: buildings, snapMetres: snapMetres)
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
