/// A building with its door-plate address (门牌地址), as the county's building layer holds it.
public struct AddressedBuilding: Sendable, Hashable {
    public var buildingID: String
    public var address: String
    public var gridID: String?

    public init(buildingID: String, address: String, gridID: String? = nil) {
        self.buildingID = buildingID
        self.address = address
        self.gridID = gridID
    }
}

/// How sure a match is, from surest to none.
public enum AddressMatchStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every part of the building's door-plate address is in the address as written (after normalisation, with
    /// no alias and no correction), and nothing in it contradicts the building. Unit, floor and room are not checked.
    case exact
    /// The building is identified, but the address left out parts of the door plate (town, village), or a name
    /// needed an alias or a one-character correction. Unit, floor and room are not checked.
    case building
    /// The door plate without its building part (幢/栋/座), where that door plate has only one building.
    case roadNumber = "road_number"
    /// Only the village or community is certain; the grid is known when the village has a single grid.
    case village
    /// Several buildings (or villages) fit; they are listed, none is chosen.
    case ambiguous
    /// Nothing in the county fits, or the address could not be read; `reason` says which.
    case none
}

/// The answer for one address.
public struct AddressMatch: Sendable, Hashable {
    public var status: AddressMatchStatus
    /// 1 for `exact`, lower for each relaxation; 0 for `none`.
    public var score: Double
    /// The building, for `exact`, `building` and `roadNumber`.
    public var buildingID: String?
    /// The building's door-plate address as stored (for `exact`, `building`, `roadNumber`).
    public var matchedAddress: String?
    /// The grid: the building's, or the village's when it has exactly one.
    public var gridID: String?
    /// The village or community that is certain (every status but `none`, when known).
    public var community: String?
    /// For `ambiguous`: the candidate buildings (or, when villages are ambiguous, nothing and the reason names them).
    public var candidates: [String]
    /// Why the match is not surer: what was relaxed, corrected or missing.
    public var reason: String?

    static func none(_ reason: String) -> AddressMatch {
        AddressMatch(status: .none, score: 0, candidates: [], reason: reason)
    }
}

/// Finds the building a Chinese address names, among one county's buildings.
///
/// The door plate decides: road and number (`严州大道18号`), or village, group and number (`东山村3组12号`), looked up
/// exactly; the building part (幢/栋/座) and the estate then choose among the buildings behind one door plate. Names
/// (town, village/community, road, estate) may come through an alias (old or short names) or, when exactly one name
/// of the county is one character away and has the same kind word, through that correction; numbers never do. A
/// part that contradicts the building (another town, another building number) makes the match fail or ambiguous,
/// never a guess.
///
/// A class (its tables are immutable and shared): the geocode job hands one matcher to every row, and a struct of a
/// dozen tables was copied, a retain per table, for each.
public final class AddressMatcher: Sendable {
    struct Entry: Sendable {
        var building: AddressedBuilding
        var parts: AddressParts
    }

    /// A door plate: road and number, or village, group and number (a value, so a lookup builds no string).
    struct PlateKey: Hashable, Sendable {
        var onRoad: Bool
        /// The road's or the village's id in `names`.
        var name: Int32
        var group: String
        var number: String

        static func == (a: PlateKey, b: PlateKey) -> Bool {
            a.name == b.name && a.onRoad == b.onRoad && sameBytes(a.number, b.number) && sameBytes(a.group, b.group)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(name); hasher.combine(onRoad)
            hashBytes(group, into: &hasher); hashBytes(number, into: &hasher)
        }
    }

    /// The ids of an address's or a building's named parts (town, community, road, poi, in `namedParts` order):
    /// `notGiven`, `unknown` (named, but no such name in the county), or the name's id in `names`.
    struct NameIDs: Sendable {
        static let notGiven: Int32 = -1
        static let unknown: Int32 = -2
        var ids: InlineArray<4, Int32> = InlineArray(repeating: notGiven)
        subscript(slot: Int) -> Int32 { get { ids[slot] } set { ids[slot] = newValue } }
    }

    /// The parts whose names are looked up in the county's tables (and may be aliased or corrected).
    static let namedParts: [AddressPart] = [.town, .community, .road, .poi]

