import GridAddress
import Testing

@Suite struct AddressParserTests {
    /// One address of a real-looking form and the parts it must give (only the parts listed; others must be absent).
    struct Case: CustomTestStringConvertible, Sendable {
        let address: String
        let parts: [AddressPart: String]
        var unparsed: [String] = []
        var testDescription: String { address }
    }

    static let cases: [Case] = [
        // Full urban address with estate, building, unit, room.
        Case(address: "浙江省杭州市建德市新安江街道府东社区严州大道18号锦绣花园3幢2单元501室",
             parts: [.prov: "浙江省", .city: "杭州市", .district: "建德市", .town: "新安江街道", .community: "府东社区",
                     .road: "严州大道", .roadno: "18", .poi: "锦绣花园", .houseno: "3", .cellno: "2", .roomno: "501"]),
        // Without province and city; 栋 for 幢; bare room number at the end.
        Case(address: "建德市新安江街道严州大道18号锦绣花园3栋2单元501",
             parts: [.district: "建德市", .town: "新安江街道", .road: "严州大道", .roadno: "18", .poi: "锦绣花园",
                     .houseno: "3", .cellno: "2", .roomno: "501"]),
        // Full-width digits and spaces; 号楼 is a building.
        Case(address: "新安江街道 严州大道１８号 锦绣花园 ３号楼 ２单元 ５０１室",
             parts: [.town: "新安江街道", .road: "严州大道", .roadno: "18", .poi: "锦绣花园", .houseno: "3",
                     .cellno: "2", .roomno: "501"]),
        // Chinese numerals, with units and positional.
        Case(address: "严州大道十八号锦绣花园三幢二单元五〇一室",
             parts: [.road: "严州大道", .roadno: "18", .poi: "锦绣花园", .houseno: "3", .cellno: "2", .roomno: "501"]),
        Case(address: "新安路一百零五号", parts: [.road: "新安路", .roadno: "105"]),
        Case(address: "东山村廿三组", parts: [.community: "东山村", .villageGroup: "23"]),
        // 座 with a letter; #楼; building-unit-room with dashes.
        Case(address: "江滨路8号金都大厦A座1203室",
             parts: [.road: "江滨路", .roadno: "8", .poi: "金都大厦", .houseno: "A", .roomno: "1203"]),
        Case(address: "江滨路8号金都公寓5#楼301", parts: [.road: "江滨路", .roadno: "8", .poi: "金都公寓", .houseno: "5", .roomno: "301"]),
        Case(address: "府东社区锦绣花园3-2-501",
             parts: [.community: "府东社区", .poi: "锦绣花园", .houseno: "3", .cellno: "2", .roomno: "501"]),
        // 附号 forms, all as "12-1".
        Case(address: "新安路12-1号", parts: [.road: "新安路", .roadno: "12-1"]),
        Case(address: "新安路12号附1", parts: [.road: "新安路", .roadno: "12-1"]),
        Case(address: "新安路12号附1号", parts: [.road: "新安路", .roadno: "12-1"]),
        Case(address: "新安路12号之一", parts: [.road: "新安路", .roadno: "12-1"]),
        // Rural group addresses, 第 and 村民小组.
        Case(address: "建德市乾潭镇东山村3组12号",
             parts: [.district: "建德市", .town: "乾潭镇", .community: "东山村", .villageGroup: "3", .roadno: "12"]),
        Case(address: "乾潭镇东山村第三村民小组12号",
             parts: [.town: "乾潭镇", .community: "东山村", .villageGroup: "3", .roadno: "12"]),
        Case(address: "乾潭镇东山村第三组", parts: [.town: "乾潭镇", .community: "东山村", .villageGroup: "3"]),
        // Committee forms become the village or community they run; 街道办事处 its 街道.
        Case(address: "新安江街道办事处府东社区居委会", parts: [.town: "新安江街道", .community: "府东社区"]),
        Case(address: "府东居委会", parts: [.community: "府东社区"]),
        Case(address: "东山村村委会", parts: [.community: "东山村"]),
        Case(address: "东山村民委员会", parts: [.community: "东山村"]),
        // Kind words inside names do not split them.
        Case(address: "大路村5组8号", parts: [.community: "大路村", .villageGroup: "5", .roadno: "8"]),
        Case(address: "公园路3号", parts: [.road: "公园路", .roadno: "3"]),
        Case(address: "新镇路7号", parts: [.road: "新镇路", .roadno: "7"]),
        Case(address: "五一路十号", parts: [.road: "五一路", .roadno: "10"]),
        Case(address: "十里铺村", parts: [.community: "十里铺村"]),
        Case(address: "三里亭社区", parts: [.community: "三里亭社区"]),
        Case(address: "溧阳市城市花园2幢", parts: [.district: "溧阳市", .poi: "城市花园", .houseno: "2"]),
        // Traditional characters.
        Case(address: "嚴州大道18號錦繡花園3棟2單元501室",
             parts: [.road: "严州大道", .roadno: "18", .poi: "锦绣花园", .houseno: "3", .cellno: "2", .roomno: "501"]),
        // A repeated administrative prefix is dropped; a municipality is province and city.
        Case(address: "建德市建德市新安江街道", parts: [.district: "建德市", .town: "新安江街道"]),
        Case(address: "上海市黄浦区长乐路123弄45号", parts: [.prov: "上海市", .city: "上海市", .district: "黄浦区",
                                                       .road: "长乐路123弄", .roadno: "45"]),
        // Floor, and 单元 without a room.
        Case(address: "江滨路8号金都大厦12层", parts: [.road: "江滨路", .roadno: "8", .poi: "金都大厦", .floorno: "12"]),
        // A door plate without 号 after a road.
        Case(address: "严州大道18", parts: [.road: "严州大道", .roadno: "18"]),
        // An estate named without its kind word, between the door plate and the building.
        Case(address: "严州大道18号锦绣3幢501室",
             parts: [.road: "严州大道", .roadno: "18", .poi: "锦绣", .houseno: "3", .roomno: "501"]),
    ]

