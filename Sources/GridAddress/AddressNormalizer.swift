/// The text-level clean-up every address gets before it is split: one spelling for what registers, phone calls and
/// door plates write in many ways.
///
/// - full-width forms → half-width (`１８号` → `18号`, `Ａ座` → `A座`, `－` → `-`), letters upper-cased;
/// - traditional → simplified for the characters that occur in addresses (`號` → `号`, `樓` → `楼`, `區` → `区`);
/// - spaces, control characters and separating punctuation (，、。·) dropped; `#` kept (`3#楼`);
/// - Chinese numerals → digits where they are numbers: before a number mark (号 幢 栋 座 单元 室 组 层 楼 队 弄 户 房),
///   after 第 / 附 / 之, or as the trailing room of an address. `十八号` → `18号`, `五〇一室` → `501室`, `廿三组` → `23组`,
///   `第三村民小组` → `3村民小组`; names keep theirs (`五一路`, `十里铺村`, `三里亭社区`).
public enum AddressNormalizer {
    /// The normalised text of `address`, as scalars.
    public static func normalize(_ address: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(address.utf8.count)                      // a bound: counting scalars is a walk of its own
        for s in address.unicodeScalars {
            if let t = halfWidthAndSimplified(s) { out.append(t) }
        }
        return digitsForNumerals(out)
    }

    /// The normalised text of `address`.
    public static func normalizedString(_ address: String) -> String {
        AddressParser.string(normalize(address))
    }

    /// One scalar after width folding, upper-casing and simplification; nil for what is dropped.
    static func halfWidthAndSimplified(_ s: Unicode.Scalar) -> Unicode.Scalar? {
        var v = s.value
        if v == 0x3000 { return nil }                                  // ideographic space
        if v >= 0xFF01 && v <= 0xFF5E { v -= 0xFEE0 }                  // full-width ASCII block
        if v < 0x80 {
            if v <= 0x20 || v == 0x7F { return nil }                   // controls and space
            if v >= 0x61 && v <= 0x7A { v -= 0x20 }                    // a-z → A-Z
            switch v {
            case 0x2C, 0x2E, 0x3B, 0x3A, 0x22, 0x27, 0x60: return nil  // , . ; : " ' `
            default: return Unicode.Scalar(v)
            }
        }
        switch v {
        case 0x80...0x9F: return nil                                   // C1 controls
        case 0x00A0, 0x2000...0x200F, 0x2028, 0x2029, 0x202F, 0x205F, 0xFEFF: return nil  // spaces, zero-widths, BOM
        case 0x3001, 0x3002, 0xFF64, 0xFF61, 0x00B7, 0x30FB, 0x2027: return nil             // 、 。 ･ · ‧
        case 0x2010...0x2015, 0x2212: return "-"                       // hyphens and dashes, minus
        case 0x3007: return "〇"
        default: break
        }
        let scalar = Unicode.Scalar(v)!
        if v >= 0x4E00 && v <= 0x9FFF {
            // Most characters are simplified already: one bit says so without hashing.
            let k = Int(v - 0x4E00)
            if traditionalBits[k / 64] & (1 << UInt64(k % 64)) == 0 { return scalar }
        }
        return simplified[scalar] ?? scalar
    }