    let entries: [Entry]
    /// Per entry, the ids of its named parts, and its building part: the candidates behind a door plate are chosen
    /// from these small arrays without touching the entries themselves (a cache miss each).
    let entryNames: [NameIDs]
    let entryHouse: [String?]
    /// Door plate → a range of `plateEntries`, the entries behind that door plate.
    let byPlate: [PlateKey: PlateRange]
    let plateEntries: [Int32]
    /// Name tables per named part (slots of `namedParts`): normalised name → its id.
    let names: [[NameKey: Int32]]

    struct PlateRange: Sendable { var start: Int32; var count: Int32 }
    /// Community → the grids of its buildings and the towns it lies in.
    let communityGrids: [String: Set<String>]
    let communityTowns: [String: Set<String>]
    /// Alias (normalised) → official name (normalised).
    let aliases: [String: String]
    /// For one-character corrections, per part: each name, and each name with one scalar of its stem deleted →
    /// the names it comes from (a deletion neighbourhood: two strings one edit apart share a key).
    let nearNames: [[String: [String]]]
    /// The county's own administrative names (province, city, county), normalised; empty to skip the check.
    let countyNames: Set<NameKey>

    /// Index `buildings`; `aliases` maps old or short names to official ones (any part: village, road, estate,
    /// town); `countyNames` are the names above the town that addresses in this county may carry (浙江省, 杭州市,
    /// 建德市); when empty, the names the buildings' own addresses carry above the town. Buildings whose address
    /// cannot be parsed into a door plate are listed in `unindexed`.
    public init(buildings: [AddressedBuilding], aliases: [String: String] = [:], countyNames: [String] = []) {
        var entries: [Entry] = []
        var plates: [PlateKey: [Int32]] = [:]
        var names = [[NameKey: Int32]](repeating: [:], count: AddressMatcher.namedParts.count)
        var entryNames: [NameIDs] = [], entryHouse: [String?] = []
        var communityGrids: [String: Set<String>] = [:], communityTowns: [String: Set<String>] = [:]
        var unindexed: [String] = []
        var ownNames: Set<String> = []
        for b in buildings {
            let p = AddressParser.parse(b.address)
            ownNames.formUnion(p.administrativeNames)
            guard p.issue == nil, p[.roadno] != nil, p[.road] != nil || p[.community] != nil else {
                unindexed.append(b.buildingID); continue
            }
            var ids = NameIDs()
            for (slot, part) in AddressMatcher.namedParts.enumerated() {
                guard let n = p[part] else { continue }
                let fresh = Int32(names[slot].count)
                ids[slot] = names[slot][NameKey(n), default: fresh]
                names[slot][NameKey(n)] = ids[slot]
            }
            let key = AddressMatcher.plateKey(p.parts, ids)!
            plates[key, default: []].append(Int32(entries.count))
            entries.append(Entry(building: b, parts: p.parts))
            entryNames.append(ids)
            entryHouse.append(p[.houseno])
            if let c = p[.community] {
                if let g = b.gridID { communityGrids[c, default: []].insert(g) }
                if let t = p[.town] { communityTowns[c, default: []].insert(t) }
            }
        }
        self.entries = entries
        self.entryNames = entryNames
        self.entryHouse = entryHouse
        var byPlate: [PlateKey: PlateRange] = [:], plateEntries: [Int32] = []
        byPlate.reserveCapacity(plates.count)
        plateEntries.reserveCapacity(entries.count)
        for (key, list) in plates {
            byPlate[key] = PlateRange(start: Int32(plateEntries.count), count: Int32(list.count))
            plateEntries.append(contentsOf: list)
        }
        self.byPlate = byPlate
        self.plateEntries = plateEntries
        self.names = names
        self.communityGrids = communityGrids
        self.communityTowns = communityTowns
        self.aliases = Dictionary(aliases.map { (AddressNormalizer.normalizedString($0.key), AddressNormalizer.normalizedString($0.value)) },
                                  uniquingKeysWith: { a, _ in a })
        self.countyNames = Set((countyNames.isEmpty ? Array(ownNames) : countyNames.map(AddressNormalizer.normalizedString)).map(NameKey.init))
        var near = [[String: [String]]](repeating: [:], count: AddressMatcher.namedParts.count)
        for (slot, part) in AddressMatcher.namedParts.enumerated() {
            let table = names[slot].keys.map(\.text)
            var keys: [String: [String]] = [:]
            for name in table {
                let scalars = Array(name.unicodeScalars)
                let stem = scalars.count - AddressMatcher.kindWord(scalars, part)
                guard stem >= 2 else { continue }
                keys[name, default: []].append(name)
                for i in 0..<stem {
                    var d = scalars
                    d.remove(at: i)
                    keys[AddressParser.string(d), default: []].append(name)
                }
            }
            near[slot] = keys
        }
        self.nearNames = near
        self.unindexed = unindexed
    }

