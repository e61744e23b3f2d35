/// A Chinese address split into its parts, each normalised.
public struct ParsedAddress: Sendable, Hashable {
    /// The address as given.
    public var original: String
    /// The whole address after `AddressNormalizer` (width, script, numerals, spacing).
    public var normalized: String
    /// The parts found, each normalised: names keep their kind word (`新安江街道`, `府东社区`, `严州大道`, `锦绣花园`);
    /// numbers are bare (`roadno` "18" or "12-1", `houseno` "3", `cellno` "2", `roomno` "501").
    public var parts: AddressParts
    /// Pieces no rule placed, in order (a second, different village name; words between parts).
    public var unparsed: [String]
    /// Why the address could not be parsed at all; nil when it was.
    public var issue: AddressIssue?

    public subscript(part: AddressPart) -> String? { parts[part] }

    /// The administrative names above the town (`prov`, `city`, `district`), as a set: with one 市 a parser cannot
    /// tell a prefecture (杭州市) from a county-level city (建德市), so matchers compare these as one set.
    public var administrativeNames: Set<String> {
        var names: Set<String> = []
        forEachAdministrativeName { names.insert($0) }
        return names
    }

    /// Calls `body` with each administrative name (`prov`, `city`, `district`) that is set, without building a set.
    @inlinable public func forEachAdministrativeName(_ body: (String) throws -> Void) rethrows {
        if let n = parts[.prov] { try body(n) }
        if let n = parts[.city], n != parts[.prov] { try body(n) }
        if let n = parts[.district], n != parts[.prov], n != parts[.city] { try body(n) }
    }
}

/// Why an address could not be parsed.
public enum AddressIssue: Sendable, Hashable, CustomStringConvertible {
    /// Nothing left after normalisation (empty, only spaces, punctuation or control characters).
    case empty
    /// Longer than `AddressParser.maximumLength` scalars after normalisation; real addresses are far shorter.
    case tooLong(Int)
    /// No part recognised (no 省/市/区/镇/村/路/号/幢… anywhere).
    case unrecognised

    public var description: String {
        switch self {
        case .empty: "the address is empty"
        case .tooLong(let n): "the address is \(n) characters long (at most \(AddressParser.maximumLength)); is it several fields run together?"
        case .unrecognised: "no address part recognised (province, city, county, town, village/community, road, number, building, unit, room)"
        }
    }
}

/// Splits Chinese addresses into their parts (`AddressPart`).
///
/// The text is normalised first (`AddressNormalizer`), then read left to right: a part ends with its kind word
/// (省, 市, 街道, 社区, 村, 路, 号, 幢, 单元, 室 …), the longest kind word at a place wins (`街道` over `街`, `小区` over
/// `区`, `号楼` over `号`), and a kind word does not end a part when another kind word follows at once (`大路村` is a
/// village, not the road 大路 and an empty village). Number parts take the digits and dashes (and a single letter) before
/// their word (`12-1号`, `A座`, `B1栋`, `3#楼`); 附号 (`12号附1`, `12号之1`) joins the door-plate number as "12-1". `栋`, `幢`, `座`,
/// `号楼` and `#楼` are one kind (`houseno`); `居委会` / `村委会` forms become the 社区 or 村 they run. What is left at
/// the end is read from its place: a bare number after a building or unit is the room, `3-2-501` is building-unit-
/// room; a name between the door plate and the building is the estate (`poi`).
public enum AddressParser {
    /// Longest address parsed, in scalars after normalisation.
    public static let maximumLength = 256

    public static func parse(_ address: String) -> ParsedAddress {
        let text = AddressNormalizer.normalize(address)
        var result = ParsedAddress(original: address, normalized: string(text), parts: AddressParts(), unparsed: [], issue: nil)
        if text.isEmpty { result.issue = .empty; return result }
        if text.count > maximumLength { result.issue = .tooLong(text.count); return result }
        let segments = split(text)
        place(segments, text, into: &result)
        if result.parts.isEmpty { result.issue = .unrecognised }
        return result
    }

    // MARK: Kind words

    struct Mark {
        let word: [Unicode.Scalar]
        let part: AddressPart
        /// 市 before the county is read as city or district by what follows.
        let ambiguousCity: Bool
    }

    static func marks(_ words: String, _ part: AddressPart, ambiguousCity: Bool = false) -> [Mark] {
        words.split(separator: " ").map { Mark(word: Array($0.unicodeScalars), part: part, ambiguousCity: ambiguousCity) }
    }

