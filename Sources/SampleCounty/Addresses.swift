import Foundation

/// A building's door plate (门牌) in parts, as the sample writes it.
struct DoorPlate: Sendable {
    var county: String
    var town: String
    var village: String
    /// Urban: the road; rural: nil (the group is used).
    var road: String?
    var group: Int = 0
    var number: Int
    /// 附号: "12-1号" is number 12, annex 1.
    var annex: Int?
    /// An estate (小区 / 花园 …) with several buildings behind one door plate, and this building's number in it.
    var estate: String?
    var house: Int?

    var numberText: String { String(number) + (annex.map { "-" + String($0) } ?? "") }

    /// The door plate as the building layer holds it: "建德市新安江街道府东社区严州大道18号锦绣花园3幢".
    var text: String {
        county + town + village + (road ?? String(group) + "组") + numberText + "号" + (estate ?? "")
            + (house.map { String($0) + "幢" } ?? "")
    }

    /// Short place for incident texts: "东山村严州大道", "东山村3组".
    var place: String { village + (road ?? String(group) + "组") }
}

/// One address of the sample's variant set: an address written as registers and callers write it, with the building
/// it stands for and what a matcher must answer.
public struct SampleAddressVariant: Sendable, Hashable {
    /// What must come of it.
    public enum Expectation: String, Sendable, CaseIterable {
        /// The building `buildingID` must be found (with the alias file, for `old_name`).
        case building
        /// Several buildings fit (an estate's door plate without its building): no building may be chosen.
        case ambiguous
        /// No building of the county fits (a number that does not exist, another county): none may be chosen.
        case unplaced
        /// A one-character slip in a name: the building may be found or not, but no other building may be.
        case notWrong = "not_wrong"
    }

    public var id: String
    public var address: String
    /// The kind of difference from the door plate (`canonical`, `no_prefix`, `building_word`, `numerals`, ...).
    public var kind: String
    /// The building the address was made from.
    public var buildingID: String
    public var expectation: Expectation
}

/// The kinds of variant, with their share of the variant set (realistic proportions: most registers write the
/// door plate with small differences; a few get it wrong).
let variantKinds: [(kind: String, weight: Double)] = [
    ("canonical", 30), ("no_prefix", 20), ("building_word", 8), ("numerals", 5), ("full_width", 5),
    ("traditional", 2), ("spaces", 5), ("committee", 3), ("annex_form", 2), ("typo", 5), ("old_name", 3),
    ("no_building", 5), ("wrong_number", 4), ("other_county", 3),
]

/// Traditional forms of characters the sample's names use (written independently of the matcher's own table).
private let traditionalForms: [Character: Character] = [
    "东": "東", "华": "華", "兴": "興", "丰": "豐", "宁": "寧", "乐": "樂", "龙": "龍", "凤": "鳳", "云": "雲",
    "阳": "陽", "号": "號", "楼": "樓", "栋": "棟", "单": "單", "区": "區", "镇": "鎮", "乡": "鄉", "县": "縣",
    "园": "園", "长": "長", "广": "廣", "义": "義", "礼": "禮", "湾": "灣", "桥": "橋", "岭": "嶺", "庄": "莊",
    "门": "門", "实": "實", "银": "銀", "红": "紅", "绿": "綠", "远": "遠", "圆": "圓", "坞": "塢", "洲": "洲",
]

private let chineseDigitCharacters: [Character] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"]

/// `n` in Chinese numerals with units (18 → 十八, 105 → 一百零五), as people write door-plate numbers.
func chineseNumber(_ n: Int) -> String {
    guard n > 0 else { return "零" }
    if n < 10 { return String(chineseDigitCharacters[n]) }
    if n < 20 { return "十" + (n % 10 == 0 ? "" : String(chineseDigitCharacters[n % 10])) }
    if n < 100 { return String(chineseDigitCharacters[n / 10]) + "十" + (n % 10 == 0 ? "" : String(chineseDigitCharacters[n % 10])) }
    if n < 1000 {
        let rest = n % 100
        return String(chineseDigitCharacters[n / 100]) + "百"
            + (rest == 0 ? "" : (rest < 10 ? "零" + String(chineseDigitCharacters[rest]) : (rest < 20 ? "一" : "") + chineseNumber(rest)))
    }
    return String(String(n).map { chineseDigitCharacters[Int(String($0))!] })
}

