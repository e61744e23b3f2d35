import Foundation

/// Which villages an operation works on.
public enum PlanningScope: Sendable, Hashable {
    case county
    case town(String)
    case village(String)
}

/// How many grids a rebalance makes.
public enum GridCountRule: Sendable, Hashable {
    /// As many grids as today in the scope, shared out among its villages by workload (each village keeps ≥ 1).
    case keep
    /// As many grids as today in every village.
    case keepPerVillage
    /// Enough grids that each carries about this workload (per full-time worker), per village, at least one.
    case targetWorkload(Double)
}

public struct RebalanceOptions: Sendable, Hashable {
    public var scope: PlanningScope = .county
    public var count: GridCountRule = .keep
    /// Target band: every grid's workload within ±band of the mean grid workload of the scope.
    public var band = 0.15
    /// Grids that must not change.
    public var lockedGridIDs: Set<String> = []
    public var seed: UInt64 = 1
    /// ReCom moves per grid of a village (more: closer balance, slower).
    public var movesPerGrid = 60
    /// Allow the median Polsby-Popper of the scope's grids to fall by more than `compactnessGuard` (trade
    /// compactness for balance). Off: villages whose new grids cost the most compactness are left as they are
    /// until the median is within the guard.
    public var tradeCompactness = false
    /// The largest relative fall of the median Polsby-Popper allowed without `tradeCompactness`.
    public var compactnessGuard = 0.10

    public init() {}
}

/// Proposes new grids: rebalance, split, merge and move, all as groupings of parcels.
public struct GridPlanner {
    public let map: ParcelMap

    public init(map: ParcelMap) {
        self.map = map
    }

    /// Parcels of each current grid.
    var parcelsOfGrid: [[Int]] {
        var result = [[Int]](repeating: [], count: map.county.grids.count)
        for p in map.parcels { result[p.gridIndex].append(p.index) }
        return result
    }

    func villages(in scope: PlanningScope) throws -> [Int] {
        let villages = map.county.villages
        switch scope {
        case .county: return Array(villages.indices)
        case .town(let id):
            let found = villages.indices.filter { villages[$0].townID == id }
            if found.isEmpty { throw PlanningError("town \(id) has no villages; check the town id (e.g. T01)") }
            return found
        case .village(let id):
            guard let v = map.villageIndex[id] else { throw PlanningError("village \(id) does not exist; check the village id (e.g. T01-V01)") }
            return [v]
        }
    }

    /// Apportions `total` seats to items with loads (Webster / Sainte-Laguë highest averages), each item getting
    /// at least `minimum[i]` and at most `maximum[i]`.
    static func apportion(loads: [Double], total: Int, minimum: [Int], maximum: [Int]) -> [Int] {
        var seats = minimum
        var left = total - seats.reduce(0, +)
        while left > 0 {
            var best: Int?
            var bestPriority = -Double.infinity
            for i in loads.indices where seats[i] < maximum[i] {
                let priority = loads[i] / (Double(seats[i]) + 0.5)
                if priority > bestPriority { bestPriority = priority; best = i }
            }
            guard let b = best else { break }
            seats[b] += 1
            left -= 1
        }
        return seats
    }

