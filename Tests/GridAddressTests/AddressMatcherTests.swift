import Foundation
import GridAddress
import Testing

@Suite struct AddressMatcherTests {
    /// A small county with what makes matching hard: an estate with several buildings behind one door plate, a
    /// door plate with one lettered building, the same village name and the same road name in two towns.
    static let buildings: [AddressedBuilding] = [
        .init(buildingID: "B1", address: "建德市新安江街道府东社区严州大道18号锦绣花园1幢", gridID: "G1"),
        .init(buildingID: "B2", address: "建德市新安江街道府东社区严州大道18号锦绣花园2幢", gridID: "G1"),
        .init(buildingID: "B3", address: "建德市新安江街道府东社区严州大道18号锦绣花园3幢", gridID: "G2"),
        .init(buildingID: "B4", address: "建德市新安江街道府东社区严州大道20号", gridID: "G2"),
        .init(buildingID: "B5", address: "建德市新安江街道府东社区严州大道22号金都大厦A座", gridID: "G2"),
        .init(buildingID: "B6", address: "建德市乾潭镇东山村3组12号", gridID: "G3"),
        .init(buildingID: "B7", address: "建德市寿昌镇东山村3组12号", gridID: "G4"),
        .init(buildingID: "B8", address: "建德市乾潭镇新安路5号", gridID: "G3"),
        .init(buildingID: "B9", address: "建德市寿昌镇新安路5号", gridID: "G4"),
        .init(buildingID: "B10", address: "建德市乾潭镇南峰村1组3号", gridID: "G5"),
        .init(buildingID: "B11", address: "建德市乾潭镇南峰村1组4号", gridID: "G5"),
        .init(buildingID: "B12", address: "建德市乾潭镇东峰村1组4号", gridID: "G6"),
        .init(buildingID: "B13", address: "no door plate here", gridID: "G6"),
    ]
    static let matcher = AddressMatcher(buildings: buildings, aliases: ["严州路": "严州大道", "府东居委会": "府东社区"],
                                        countyNames: ["浙江省", "杭州市", "建德市"])

    func match(_ a: String) -> AddressMatch { Self.matcher.match(a) }

    @Test func buildingsWithoutADoorPlateAreListed() {
        #expect(Self.matcher.unindexed == ["B13"])
    }

    @Test func exactNeedsEveryPartOfTheDoorPlateAndNoCorrection() {
        let m = match("建德市新安江街道府东社区严州大道18号锦绣花园3幢")
        #expect(m.status == .exact && m.buildingID == "B3" && m.gridID == "G2" && m.score == 1)
        #expect(m.matchedAddress == "建德市新安江街道府东社区严州大道18号锦绣花园3幢" && m.reason == nil)
        // Unit and room are not checked; other spellings of the same parts are still exact.
        #expect(match("浙江省杭州市建德市新安江街道府东社区严州大道十八号锦绣花园3栋2单元501室").status == .exact)
        #expect(match("建德市 新安江街道 府东社区 严州大道１８号 锦绣花园 三号楼").buildingID == "B3")
        // The county's own names are not part of the door plate: with or without them, or with the prefecture only.
        #expect(match("新安江街道府东社区严州大道18号锦绣花园3幢501室").status == .exact)
        #expect(match("杭州市新安江街道府东社区严州大道18号锦绣花园3幢").status == .exact)
    }

    @Test func leavingOutPrefixesFindsTheBuildingButIsNotExact() {
        let m = match("严州大道18号锦绣花园3幢2单元501室")
        #expect(m.status == .building && m.buildingID == "B3")
        #expect(m.score < 1 && m.reason!.contains("not given"))
        // The town written last (as some registers do) still tells the two 东山村 apart.
        let rural = match("东山村3组12号乾潭镇")
        #expect(rural.buildingID == "B6" && rural.status == .exact)
        let noTown = match("南峰村1组3号")
        #expect(noTown.status == .building && noTown.buildingID == "B10" && noTown.reason == "not given: town")
    }

    @Test func aOneCharacterSlipInANameIsCorrectedButNeverExact() {
        let m = match("建德市新安江街道府东社区严洲大道18号锦绣花园3幢")
        #expect(m.status == .building && m.buildingID == "B3")
        #expect(m.reason!.contains("严洲大道 read as 严州大道"))
    }

    @Test func numbersAreNeverCorrected() {
        let m = match("建德市新安江街道府东社区严州大道19号")
        #expect(m.buildingID == nil)
        #expect(m.status == .village && m.community == "府东社区")       // the community alone is certain
        #expect(match("严州大道19号").status == .none)
        #expect(match("建德市乾潭镇南峰村1组5号").status == .village)
    }

