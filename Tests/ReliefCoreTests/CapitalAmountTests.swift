import ReliefCore
import Testing

@Suite("CapitalAmount")
struct CapitalAmountTests {
    @Test(
        "required examples",
        arguments: [
            (Int64(1_800_000), "人民币壹万捌仟元整"),
            (32_504, "人民币叁佰贰拾伍元零肆分"),
            (10_001_000, "人民币壹拾万零壹拾元整"),
            (0, "人民币零元整"),
            (1_050, "人民币壹拾元伍角整"),
            (5, "人民币伍分"),
            (50, "人民币伍角整"),
            (105, "人民币壹元零伍分"),
            (100_005, "人民币壹仟元零伍分"),
            (100_500, "人民币壹仟零伍元整"),
            (100_000_100, "人民币壹佰万零壹元整"),
            (100_100_000, "人民币壹佰万壹仟元整"),
            (100_010_000, "人民币壹佰万零壹佰元整"),
            (10_000_000_000, "人民币壹亿元整"),
            (10_000_000_100, "人民币壹亿零壹元整"),
            (1_000_000, "人民币壹万元整"),
            (1_000, "人民币壹拾元整"),
            (-10_000, "人民币负壹佰元整"),
        ])
    func requiredExamples(fen: Int64, text: String) {
        #expect(CapitalAmount.text(fen: fen) == text)
    }

    @Test(
        "further cases",
        arguments: [
            (Int64(55), "人民币伍角伍分"),
            (168_032, "人民币壹仟陆佰捌拾元叁角贰分"),
            (10_700_053, "人民币壹拾万柒仟元伍角叁分"),
            (101_000, "人民币壹仟零壹拾元整"),
            (10_010_000, "人民币壹拾万零壹佰元整"),
            (10_100_000, "人民币壹拾万壹仟元整"),
            (11_000, "人民币壹佰壹拾元整"),
            (10_000_100_000, "人民币壹亿零壹仟元整"),
            (20_300_000_000, "人民币贰亿零叁佰万元整"),
            (123_456_789_012, "人民币壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
            (100_020_000_000_000, "人民币壹万零贰亿元整"),
            (Money.maximumFen, "人民币壹仟亿元整"),
            (-5, "人民币负伍分"),
            (-1_050, "人民币负壹拾元伍角整"),
            (900_000_009, "人民币玖佰万元零玖分"),
        ])
    func furtherCases(fen: Int64, text: String) {
        #expect(CapitalAmount.text(fen: fen) == text)
    }

    @Test("Int64 extremes do not crash")
    func extremes() {
        let maximum = "人民币玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"
        #expect(CapitalAmount.text(fen: .max) == maximum)
        #expect(
            CapitalAmount.text(fen: .min)
                == "人民币负玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零捌分")
    }

    @Test("random amounts read back to themselves and follow the zero and 整 rules")
    func randomAmounts() throws {
        var generator = SplitMix64(seed: 20_200_501)
        for _ in 0..<20_000 {
            // Digits are zero half of the time so that runs of zeros are common.
            let digitCount = Int(generator.next() % 13) + 1
            var fen: Int64 = 0
            for _ in 0..<digitCount {
                let digit = generator.next() % 2 == 0 ? 0 : Int64(generator.next() % 10)
                fen = fen * 10 + digit
            }
            if generator.next() % 4 == 0 {
                fen = -fen
            }
            let text = CapitalAmount.text(fen: fen)
            #expect(try #require(readBack(text)) == fen, "\(fen) → \(text)")
            #expect(!text.contains("零零"), "\(text)")
            #expect(text.filter { $0 == "零" }.count == expectedZeroCount(fen: fen), "\(fen) → \(text)")
            for unit in ["元", "万", "亿", "角", "分"] where fen != 0 {
                #expect(!text.contains("零" + unit), "\(text)")
            }
            #expect(text.hasSuffix("整") == (fen % 10 == 0), "\(text)")
            #expect(text.hasPrefix(fen < 0 ? "人民币负" : "人民币"))
        }
    }
}

/// How many 零 the text for `fen` should contain, from the digits alone.
///
/// In the integer part each run of zeros between two non-zero digits is read as one 零, except a
/// run of one to three zeros that ends exactly at a section boundary (万, 亿) without covering a
/// whole section: those are absorbed by the section unit (1,001,000 → 壹佰万壹仟). After 元, 零
/// is written when 角 is zero and 分 is not, if there is an integer part.
private func expectedZeroCount(fen: Int64) -> Int {
    let magnitude = fen.magnitude
    if magnitude == 0 {
        return 1  // 零元整
    }
    let yuan = magnitude / 100
    var count = (yuan > 0 && (magnitude / 10) % 10 == 0 && magnitude % 10 != 0) ? 1 : 0
    // Digits of the integer part by position, 0 = 元 digit.
    var digits: [UInt64] = []
    var rest = yuan
    while rest > 0 {
        digits.append(rest % 10)
        rest /= 10
    }
    var position = 0
    while position < digits.count {
        guard digits[position] == 0 else {
            position += 1
            continue
        }
        let low = position
        while position < digits.count && digits[position] == 0 {
            position += 1
        }
        let high = position - 1
        let isInternal = low > 0 && position < digits.count
        let absorbed = low % 4 == 0 && high - low < 3
        if isInternal && !absorbed {
            count += 1
        }
    }
    return count
}

/// Reads capital-numeral text back into fen, ignoring 零; independent of the implementation.
private func readBack(_ text: String) -> Int64? {
    guard text.hasPrefix("人民币") else {
        return nil
    }
    var body = Substring(text.dropFirst(3))
    var sign: Int64 = 1
    if body.hasPrefix("负") {
        sign = -1
        body = body.dropFirst()
    }
    let digits: [Character: Int64] = [
        "零": 0, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
    ]
    var total: Int64 = 0  // completed 亿 part, in yuan
    var section: Int64 = 0  // below 亿, in yuan
    var number: Int64 = 0  // pending digit
    var yuan: Int64 = 0
    var fen: Int64 = 0
    for character in body {
        if let digit = digits[character] {
            number = digit
            continue
        }
        switch character {
        case "拾": section += number * 10
        case "佰": section += number * 100
        case "仟": section += number * 1_000
        case "万": section = (section + number) * 10_000
        case "亿": total = (total + section + number) * 100_000_000; section = 0
        case "元": yuan = total + section + number
        case "角": fen += number * 10
        case "分": fen += number
        case "整": break
        default: return nil
        }
        number = 0
    }
    return sign * (yuan * 100 + fen)
}

/// A small deterministic random number generator for reproducible tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
