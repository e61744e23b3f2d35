import GeoJSON
import GridAddress
import SampleCounty
import Testing

/// The matcher on the sample county's variant set (addresses written as registers and callers write them, each with
/// the building it was made from): what it must find, it finds; it never places an address in a wrong building.
@Suite struct SampleVariantAccuracyTests {
    struct Tally: CustomStringConvertible {
        var total = 0, right = 0, wrong = 0, ambiguous = 0, unplaced = 0, wrongSure = 0, sure = 0
        var description: String {
            "\(total) total, \(right) right, \(wrong) wrong (\(wrongSure) of \(sure) exact/building), \(ambiguous) ambiguous, \(unplaced) unplaced"
        }
    }

    static func tally(_ county: SampleCounty) -> [String: Tally] {
        let buildings = county.buildings.map { f in
            AddressedBuilding(buildingID: f.properties["building_id"]!.stringValue!,
                              address: f.properties["address"]!.stringValue!,
                              gridID: f.properties["grid_id"]?.stringValue)
        }
        let matcher = AddressMatcher(buildings: buildings,
                                     aliases: Dictionary(county.addressAliases.map { ($0.alias, $0.name) },
                                                         uniquingKeysWith: { a, _ in a }))
        var byKind: [String: Tally] = [:]
        for v in county.addressVariants {
            let m = matcher.match(v.address)
            var t = byKind[v.kind, default: Tally()]
            t.total += 1
            if m.status == .exact || m.status == .building { t.sure += 1 }
            if let b = m.buildingID {
                if b == v.buildingID { t.right += 1 } else {
                    t.wrong += 1
                    if m.status == .exact || m.status == .building { t.wrongSure += 1 }
                }
            } else if m.status == .ambiguous {
                t.ambiguous += 1
            } else {
                t.unplaced += 1
            }
            byKind[v.kind] = t
        }
        return byKind
    }

    @Test(arguments: [SamplePreset.tiny, .liyang])
    func variantsOfTheSample(_ preset: SamplePreset) {
        let county = SampleCountyGenerator(preset: preset, seed: 20_251_202).generate()
        let byKind = Self.tally(county)
        let all = byKind.values.reduce(into: Tally()) {
            $0.total += $1.total; $0.wrong += $1.wrong; $0.wrongSure += $1.wrongSure; $0.sure += $1.sure
        }
        #expect(all.total == county.addressVariants.count)
        // Never a wrong building when the matcher is sure; and no wrong building at all on this set.
        #expect(all.wrongSure == 0, "\(byKind)")
        #expect(all.wrong == 0, "\(byKind)")
        for kind in ["canonical", "no_prefix", "building_word", "numerals", "full_width", "traditional", "spaces",
                     "committee", "annex_form", "old_name"] {
            guard let t = byKind[kind] else { continue }
            #expect(t.right == t.total, "\(kind): \(t)")
        }
        if let t = byKind["no_building"] { #expect(t.ambiguous == t.total, "no_building: \(t)") }
        if let t = byKind["wrong_number"] { #expect(t.right == 0 && t.wrong == 0, "wrong_number: \(t)") }
        if let t = byKind["other_county"] { #expect(t.unplaced == t.total, "other_county: \(t)") }
    }
}