/// Digits one by one (501 → 五〇一), as rooms are read out.
func chineseDigits(_ text: String) -> String {
    String(text.map { $0.isASCII && $0.isNumber ? chineseDigitCharacters[Int(String($0))!] : $0 })
}

extension CountyBuilder {
    /// Door plates as real counties have them: roads with three- and four-character names and a few names shared
    /// with a road in another town; estates (小区 / 花园 / 苑 …) with several buildings behind one door plate; 附号
    /// (12-1号); rural group addresses. Road names are drawn from `names` exactly as before (so the rest of the
    /// county is unchanged); everything else from the stream "addresses".
    mutating func doorPlates(county: String, townNames: [String], villageNames: [String],
                             names random: inout Xoshiro256, used: inout Set<String>) -> [DoorPlate] {
        var roadNames = [Int: String]()
        var roadBuildings = [Int: [Int]]()
        let rowsPerRoad = 3
        for k in buildings.indices where buildings[k].urban {
            let c = buildings[k].cell
            let t = Int(villageTown[Int(villageOwner[c])])
            let key = t * 1_000_000 + (c / lattice.nx) / rowsPerRoad
            if roadNames[key] == nil {
                roadNames[key] = Names.placeStem(&random, used: &used, suffix: random.element(["路", "路", "街", "大道"]))
            }
            roadBuildings[key, default: []].append(k)
        }

        var rng = stream("addresses")
        let keys = roadNames.keys.sorted()
        // Longer names, and some roads named like a road of another town.
        var namesInTown = [Int: Set<String>]()
        for key in keys {
            let town = key / 1_000_000
            var name = roadNames[key]!
            let suffix = ["大道", "路", "街"].first { name.hasSuffix($0) }!
            let others = keys.filter { $0 / 1_000_000 != town }.map { roadNames[$0]! }
                .filter { !(namesInTown[town] ?? []).contains($0) }
            let r = rng.unit()
            if r < 0.08, !others.isEmpty {
                name = rng.element(others)
            } else if r < 0.45 {
                let stem = String(name.dropLast(suffix.count))
                for _ in 0..<100 {
                    let longer = stem + String(rng.element(Names.placeCharacters))
                        + (r < 0.15 ? String(rng.element(Names.placeCharacters)) : "") + suffix
                    if !used.contains(longer) { used.insert(longer); name = longer; break }
                }
            }
            roadNames[key] = name
            namesInTown[town, default: []].insert(name)
        }

        var plates = [DoorPlate?](repeating: nil, count: buildings.count)
        func base(_ k: Int) -> (String, String) {
            let v = Int(villageOwner[buildings[k].cell])
            return (townNames[Int(villageTown[v])], villageNames[v])
        }
        for key in keys {
            let list = roadBuildings[key]!
            var number = -1, annex = 0, i = 0
            while i < list.count {
                let remaining = list.count - i
                // An estate lies in one village: its buildings are the next ones on the road in the same village.
                let village = villageOwner[buildings[list[i]].cell]
                let sameVillage = list[i...].prefix { villageOwner[buildings[$0].cell] == village }.count
                if sameVillage >= 2 && rng.chance(0.3) {
                    let size = 2 + rng.index(min(7, sameVillage - 1))
                    let estate = Names.placeStem(&rng, used: &used, suffix: rng.element(["小区", "花园", "苑", "家园", "公寓"]))
                    number += 2; annex = 0
                    for h in 0..<size {
                        let (town, village) = base(list[i + h])
                        plates[list[i + h]] = DoorPlate(county: county, town: town, village: village, road: roadNames[key],
                                                        number: number, estate: estate, house: h + 1)
                    }
                    i += size
                } else {
                    if number > 0 && rng.chance(0.06) { annex += 1 } else { number += 2; annex = 0 }
                    let (town, village) = base(list[i])
                    plates[list[i]] = DoorPlate(county: county, town: town, village: village, road: roadNames[key],
                                                number: number, annex: annex > 0 ? annex : nil)
                    i += 1
                }
            }
        }
        for k in buildings.indices where !buildings[k].urban {
            let (town, village) = base(k)
            plates[k] = DoorPlate(county: county, town: town, village: village, group: buildings[k].group,
                                  number: buildings[k].number)
        }
        return plates.map { $0! }
    }

