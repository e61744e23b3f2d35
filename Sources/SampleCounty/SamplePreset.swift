/// The sizes of the sample counties, from public reports of county grid-governance pilots (see DOMAIN.md).
public enum SamplePreset: String, CaseIterable, Sendable {
    /// One town, three villages, about ten grids: for fast tests.
    case tiny
    /// Jiande, Zhejiang: 16 towns, 256 villages, 705 grids, 25 departments.
    case jiande
    /// Liyang, Jiangsu: 951 grids, 4,071 urban buildings of which 4,035 have a building head, 30 departments.
    case liyang
    /// A county of 248 grids in 70 villages with planted faults (`PlantedFault`): 28 buildings across grid lines,
    /// 9 across village lines, an exclave, a gap and an overlap. For the planner and the coverage report.
    case imperfect

    /// The figures the generator reproduces for this preset.
    public var figures: SampleFigures {
        switch self {
        case .tiny:
            SampleFigures(
                countyName: "样例县", centre: (lon: 119.30, lat: 29.50), areaKm2: 14,
                towns: 1, villages: 3, grids: 10, urbanBuildings: 12, buildingsWithoutHead: 1,
                households: 320, gridsWithoutWorker: 1, departments: 14, incidents: 120, year: 2025)
        case .jiande:
            SampleFigures(
                countyName: "建德市", centre: (lon: 119.30, lat: 29.50), areaKm2: 2321,
                towns: 16, villages: 256, grids: 705, urbanBuildings: 4000, buildingsWithoutHead: 20,
                households: 150_000, gridsWithoutWorker: 3, departments: 25, incidents: 9000, year: 2025)
        case .liyang:
            SampleFigures(
                countyName: "溧阳市", centre: (lon: 119.40, lat: 31.40), areaKm2: 1535,
                towns: 12, villages: 285, grids: 951, urbanBuildings: 4071, buildingsWithoutHead: 36,
                households: 200_000, gridsWithoutWorker: 3, departments: 30, incidents: 12_000, year: 2025)
        case .imperfect:
            SampleFigures(
                countyName: "样例市", centre: (lon: 119.60, lat: 29.90), areaKm2: 420,
                towns: 5, villages: 70, grids: 248, urbanBuildings: 150, buildingsWithoutHead: 4,
                households: 9_000, gridsWithoutWorker: 2, departments: 20, incidents: 1_500, year: 2025)
        }
    }
}

/// What a preset asks for. Counts are exact unless noted.
public struct SampleFigures: Sendable {
    /// The county's name in addresses and the manifest.
    public var countyName: String
    /// Roughly where the county lies (WGS84 degrees).
    public var centre: (lon: Double, lat: Double)
    /// Approximate area of the county (the outline is drawn at random around this size).
    public var areaKm2: Double
    public var towns: Int
    public var villages: Int
    public var grids: Int
    /// Urban buildings (apartment blocks in town centres); rural houses come on top.
    public var urbanBuildings: Int
    /// Urban buildings planted without a building head, for the coverage report to find.
    public var buildingsWithoutHead: Int
    public var households: Int
    /// Grids planted without a full-time grid worker (vacancies), for the coverage report to find.
    public var gridsWithoutWorker: Int
    public var departments: Int
    /// Incidents reported over the year.
    public var incidents: Int
    /// The calendar year of the incidents.
    public var year: Int

    /// Full-time grid workers: one per grid except the planted vacancies.
    public var fullTimeWorkers: Int { grids - gridsWithoutWorker }
    /// Part-time grid workers: three per grid on average.
    public var partTimeWorkers: Int { grids * 3 }
    /// Building heads: one per urban building except the planted ones.
    public var buildingHeads: Int { urbanBuildings - buildingsWithoutHead }
}
