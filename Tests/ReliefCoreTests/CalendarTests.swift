import Foundation
import ReliefCore
import Testing

@Suite("LocalDate and Period")
struct CalendarTests {
    @Test("parsing valid dates")
    func parseValid() throws {
        let date = try #require(LocalDate(parsing: "2020-05-01"))
        #expect(date.year == 2020 && date.month == 5 && date.day == 1)
        #expect(date.description == "2020-05-01")
        #expect(LocalDate(parsing: "2020-02-29") == LocalDate(year: 2020, month: 2, day: 29))
        #expect(LocalDate(parsing: "0001-01-01")?.description == "0001-01-01")
        #expect(LocalDate(parsing: "9999-12-31")?.description == "9999-12-31")
        #expect(LocalDate(year: 7, month: 3, day: 9)?.description == "0007-03-09")
    }

    @Test(
        "parsing rejects invalid dates and other forms",
        arguments: [
            "2021-02-29", "2020-13-01", "2020-5-1", "2020-05-1", "2020-00-10", "2020-04-31", "2020-01-00",
            "2020-01-32", "0000-01-01", "1900-02-29", "20200501", "2020/05/01", " 2020-05-01", "2020-05-01 ",
            "+020-05-01", "2020-0a-01", "２０２０-05-01", "", "2020-05-01T00:00",
        ])
    func parseInvalid(text: String) {
        #expect(LocalDate(parsing: text) == nil)
    }

