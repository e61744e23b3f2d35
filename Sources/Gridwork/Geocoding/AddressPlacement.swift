import GeoJSON
import GridAddress
import GridGeometry

extension AddressMatcher {
    /// A matcher over the buildings that carry a door-plate address (nil when none does), for placing households
    /// and incidents that come with an address and no coordinates.
    ///
    /// A building's grid is its `grid_id`; a building without one gets the grid that holds a point inside its
    /// footprint (GEOS PointOnSurface), located by the reports' rule (lowest grid id on a shared edge), so an
    /// address lands where a point in that building would.
    public static func forBuildings(_ buildings: [Building], grids: [Grid],
                                    aliases: [String: String] = [:]) throws -> AddressMatcher? {
        try forBuildings(buildings, grids: grids, aliases: aliases, pointsInside: [:])
    }

    /// As above, with points inside buildings already computed (`AddressPlacer` has one for every building), so no
    /// footprint goes through PointOnSurface twice.
    static func forBuildings(_ buildings: [Building], grids: [Grid], aliases: [String: String],
                             pointsInside: [String: Position]) throws -> AddressMatcher? {
        let addressed = buildings.filter { $0.address != nil }
        guard !addressed.isEmpty else { return nil }
        var locator: GridLocator? = nil
        let context = GEOSContext()
        var entries: [AddressedBuilding] = []
        entries.reserveCapacity(addressed.count)
        for b in addressed {
            var grid = b.gridID
            if grid == nil {
                if locator == nil { locator = try GridLocator(grids: grids, buildings: []) }
                let inside = try pointsInside[b.buildingID] ?? GEOSGeometry(b.geometry, context: context).pointOnSurface()
                grid = locator!.locate(inside).gridID
            }
            entries.append(AddressedBuilding(buildingID: b.buildingID, address: b.address!, gridID: grid))
        }
        return AddressMatcher(buildings: entries, aliases: aliases)
    }
}

/// Places one address at a time (an incident reported by address): the building the address names, its grid, and a
/// point inside the building (GEOS PointOnSurface) to stand for the location.
public struct AddressPlacer: Sendable {
    public let matcher: AddressMatcher
    /// A point inside each addressed building, longitude/latitude.
    let points: [String: Position]

    /// Nil when no building carries an address.
    public init?(buildings: [Building], grids: [Grid], aliases: [String: String] = [:]) throws {
        let context = GEOSContext()
        var points: [String: Position] = [:]
        for b in buildings where b.address != nil {
            points[b.buildingID] = try GEOSGeometry(b.geometry, context: context).pointOnSurface()
        }
        guard let matcher = try AddressMatcher.forBuildings(buildings, grids: grids, aliases: aliases,
                                                            pointsInside: points) else { return nil }
        self.matcher = matcher
        self.points = points
    }

    /// The match, and for a placed one (`exact`, `building`, `road_number`) the point inside its building.
    public func place(_ address: String) -> (match: AddressMatch, point: Position?) {
        let m = matcher.match(address)
        guard let b = m.buildingID, [.exact, .building, .roadNumber].contains(m.status) else { return (m, nil) }
        return (m, points[b])
    }
}
