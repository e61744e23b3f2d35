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

    public static func < (a: AddressPart, b: AddressPart) -> Bool { a.order < b.order }

    private var order: Int { AddressPart.allCases.firstIndex(of: self)! }

    /// Whether the part's value is a number-like label ("18", "12-1", "A") rather than a name.
    public var isNumber: Bool {
        switch self {
        case .villageGroup, .roadno, .houseno, .cellno, .floorno, .roomno: true
        default: false
        }
    }
}