    @Test func anAmbiguousCorrectionIsNotMade() {
        // 西峰村 is one character from both 南峰村 and 东峰村: no guess.
        let m = match("建德市乾潭镇西峰村1组4号")
        #expect(m.buildingID == nil && m.status == .none)
        #expect(m.reason!.contains("西峰村 not known"))
    }

    @Test func aliasesOfOldAndShortNames() {
        let m = match("建德市新安江街道府东居委会严州路18号锦绣花园1幢")
        #expect(m.status == .building && m.buildingID == "B1")
        #expect(m.reason!.contains("严州路 is an old or short name of 严州大道"))
    }

    @Test func theDoorPlateWithoutItsBuildingPart() {
        let m = match("严州大道22号")
        #expect(m.status == .roadNumber && m.buildingID == "B5" && m.score == 0.8)
        // A door plate with one building and no building part on it is the building itself.
        #expect(match("建德市新安江街道府东社区严州大道20号").status == .exact)
    }

    @Test func severalBuildingsBehindOneDoorPlateAreAmbiguous() {
        let m = match("严州大道18号")
        #expect(m.status == .ambiguous && m.candidates == ["B1", "B2", "B3"] && m.buildingID == nil)
        #expect(m.community == "府东社区")
        let wrongHouse = match("严州大道18号锦绣花园7幢")
        #expect(wrongHouse.status == .ambiguous && wrongHouse.reason!.contains("no building 7"))
        #expect(wrongHouse.reason!.contains("1, 2, 3"))
    }

    @Test func theSameNamesInTwoTownsNeedTheTown() {
        let village = match("东山村3组12号")
        #expect(village.status == .ambiguous && village.candidates == ["B6", "B7"])
        #expect(village.reason!.contains("乾潭镇") && village.reason!.contains("寿昌镇"))
        #expect(match("寿昌镇东山村3组12号").buildingID == "B7")
        let road = match("新安路5号")
        #expect(road.status == .ambiguous && road.candidates == ["B8", "B9"])
        #expect(match("建德市乾潭镇新安路5号").status == .exact)
        #expect(match("建德市乾潭镇新安路5号").buildingID == "B8")
        // A town that contradicts the door plate is refused, not matched elsewhere.
        let wrongTown = match("新安江街道新安路5号")
        #expect(wrongTown.status == .none && wrongTown.reason!.contains("not in 新安江街道"))
        #expect(match("东山村").status == .ambiguous)
    }

    @Test func villageLevelGivesTheGridWhenTheVillageHasOne() {
        let m = match("建德市乾潭镇南峰村")
        #expect(m.status == .village && m.gridID == "G5" && m.community == "南峰村" && m.buildingID == nil)
        let fudong = match("新安江街道府东社区")
        #expect(fudong.status == .village && fudong.gridID == nil && fudong.reason!.contains("2 grids"))
    }

    @Test func anAddressInAnotherCountyIsRefused() {
        let m = match("杭州市淳安县千岛湖镇新安路5号")
        #expect(m.status == .none && m.reason!.contains("淳安县") && m.reason!.contains("outside this county"))
    }

    @Test func badInputGetsAStatusNotACrash() {
        #expect(match("").status == .none && match("").reason == "the address is empty")
        let long = match(String(repeating: "严州大道18号", count: 715))
        #expect(long.status == .none && long.reason!.contains("5005"))
        #expect(match("\u{1}\u{2}").status == .none)
        #expect(match("hello").status == .none)
    }

    /// Never `exact` when wrong: every building's address with one number changed, or one part dropped, is never an
    /// exact match, and a changed number never finds the original building.
    @Test func neverExactWhenWrong() {
        for b in Self.buildings where b.buildingID != "B13" {
            let exact = match(b.address)
            #expect(exact.status == .exact && exact.buildingID == b.buildingID, "\(b.address)")
            let parsed = AddressParser.parse(b.address)
            // Door-plate number + 100.
            let number = parsed[.roadno]!
            let changed = b.address.replacingOccurrences(of: number + "号", with: String(Int(number)! + 100) + "号")
            let m = match(changed)
            #expect(m.buildingID != b.buildingID && m.status != .exact, "\(changed) → \(m)")
            // Each name part dropped: maybe found, never exact.
            for part in [AddressPart.town, .community] {
                guard let value = parsed[part] else { continue }
                let dropped = b.address.replacingOccurrences(of: value, with: "")
                let d = match(dropped)
                #expect(d.status != .exact, "\(dropped) → \(d)")
                #expect(d.buildingID == nil || d.buildingID == b.buildingID, "\(dropped) → \(d)")
            }
        }
    }
}
