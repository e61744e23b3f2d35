import GridAddress
import Testing

@Suite struct AddressNormalizerTests {
    @Test(arguments: [
        ("１８号", "18号"), ("Ａ座", "A座"), ("a座", "A座"), ("３－２－５０１", "3-2-501"), ("3—2", "3-2"),
        ("嚴州大道", "严州大道"), ("錦繡花園", "锦绣花园"), ("單元", "单元"), ("號樓", "号楼"),
        ("严州 大道\u{3000}18号", "严州大道18号"), ("严州，大道、18号。", "严州大道18号"), ("\u{FEFF}严州\u{200B}大道", "严州大道"),
        ("十八号", "18号"), ("十号", "10号"), ("二十号", "20号"), ("一百零五号", "105号"), ("廿三组", "23组"),
        ("卅一号", "31号"), ("五〇一室", "501室"), ("二零二室", "202室"), ("两单元", "2单元"), ("第三组", "3组"),
        ("3幢2单元五〇一", "3幢2单元501"), ("12号附一", "12号附1"), ("12号之二", "12号之2"),
        ("五一路", "五一路"), ("十里铺村", "十里铺村"), ("三里亭社区", "三里亭社区"), ("一心村", "一心村"),
    ])
    func normalizes(_ input: String, _ expected: String) {
        #expect(AddressNormalizer.normalizedString(input) == expected)
    }

    @Test func malformedNumeralRunsAreLeftAsText() {
        // "十十号" is no number; it stays as written rather than becoming a wrong one.
        #expect(AddressNormalizer.normalizedString("十十号") == "十十号")
        #expect(AddressNormalizer.normalizedString("一二十号") == "一二十号")
    }
}
