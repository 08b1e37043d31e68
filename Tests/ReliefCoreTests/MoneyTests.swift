import Foundation
import ReliefCore
import Testing

@Suite("Money")
struct MoneyTests {
    @Test(
        "parse accepts the documented forms",
        arguments: [
            ("18000", Int64(1_800_000)),
            ("18000.5", 1_800_050),
            ("18,000.00", 1_800_000),
            ("0.01", 1),
            ("0.1", 10),
            ("  42.10\t", 4_210),
            ("¥12.34", 1_234),
            ("￥1,234,567.89", 123_456_789),
            ("1,000", 100_000),
            ("123,456", 12_345_600),
            ("0", 0),
            ("007", 700),
            ("100000000000", 10_000_000_000_000),
            ("100,000,000,000.00", 10_000_000_000_000),
        ])
    func parseAccepts(text: String, fen: Int64) throws {
        #expect(try Money.parse(text, field: "amount") == Money(fen: fen))
    }

    @Test(
        "parse accepts negative amounts only when allowed",
        arguments: [
            ("-1", Int64(-100)),
            ("-¥5.5", -550),
            ("¥-5.5", -550),
            ("-18,000.01", -1_800_001),
            ("-0", 0),
            ("-100000000000", -10_000_000_000_000),
        ])
    func parseNegative(text: String, fen: Int64) throws {
        #expect(try Money.parse(text, field: "amount", allowNegative: true) == Money(fen: fen))
        #expect(throws: MoneyError.self) { try Money.parse(text, field: "amount") }
    }