    /// Moves grids between villages while that lowers the number of grids outside the band (then the squared
    /// deviation): Webster's rounding is fair but blind to the band.
    static func improveApportionment(_ start: [Int], loads: [Double], maximum: [Int], band: Double,
                                     extraLoad: Double, extraGrids: Int) -> [Int] {
        var seats = start
        let mean = (loads.reduce(0, +) + extraLoad) / Double(max(1, seats.reduce(0, +) + extraGrids))
        guard mean > 0 else { return seats }
        func cost(_ i: Int, _ n: Int) -> Double {
            guard n >= 1 else { return .infinity }
            let deviation = abs(loads[i] / Double(n) - mean) / mean
            // Grids out of the band count one each, plus twice how far they are out; squared deviation breaks ties.
            return Double(n) * ((deviation > band ? 1 + 2 * (deviation - band) : 0) + 0.01 * deviation * deviation)
        }
        for _ in 0..<(4 * loads.count + 100) {
            var bestAdd: (Int, Double)?, bestRemove: (Int, Double)?
            for i in loads.indices {
                let now = cost(i, seats[i])
                if seats[i] < maximum[i] {
                    let delta = cost(i, seats[i] + 1) - now
                    if bestAdd == nil || delta < bestAdd!.1 { bestAdd = (i, delta) }
                }
                if seats[i] > 1 {
                    let delta = cost(i, seats[i] - 1) - now
                    if bestRemove == nil || delta < bestRemove!.1 { bestRemove = (i, delta) }
                }
            }
            guard let add = bestAdd, let remove = bestRemove, add.0 != remove.0, add.1 + remove.1 < -1e-12 else { break }
            seats[add.0] += 1
            seats[remove.0] -= 1
        }
        return seats
    }

    // MARK: Rebalance