    /// Every kind word, by its first scalar, longest first.
    static let marksByFirst: [Unicode.Scalar: [Mark]] = {
        let all = marks("省 自治区 特别行政区", .prov)
            + marks("自治州 地区 盟", .city) + marks("市", .city, ambiguousCity: true)
            + marks("区 县 旗 自治县 新区 开发区", .district)
            + marks("镇 乡 街道 街道办事处 街道办", .town)
            // "新村" is left to 村: villages named X新村 are as common as estates named so, and both sides of a
            // match are read alike.
            + marks("村 社区 居委会 村委会 居民委员会 村民委员会 社区居委会 嘎查", .community)
            + marks("组 队 村民小组 小组", .villageGroup)
            + marks("路 街 巷 弄 大道 大街 胡同 道", .road)
            + marks("号 号院", .roadno)
            + marks("小区 花园 家园 公寓 大厦 广场 苑 园 山庄 公馆 大楼 商城 市场 中心 别墅", .poi)
            + marks("幢 栋 座 号楼 #楼 #", .houseno)
            + marks("单元", .cellno)
            + marks("层 楼", .floorno)
            + marks("室 房 户", .roomno)
        return Dictionary(grouping: all, by: { $0.word[0] }).mapValues { $0.sorted { $0.word.count > $1.word.count } }
    }()

    /// Every kind word, by its part.
    static let marksByPart: [AddressPart: [Mark]] = Dictionary(grouping: marksByFirst.values.joined(), by: \.part)

