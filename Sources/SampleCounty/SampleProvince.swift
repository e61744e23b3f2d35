import Foundation
import GeoJSON

/// A county's place in the administrative divisions (行政区划) of a synthetic province. Codes have the form of
/// GB/T 2260's six digits: two for the province, two for the prefecture city, two for the county (`01` is the
/// city's own placeholder, so districts 区 start at `02`, counties 县 at `21`, county-level cities 市 at `81`).
/// All of them are synthetic: the province prefix is `SampleProvince.provincePrefix`, which no real province has.
public struct SampleDivision: Sendable, Hashable {
    /// "390000".
    public var provinceCode: String
    public var provinceName: String
    /// "390100".
    public var cityCode: String
    public var cityName: String
    /// "390102".
    public var countyCode: String

    public init(provinceCode: String, provinceName: String, cityCode: String, cityName: String, countyCode: String) {
        self.provinceCode = provinceCode
        self.provinceName = provinceName
        self.cityCode = cityCode
        self.cityName = cityName
        self.countyCode = countyCode
    }

    /// Whether `code` is six ASCII digits (the form of a county code; says nothing of whether the county exists).
    public static func isCountyCode(_ code: String) -> Bool {
        code.utf8.count == 6 && code.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

/// A seeded synthetic province: `counties` counties, each a realistic county as the presets make them (towns,
/// villages, grids, buildings, households, staff, departments, a year of incidents) with its own figures, name,
/// six-digit county code and place, grouped into prefecture cities of 10 to 15 counties (fewer only when the
/// province is smaller than one city). Counties lie on a province lattice spaced so that no two extents meet.
///
/// The plan (names, codes, figures, places) is cheap; `generateCounty(_:)` and `write(to:jobs:progress:)` make the
/// counties, which are independent: `write` spreads them over `jobs` threads, and the output does not depend on
/// `jobs` (each county has its own seed and is written to its own directory).
public struct SampleProvince: Sendable {
    /// The `--preset` name of a province, written into its counties' manifests and county features.
    public static let presetName = "province"
    /// Counties of `--preset province`.
    public static let defaultCountyCount = 22
    /// The most counties one province may have here (seven cities of about fourteen).
    public static let maximumCountyCount = 99
    /// The two-digit province prefix of every code: no real province of GB/T 2260 uses 39.
    public static let provincePrefix = "39"
    /// What the manifests say about the codes.
    public static let codeNote = "GB/T 2260 form; prefix 39 belongs to no real province"
    /// The county-level figures a province averages: Jiande-like counties.
    public static let meanHouseholds = 150_000
    public static let meanGrids = 700

    /// A prefecture city (地级市) of the province and the codes of its counties, in code order.
    public struct City: Sendable, Hashable {
        public var code: String
        public var name: String
        public var countyCodes: [String]
    }

    /// One county of the plan: what `SampleCountyGenerator` needs to make it, and where it goes.
    public struct County: Sendable {
        public var figures: SampleFigures
        public var division: SampleDivision
        public var seed: UInt64
        /// The county's directory under the province's: its code.
        public var directory: String { division.countyCode }

        public func generator() -> SampleCountyGenerator {
            SampleCountyGenerator(figures: figures, division: division, seed: seed)
        }
    }

    public let seed: UInt64
    public let code: String
    public let name: String
    public let cities: [City]
    public let counties: [County]
    /// Distance between neighbouring county centres on the province lattice (metres), at least twice the largest
    /// extent a county outline can reach from its centre.
    public let spacingMetres: Double

    /// Plans a province of `countyCount` counties (1 to `maximumCountyCount`).
    public init(counties countyCount: Int = defaultCountyCount, seed: UInt64) {
        precondition((1...Self.maximumCountyCount).contains(countyCount),
                     "a sample province has 1 to \(Self.maximumCountyCount) counties, not \(countyCount)")
        self.seed = seed
        var random = Xoshiro256(seed: seed, stream: "province")
        var used = Set<String>(["样例县", "样例市"])
        code = Self.provincePrefix + "0000"
        name = "样例省"

        // Cities: as few as keep each at most 15 counties; counties shared out evenly (10–15 each from 20 on).
        let cityCount = (countyCount + 14) / 15
        let perCity = apportion(countyCount, weights: [Double](repeating: 1, count: cityCount))

        // Sizes: fixed totals (mean × count) shared out by one weight per county, so a province always holds
        // `meanHouseholds` and `meanGrids` per county on average.
        let weights = (0..<countyCount).map { _ in random.uniform(0.75, 1.25) }
        let households = apportion(Self.meanHouseholds * countyCount, weights: weights)
        let grids = apportion(Self.meanGrids * countyCount, weights: weights.map { $0 * random.uniform(0.92, 1.08) })
        let areas = weights.map { $0 * random.uniform(1500, 2100) }

        // The lattice: columns × rows, walked row by row in alternating directions, so each city's counties are
        // neighbours. Spacing: a county outline reaches at most 1.5 radii from its centre (the generator caps the
        // outline's wobble at half the radius), its centre moves up to 0.0305° (about 3.4 km), and its cells add
        // under 1 km: 6 km of margin on each side.
        let largestRadius = (areas.max()! * 1e6 / Double.pi).squareRoot()
        spacingMetres = 2 * (1.5 * largestRadius + 6_000)
        let columns = Int(Double(countyCount).squareRoot().rounded(.up))
        let rows = (countyCount + columns - 1) / columns
        let south = 27.0, west = 116.0
        let latStep = spacingMetres / 110_574
        let northernmost = south + Double(rows) * latStep
        let lonStep = spacingMetres / (111_320 * portableCos(northernmost * Double.pi / 180))

        var cities: [City] = []
        var counties: [County] = []
        var next = 0
        for c in 0..<cityCount {
            let cityCode = Self.provincePrefix + padded(c + 1, 2) + "00"
            let cityName = Names.placeStem(&random, used: &used, suffix: "市")
            let m = perCity[c]
            // GB/T 2260's numbering: districts from 02, counties from 21, county-level cities from 81.
            let districts = min(3, max(1, m / 4))
            let countyLevelCities = min(3, m / 5)
            var codes: [(code: String, suffix: String)] = []
            let cityPrefix = String(cityCode.prefix(4))
            for k in 0..<districts { codes.append((cityPrefix + padded(2 + k, 2), "区")) }
            for k in 0..<(m - districts - countyLevelCities) { codes.append((cityPrefix + padded(21 + k, 2), "县")) }
            for k in 0..<countyLevelCities { codes.append((cityPrefix + padded(81 + k, 2), "市")) }
            for (countyCode, suffix) in codes {
                let k = next
                next += 1
                let row = k / columns
                let column = row % 2 == 0 ? k % columns : columns - 1 - k % columns
                let centre = (lon: west + (Double(column) + 0.5) * lonStep, lat: south + (Double(row) + 0.5) * latStep)
                let countyName = Names.placeStem(&random, used: &used, suffix: suffix)
                let towns = Int((weights[k] * random.uniform(11, 16)).rounded())
                let villages = Int((Double(grids[k]) / random.uniform(2.5, 3.2)).rounded())
                let figures = SampleFigures(
                    countyName: countyName, centre: centre, areaKm2: areas[k], towns: towns, villages: villages,
                    grids: grids[k], urbanBuildings: Int((weights[k] * random.uniform(2600, 3600)).rounded()),
                    buildingsWithoutHead: random.int(in: 8...36), households: households[k],
                    gridsWithoutWorker: random.int(in: 1...4), departments: random.int(in: 20...30),
                    incidents: Int((Double(households[k]) * random.uniform(0.05, 0.07)).rounded()), year: 2025)
                var countySeed = Xoshiro256(seed: seed, stream: "county " + countyCode)
                counties.append(County(
                    figures: figures,
                    division: SampleDivision(provinceCode: code, provinceName: name, cityCode: cityCode,
                                             cityName: cityName, countyCode: countyCode),
                    seed: countySeed.next()))
            }
            cities.append(City(code: cityCode, name: cityName, countyCodes: codes.map(\.code)))
        }
        self.cities = cities
        self.counties = counties
    }

    /// Generates county `index` of the plan.
    public func generateCounty(_ index: Int) -> SampleCounty {
        counties[index].generator().generate()
    }

    /// What `write` records of one county in the province manifest.
    public struct CountySummary: Sendable, Hashable {
        public var code: String
        public var name: String
        public var cityCode: String
        public var directory: String
        public var seed: UInt64
        /// West, south, east, north (degrees) of the county outline.
        public var bbox: [Double]
        public var towns: Int
        public var villages: Int
        public var grids: Int
        public var buildings: Int
        public var households: Int
        public var staff: Int
        public var departments: Int
        public var incidents: Int

        init(_ county: SampleCounty, plan: County) {
            code = plan.division.countyCode
            name = county.countyName
            cityCode = plan.division.cityCode
            directory = plan.directory
            seed = plan.seed
            var west = Double.infinity, south = Double.infinity, east = -Double.infinity, north = -Double.infinity
            for polygon in county.county.geometry?.polygons ?? [] {
                for p in polygon.exterior.positions {
                    west = min(west, p.x); east = max(east, p.x)
                    south = min(south, p.y); north = max(north, p.y)
                }
            }
            bbox = [west, south, east, north]
            towns = county.towns.count
            villages = county.villages.count
            grids = county.grids.count
            buildings = county.buildings.count
            households = county.households.count
            staff = county.staff.count
            departments = county.departments.count
            incidents = county.incidents.count
        }

        var counts: [(String, Int)] {
            [("towns", towns), ("villages", villages), ("grids", grids), ("buildings", buildings),
             ("households", households), ("staff", staff), ("departments", departments), ("incidents", incidents)]
        }
    }

    /// The province manifest's file name, beside the county directories.
    public static let manifestName = "province.json"

    /// Generates every county and writes it to `directory/CODE/` (the files of `SampleCounty.write`), then the
    /// province manifest (`province.json`: province, cities, counties with codes, extents and counts, totals).
    /// Counties are made on `jobs` threads; `progress` hears each county as it is written (from any thread).
    @discardableResult
    public func write(to directory: String, jobs: Int = 1,
                      progress: (@Sendable (CountySummary) -> Void)? = nil) throws -> [CountySummary] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SampleCountyWriteError(path: directory, message: "cannot create the directory (\(error.localizedDescription)); check the path and permissions")
        }
        let shared = WriteState(count: counties.count)
        let workers = max(1, min(jobs, counties.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let k = shared.take() {
                let plan = counties[k]
                let county = plan.generator().generate()
                do {
                    try county.write(to: (directory as NSString).appendingPathComponent(plan.directory))
                    let summary = CountySummary(county, plan: plan)
                    shared.done(k, summary)
                    progress?(summary)
                } catch {
                    shared.failed(error)
                }
            }
        }
        let summaries = try shared.result()
        let file = try TextFile(path: (directory as NSString).appendingPathComponent(Self.manifestName))
        try file.append(manifestJSON(summaries))
        try file.close()
        return summaries
    }

    /// The province manifest for the counties' summaries (in plan order).
    public func manifestJSON(_ summaries: [CountySummary]) -> String {
        var text = "{\n"
        text += "  \"generator\": \"gridwork SampleProvince 1\",\n"
        text += "  \"preset\": \"\(Self.presetName)\",\n"
        text += "  \"seed\": \(seed),\n"
        text += "  \"province\": {\"code\": \"\(code)\", \"name\": \(jsonString(name))},\n"
        text += "  \"crs\": \"EPSG:4326\",\n"
        text += "  \"synthetic\": true,\n"
        text += "  \"note\": \"Synthetic data: names, addresses, phone numbers and administrative division codes "
            + "(\(Self.codeNote)) describe no real place or person.\",\n"
        text += "  \"cities\": [\n"
        text += cities.map { city in
            "    {\"code\": \"\(city.code)\", \"name\": \(jsonString(city.name)), \"counties\": ["
                + city.countyCodes.map { "\"\($0)\"" }.joined(separator: ", ") + "]}"
        }.joined(separator: ",\n")
        text += "\n  ],\n"
        text += "  \"counties\": [\n"
        text += summaries.map { s in
            "    {\"code\": \"\(s.code)\", \"name\": \(jsonString(s.name)), \"city\": \"\(s.cityCode)\", "
                + "\"directory\": \(jsonString(s.directory)), \"seed\": \(s.seed), \"bbox\": ["
                + s.bbox.map(coordinateText).joined(separator: ", ") + "], \"counts\": {"
                + s.counts.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}}"
        }.joined(separator: ",\n")
        text += "\n  ],\n"
        let totals: [(String, Int)] = [
            ("cities", cities.count), ("counties", summaries.count),
            ("towns", summaries.reduce(0) { $0 + $1.towns }), ("villages", summaries.reduce(0) { $0 + $1.villages }),
            ("grids", summaries.reduce(0) { $0 + $1.grids }), ("buildings", summaries.reduce(0) { $0 + $1.buildings }),
            ("households", summaries.reduce(0) { $0 + $1.households }), ("staff", summaries.reduce(0) { $0 + $1.staff }),
            ("incidents", summaries.reduce(0) { $0 + $1.incidents }),
        ]
        text += "  \"totals\": {" + totals.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}\n"
        text += "}\n"
        return text
    }
}

/// The work list and results of `SampleProvince.write`, shared by its threads.
private final class WriteState: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private var summaries: [SampleProvince.CountySummary?]
    private var errors: [any Error] = []

    init(count: Int) {
        self.count = count
        summaries = [SampleProvince.CountySummary?](repeating: nil, count: count)
    }

    /// The next county to make; nil when none is left or one has failed.
    func take() -> Int? {
        lock.withLock {
            guard next < count, errors.isEmpty else { return nil }
            next += 1
            return next - 1
        }
    }

    func done(_ k: Int, _ summary: SampleProvince.CountySummary) { lock.withLock { summaries[k] = summary } }
    func failed(_ error: any Error) { lock.withLock { errors.append(error) } }

    func result() throws -> [SampleProvince.CountySummary] {
        try lock.withLock {
            if let error = errors.first { throw error }
            return summaries.map { $0! }
        }
    }
}