    @Test(arguments: cases)
    func parts(_ c: Case) {
        let parsed = AddressParser.parse(c.address)
        #expect(parsed.issue == nil)
        for part in AddressPart.allCases {
            #expect(parsed[part] == c.parts[part], "\(part.rawValue) in \(c.address) → \(parsed.parts)")
        }
        #expect(parsed.unparsed == c.unparsed, "unparsed in \(c.address)")
    }

    @Test func administrativeNamesAreOneSet() {
        // With one 市 the parser cannot tell a prefecture from a county-level city; both land in the set.
        #expect(AddressParser.parse("建德市新安江街道").administrativeNames == ["建德市"])
        #expect(AddressParser.parse("杭州市建德市新安江街道").administrativeNames == ["杭州市", "建德市"])
    }

    @Test func aSecondDifferentVillageIsUnparsedNotOverwritten() {
        let p = AddressParser.parse("府东社区东山村3组")
        #expect(p[.community] == "府东社区")
        #expect(p.unparsed == ["东山村"])
    }

    // MARK: Bad input

    @Test func emptyAndBlankAddresses() {
        for text in ["", "   ", "\u{3000}\t\n", "，、。", "\u{0}\u{7}\u{1B}"] {
            let p = AddressParser.parse(text)
            #expect(p.issue == .empty, "\(text.debugDescription)")
            #expect(p.parts.isEmpty)
        }
    }

    @Test func overlongAddressIsRefusedWithItsLength() {
        let long = String(repeating: "严州大道18号", count: 715)          // 5,005 characters
        let p = AddressParser.parse(long)
        #expect(p.issue == .tooLong(5005))
        #expect(p.parts.isEmpty)
        #expect(p.issue!.description.contains("5005") && p.issue!.description.contains("256"))
    }

    @Test func textWithoutAnyPartIsUnrecognised() {
        let p = AddressParser.parse("hello world")
        #expect(p.issue == .unrecognised)
        #expect(p.unparsed == ["HELLOWORLD"])
    }

    @Test func controlCharactersAndMixedScriptsAreCleanedNotFatal() {
        let p = AddressParser.parse("严州\u{7}大道\u{200B}18号\r\n锦绣花园３幢")
        #expect(p.issue == nil)
        #expect(p[.road] == "严州大道" && p[.roadno] == "18" && p[.poi] == "锦绣花园" && p[.houseno] == "3")
        let mixed = AddressParser.parse("Yanzhou大道18号Block3幢")
        #expect(mixed[.road] == "YANZHOU大道" && mixed[.roadno] == "18")
        #expect(mixed[.houseno] == "3" && mixed[.poi] == "BLOCK")
    }
}