    /// Buildings whose address has no door plate the matcher can use (no road or village number).
    public let unindexed: [String]

    /// The door-plate key: road and number, or village, group and number; nil when the address has no door plate or
    /// names a road or village the county does not have.
    static func plateKey(_ parts: AddressParts, _ ids: NameIDs) -> PlateKey? {
        guard let number = parts[.roadno] else { return nil }
        if parts[.road] != nil {
            return ids[roadSlot] >= 0 ? PlateKey(onRoad: true, name: ids[roadSlot], group: "", number: number) : nil
        }
        if parts[.community] != nil {
            return ids[communitySlot] >= 0
                ? PlateKey(onRoad: false, name: ids[communitySlot], group: parts[.villageGroup] ?? "", number: number) : nil
        }
        return nil
    }

    static let townSlot = 0, communitySlot = 1, roadSlot = 2, poiSlot = 3

    // MARK: Matching

    public func match(_ address: String) -> AddressMatch {
        let parsed = AddressParser.parse(address)
        if let issue = parsed.issue { return .none(issue.description) }
        if !countyNames.isEmpty {
            var foreign: [String] = []
            parsed.forEachAdministrativeName { if !countyNames.contains(NameKey($0)) { foreign.append($0) } }
            if !foreign.isEmpty {
                return .none("names " + foreign.sorted().joined(separator: " ") + ", outside this county ("
                             + countyNames.map(\.text).sorted().joined(separator: " ") + ")")
            }
        }
        var q = parsed.parts
        var ids = NameIDs()
        var relaxed: [String] = []
        for (slot, part) in AddressMatcher.namedParts.enumerated() {
            guard let name = q[part] else { continue }
            switch resolve(name, slot: slot, part) {
            case .known(let id): ids[slot] = id
            case .alias(let official, let id):
                q[part] = official; ids[slot] = id; relaxed.append("\(name) is an old or short name of \(official)")
            case .corrected(let official, let id):
                q[part] = official; ids[slot] = id; relaxed.append("\(name) read as \(official)")
            case .unknown:
                ids[slot] = NameIDs.unknown
                if part == .poi { q[part] = nil; ids[slot] = NameIDs.notGiven; relaxed.append("estate \(name) not known, ignored") }
            }
        }
        if !parsed.unparsed.isEmpty { relaxed.append("ignored: " + parsed.unparsed.joined(separator: " ")) }

        guard let key = AddressMatcher.plateKey(q, ids), let range = byPlate[key] else {
            return villageLevel(q, parsed: parsed, relaxed: relaxed)
        }
        let plate = plateEntries[Int(range.start)..<Int(range.start + range.count)]
        // Same road or village name in several towns: what the address says about town and village must agree.
        let (town, community) = (ids[AddressMatcher.townSlot], ids[AddressMatcher.communitySlot])
        var candidates: [Int] = []
        candidates.reserveCapacity(plate.count)
        for i in plate {
            let e = entryNames[Int(i)]
            if town != NameIDs.notGiven, e[AddressMatcher.townSlot] != NameIDs.notGiven, e[AddressMatcher.townSlot] != town { continue }
            if q[.road] != nil, community != NameIDs.notGiven, e[AddressMatcher.communitySlot] != NameIDs.notGiven,
               e[AddressMatcher.communitySlot] != community { continue }
            candidates.append(Int(i))
        }
        if candidates.isEmpty {
            let towns = Set(plate.compactMap { entries[Int($0)].parts[.town] }).sorted().joined(separator: " ")
            return .none("\(doorPlate(q)) is in \(towns), not in " + [q[.town], q[.community]].compactMap { $0 }.joined())
        }
        // Several towns behind one door plate (a set is built only then: this runs for every address).
        let firstTown = candidates.lazy.map { self.entryNames[$0][AddressMatcher.townSlot] }.first { $0 != NameIDs.notGiven }
        if let firstTown, candidates.contains(where: {
            let t = entryNames[$0][AddressMatcher.townSlot]
            return t != NameIDs.notGiven && t != firstTown
        }) {
            let plateTowns = Set(candidates.compactMap { entries[$0].parts[.town] })
            return ambiguous(candidates, q, "\(doorPlate(q)) is in several towns (" + plateTowns.sorted().joined(separator: " ")
                             + "); give the town")
        }
        // The estate and building among the buildings behind the door plate.
        let poi = ids[AddressMatcher.poiSlot]
        if poi >= 0 {
            let inEstate = candidates.filter { entryNames[$0][AddressMatcher.poiSlot] == poi }
            if !inEstate.isEmpty { candidates = inEstate }
        }
        if let house = q[.houseno] {
            let inHouse = candidates.filter { entryHouse[$0].map { sameBytes($0, house) } ?? false }
            guard !inHouse.isEmpty else {
                let known = candidates.compactMap { entries[$0].parts[.houseno] }.sorted().joined(separator: ", ")
                return ambiguous(candidates, q, "no building \(house) at \(doorPlate(q))"
                                 + (known.isEmpty ? "" : " (buildings: \(known))"))
            }
            candidates = inHouse
        }
        guard candidates.count == 1 else {
            return ambiguous(candidates, q, "\(candidates.count) buildings at \(doorPlate(q)); give the building (幢/栋)")
        }
        let ei = candidates[0]                                       // read in place: no copy of the entry
        var m = AddressMatch(status: .building, score: 0.9, buildingID: entries[ei].building.buildingID,
                             matchedAddress: entries[ei].building.address, gridID: entries[ei].building.gridID,
                             community: entries[ei].parts[.community], candidates: [], reason: nil)
        if entries[ei].parts[.houseno] != nil && q[.houseno] == nil {
            m.status = .roadNumber; m.score = 0.8
            relaxed.append("building part not given; the door plate has one building")
        }
        // The county's own names (省, 市, 县) are not part of the door plate: the county check above covered them; unit,
        // floor and room are below it. So only town … building are compared, and the lists are built only when a
        // part is missing, differs or is extra.
        var missing: [AddressPart] = [], contradicting: [AddressPart] = [], extra: [AddressPart] = []
        for part in AddressMatcher.doorPlateParts {
            switch (entries[ei].parts[part], q[part]) {
            case (.some, .none) where part != .houseno: missing.append(part)
            case (.some(let a), .some(let b)) where a != b: contradicting.append(part)
            case (.none, .some): extra.append(part)
            default: break
            }
        }
        if !missing.isEmpty { relaxed.append("not given: " + missing.map(\.rawValue).joined(separator: ", ")) }
        if !contradicting.isEmpty { relaxed.append("differs: " + contradicting.map(\.rawValue).joined(separator: ", ")) }
        if !extra.isEmpty { relaxed.append("not on the door plate: " + extra.map(\.rawValue).joined(separator: ", ")) }
        if m.status == .building && relaxed.isEmpty && parsed.parts == q {
            m.status = .exact; m.score = 1
        } else if m.status == .building {
            m.score = max(0.6, 0.9 - 0.05 * Double(relaxed.count - 1))
        }
        m.reason = relaxed.isEmpty ? nil : relaxed.joined(separator: "; ")
        return m
    }