    public func rebalance(_ options: RebalanceOptions) throws -> GridProposal {
        var random = Redistricter(map: map, seed: options.seed)
        let scope = try villages(in: options.scope)
        let scopeSet = Set(scope)
        let grids = map.county.grids
        for id in options.lockedGridIDs where map.gridIndex[id] == nil {
            throw PlanningError("--lock \(id): no such grid; `gridwork plan diff` and the grids file list the grid ids")
        }
        let lockedIndices = Set(options.lockedGridIDs.compactMap { map.gridIndex[$0] })
        let byGrid = parcelsOfGrid
        var notes: [String] = []

        // Free parcels of each village, split into connected components (locked grids can cut a village).
        struct Component { var village: Int; var parcels: [Int]; var load: Double; var currentGrids: Int }
        var components: [Component] = []
        var lockedLoad = 0.0, lockedCount = 0, currentFree = 0
        for v in scope {
            let parcels = map.parcelsOfVillage[v]
            let free = parcels.filter { !lockedIndices.contains(map.parcels[$0].gridIndex) }
            let lockedHere = Set(parcels.map { map.parcels[$0].gridIndex }.filter(lockedIndices.contains))
            lockedCount += lockedHere.count
            lockedLoad += lockedHere.reduce(0) { $0 + random.load(byGrid[$1]) }
            for c in random.components(free) {
                let current = Set(c.map { map.parcels[$0].gridIndex }).count
                currentFree += current
                components.append(Component(village: v, parcels: c, load: random.load(c), currentGrids: current))
            }
        }
        let freeLoad = components.reduce(0) { $0 + $1.load }

        // Grid counts per component.
        let maxima = components.map { $0.parcels.count }
        let counts: [Int]
        switch options.count {
        case .keepPerVillage:
            counts = components.map { max(1, $0.currentGrids) }
        case .keep:
            let total = max(currentFree, components.count)
            if currentFree < components.count {
                notes.append("locked grids cut villages into \(components.count) free parts, more than the \(currentFree) " +
                             "free grids: each part needs its own grid, so the proposal has \(components.count - currentFree) more grids")
            }
            counts = Self.improveApportionment(
                Self.apportion(loads: components.map(\.load), total: total, minimum: components.map { _ in 1 }, maximum: maxima),
                loads: components.map(\.load), maximum: maxima, band: options.band, extraLoad: lockedLoad, extraGrids: lockedCount)
        case .targetWorkload(let target):
            guard target > 0 else { throw PlanningError("--target-workload must be > 0") }
            counts = components.indices.map { min(maxima[$0], max(1, Int((components[$0].load / target).rounded()))) }
        }
        // Compactness floor: a move never lowers the number of grids at least this compact (0.9 × today's median).
        let todays = scope.flatMap { v in Set(map.parcelsOfVillage[v].map { map.parcels[$0].gridIndex }) }
        let compactFloor = (1 - options.compactnessGuard) * Self.median(todays.map { random.polsbyPopper(byGrid[$0]) })
        let gridCount = counts.reduce(0, +) + lockedCount
        let mean = (freeLoad + lockedLoad) / Double(max(1, gridCount))
        let tolerance = options.band * mean

        // Start from today's grids, split or merge to the count, then ReCom until balanced.
        var districts: [[Int]] = []
        var proposedOfComponent: [[[Int]]] = []
        var originalOfComponent: [[[Int]]] = []
        for (k, component) in components.enumerated() {
            let members = Set(component.parcels)
            var current: [[Int]] = []
            for g in Set(component.parcels.map { map.parcels[$0].gridIndex }).sorted() {
                current += random.components(byGrid[g].filter(members.contains))
            }
            let want = counts[k]
            while current.count > want {
                // Merge the lightest district into its lightest neighbour.
                let loads = current.map(random.load)
                let light = loads.indices.min { loads[$0] < loads[$1] }!
                let lightSet = Set(current[light])
                let touching = current.indices.filter { i in
                    i != light && current[i].contains { p in map.neighbours[p].contains { lightSet.contains($0.parcel) } }
                }
                guard let partner = touching.min(by: { loads[$0] < loads[$1] }) else { break }
                current[partner] += current[light]
                current.remove(at: light)
            }
            while current.count < want {
                let loads = current.map(random.load)
                let candidates = current.indices.filter { current[$0].count > 1 }
                guard let heavy = candidates.max(by: { loads[$0] < loads[$1] }),
                      let (a, b, _) = random.bisect(current[heavy], share: 0.5, slack: 0.02 * mean)
                else { break }
                current[heavy] = a
                current.append(b)
            }
            let goal = component.load / Double(current.count)
            // Aim inside the band around the county mean when the village's average allows it, else around the
            // village's own average (the best a village can do on its own).
            let aim = abs(goal - mean) <= tolerance ? min(0.5 * tolerance, tolerance - abs(goal - mean)) : 0.5 * tolerance
            random.improve(&current, goal: goal, tolerance: max(aim, 1e-9 * mean), steps: options.movesPerGrid * current.count,
                           compactFloor: options.tradeCompactness ? nil : compactFloor)
            let original = Set(Set(component.parcels.map { map.parcels[$0].gridIndex }).map { byGrid[$0].sorted() })
            let keep = Set(current.indices.filter { original.contains(current[$0].sorted()) })
            random.compact(&current, keep: keep, goal: goal, tolerance: max(aim, 1e-9 * mean),
                           steps: options.movesPerGrid / 2 * current.count)
            let village = map.county.villages[component.village]
            if abs(goal - mean) > tolerance {
                let n = current.count
                var why = "village \(village.villageID) (\(village.name)): its \(n) grid(s) average " +
                    "\(percent((goal - mean) / mean)) from the mean, outside the ±\(Int((options.band * 100).rounded()))% band; " +
                    "grids never cross village lines"
                if goal > mean {
                    why += ", and with \(n + 1) grids they would average \(percent((component.load / Double(n + 1) - mean) / mean))"
                } else if n > 1 {
                    why += ", and with \(n - 1) grid(s) they would average \(percent((component.load / Double(n - 1) - mean) / mean))"
                } else {
                    why += ": the whole village carries less than the band's bottom, so only a change of village lines would help"
                }
                notes.append(why)
            }
            let stillOut = current.filter { abs(random.load($0) - mean) > tolerance }.count
            if abs(goal - mean) <= tolerance && stillOut > 0 {
                notes.append("village \(village.villageID) (\(village.name)): \(stillOut) of its \(current.count) grids are still " +
                             "outside the band after \(options.movesPerGrid * current.count) moves; its parcels of whole " +
                             "buildings may be too coarse to balance exactly; another --seed or more --moves-per-grid may help")
            }
            for p in component.parcels where map.workload(p) > mean * (1 + options.band) {
                notes.append("parcel of building(s) \(map.parcels[p].buildings.prefix(3).map { map.county.buildings[$0].buildingID }.joined(separator: ", ")) " +
                             "in village \(village.villageID) alone carries \(Int(map.workload(p))) > the band's top " +
                             "\(Int(mean * (1 + options.band))): a building is never split, so its grid stays above the band")
            }
            proposedOfComponent.append(current)
            originalOfComponent.append(Set(component.parcels.map { map.parcels[$0].gridIndex }).sorted().map { g in
                byGrid[g].filter(members.contains)
            })
        }
        // The compactness guard: while the median Polsby-Popper of the scope falls by more than the guard, leave
        // the village part whose new grids lost the most compactness as it is today (when its count allows).
        let before = Self.median(todays.map { random.polsbyPopper(byGrid[$0]) })
        var kept: [String] = []
        func medianNow() -> Double {
            Self.median(proposedOfComponent.flatMap { $0.map(random.polsbyPopper) }
                + lockedIndices.filter { scopeSet.contains(map.villageIndex[grids[$0].villageID ?? ""] ?? -1) }.map { random.polsbyPopper(byGrid[$0]) })
        }
        if !options.tradeCompactness {
            var candidates = components.indices.filter {
                originalOfComponent[$0].count == proposedOfComponent[$0].count
                    && Set(originalOfComponent[$0].map { $0.sorted() }) != Set(proposedOfComponent[$0].map { $0.sorted() })
            }
            func loss(_ k: Int) -> Double {
                originalOfComponent[k].map(random.polsbyPopper).reduce(0, +) - proposedOfComponent[k].map(random.polsbyPopper).reduce(0, +)
            }
            candidates.sort { loss($0) > loss($1) }
            for k in candidates where medianNow() < (1 - options.compactnessGuard) * before - 1e-12 {
                proposedOfComponent[k] = originalOfComponent[k]
                kept.append(map.county.villages[components[k].village].villageID)
            }
            let now = medianNow()
            if now < (1 - options.compactnessGuard) * before - 1e-12 {
                let moved = components.indices.filter { originalOfComponent[$0].count != proposedOfComponent[$0].count }
                notes.append("compactness guard: the median Polsby-Popper still falls from \(String(format: "%.3f", before)) to " +
                             "\(String(format: "%.3f", now)), because the grids of \(moved.count) village part(s) whose number of grids " +
                             "changed (\(moved.prefix(10).map { map.county.villages[components[$0].village].villageID }.joined(separator: ", "))) " +
                             "cannot be left as they are; --count keep-per-village keeps every village's count")
            }
            if !kept.isEmpty {
                notes.append("compactness guard: the grids of \(kept.count) village part(s) are left as they are today " +
                             "(\(kept.prefix(20).joined(separator: ", "))\(kept.count > 20 ? " …" : "")), because their new grids " +
                             "would have lowered the median Polsby-Popper by more than \(Int(options.compactnessGuard * 100))%; " +
                             "--trade-compactness allows the trade")
            }
        }
        districts = proposedOfComponent.flatMap { $0 }
        for g in lockedIndices.sorted() where scopeSet.contains(map.villageIndex[grids[g].villageID ?? ""] ?? -1) {
            districts.append(byGrid[g])
        }
        // Villages outside the scope keep their grids.
        for v in map.county.villages.indices where !scopeSet.contains(v) {
            for g in Set(map.parcelsOfVillage[v].map { map.parcels[$0].gridIndex }).sorted() {
                districts.append(byGrid[g].filter { map.parcels[$0].villageIndex == v })
            }
        }
        let todayInScope = grids.indices.filter { scopeSet.contains(map.villageIndex[grids[$0].villageID ?? ""] ?? -1) }.count
        let proposedInScope = districts.filter { !$0.isEmpty && scopeSet.contains(map.parcels[$0[0]].villageIndex) }.count
        if options.count == .keep && proposedInScope != todayInScope {
            var why: [String] = []
            let empty = map.gridsWithoutTerritory.filter { id in scopeSet.contains(map.villageIndex[grids[map.gridIndex[id]!].villageID ?? ""] ?? -1) }
            if !empty.isEmpty {
                why.append("grid(s) \(empty.joined(separator: ", ")) lie wholly inside lower-id grids (overlaps) and hold nothing of their own")
            }
            for (k, component) in components.enumerated() where counts[k] == maxima[k] && counts[k] < component.currentGrids {
                why.append("village \(map.county.villages[component.village].villageID) has only \(maxima[k]) parcel(s) of whole buildings")
            }
            if currentFree < components.count {
                why.append("locked grids cut villages into more free parts than there are free grids")
            }
            notes.append("--count keep: \(proposedInScope) grids instead of today's \(todayInScope): " +
                         (why.isEmpty ? "the villages' parcels allowed no other count" : why.joined(separator: "; ")))
        }
        let medianBefore = before
        let medianAfter = medianNow()
        let label: String = switch options.scope {
        case .county: "rebalance county"
        case .town(let t): "rebalance town \(t)"
        case .village(let v): "rebalance village \(v)"
        }
        var proposal = try GridProposal.build(map: map, districts: districts, locked: lockedIndices, operation: label,
                                              notes: notes, scope: scope, band: options.band, seed: options.seed)
        proposal.compactness = CompactnessTrade(medianBefore: medianBefore, medianAfter: medianAfter,
                                                guardShare: options.compactnessGuard, traded: options.tradeCompactness,
                                                villagesKept: kept)
        return proposal
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    // MARK: Edits

    /// The current grids as districts, with the edited ones replaced.
    private func edited(_ replace: [Int: [[Int]]], operation: String, notes: [String], scope: [Int], seed: UInt64)
        throws -> GridProposal {
        var districts: [[Int]] = []
        for (g, parcels) in parcelsOfGrid.enumerated() {
            if let replacement = replace[g] { districts += replacement } else { districts.append(parcels) }
        }
        return try GridProposal.build(map: map, districts: districts.filter { !$0.isEmpty }, locked: [],
                                      operation: operation, notes: notes, scope: scope, band: 0.15, seed: seed)
    }

    private func grid(_ id: String) throws -> Int {
        guard let g = map.gridIndex[id] else { throw PlanningError("grid \(id) does not exist; check the grid id (e.g. T01-V01-G01)") }
        return g
    }

    /// Splits a grid into `parts` contiguous grids of near-equal workload (seeded random spanning-tree cuts).
    public func split(gridID: String, parts: Int = 2, seed: UInt64 = 1) throws -> GridProposal {
        let g = try grid(gridID)
        guard parts >= 2 else { throw PlanningError("split needs --parts 2 or more") }
        let parcels = parcelsOfGrid[g]
        guard parcels.count >= parts else {
            throw PlanningError("grid \(gridID) is \(parcels.count) parcel(s) of whole buildings; it cannot be cut into \(parts) grids")
        }
        var redistricter = Redistricter(map: map, seed: seed)
        let pieces = redistricter.partition(parcels, into: parts, slack: 0.02 * max(1, redistricter.load(parcels) / Double(parts)))
        var notes: [String] = []
        if pieces.count < parts { notes.append("grid \(gridID) could only be cut into \(pieces.count) contiguous parts") }
        let v = map.parcels[parcels[0]].villageIndex
        return try edited([g: pieces], operation: "split \(gridID) into \(parts)", notes: notes, scope: [v], seed: seed)
    }

    /// Merges grids of one village whose union is contiguous into one grid (it keeps the id of the largest).
    public func merge(gridIDs: [String]) throws -> GridProposal {
        guard gridIDs.count >= 2 else { throw PlanningError("merge needs two grids or more") }
        let indices = try gridIDs.map(grid)
        let villagesOf = Set(indices.map { map.county.grids[$0].villageID ?? "" })
        guard villagesOf.count == 1 else {
            throw PlanningError("grids \(gridIDs.joined(separator: ", ")) lie in different villages (\(villagesOf.sorted().joined(separator: ", "))); grids never cross village lines")
        }
        let byGrid = parcelsOfGrid
        let all = indices.flatMap { byGrid[$0] }
        let redistricter = Redistricter(map: map, seed: 1)
        guard redistricter.components(all).count == 1 else {
            throw PlanningError("grids \(gridIDs.joined(separator: ", ")) do not form one contiguous area (they share no edge); merge neighbours only")
        }
        var replace: [Int: [[Int]]] = [:]
        for (k, g) in indices.enumerated() { replace[g] = k == 0 ? [all] : [] }
        let v = map.villageIndex[villagesOf.first!] ?? 0
        return try edited(replace, operation: "merge \(gridIDs.joined(separator: " + "))", notes: [], scope: [v], seed: 1)
    }

    /// Moves buildings (with the parcels they stand on) to a neighbouring grid of the same village.
    /// Other buildings standing on the same parcels move with them; the notes name them.
    public func move(buildingIDs: [String], to target: String) throws -> GridProposal {
        let t = try grid(target)
        let byGrid = parcelsOfGrid
        let buildingIndex = Dictionary(map.county.buildings.enumerated().map { ($1.buildingID, $0) }, uniquingKeysWith: { a, _ in a })
        var moving = Set<Int>()
        for id in buildingIDs {
            guard let b = buildingIndex[id] else { throw PlanningError("building \(id) does not exist") }
            guard let p = map.parcelOfBuilding[b] else { throw PlanningError("building \(id) lies in no grid") }
            guard map.county.grids[t].villageID == map.county.villages[map.parcels[p].villageIndex].villageID else {
                throw PlanningError("building \(id) is in village \(map.county.villages[map.parcels[p].villageIndex].villageID), grid \(target) is not: grids never cross village lines")
            }
            if map.parcels[p].gridIndex != t { moving.insert(p) }
        }
        guard !moving.isEmpty else { throw PlanningError("the buildings are already in grid \(target)") }
        let redistricter = Redistricter(map: map, seed: 1)
        let newTarget = byGrid[t] + moving.sorted()
        guard redistricter.components(newTarget).count == 1 else {
            throw PlanningError("grid \(target) would not be contiguous: move buildings that border it (or move the ones between first)")
        }
        var replace: [Int: [[Int]]] = [t: [newTarget]]
        var notes: [String] = []
        for source in Set(moving.map { map.parcels[$0].gridIndex }).sorted() {
            let rest = byGrid[source].filter { !moving.contains($0) }
            if rest.isEmpty { notes.append("grid \(map.county.grids[source].gridID) gives up all its parcels and is retired") }
            else if redistricter.components(rest).count > 1 {
                throw PlanningError("grid \(map.county.grids[source].gridID) would fall apart into \(redistricter.components(rest).count) pieces; move a different set of buildings")
            }
            replace[source] = [rest]
        }
        let named = Set(buildingIDs)
        let along = moving.flatMap { map.parcels[$0].buildings }.map { map.county.buildings[$0].buildingID }.filter { !named.contains($0) }
        if !along.isEmpty {
            notes.append("buildings on the same parcels move along: \(along.sorted().prefix(20).joined(separator: ", "))\(along.count > 20 ? " and \(along.count - 20) more" : "")")
        }
        return try edited(replace, operation: "move \(buildingIDs.joined(separator: ", ")) to \(target)", notes: notes,
                          scope: [map.villageIndex[map.county.grids[t].villageID ?? ""] ?? 0], seed: 1)
    }
}

func percent(_ x: Double) -> String { String(format: "%+.1f%%", x * 100).replacingOccurrences(of: "+-", with: "-") }