    /// The traditional characters of `simplified` in the CJK block (U+4E00–U+9FFF), one bit each.
    static let traditionalBits: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: (0x9FFF - 0x4E00) / 64 + 1)
        for s in simplified.keys where s.value >= 0x4E00 && s.value <= 0x9FFF {
            let k = Int(s.value - 0x4E00)
            bits[k / 64] |= 1 << UInt64(k % 64)
        }
        return bits
    }()

    /// Traditional → simplified for characters that occur in Chinese addresses: administrative and road words,
    /// building words, and the common characters of place and estate names.
    static let simplified: [Unicode.Scalar: Unicode.Scalar] = {
        let pairs = "嚴严圓圆區区號号樓楼棟栋單单層层鎮镇鄉乡縣县園园東东廣广場场門门灣湾莊庄橋桥嶺岭龍龙華华興兴豐丰寧宁漢汉"
            + "樂乐發发國国會会員员間间臺台關关舊旧雲云鳳凤鳥鸟長长馬马觀观齊齐實实業业廳厅廠厂壩坝塢坞灘滩澗涧溝沟"
            + "環环館馆鐵铁陳陈劉刘張张楊杨黃黄趙赵吳吴鄭郑錦锦繡绣麗丽嶼屿濱滨億亿萬万與与貴贵遠远達达運运進进過过"
            + "還还鄰邻綠绿紅红藍蓝銀银書书學学醫医衛卫處处幢幢義义陽阳寶宝塘塘濟济灣湾嶽岳陸陆蘇苏韓韩葉叶鄧邓許许"
            + "謝谢蕭萧羅罗孫孙閔闵鍾钟廬庐蘆芦籃篮聖圣勝胜雙双碼码頭头預预層层廈厦閣阁軒轩館馆賓宾飯饭點点電电車车"
            + "線线紡纺織织經经濟济農农場场礦矿鋼钢電电體体營营務务辦办區区團团鄉乡號号隊队組组戶户號号讓让濤涛瀾澜"
            + "滬沪漁渔灣湾濕湿瀋沈寨寨鈴铃錢钱鍋锅鏡镜閘闸陰阴隴陇韻韵順顺領领題题顏颜風风飛飞養养餘余驛驿髮发魚鱼"
            + "鳴鸣鵬鹏鶴鹤鷹鹰鹽盐麥麦黨党齋斋龜龟嶸嵘巖岩幫帮廟庙張张彎弯後后徑径愛爱態态慶庆憑凭懷怀戰战撫抚擁拥"
            + "敵敌斷断於于時时晉晋書书東东條条棲栖楓枫榮荣槍枪樂乐標标樹树橫横檔档權权歐欧歲岁歷历殘残氣气溫温滄沧"
            + "滿满漢汉潤润澤泽濰潍灑洒煙烟熱热爺爷牆墙獅狮瑪玛環环產产畢毕畫画當当瘋疯監监盤盘礎础禮礼禪禅種种穀谷"
            + "窩窝競竞築筑簡简糧粮紀纪純纯紗纱級级絲丝網网緣缘縱纵總总繁繁罷罢聯联聲声肅肃脅胁興兴艦舰莊庄華华萊莱"
            + "蒼苍蓮莲蔣蒋薊蓟藝艺蘭兰虛虚蟲虫衆众襄襄見见視视親亲計计訊讯設设許许詩诗誠诚諸诸豬猪貝贝財财貨货資资"
            + "賢贤賴赖趕赶躍跃軍军載载輝辉輪轮轉转辦办農农迴回遷迁選选遺遗還还邊边鄒邹郵邮醫医釣钓鈞钧鋪铺錦锦鍵键"
            + "鎖锁鎮镇鏈链鐘钟鑫鑫閃闪開开閒闲閩闽闊阔闖闯陸陆險险雞鸡離离雜杂難难霧雾靈灵韋韦頂顶須须頓顿項项頌颂"
        var table: [Unicode.Scalar: Unicode.Scalar] = [:]
        let scalars = Array(pairs.unicodeScalars)
        var i = 0
        while i + 1 < scalars.count {
            if scalars[i] != scalars[i + 1] { table[scalars[i]] = scalars[i + 1] }
            i += 2
        }
        return table
    }()

    // MARK: Chinese numerals

    static let numeralDigits: [Unicode.Scalar: Int] = [
        "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    ]
    static let numeralUnits: [Unicode.Scalar: Int] = ["十": 10, "廿": 20, "卅": 30, "百": 100, "千": 1000]

    /// Whether `s` is a Chinese numeral (a switch: this runs on every scalar of every address).
    static func isNumeral(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x96F6, 0x3007, 0x4E00, 0x4E8C, 0x4E24, 0x4E09, 0x56DB, 0x4E94, 0x516D, 0x4E03, 0x516B, 0x4E5D,  // 零〇一二两三四五六七八九
             0x5341, 0x5EFF, 0x5345, 0x767E, 0x5343: true                                                    // 十廿卅百千
        default: false
        }
    }

    /// Marks after which a run of numerals is a number (the first scalar of each mark; `单` only as `单元`).
    static let numberMarks: Set<Unicode.Scalar> = ["号", "幢", "栋", "座", "室", "组", "层", "楼", "队", "弄", "户", "房", "#", "-"]
    /// Marks before which a run of numerals is a number.
    static let numberLeads: Set<Unicode.Scalar> = ["第", "附", "之", "-"]

    /// Replaces each run of Chinese numerals that stands for a number with its digits.
    static func digitsForNumerals(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains(where: isNumeral) else { return text }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            guard isNumeral(text[i]) else { out.append(text[i]); i += 1; continue }
            var j = i
            while j < text.count && isNumeral(text[j]) { j += 1 }
            let next: Unicode.Scalar? = j < text.count ? text[j] : nil
            let before: Unicode.Scalar? = i > 0 ? text[i - 1] : nil
            var isNumber = false
            if let next {
                if numberMarks.contains(next) { isNumber = true }
                if next == "单", j + 1 < text.count, text[j + 1] == "元" { isNumber = true }
                if next == "村", j + 3 < text.count, text[j + 1] == "民", text[j + 2] == "小", text[j + 3] == "组" { isNumber = true }
            } else if let before, before.properties.numericType != nil || before == "幢" || before == "栋" || before == "座"
                        || before == "元" || before == "层" || before == "楼" || before == "号" {
                isNumber = true                                        // a trailing room: "3幢2单元五〇一"
            }
            if let before, numberLeads.contains(before) { isNumber = true }
            if isNumber, let value = numeralValue(text[i..<j]) {
                if before == "第" { out.removeLast() }                 // 第三组 → 3组
                out.append(contentsOf: value.unicodeScalars)
            } else {
                out.append(contentsOf: text[i..<j])
            }
            i = j
        }
        return out
    }

    /// The digits of a run of Chinese numerals: positional (`五〇一` → "501", `二零二` → "202") or with units
    /// (`十八` → "18", `一百零五` → "105", `廿三` → "23"). Nil for a run that is not a well-formed number (`十十`).
    static func numeralValue(_ run: ArraySlice<Unicode.Scalar>) -> String? {
        if !run.contains(where: { numeralUnits[$0] != nil }) {
            return String(run.map { Character(String(numeralDigits[$0]!)) })
        }
        var total = 0, pending = 0, lastUnit = Int.max, sawDigit = false
        for s in run {
            if let d = numeralDigits[s] {
                if sawDigit && d != 0 { return nil }                   // "一二十": digits run together before a unit
                pending = d; sawDigit = d != 0
            } else if let u = numeralUnits[s] {
                if u == 20 || u == 30 {                                // 廿 / 卅 carry their own digit
                    guard total == 0 && pending == 0 else { return nil }
                    total = u; lastUnit = 10; sawDigit = false; continue
                }
                guard u < lastUnit else { return nil }
                total += (pending == 0 ? 1 : pending) * u
                pending = 0; lastUnit = u; sawDigit = false
            }
        }
        return String(total + pending)
    }
}
