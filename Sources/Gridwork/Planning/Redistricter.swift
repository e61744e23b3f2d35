import Foundation
import SeededRandom

/// Districting moves on the parcel graph, after GerryChain's ReCom: merge two neighbouring districts, draw a random
/// spanning tree of their parcels, and cut the tree edge that best balances the two halves. Every district is a
/// connected set of parcels of one village by construction (the halves of a tree are connected).
struct Redistricter {
    let map: ParcelMap
    /// Seeded, so the same seed gives the same proposal on every platform.
    var random: SplitMix64
    /// Random spanning trees tried for each move.
    var treesPerMove = 4

    init(map: ParcelMap, seed: UInt64) {
        self.map = map
        // The planner's stream has always started one output in; kept so that seeded proposals stay the same.
        random = SplitMix64(seed: seed)
        _ = random.next()
    }

    func load(_ parcels: [Int]) -> Double { parcels.reduce(0) { $0 + map.workload($1) } }

    /// Polsby-Popper 4πA/P² of a set of parcels, from parcel areas, perimeters and shared edge lengths.
    func polsbyPopper(_ parcels: [Int]) -> Double {
        let members = Set(parcels)
        var area = 0.0, perimeter = 0.0
        for p in parcels {
            area += map.parcels[p].areaM2
            perimeter += map.parcels[p].perimeterM
            for n in map.neighbours[p] where members.contains(n.parcel) { perimeter -= n.sharedM }
        }
        return perimeter > 0 ? 4 * .pi * area / (perimeter * perimeter) : 0
    }

    /// The connected components of `parcels` in the parcel graph (exclave links included), by first parcel.
    func components(_ parcels: [Int]) -> [[Int]] { ParcelMap.components(parcels, map.neighbours) }

    /// A random spanning tree of the connected set `parcels` (Kruskal on random edge weights), as a parent array
    /// rooted at the first parcel, with a DFS order (parents before children).
    mutating func randomTree(_ parcels: [Int]) -> (order: [Int], parent: [Int: Int]) {
        let position = Dictionary(uniqueKeysWithValues: parcels.enumerated().map { ($1, $0) })
        var edges: [(Double, Int, Int)] = []
        for (a, p) in parcels.enumerated() {
            for n in map.neighbours[p] { if let b = position[n.parcel], b > a { edges.append((random.unit(), a, b)) } }
        }
        edges.sort { $0.0 < $1.0 }
        var union = UnionFind(parcels.count)
        var adjacency = [[Int]](repeating: [], count: parcels.count)
        for (_, a, b) in edges where union.find(a) != union.find(b) {
            union.union(a, b)
            adjacency[a].append(b)
            adjacency[b].append(a)
        }
        var order: [Int] = [], parent: [Int: Int] = [:]
        var visited = [Bool](repeating: false, count: parcels.count)
        var stack = [0]
        visited[0] = true
        while let a = stack.popLast() {
            order.append(parcels[a])
            for b in adjacency[a] where !visited[b] {
                visited[b] = true
                parent[parcels[b]] = parcels[a]
                stack.append(b)
            }
        }
        return (order, parent)
    }