    /// Old names (aliases) of about one village in ten: a different stem with the same kind word.
    func villageAliases(villageNames: [String], used: inout Set<String>, random: inout Xoshiro256) -> [(alias: String, name: String)] {
        var aliases: [(alias: String, name: String)] = []
        for name in villageNames where random.chance(0.1) {
            let suffix = name.hasSuffix("社区") ? "社区" : "村"
            aliases.append((Names.placeStem(&random, used: &used, suffix: suffix), name))
        }
        return aliases
    }

    /// The address `kind` makes of a door plate (with `room` after it), or nil when the kind does not apply.
    func variant(_ kind: String, of plate: DoorPlate, room: String, oldNames: [String: String], knownNames: Set<String>,
                 random: inout Xoshiro256) -> (String, SampleAddressVariant.Expectation)? {
        let full = plate.text + room
        switch kind {
        case "canonical":
            return (full, .building)
        case "no_prefix":
            let rest = String(full.dropFirst(plate.county.count))
            return (random.chance(0.5) ? rest : String(rest.dropFirst(plate.town.count)), .building)
        case "building_word":
            guard let house = plate.house else { return nil }
            let word = random.element(["栋", "座", "号楼", "#楼"])
            return (full.replacingFirst(String(house) + "幢", with: String(house) + word), .building)
        case "numerals":
            var text = full.replacingFirst(plate.numberText + "号", with: (plate.annex == nil ? chineseNumber(plate.number)
                                                                            : plate.numberText) + "号")
            if let house = plate.house { text = text.replacingFirst(String(house) + "幢", with: chineseNumber(house) + "幢") }
            if !room.isEmpty && room.hasSuffix("室") { text = String(text.dropLast(room.count)) + chineseDigits(room) }
            return (text, .building)
        case "full_width":
            return (String(full.map { $0.isASCII && $0.isNumber ? Character(Unicode.Scalar($0.unicodeScalars.first!.value + 0xFEE0)!) : $0 }),
                    .building)
        case "traditional":
            let text = String(full.map { traditionalForms[$0] ?? $0 })
            return text == full ? nil : (text, .building)
        case "spaces":
            let road = plate.road ?? String(plate.group) + "组"
            return (plate.county + " " + plate.town + "，" + plate.village + " " + road + " " + plate.numberText + "号"
                    + (plate.estate.map { " " + $0 } ?? "") + (plate.house.map { " " + String($0) + "幢" } ?? "") + room, .building)
        case "committee":
            let committee = plate.village.hasSuffix("社区") ? random.element(["社区居委会", "居委会"]) : "村委会"
            let stem = plate.village.hasSuffix("社区") ? String(plate.village.dropLast(2)) : plate.village
            return (full.replacingFirst(plate.village, with: stem + (committee == "村委会" ? "村委会" : committee)), .building)
        case "annex_form":
            guard let annex = plate.annex else { return nil }
            // 12号附1号 / 12号之1号; the closing 号 may be left out only when no room follows ("12号附1").
            let word = random.element(["附", "之"])
            let close = room.isEmpty && random.chance(0.5) ? "" : "号"
            return (full.replacingFirst(plate.numberText + "号", with: String(plate.number) + "号" + word + String(annex) + close),
                    .building)
        case "typo":
            let name = plate.road ?? plate.village
            let suffixLength = ["大道", "社区"].contains { name.hasSuffix($0) } ? 2 : 1
            let stem = Array(name.dropLast(suffixLength))
            let at = random.index(stem.count)
            var slipped = stem
            slipped[at] = random.element(Names.placeCharacters.filter { $0 != stem[at] })
            let typo = String(slipped) + name.suffix(suffixLength)
            // A slip that makes another real name is not a slip but another address.
            guard !knownNames.contains(typo) else { return nil }
            return (full.replacingFirst(name, with: typo), .notWrong)
        case "old_name":
            guard let old = oldNames[plate.village] else { return nil }
            return (full.replacingFirst(plate.village, with: old), .building)
        case "no_building":
            guard let estate = plate.estate, let house = plate.house else { return nil }
            return (full.replacingFirst(estate + String(house) + "幢", with: ""), .ambiguous)
        case "wrong_number":
            return (full.replacingFirst(plate.numberText + "号", with: String(plate.number + 1000) + "号"), .unplaced)
        case "other_county":
            let other = plate.county == "临安县" ? "桐庐县" : "临安县"
            return (other + String(full.dropFirst(plate.county.count)), .unplaced)
        default:
            return nil
        }
    }
}

extension String {
    /// `self` with the first occurrence of `target` replaced (unchanged when there is none).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