    @Test("negative amounts report negativeNotAllowed")
    func negativeReason() {
        #expect(throws: MoneyError(field: "amount", value: "-5", reason: .negativeNotAllowed)) {
            try Money.parse("-5", field: "amount")
        }
    }

    @Test(
        "parse rejects malformed text with the right reason",
        arguments: [
            ("", MoneyError.Reason.empty),
            ("   ", .empty),
            ("¥", .noDigits),
            ("-", .noDigits),
            ("1.005", .tooManyDecimalPlaces(roundedUp: "1.01", roundedDown: "1.00")),
            ("1.000", .tooManyDecimalPlaces(roundedUp: nil, roundedDown: "1.00")),
            ("-2.999", .tooManyDecimalPlaces(roundedUp: "-3.00", roundedDown: "-2.99")),
            ("1e3", .exponentNotation),
            ("1.5E2", .exponentNotation),
            ("12a", .invalidCharacter("a", position: 3)),
            ("abc", .invalidCharacter("a", position: 1)),
            ("1 000", .invalidCharacter(" ", position: 2)),
            ("+5", .invalidCharacter("+", position: 1)),
            ("5-", .invalidCharacter("-", position: 2)),
            ("--5", .invalidCharacter("-", position: 2)),
            ("¥¥5", .invalidCharacter("¥", position: 2)),
            ("１２", .invalidCharacter("１", position: 1)),
            ("1.234,56", .invalidCharacter(",", position: 6)),
            ("1,8000", .invalidGrouping(ungrouped: "18000")),
            ("1,80", .invalidGrouping(ungrouped: "180")),
            ("1234,567", .invalidGrouping(ungrouped: "1234567")),
            (",100", .invalidGrouping(ungrouped: "100")),
            ("1,,000", .invalidGrouping(ungrouped: "1000")),
            ("1.2.3", .multipleDecimalPoints),
            (".5", .missingDigit(suggestion: "0.5")),
            ("5.", .missingDigit(suggestion: "5")),
            ("100000000000.01", .exceedsMaximum(maximumFen: Money.maximumFen)),
            ("100,000,000,001", .exceedsMaximum(maximumFen: Money.maximumFen)),
            ("123456789012345678901234567890", .exceedsMaximum(maximumFen: Money.maximumFen)),
            ("92233720368547758.07", .exceedsMaximum(maximumFen: Money.maximumFen)),
        ])
    func parseRejects(text: String, reason: MoneyError.Reason) {
        #expect(throws: MoneyError(field: "amount", value: text, reason: reason)) {
            try Money.parse(text, field: "amount", allowNegative: text.hasPrefix("-"))
        }
    }

    @Test("huge negative input is rejected, not crashed")
    func hugeNegative() {
        let text = "-" + String(repeating: "9", count: 40) + ".99"
        #expect(
            throws: MoneyError(field: "x", value: text, reason: .exceedsMaximum(maximumFen: Money.maximumFen))
        ) {
            try Money.parse(text, field: "x", allowNegative: true)
        }
    }

    @Test("a custom maximum is enforced")
    func customMaximum() throws {
        #expect(try Money.parse("100.00", field: "amount", maximumFen: 10_000) == Money(fen: 10_000))
        #expect(
            throws: MoneyError(field: "amount", value: "100.01", reason: .exceedsMaximum(maximumFen: 10_000))
        ) {
            try Money.parse("100.01", field: "amount", maximumFen: 10_000)
        }
    }

    @Test("error messages name the field and the value and say how to fix")
    func messages() throws {
        let error = MoneyError(
            field: "amount", value: "1.005",
            reason: .tooManyDecimalPlaces(roundedUp: "1.01", roundedDown: "1.00"))
        #expect(
            error.description
                == "amount \"1.005\": at most 2 decimal places (fen) are allowed; write 1.01 or 1.00")
        #expect(error.chineseDescription == "amount \"1.005\" 最多两位小数（分），请写成 1.01 或 1.00")

        let grouping = MoneyError(
            field: "金额", value: "1,8000.5", reason: .invalidGrouping(ungrouped: "18000.5"))
        #expect(grouping.description.contains("write 18,000.5 or 18000.5"))
        #expect(grouping.chineseDescription.hasPrefix("金额 \"1,8000.5\" "))
        #expect(grouping.chineseDescription.contains("18,000.5 或 18000.5"))

        let space = MoneyError(field: "amount", value: "1 000", reason: .invalidCharacter(" ", position: 2))
        #expect(space.description.contains("U+0020 at position 2"))

        let maximum = MoneyError(
            field: "amount", value: "x", reason: .exceedsMaximum(maximumFen: Money.maximumFen))
        #expect(maximum.description.contains("100,000,000,000.00"))
        #expect(maximum.chineseDescription.contains("超过上限 100,000,000,000.00 元"))
    }

    @Test("every reason produces non-empty, distinct messages in both languages")
    func allMessages() {
        let reasons: [MoneyError.Reason] = [
            .empty, .noDigits, .invalidCharacter("a", position: 1), .exponentNotation,
            .invalidGrouping(ungrouped: "1000"), .multipleDecimalPoints, .missingDigit(suggestion: "0.5"),
            .tooManyDecimalPlaces(roundedUp: nil, roundedDown: nil), .negativeNotAllowed,
            .exceedsMaximum(maximumFen: 1),
        ]
        let errors = reasons.map { MoneyError(field: "amount", value: "v", reason: $0) }
        #expect(Set(errors.map(\.description)).count == reasons.count)
        #expect(Set(errors.map(\.chineseDescription)).count == reasons.count)
        for error in errors {
            #expect(error.description.hasPrefix("amount \"v\": "))
            #expect(error.chineseDescription.hasPrefix("amount \"v\" "))
        }
    }

    @Test(
        "formatted and plain",
        arguments: [
            (Int64(1_800_000), "18,000.00", "18000.00"),
            (-100, "-1.00", "-1.00"),
            (5, "0.05", "0.05"),
            (0, "0.00", "0.00"),
            (-5, "-0.05", "-0.05"),
            (99_999, "999.99", "999.99"),
            (100_000, "1,000.00", "1000.00"),
            (12_345_678_901, "123,456,789.01", "123456789.01"),
            (Int64.max, "92,233,720,368,547,758.07", "92233720368547758.07"),
            (Int64.min, "-92,233,720,368,547,758.08", "-92233720368547758.08"),
        ])
    func formatting(fen: Int64, formatted: String, plain: String) {
        #expect(Money(fen: fen).formatted == formatted)
        #expect(Money(fen: fen).plain == plain)
    }

    @Test("formatted text parses back to the same amount")
    func roundTrip() throws {
        for fen: Int64 in [
            0, 1, 9, 10, 99, 100, 101, 123_456, 1_000_000_001, Money.maximumFen, -7, -1_234_567,
        ] {
            let money = Money(fen: fen)
            #expect(try Money.parse(money.formatted, field: "a", allowNegative: true) == money)
            #expect(try Money.parse(money.plain, field: "a", allowNegative: true) == money)
        }
    }

    @Test("capital delegates to CapitalAmount")
    func capital() {
        #expect(Money(fen: 1_800_000).capital == "人民币壹万捌仟元整")
    }

    @Test("arithmetic reports overflow as nil")
    func arithmetic() {
        #expect(Money(fen: 5).adding(Money(fen: 7)) == Money(fen: 12))
        #expect(Money(fen: 5).subtracting(Money(fen: 7)) == Money(fen: -2))
        #expect(Money(fen: .max).adding(Money(fen: 1)) == nil)
        #expect(Money(fen: .min).subtracting(Money(fen: 1)) == nil)
        #expect(Money.sum([Money(fen: 1), Money(fen: 2), Money(fen: 3)]) == Money(fen: 6))
        #expect(Money.sum([Money]()) == Money.zero)
        #expect(Money.sum([Money(fen: .max), Money(fen: 1), Money(fen: -5)]) == nil)
    }

    @Test("ordering follows fen")
    func ordering() {
        #expect(Money(fen: -1) < Money(fen: 0))
        #expect(
            [Money(fen: 3), Money(fen: -2), Money(fen: 1)].sorted() == [
                Money(fen: -2), Money(fen: 1), Money(fen: 3),
            ])
    }

    @Test("Codable as a bare number of fen")
    func codable() throws {
        let data = try JSONEncoder().encode([Money(fen: 1_800_050), Money(fen: -1)])
        #expect(String(decoding: data, as: UTF8.self) == "[1800050,-1]")
        let decoded = try JSONDecoder().decode([Money].self, from: Data("[5,0]".utf8))
        #expect(decoded == [Money(fen: 5), Money.zero])
    }
}
