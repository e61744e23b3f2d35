/// The parts of a Chinese address (地址要素), from the province down to the room.
///
/// The names follow the labelling scheme of published Chinese address-parsing datasets (prov, city, district, town,
/// community, village_group, road, roadno, poi, houseno, cellno, floorno, roomno), so a planner who has met those
/// datasets, or a tool built on them, reads our output without a glossary. The cases are in the order the parts are
/// written, largest first.
public enum AddressPart: String, Sendable, CaseIterable, Codable, Comparable {
    /// 省 / 自治区, or a municipality (北京市, 上海市, 天津市, 重庆市), which is also its own `city`.
    case prov
    /// 市 / 州 / 地区 / 盟 above the county.
    case city
    /// The county level: 区 / 县 / 旗, or a county-level city (建德市, 溧阳市). With one 市 and nothing to tell them
    /// apart, the parser calls it `district`; matchers compare `prov`, `city` and `district` as one set of names.
    case district
    /// 镇 / 乡 / 街道 (a "街道办事处" is written as its 街道).
    case town
    /// 村 / 社区 (居委会 and 村委会 forms are written as the 社区 or 村 they run).
    case community
    /// A rural group (村民小组): 3组, 第三组, 5队 → "3".
    case villageGroup = "village_group"
    /// 路 / 街 / 巷 / 弄 / 大道 / 胡同, including a lane number (上海 "长乐路123弄").
    case road
    /// The door-plate number (门牌号) on the road or in the village: "18", and 附号 forms "12-1" (12-1号, 12号附1,
    /// 12号之1).
    case roadno
    /// A courtyard, estate or named place (小区 / 苑 / 花园 / 大厦 …), or an unlabelled name where one belongs.
    case poi
    /// The building in an estate (幢 / 栋 / 座 / 号楼 / #楼, all one kind): "3", "A".
    case houseno
    /// The unit (单元): "2".
    case cellno
    /// The floor (层 / 楼): "5".
    case floorno
    /// The room (室 / 房 / 户): "501".
    case roomno

    public static func < (a: AddressPart, b: AddressPart) -> Bool { a.index < b.index }

    /// The part's place in the order above, 0 (`prov`) to 12 (`roomno`): a switch, not a search, since parsing and
    /// matching compare parts for every address.
    @inlinable public var index: Int {
        switch self {
        case .prov: 0
        case .city: 1
        case .district: 2
        case .town: 3
        case .community: 4
        case .villageGroup: 5
        case .road: 6
        case .roadno: 7
        case .poi: 8
        case .houseno: 9
        case .cellno: 10
        case .floorno: 11
        case .roomno: 12
        }
    }

    /// The parts in order (`allCases` as a constant array, without the protocol's indirection).
    public static let ordered: [AddressPart] = allCases

    /// Whether the part's value is a number-like label ("18", "12-1", "A") rather than a name.
    public var isNumber: Bool {
        switch self {
        case .villageGroup, .roadno, .houseno, .cellno, .floorno, .roomno: true
        default: false
        }
    }
}

/// The parts of one address, one optional value per `AddressPart`, stored inline (no dictionary: hashing a part's
/// name for every lookup cost more than the rest of the parse).
public struct AddressParts: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    @usableFromInline var values: InlineArray<13, String?>

    public init() { values = InlineArray(repeating: nil) }

    public init(dictionaryLiteral elements: (AddressPart, String)...) {
        self.init()
        for (part, value) in elements { self[part] = value }
    }

    @inlinable public subscript(part: AddressPart) -> String? {
        get { values[part.index] }
        set { values[part.index] = newValue }
    }

    /// Whether no part is set.
    public var isEmpty: Bool {
        for i in 0..<13 where values[i] != nil { return false }
        return true
    }

    public func makeIterator() -> some IteratorProtocol<(part: AddressPart, value: String)> {
        AddressPart.ordered.lazy.compactMap { part in self.values[part.index].map { (part: part, value: $0) } }.makeIterator()
    }

    public static func == (a: AddressParts, b: AddressParts) -> Bool {
        for i in 0..<13 where a.values[i] != b.values[i] { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        for i in 0..<13 { hasher.combine(values[i]) }
    }

    public var description: String {
        "[" + map { "\($0.part.rawValue): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

/// A name as a dictionary key, hashed and compared by its UTF-8 bytes. Every name the matcher looks up has passed
/// through `AddressNormalizer`, so byte equality is the equality wanted; `String`'s own hashing and `==` normalise
/// non-ASCII text to NFC on every call, which for Chinese names cost more than the rest of a lookup.
struct NameKey: Hashable, Sendable {
    var text: String

    init(_ text: String) { self.text = text }

    static func == (a: NameKey, b: NameKey) -> Bool { sameBytes(a.text, b.text) }

    func hash(into hasher: inout Hasher) { hashBytes(text, into: &hasher) }
}

@inline(__always) func sameBytes(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && x.elementsEqual(y) } }
}

@inline(__always) func hashBytes(_ s: String, into hasher: inout Hasher) {
    var s = s
    s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    hasher.combine(0xFF as UInt8)                                    // terminator: ("ab", "c") ≠ ("a", "bc")
}