    /// Splits a connected set into two connected parts whose loads are closest to `share` and `1 - share` of the
    /// total; among near-equal cuts, the most compact. Nil when the set has one parcel.
    mutating func bisect(_ parcels: [Int], share: Double, slack: Double) -> (a: [Int], b: [Int], cost: Double)? {
        guard parcels.count > 1 else { return nil }
        let total = load(parcels)
        let goal = total * share
        var best: (a: [Int], b: [Int], cost: Double, compactness: Double)?
        for _ in 0..<treesPerMove {
            let (order, parent) = randomTree(parcels)
            guard order.count == parcels.count else { return nil } // not connected
            var subtree: [Int: Double] = [:]
            for p in order.reversed() {
                subtree[p, default: 0] += map.workload(p)
                if let up = parent[p] { subtree[up, default: 0] += subtree[p]! }
            }
            var cuts: [(Int, Double)] = []
            for p in order.dropFirst() {
                let a = subtree[p]!
                cuts.append((p, min(abs(a - goal), abs((total - a) - goal))))
            }
            cuts.sort { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
            guard let bestCost = cuts.first?.1 else { continue }
            var children: [Int: [Int]] = [:]
            for p in order.dropFirst() { children[parent[p]!, default: []].append(p) }
            for (p, cost) in cuts.prefix(6) where cost <= bestCost + slack {
                var side: [Int] = [], stack = [p]
                while let q = stack.popLast() { side.append(q); stack += children[q] ?? [] }
                let sideSet = Set(side)
                var a = side, b = parcels.filter { !sideSet.contains($0) }
                if abs(load(a) - goal) > abs(load(b) - goal) { swap(&a, &b) }
                let compactness = min(polsbyPopper(a), polsbyPopper(b))
                if best == nil || cost < best!.cost - slack
                    || (cost <= best!.cost + slack && compactness > best!.compactness) {
                    best = (a.sorted(), b.sorted(), cost, compactness)
                }
            }
        }
        return best.map { ($0.a, $0.b, $0.cost) }
    }

    /// Splits a connected set into `count` connected parts of near-equal load (recursive tree bisection).
    mutating func partition(_ parcels: [Int], into count: Int, slack: Double) -> [[Int]] {
        if count <= 1 || parcels.count <= 1 { return [parcels] }
        let left = count / 2
        guard let (a, b, _) = bisect(parcels, share: Double(left) / Double(count), slack: slack) else { return [parcels] }
        return partition(a, into: left, slack: slack) + partition(b, into: count - left, slack: slack)
    }

    /// Improves a partition of one connected component with ReCom moves until every district's load is within
    /// `tolerance` of `goal`, or `steps` moves are spent. Districts change only when a move lowers the larger
    /// deviation of the pair, and (with `compactFloor`) never lowers how many of the pair are at least that compact.
    mutating func improve(_ districts: inout [[Int]], goal: Double, tolerance: Double, steps: Int, compactFloor: Double? = nil) {
        guard districts.count > 1 else { return }
        var owner: [Int: Int] = [:]
        for (d, parcels) in districts.enumerated() { for p in parcels { owner[p] = d } }
        var loads = districts.map(load)
        var stale = 0
        for _ in 0..<steps {
            let deviations = loads.map { abs($0 - goal) }
            let worst = deviations.indices.filter { deviations[$0] > tolerance }
            if worst.isEmpty || stale > 4 * districts.count + 20 { break }
            // The worst district, or now and then another one out of the band, so moves do not stall on one pair.
            let d = random.unit() < 0.6 ? worst.max { deviations[$0] < deviations[$1] }! : worst[random.below(worst.count)]
            var adjacent: [Int: Double] = [:]
            for p in districts[d] {
                for n in map.neighbours[p] { if let e = owner[n.parcel], e != d { adjacent[e, default: 0] += n.sharedM } }
            }
            guard !adjacent.isEmpty else { stale += 1; continue }
            let candidates = adjacent.keys.sorted()
            // Prefer the neighbour that is off in the other direction.
            let e: Int
            let opposite = candidates.filter { (loads[$0] - goal) * (loads[d] - goal) < 0 }
            if !opposite.isEmpty && random.unit() < 0.7 {
                e = opposite[random.below(opposite.count)]
            } else {
                e = candidates[random.below(candidates.count)]
            }
            let merged = districts[d] + districts[e]
            let before = max(deviations[d], deviations[e])
            guard let (a, b, _) = bisect(merged, share: 0.5, slack: 0.02 * goal) else { stale += 1; continue }
            let after = max(abs(load(a) - goal), abs(load(b) - goal))
            guard after < before - 1e-9 * max(goal, 1) else { stale += 1; continue }
            if let floor = compactFloor {
                let was = [districts[d], districts[e]].filter { polsbyPopper($0) >= floor }.count
                let now = [a, b].filter { polsbyPopper($0) >= floor }.count
                guard now >= was else { stale += 1; continue }
            }
            stale = 0
            // Keep the label of the old district that overlaps each half more (fewer spurious changes).
            let setD = Set(districts[d])
            let aKeepsD = a.filter(setD.contains).count >= b.filter(setD.contains).count
            districts[d] = aKeepsD ? a : b
            districts[e] = aKeepsD ? b : a
            loads[d] = load(districts[d])
            loads[e] = load(districts[e])
            for p in districts[d] { owner[p] = d }
            for p in districts[e] { owner[p] = e }
        }
    }

    /// Makes changed districts more compact with ReCom moves that keep both halves within `tolerance` of `goal`
    /// (or no worse than before): the least compact changed district is merged with a changed neighbour and re-cut.
    /// Districts in `keep` (today's grids, untouched) are left alone.
    mutating func compact(_ districts: inout [[Int]], keep: Set<Int>, goal: Double, tolerance: Double, steps: Int) {
        guard districts.count > 1 else { return }
        var owner: [Int: Int] = [:]
        for (d, parcels) in districts.enumerated() { for p in parcels { owner[p] = d } }
        var score = districts.map(polsbyPopper)
        var stale = 0
        for _ in 0..<steps {
            let open = districts.indices.filter { !keep.contains($0) && districts[$0].count > 1 }
            guard !open.isEmpty, stale < 3 * open.count + 10 else { break }
            let ranked = open.sorted { score[$0] < score[$1] }
            let d = ranked[random.below(min(3, ranked.count))]
            var adjacent = Set<Int>()
            for p in districts[d] { for n in map.neighbours[p] { if let e = owner[n.parcel], e != d, !keep.contains(e) { adjacent.insert(e) } } }
            guard !adjacent.isEmpty else { stale += 1; continue }
            let candidates = adjacent.sorted()
            let e = candidates[random.below(candidates.count)]
            let before = max(abs(load(districts[d]) - goal), abs(load(districts[e]) - goal))
            guard let (a, b, _) = bisect(districts[d] + districts[e], share: 0.5, slack: 0.02 * goal) else { stale += 1; continue }
            let after = max(abs(load(a) - goal), abs(load(b) - goal))
            let newScore = min(polsbyPopper(a), polsbyPopper(b))
            guard after <= max(tolerance, before), newScore > min(score[d], score[e]) + 1e-6 else { stale += 1; continue }
            stale = 0
            let setD = Set(districts[d])
            let aKeepsD = a.filter(setD.contains).count >= b.filter(setD.contains).count
            districts[d] = aKeepsD ? a : b
            districts[e] = aKeepsD ? b : a
            score[d] = polsbyPopper(districts[d])
            score[e] = polsbyPopper(districts[e])
            for p in districts[d] { owner[p] = d }
            for p in districts[e] { owner[p] = e }
        }
    }
}