    /// The parts compared between an address and its building: town down to the building, in order.
    static let doorPlateParts: [AddressPart] = AddressPart.ordered.filter { $0 >= .town && $0 <= .houseno }

    func villageLevel(_ q: AddressParts, parsed: ParsedAddress, relaxed: [String]) -> AddressMatch {
        let why = q[.roadno] == nil ? "no door-plate number" : "no door plate \(doorPlate(q)) in the county"
        guard let community = q[.community], names[AddressMatcher.communitySlot][NameKey(community)] != nil else {
            return .none(why + (q[.community].map { "; village \($0) not known" } ?? "")
                         + (relaxed.isEmpty ? "" : "; " + relaxed.joined(separator: "; ")))
        }
        let towns = communityTowns[community] ?? []
        if q[.town] == nil && towns.count > 1 {
            return AddressMatch(status: .ambiguous, score: 0.3, community: nil, candidates: [],
                                reason: why + "; \(community) is in several towns (" + towns.sorted().joined(separator: " ") + ")")
        }
        if let t = q[.town], !towns.isEmpty, !towns.contains(t) {
            return .none(why + "; \(community) is in " + towns.sorted().joined(separator: " ") + ", not \(t)")
        }
        let grids = communityGrids[community] ?? []
        return AddressMatch(status: .village, score: 0.5, gridID: grids.count == 1 ? grids.first : nil,
                            community: community, candidates: [],
                            reason: ([why] + relaxed + (grids.count > 1 ? ["the village has \(grids.count) grids"] : []))
                                .joined(separator: "; "))
    }