    /// First scalars of kind words in the CJK block (U+4E00–U+9FFF), one bit each, so most positions are ruled out
    /// without hashing.
    static let markFirstBits: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: (0x9FFF - 0x4E00) / 64 + 1)
        for s in marksByFirst.keys where s.value >= 0x4E00 && s.value <= 0x9FFF {
            let k = Int(s.value - 0x4E00)
            bits[k / 64] |= 1 << UInt64(k % 64)
        }
        return bits
    }()

    /// The longest kind word starting at `i`, if any.
    static func mark(at i: Int, in text: [Unicode.Scalar]) -> Mark? {
        let v = text[i].value
        if v >= 0x4E00 && v <= 0x9FFF {
            let k = Int(v - 0x4E00)
            if markFirstBits[k / 64] & (1 << UInt64(k % 64)) == 0 { return nil }
        } else if v != 0x23 {                                         // "#" is the one kind word outside the block
            return nil
        }
        guard let candidates = marksByFirst[text[i]] else { return nil }
        for m in candidates where i + m.word.count <= text.count {
            var ok = true
            for k in 1..<m.word.count where text[i + k] != m.word[k] { ok = false; break }
            if ok { return m }
        }
        return nil
    }

    static func isNumberScalar(_ s: Unicode.Scalar) -> Bool {
        (s >= "0" && s <= "9") || (s >= "A" && s <= "Z") || s == "-"
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool { s >= "A" && s <= "Z" }

    // MARK: Splitting

    /// A piece of the address: where its text lies (with the kind word) and the kind word's part, nil for an
    /// unlabelled piece. Only a 附号 (`12号附1` → "12-1") has text of its own; every other piece is a range of the
    /// normalised address, so splitting copies nothing.
    struct Segment {
        var range: Range<Int>
        var mark: Mark?
        /// The door-plate number with its 附号, when the piece has one.
        var annexed: [Unicode.Scalar]? = nil

        /// The piece's text, with its kind word.
        func text(_ all: [Unicode.Scalar]) -> ArraySlice<Unicode.Scalar> {
            if let annexed { return annexed[...] }
            return all[range]
        }

        /// For a number part: the number without its word.
        func number(_ all: [Unicode.Scalar]) -> ArraySlice<Unicode.Scalar> {
            let t = text(all)
            return t.prefix(t.count - (mark?.word.count ?? 0))
        }
    }

    static func split(_ text: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        segments.reserveCapacity(8)
        var start = 0, i = 0
        while i < text.count {
            guard let m = mark(at: i, in: text) else { i += 1; continue }
            let end = i + m.word.count
            if m.part.isNumber {
                // The number before the word: letters, digits, dashes (and nothing for a bare "#").
                var n = i
                while n > start && isNumberScalar(text[n - 1]) {
                    if isLetter(text[n - 1]) && n - 1 > start && isLetter(text[n - 2]) { break }   // "BLOCK3幢": 3
                    n -= 1
                }
                if n == i { i += 1; continue }                        // "门号": no number, not a number part
                if n > start { segments.append(Segment(range: start..<n, mark: nil)) }
                var j = end
                if m.part == .roadno { j = annexNumber(text, from: end) }
                var seg = Segment(range: n..<end, mark: m)
                if j > end {                                          // 12号附1 → 12-1号
                    let annex = text[end..<j].filter { $0 >= "0" && $0 <= "9" }
                    seg.annexed = Array(text[n..<i]) + ["-"] + annex + m.word
                }
                segments.append(seg)
                start = j; i = j
            } else {
                // A name needs at least one scalar of its own, and does not end where another kind word begins.
                if i == start || (end < text.count && mark(at: end, in: text).map({ !$0.part.isNumber }) == true) {
                    i += 1; continue
                }
                segments.append(Segment(range: start..<end, mark: m))
                start = end; i = end
            }
        }
        if start < text.count { segments.append(Segment(range: start..<text.count, mark: nil)) }
        return segments
    }

    /// The end of a 附号 after "12号": 附1, 附1号, 之1, 之1号; `from` when there is none.
    static func annexNumber(_ text: [Unicode.Scalar], from i: Int) -> Int {
        guard i < text.count, text[i] == "附" || text[i] == "之" else { return i }
        var j = i + 1
        while j < text.count && text[j] >= "0" && text[j] <= "9" { j += 1 }
        guard j > i + 1 else { return i }
        if j < text.count && text[j] == "号" && !(j + 1 < text.count && text[j + 1] == "楼") { j += 1 }
        return j
    }

    // MARK: Placing

    static let municipalities: Set<String> = ["北京市", "上海市", "天津市", "重庆市"]

    static func place(_ segments: [Segment], _ text: [Unicode.Scalar], into result: inout ParsedAddress) {
        var last: AddressPart? = nil
        for (index, seg) in segments.enumerated() {
            guard let m = seg.mark else {
                if let placed = placeUnlabelled(seg.text(text), next: segments[(index + 1)...].first?.mark?.part, last: last,
                                                into: &result) { last = placed }
                continue
            }
            var part = m.part
            var value: String
            switch m.part {
            case .community: value = communityName(seg.text(text))
            case .town: value = townName(seg.text(text))
            default: value = m.part.isNumber ? string(seg.number(text)) : string(seg.text(text))
            }
            if m.ambiguousCity {
                if municipalities.contains(value) {
                    set(.prov, value, &result); part = .city
                } else {
                    // 市 followed by another county-level name (区, 县, 旗, 市) is the prefecture.
                    if result.parts[.city] == value || result.parts[.district] == value { continue }   // repeated
                    let laterCounty = segments[(index + 1)...].prefix(while: { $0.mark.map { $0.part <= .district } ?? false })
                        .contains { ($0.mark!.part == .district || $0.mark!.ambiguousCity) && $0.text(text) != seg.text(text) }
                    part = laterCounty || result.parts[.district] != nil ? .city : .district
                    if part == .city && result.parts[.city] != nil && result.parts[.city] != value { part = .district }
                }
            }
            switch part {
            case .road where m.word == ["弄"] && seg.text(text).dropLast().allSatisfy(isNumberScalar):
                // 长乐路123弄: the lane number belongs to its road.
                if let road = result.parts[.road] { result.parts[.road] = road + value; last = .road; continue }
            default: break
            }
            set(part, value, &result)
            last = part
        }
    }

    /// Sets a part; the same value twice is a repeated prefix and dropped, a different second value is unparsed.
    static func set(_ part: AddressPart, _ value: String, _ result: inout ParsedAddress) {
        if let old = result.parts[part] {
            if old != value { result.unparsed.append(value) }
        } else {
            result.parts[part] = value
        }
    }

    /// A piece with no kind word, read from where it stands; returns the last part it set, nil when unparsed.
    static func placeUnlabelled(_ text: ArraySlice<Unicode.Scalar>, next: AddressPart?, last: AddressPart?,
                                into result: inout ParsedAddress) -> AddressPart? {
        let value = string(text)
        if text.allSatisfy(isNumberScalar) && text.contains(where: { $0 >= "0" && $0 <= "9" }) {
            let numbers = text.split(separator: "-", omittingEmptySubsequences: true).map { string($0) }
            let inEstate = result.parts[.houseno] != nil || result.parts[.cellno] != nil || result.parts[.floorno] != nil
            if next == nil && !numbers.isEmpty {
                if numbers.count == 3 && result.parts[.houseno] == nil {
                    set(.houseno, numbers[0], &result); set(.cellno, numbers[1], &result); set(.roomno, numbers[2], &result)
                    return .roomno
                }
                if numbers.count == 2 && !inEstate && result.parts[.roadno] != nil {
                    set(.houseno, numbers[0], &result); set(.roomno, numbers[1], &result)
                    return .roomno
                }
                if numbers.count == 2 && result.parts[.houseno] != nil && result.parts[.cellno] == nil {
                    set(.cellno, numbers[0], &result); set(.roomno, numbers[1], &result)
                    return .roomno
                }
                if numbers.count == 1 && (inEstate || result.parts[.poi] != nil) && result.parts[.roomno] == nil {
                    set(.roomno, numbers[0], &result)
                    return .roomno
                }
                if numbers.count <= 2, result.parts[.roadno] == nil,
                   let last, last == .road || last == .community || last == .villageGroup {
                    set(.roadno, numbers.joined(separator: "-"), &result)   // 严州大道18, 东山村3组12
                    return .roadno
                }
            }
            result.unparsed.append(value)
            return nil
        }
        // A name between the door plate (or the village) and the building, or at the end: the estate.
        let afterPlace = last.map { $0 >= .town && $0 <= .roadno } ?? false
        let beforeBuilding = next.map { $0 >= .houseno } ?? true
        if afterPlace && beforeBuilding && result.parts[.poi] == nil {
            result.parts[.poi] = value
            return .poi
        }
        result.unparsed.append(value)
        return nil
    }

    /// `府东社区居委会` / `府东居委会` → `府东社区`; `东山村村委会` / `东山村民委员会` → `东山村`. On scalars: a name's kind
    /// word is checked for every village of every address, and `String`'s character view costs more than the parse.
    static func communityName(_ value: ArraySlice<Unicode.Scalar>) -> String {
        for suffix in communitySuffixes where value.count > suffix.count && value.suffix(suffix.count).elementsEqual(suffix) {
            let base = value.dropLast(suffix.count)
            return base.suffix(2).elementsEqual(["社", "区"]) ? string(base) : string(base + ["社", "区"])
        }
        for suffix in villageSuffixes where value.count > suffix.count && value.suffix(suffix.count).elementsEqual(suffix) {
            let base = value.dropLast(suffix.count)
            return base.last == "村" ? string(base) : string(base + ["村"])
        }
        return string(value)
    }

    static let communitySuffixes = ["社区居委会", "居民委员会", "居委会"].map { Array($0.unicodeScalars) }
    static let villageSuffixes = ["村民委员会", "村委会"].map { Array($0.unicodeScalars) }
    static let townSuffixes = ["街道办事处", "街道办"].map { Array($0.unicodeScalars) }

    /// `新安江街道办事处` / `新安江街道办` → `新安江街道`.
    static func townName(_ value: ArraySlice<Unicode.Scalar>) -> String {
        for suffix in townSuffixes where value.count > suffix.count && value.suffix(suffix.count).elementsEqual(suffix) {
            return string(value.dropLast(suffix.count) + ["街", "道"])
        }
        return string(value)
    }

    /// The text of `scalars`, encoded straight to UTF-8 (most parts are short enough for a small, unallocated string).
    static func string(_ scalars: some Collection<Unicode.Scalar>) -> String {
        let capacity = scalars.count * 4
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var n = 0
            for s in scalars {
                let v = s.value
                if v < 0x80 {
                    buffer[n] = UInt8(v); n += 1
                } else if v < 0x800 {
                    buffer[n] = UInt8(0xC0 | (v >> 6)); buffer[n + 1] = UInt8(0x80 | (v & 0x3F)); n += 2
                } else if v < 0x10000 {
                    buffer[n] = UInt8(0xE0 | (v >> 12)); buffer[n + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
                    buffer[n + 2] = UInt8(0x80 | (v & 0x3F)); n += 3
                } else {
                    buffer[n] = UInt8(0xF0 | (v >> 18)); buffer[n + 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
                    buffer[n + 2] = UInt8(0x80 | ((v >> 6) & 0x3F)); buffer[n + 3] = UInt8(0x80 | (v & 0x3F)); n += 4
                }
            }
            return n
        }
    }
}