    @Test("leap years")
    func leapYears() {
        #expect(LocalDate.isLeapYear(2020))
        #expect(LocalDate.isLeapYear(2000))
        #expect(!LocalDate.isLeapYear(1900))
        #expect(!LocalDate.isLeapYear(2021))
        #expect(!LocalDate.isLeapYear(2100))
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2023, month: 2, day: 29) == nil)
        #expect(LocalDate.daysIn(year: 2020, month: 2) == 29)
        #expect(LocalDate.daysIn(year: 2021, month: 2) == 28)
        #expect(LocalDate.daysIn(year: 2021, month: 13) == 0)
    }

    @Test("invalid components")
    func invalidComponents() {
        #expect(LocalDate(year: 0, month: 1, day: 1) == nil)
        #expect(LocalDate(year: 10_000, month: 1, day: 1) == nil)
        #expect(LocalDate(year: 2020, month: 0, day: 1) == nil)
        #expect(LocalDate(year: 2020, month: 6, day: 31) == nil)
        #expect(LocalDate(year: 2020, month: 6, day: -1) == nil)
    }

    @Test("ordering")
    func ordering() throws {
        let dates = try ["2020-05-01", "2019-12-31", "2020-04-30", "2020-05-02"].map {
            try #require(LocalDate(parsing: $0))
        }
        #expect(
            dates.sorted().map(\.description) == ["2019-12-31", "2020-04-30", "2020-05-01", "2020-05-02"])
    }

    @Test(
        "known days since epoch",
        arguments: [
            ("1970-01-01", 0), ("1969-12-31", -1), ("2000-03-01", 11_017), ("2020-05-01", 18_383),
            ("0001-01-01", LocalDate.minimumDaysSinceEpoch), ("9999-12-31", LocalDate.maximumDaysSinceEpoch),
            ("1600-02-29", -135_081),
        ])
    func knownDays(text: String, days: Int) throws {
        let date = try #require(LocalDate(parsing: text))
        #expect(date.daysSinceEpoch == days)
        #expect(LocalDate(daysSinceEpoch: days) == date)
    }

    @Test("days since epoch match Foundation for recent dates")
    func matchesFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for days in stride(from: -30_000, through: 60_000, by: 97) {
            let when = Date(timeIntervalSince1970: TimeInterval(days) * 86_400)
            let parts = calendar.dateComponents([.year, .month, .day], from: when)
            let date = try #require(LocalDate(daysSinceEpoch: days))
            #expect(date.year == parts.year && date.month == parts.month && date.day == parts.day)
        }
    }

    @Test("every day from 0001-01-01 to 9999-12-31 round-trips and follows the previous day")
    func everyDay() throws {
        var expected = try #require(LocalDate(year: 1, month: 1, day: 1))
        var days = LocalDate.minimumDaysSinceEpoch
        var failures = 0
        while days <= LocalDate.maximumDaysSinceEpoch {
            // Counting forward by hand is independent of both conversion algorithms.
            if expected.daysSinceEpoch != days || LocalDate(daysSinceEpoch: days) != expected {
                failures += 1
            }
            days += 1
            let (year, month, day) = (expected.year, expected.month, expected.day)
            if let next = LocalDate(year: year, month: month, day: day + 1) {
                expected = next
            } else if let next = LocalDate(year: year, month: month + 1, day: 1) {
                expected = next
            } else if let next = LocalDate(year: year + 1, month: 1, day: 1) {
                expected = next
            } else {
                break
            }
        }
        #expect(failures == 0)
        #expect(days == LocalDate.maximumDaysSinceEpoch + 1)
        #expect(expected.description == "9999-12-31")
        #expect(LocalDate(daysSinceEpoch: LocalDate.minimumDaysSinceEpoch - 1) == nil)
        #expect(LocalDate(daysSinceEpoch: LocalDate.maximumDaysSinceEpoch + 1) == nil)
        #expect(LocalDate(daysSinceEpoch: .min) == nil)
        #expect(LocalDate(daysSinceEpoch: .max) == nil)
    }

    @Test("date to period")
    func dateToPeriod() throws {
        let date = try #require(LocalDate(parsing: "2020-05-17"))
        #expect(date.period == Period(year: 2020, month: 5))
        #expect(date.period.contains(date))
        #expect(try #require(Period(year: 2020, month: 6)).contains(date) == false)
    }

    @Test("period parsing and yyyymm")
    func periodParsing() throws {
        let period = try #require(Period(parsing: "2020-05"))
        #expect(period.year == 2020 && period.month == 5)
        #expect(period.description == "2020-05")
        #expect(period.yyyymm == 202_005)
        #expect(Period(yyyymm: 202_005) == period)
        for text in [
            "2020-5", "2020-13", "2020-00", "0000-01", "202005", "2020-05-01", " 2020-05", "2020_05",
        ] {
            #expect(Period(parsing: text) == nil, "\(text)")
        }
        for number in [202_013, 202_000, 100, 0, -202_005, 99, 1_000_001, 2_020_050] {
            #expect(Period(yyyymm: number) == nil, "\(number)")
        }
        #expect(Period(yyyymm: 101)?.description == "0001-01")
        #expect(Period(yyyymm: 999_912)?.description == "9999-12")
    }

    @Test("period arithmetic across year ends")
    func periodArithmetic() throws {
        let december = try #require(Period(year: 2020, month: 12))
        #expect(december.next == Period(year: 2021, month: 1))
        #expect(try #require(Period(year: 2021, month: 1)).previous == december)
        #expect(try #require(Period(year: 2020, month: 5)).next == Period(year: 2020, month: 6))
        #expect(try #require(Period(year: 2020, month: 5)).previous == Period(year: 2020, month: 4))
        #expect(try #require(Period(year: 9999, month: 12)).next == nil)
        #expect(try #require(Period(year: 1, month: 1)).previous == nil)

        // Twenty-five years forward and back again, one month at a time.
        var period = try #require(Period(year: 2019, month: 11))
        for _ in 0..<300 {
            let next = try #require(period.next)
            #expect(next > period)
            #expect(next.previous == period)
            #expect(next.firstDay.daysSinceEpoch == period.lastDay.daysSinceEpoch + 1)
            period = next
        }
        #expect(period.description == "2044-11")
    }

    @Test("first and last days")
    func firstAndLastDays() throws {
        #expect(try #require(Period(year: 2020, month: 2)).lastDay.description == "2020-02-29")
        #expect(try #require(Period(year: 2021, month: 2)).lastDay.description == "2021-02-28")
        #expect(try #require(Period(year: 2021, month: 4)).lastDay.description == "2021-04-30")
        #expect(try #require(Period(year: 2021, month: 12)).lastDay.description == "2021-12-31")
        #expect(try #require(Period(year: 2021, month: 12)).firstDay.description == "2021-12-01")
    }

    @Test("Codable as strings")
    func codable() throws {
        let date = try #require(LocalDate(parsing: "2020-05-01"))
        let period = try #require(Period(parsing: "2020-05"))
        #expect(String(decoding: try JSONEncoder().encode([date]), as: UTF8.self) == "[\"2020-05-01\"]")
        #expect(String(decoding: try JSONEncoder().encode([period]), as: UTF8.self) == "[\"2020-05\"]")
        #expect(try JSONDecoder().decode([LocalDate].self, from: Data("[\"2020-05-01\"]".utf8)) == [date])
        #expect(try JSONDecoder().decode([Period].self, from: Data("[\"2020-05\"]".utf8)) == [period])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LocalDate].self, from: Data("[\"2021-02-29\"]".utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Period].self, from: Data("[\"2020-13\"]".utf8))
        }
    }
}
