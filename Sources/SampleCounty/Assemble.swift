import Foundation
import GeoJSON

/// `n` in decimal, zero-padded to `width` digits.
func padded(_ n: Int, _ width: Int) -> String {
    let digits = String(n)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

extension CountyBuilder {
    mutating func assemble() -> SampleCounty {
        var random = stream("names")
        var used = Set<String>()
        let county = figures.countyName

        // Names and ids.
        let townNames = (0..<figures.towns).map { t in
            Names.placeStem(&random, used: &used, suffix: t == 0 ? "街道" : (random.chance(0.2) ? "乡" : "镇"))
        }
        let townIDs = (0..<figures.towns).map { "T" + padded($0 + 1, 2) }
        var urbanHouseholds = [Int](repeating: 0, count: figures.villages)
        var ruralHouseholds = urbanHouseholds
        for b in buildings {
            let v = Int(villageOwner[b.cell])
            if b.urban { urbanHouseholds[v] += b.households } else { ruralHouseholds[v] += b.households }
        }
        var villageIDs: [String] = []
        var villageNames: [String] = []
        var villagesInTown = [Int](repeating: 0, count: figures.towns)
        for v in 0..<figures.villages {
            let t = Int(villageTown[v])
            villagesInTown[t] += 1
            villageIDs.append(townIDs[t] + "-V" + padded(villagesInTown[t], 2))
            villageNames.append(Names.placeStem(&random, used: &used,
                                                suffix: urbanHouseholds[v] > ruralHouseholds[v] ? "社区" : "村"))
        }
        var gridIDs: [String] = []
        var gridNames: [String] = []
        var gridsInVillage = [Int](repeating: 0, count: figures.villages)
        for g in 0..<figures.grids {
            let v = Int(gridVillage[g])
            gridsInVillage[v] += 1
            gridIDs.append(villageIDs[v] + "-G" + padded(gridsInVillage[v], 2))
            gridNames.append(villageNames[v] + "第" + String(gridsInVillage[v]) + "网格")
        }

        // Building ids, addresses and places.
        let plates = doorPlates(county: county, townNames: townNames, villageNames: villageNames,
                                names: &random, used: &used)
        for k in buildings.indices {
            buildings[k].address = plates[k].text
            buildings[k].place = plates[k].place
        }
        let buildingIDs = buildings.indices.map { "B" + padded($0 + 1, 6) }

        // Staff.
        var staffRandom = stream("staff")
        var phoneSuffixes = Array(0..<10_000)
        staffRandom.shuffle(&phoneSuffixes)
        let phonePrefixes = ["1380000", "1390000", "1370000", "1360000"]
        var staff: [SampleStaff] = []
        func addStaff(_ role: SampleStaff.Role, grid: String, building: String, onDuty: Double, random: inout Xoshiro256) {
            let k = staff.count
            precondition(k < phonePrefixes.count * 10_000, "sample county: more staff than synthetic phone numbers")
            staff.append(SampleStaff(
                id: "S" + padded(k + 1, 5), role: role, gridID: grid, buildingID: building,
                name: Names.person(&random), phone: phonePrefixes[k / 10_000] + padded(phoneSuffixes[k % 10_000], 4),
                onDuty: random.chance(onDuty)))
        }
        var vacant = Array(0..<figures.grids)
        staffRandom.shuffle(&vacant)
        let vacantGrids = Set(vacant.prefix(figures.gridsWithoutWorker))
        for g in 0..<figures.grids where !vacantGrids.contains(g) {
            addStaff(.gridWorker, grid: gridIDs[g], building: "", onDuty: 0.97, random: &staffRandom)
        }
        var partTime = [Int](repeating: 3, count: figures.grids)
        if figures.grids > 1 {
            for _ in 0..<(figures.grids / 3) {
                let a = staffRandom.index(figures.grids), b = staffRandom.index(figures.grids)
                if a != b, partTime[a] < 4, partTime[b] > 2 {
                    partTime[a] += 1
                    partTime[b] -= 1
                }
            }
        }
        for g in 0..<figures.grids {
            for _ in 0..<partTime[g] {
                addStaff(.partTimeWorker, grid: gridIDs[g], building: "", onDuty: 0.92, random: &staffRandom)
            }
        }
        var urbanIndices = buildings.indices.filter { buildings[$0].urban }
        staffRandom.shuffle(&urbanIndices)
        let headless = Set(urbanIndices.prefix(figures.buildingsWithoutHead))
        var headOf = [Int: String]()
        for k in buildings.indices where buildings[k].urban && !headless.contains(k) {
            addStaff(.buildingHead, grid: gridIDs[Int(gridOwner[buildings[k].cell])], building: buildingIDs[k],
                     onDuty: 0.95, random: &staffRandom)
            headOf[k] = staff[staff.count - 1].id
        }

        // Households.
        var householdRandom = stream("households")
        let residentWeights = [0.20, 0.32, 0.24, 0.14, 0.06, 0.04]
        var households: [SampleHousehold] = []
        households.reserveCapacity(figures.households)
        var buildingOfHousehold: [Int] = []
        buildingOfHousehold.reserveCapacity(figures.households)
        var gridHouseholds = [Int](repeating: 0, count: figures.grids)
        var registerRandom = stream("register")
        let registerKinds = variantKinds.filter {
            ["no_prefix", "building_word", "numerals", "full_width", "spaces", "committee", "annex_form"].contains($0.kind)
        }
        for (k, b) in buildings.enumerated() {
            let g = Int(gridOwner[b.cell])
            gridHouseholds[g] += b.households
            for h in 0..<b.households {
                let u = householdRandom.uniform(-0.7, 0.7) * b.halfLength
                let w = householdRandom.uniform(-0.7, 0.7) * b.halfWidth
                let (cosA, sinA) = (portableCos(b.angle), portableSin(b.angle))
                let p = lattice.units(fromMetres: b.centre.x + u * cosA - w * sinA, b.centre.y + u * sinA + w * cosA)
                let suffix: String
                if b.urban {
                    let floor = h / b.unitsPerFloor + 1
                    suffix = String(floor) + padded(h % b.unitsPerFloor + 1, 2) + "室"
                } else {
                    suffix = h == 0 ? "" : "之" + Names.chineseDigits[h + 1]
                }
                var address = b.address + suffix
                if registerRandom.chance(0.15) {
                    // A register writes about one address in seven differently from the door plate.
                    let kind = registerKinds[registerRandom.weightedIndex(registerKinds.map(\.weight))].kind
                    address = variant(kind, of: plates[k], room: suffix, oldNames: [:], knownNames: [],
                                      random: &registerRandom)?.0 ?? address
                }
                households.append(SampleHousehold(
                    id: "H" + padded(households.count + 1, 7), buildingID: buildingIDs[k], gridID: gridIDs[g],
                    address: address, lon: Double(p.x) / Lattice.unitsPerDegree,
                    lat: Double(p.y) / Lattice.unitsPerDegree,
                    residents: householdRandom.weightedIndex(residentWeights) + 1))
                buildingOfHousehold.append(k)
            }
        }

        // Features.
        let countyOwner = townOwner.map { $0 >= 0 ? Int32(0) : -1 }
        let countyGeometry = traceRegions(owner: countyOwner, regionCount: 1, lattice: lattice)[0]
        let townGeometry = traceRegions(owner: townOwner, regionCount: figures.towns, lattice: lattice)
        let villageGeometry = traceRegions(owner: villageOwner, regionCount: figures.villages, lattice: lattice)
        let gridGeometry = traceRegions(owner: gridOwner, regionCount: figures.grids, lattice: lattice)
        var countyFeature = Feature(id: .string("county"), geometry: countyGeometry, properties: [
            "name": .string(county), "preset": .string(preset.rawValue), "seed": .string(String(seed)),
            "synthetic": .bool(true),
        ])
        if let division {
            // A county of a synthetic province says so, with its (synthetic) administrative division codes.
            countyFeature.properties["preset"] = .string(SampleProvince.presetName)
            countyFeature.properties["county_code"] = .string(division.countyCode)
            countyFeature.properties["city_code"] = .string(division.cityCode)
            countyFeature.properties["city"] = .string(division.cityName)
            countyFeature.properties["province_code"] = .string(division.provinceCode)
            countyFeature.properties["province"] = .string(division.provinceName)
        }
        let towns = (0..<figures.towns).map { t in
            Feature(id: .string(townIDs[t]), geometry: townGeometry[t], properties: [
                "town_id": .string(townIDs[t]), "name": .string(townNames[t]),
            ])
        }
        let villages = (0..<figures.villages).map { v in
            Feature(id: .string(villageIDs[v]), geometry: villageGeometry[v], properties: [
                "village_id": .string(villageIDs[v]), "town_id": .string(townIDs[Int(villageTown[v])]),
                "name": .string(villageNames[v]),
            ])
        }
        let grids = (0..<figures.grids).map { g in
            let v = Int(gridVillage[g])
            return Feature(id: .string(gridIDs[g]), geometry: gridGeometry[g], properties: [
                "grid_id": .string(gridIDs[g]), "village_id": .string(villageIDs[v]),
                "town_id": .string(townIDs[Int(villageTown[v])]), "name": .string(gridNames[g]),
                "households": .number(Double(gridHouseholds[g])),
            ])
        }
        let buildingFeatures = buildings.enumerated().map { k, b in
            let ring = (b.corners + [b.corners[0]]).map {
                Position(Double($0.x) / Lattice.unitsPerDegree, Double($0.y) / Lattice.unitsPerDegree)
            }
            return Feature(id: .string(buildingIDs[k]), geometry: .polygon(Polygon(exterior: LinearRing(ring))), properties: [
                "building_id": .string(buildingIDs[k]), "grid_id": .string(gridIDs[Int(gridOwner[b.cell])]),
                "village_id": .string(villageIDs[Int(villageOwner[b.cell])]),
                "kind": .string(b.urban ? "urban" : "rural"), "floors": .number(Double(b.floors)),
                "households": .number(Double(b.households)), "address": .string(b.address),
                "head_staff_id": headOf[k].map { .string($0) } ?? .null,
            ])
        }

        // Departments and incidents.
        let specs = Array(departmentTable.prefix(figures.departments))
        let departments = specs.enumerated().map { k, spec in
            SampleDepartment(id: "D" + padded(k + 1, 2), nameZh: spec.nameZh, nameEn: spec.nameEn,
                             categories: spec.categories.map(\.code))
        }
        let incidents = makeIncidents(categories: specs.flatMap(\.categories), households: households,
                                      buildingOfHousehold: buildingOfHousehold, gridIDs: gridIDs,
                                      villageNames: villageNames)

        // Address variants with known answers, and the old names they may use.
        var aliasRandom = stream("aliases")
        let aliases = villageAliases(villageNames: villageNames, used: &used, random: &aliasRandom)
        let oldNames = Dictionary(aliases.map { ($0.name, $0.alias) }, uniquingKeysWith: { a, _ in a })
        var variantRandom = stream("variants")
        let knownNames = Set(plates.flatMap { [$0.village, $0.road].compactMap { $0 } } + villageNames + townNames)
        var variants: [SampleAddressVariant] = []
        let variantCount = min(20_000, 2 * buildings.count)
        while variants.count < variantCount {
            let k = variantRandom.index(buildings.count)
            let kind = variantKinds[variantRandom.weightedIndex(variantKinds.map(\.weight))].kind
            let room = buildings[k].urban
                ? String(1 + variantRandom.index(buildings[k].floors)) + padded(1 + variantRandom.index(4), 2) + "室" : ""
            guard let (address, expectation) = variant(kind, of: plates[k], room: room, oldNames: oldNames,
                                                       knownNames: knownNames, random: &variantRandom) else { continue }
            variants.append(SampleAddressVariant(id: "A" + padded(variants.count + 1, 6), address: address, kind: kind,
                                                 buildingID: buildingIDs[k], expectation: expectation))
        }

        return SampleCounty(
            preset: preset, seed: seed, countyName: county, county: countyFeature, towns: towns, villages: villages,
            grids: grids, buildings: buildingFeatures, households: households, staff: staff,
            departments: departments, incidents: incidents, addressVariants: variants,
            addressAliases: aliases, division: division, lattice: lattice, cellGrid: gridOwner)
    }

    /// A point well inside cell `c` (its corners pulled 20% towards their centroid, then a random point of
    /// one of its two triangles), in lattice units.
    func pointInside(cell c: Int, random: inout Xoshiro256) -> (x: Int, y: Int) {
        let q = lattice.corners(ofCell: c).map { lattice.metres(fromUnits: lattice.vx[$0], lattice.vy[$0]) }
        let cx = q.reduce(0) { $0 + $1.x } / 4, cy = q.reduce(0) { $0 + $1.y } / 4
        let s = q.map { (x: cx + 0.8 * ($0.x - cx), y: cy + 0.8 * ($0.y - cy)) }
        let area1 = abs((s[1].x - s[0].x) * (s[2].y - s[0].y) - (s[2].x - s[0].x) * (s[1].y - s[0].y))
        let area2 = abs((s[2].x - s[0].x) * (s[3].y - s[0].y) - (s[3].x - s[0].x) * (s[2].y - s[0].y))
        let (b, d) = random.uniform(0, area1 + area2) < area1 ? (s[1], s[2]) : (s[2], s[3])
        var r1 = random.unit(), r2 = random.unit()
        if r1 + r2 > 1 { (r1, r2) = (1 - r1, 1 - r2) }
        let x = s[0].x + r1 * (b.x - s[0].x) + r2 * (d.x - s[0].x)
        let y = s[0].y + r1 * (b.y - s[0].y) + r2 * (d.y - s[0].y)
        return lattice.units(fromMetres: x, y)
    }

    func makeIncidents(categories: [CategorySpec], households: [SampleHousehold], buildingOfHousehold: [Int],
                       gridIDs: [String], villageNames: [String]) -> [SampleIncident] {
        var random = stream("incidents")
        let year = figures.year
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthLengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let dayCount = leap ? 366 : 365
        // Summer storms and the busy season weigh more; the Spring Festival month and weekends less.
        let season = [0.85, 0.75, 0.95, 1.0, 1.05, 1.15, 1.25, 1.2, 1.05, 1.0, 0.95, 0.9]
        let firstWeekday = weekday(year: year, month: 1, day: 1)  // 0 = Sunday
        var dayMonth: [(month: Int, day: Int)] = []
        for (m, length) in monthLengths.enumerated() { for d in 1...length { dayMonth.append((m + 1, d)) } }
        let dayWeights = (0..<dayCount).map { n -> Double in
            let w = (firstWeekday + n) % 7
            return season[dayMonth[n].month - 1] * (w == 0 ? 0.7 : (w == 6 ? 0.8 : 1.1))
        }
        let hourWeights: [Double] = [0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.5, 3.2, 3.3, 2.8,
                                     2.0, 2.2, 3.0, 3.1, 2.9, 2.4, 1.8, 1.5, 1.2, 0.9, 0.6, 0.3]
        let days = CumulativeSampler(weights: dayWeights)
        let hours = CumulativeSampler(weights: hourWeights)
        let kinds = CumulativeSampler(weights: categories.map(\.weight))
        let people = CumulativeSampler(weights: households.map { Double($0.residents) })
        let openStatuses = ["reported", "dispatched", "accepted"]
        let workingStatuses = ["dispatched", "accepted", "handling", "feedback"]
        var drafts: [(second: Int, incident: SampleIncident)] = []
        drafts.reserveCapacity(figures.incidents)
        for _ in 0..<figures.incidents {
            let day = days.sample(&random)
            let second = day * 86_400 + hours.sample(&random) * 3600 + random.int(in: 0...3599)
            let category = categories[kinds.sample(&random)]
            let cell: Int
            let place: String
            if random.chance(0.85) {
                let b = buildings[buildingOfHousehold[people.sample(&random)]]
                cell = b.cell
                place = b.place
            } else {
                cell = random.element(countyCells)
                place = villageNames[Int(villageOwner[cell])]
            }
            let point = pointInside(cell: cell, random: &random)
            let age = dayCount - 1 - day
            let status: String
            if age < 2 { status = random.element(openStatuses) }
            else if age < 7 { status = random.element(workingStatuses) }
            else if age < 30 { status = random.chance(0.85) ? "closed" : random.element(["handling", "feedback", "rated"]) }
            else { status = random.chance(0.985) ? "closed" : random.element(["handling", "handling", "rated"]) }
            let template = random.element(category.templates)
            drafts.append((second, SampleIncident(
                id: "", reportedAt: "", category: category.code, lon: Double(point.x) / Lattice.unitsPerDegree,
                lat: Double(point.y) / Lattice.unitsPerDegree, gridID: gridIDs[Int(gridOwner[cell])], status: status,
                description: template.replacingOccurrences(of: "{place}", with: place))))
        }
        // Stable order by time; the draw order breaks ties.
        let order = drafts.indices.sorted { drafts[$0].second != drafts[$1].second ? drafts[$0].second < drafts[$1].second : $0 < $1 }
        return order.enumerated().map { n, k in
            var incident = drafts[k].incident
            let second = drafts[k].second
            let (month, day) = dayMonth[second / 86_400]
            let s = second % 86_400
            incident.id = "E" + String(year) + "-" + padded(n + 1, 6)
            incident.reportedAt = String(year) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T"
                + padded(s / 3600, 2) + ":" + padded(s / 60 % 60, 2) + ":" + padded(s % 60, 2) + "+08:00"
            return incident
        }
    }
}

/// Day of the week of a proleptic Gregorian date, 0 = Sunday (Sakamoto's method).
func weekday(year: Int, month: Int, day: Int) -> Int {
    let offsets = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
    let y = month < 3 ? year - 1 : year
    return (y + y / 4 - y / 100 + y / 400 + offsets[month - 1] + day) % 7
}