    func ambiguous(_ candidates: [Int], _ q: AddressParts, _ reason: String) -> AddressMatch {
        let communities = Set(candidates.compactMap { entries[$0].parts[.community] })
        return AddressMatch(status: .ambiguous, score: 0.3, community: communities.count == 1 ? communities.first : nil,
                            candidates: candidates.map { entries[$0].building.buildingID }.sorted(), reason: reason)
    }

    func doorPlate(_ q: AddressParts) -> String {
        (q[.road] ?? (q[.community] ?? "") + (q[.villageGroup].map { $0 + "组" } ?? "")) + (q[.roadno].map { $0 + "号" } ?? "")
    }

    // MARK: Names

    enum Resolution { case known(Int32), alias(String, Int32), corrected(String, Int32), unknown }

    func resolve(_ name: String, slot: Int, _ part: AddressPart) -> Resolution {
        let table = names[slot]
        if let id = table[NameKey(name)] { return .known(id) }
        if let official = aliases[name], let id = table[NameKey(official)] { return .alias(official, id) }
        // One character away, with the same kind word, and only one such name: a slip, corrected.
        let scalars = Array(name.unicodeScalars)
        let suffix = AddressMatcher.kindWord(scalars, part)
        let near = nearNames[slot]
        guard scalars.count - suffix >= 2, !near.isEmpty else { return .unknown }
        var candidates = Set(near[name] ?? [])
        for i in 0..<(scalars.count - suffix) {
            var d = scalars
            d.remove(at: i)
            let key = AddressParser.string(d)
            if let names = near[key] { candidates.formUnion(names) }
        }
        var found: String? = nil
        for other in candidates {
            let o = Array(other.unicodeScalars)
            guard AddressMatcher.kindWord(o, part) == suffix, o.suffix(suffix) == scalars.suffix(suffix),
                  AddressMatcher.withinOneEdit(scalars, o) else { continue }
            if found != nil { return .unknown }                      // two names fit: no guess
            found = other
        }
        return found.map { .corrected($0, table[NameKey($0)]!) } ?? .unknown
    }

    /// The length of the kind word a name ends with (社区 → 2, 村 → 1), from the parser's table.
    static func kindWord(_ name: [Unicode.Scalar], _ part: AddressPart) -> Int {
        var best = 0
        for m in AddressParser.marksByPart[part] ?? [] where m.word.count > best && m.word.count < name.count
            && name.suffix(m.word.count).elementsEqual(m.word) { best = m.word.count }
        return best
    }

    /// Whether two strings are at most one insertion, deletion or substitution apart (and not equal).
    static func withinOneEdit(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        if a == b { return false }
        if a.count == b.count { return zip(a, b).filter { $0 != $1 }.count == 1 }
        let (short, long) = a.count < b.count ? (a, b) : (b, a)
        guard long.count - short.count == 1 else { return false }
        var i = 0
        while i < short.count && short[i] == long[i] { i += 1 }
        return short[i...] == long[(i + 1)...]
    }
}
