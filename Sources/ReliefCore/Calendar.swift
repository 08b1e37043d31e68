/// A civil date in the proleptic Gregorian calendar, without time or time zone, for years
/// 1…9999 so that it always prints as `YYYY-MM-DD`.
///
/// It encodes as its text form, e.g. `"2020-05-01"`.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The year, 1…9999.
    public let year: Int
    /// The month, 1…12.
    public let month: Int
    /// The day of the month, 1…28, 29, 30 or 31.
    public let day: Int

    /// The number of days from 1970-01-01 to 0001-01-01 (negative).
    public static let minimumDaysSinceEpoch = -719_162
    /// The number of days from 1970-01-01 to 9999-12-31.
    public static let maximumDaysSinceEpoch = 2_932_896

    /// Creates a date, or returns `nil` when it does not exist (e.g. 2021-02-29) or the year is
    /// outside 1…9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= LocalDate.daysIn(year: year, month: month)
        else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` with ASCII digits (`2020-05-01`; not `2020-5-1`), or returns
    /// `nil` when the text has another form or names a date that does not exist.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = decimal(bytes[0..<4]), let month = decimal(bytes[5..<7]),
            let day = decimal(bytes[8..<10])
        else {
            return nil
        }
        self.init(year: year, month: month, day: day)
    }

    /// Creates the date `days` days after 1970-01-01 (before it when negative), or returns `nil`
    /// outside ``minimumDaysSinceEpoch``…``maximumDaysSinceEpoch``.
    public init?(daysSinceEpoch days: Int) {
        guard (LocalDate.minimumDaysSinceEpoch...LocalDate.maximumDaysSinceEpoch).contains(days) else {
            return nil
        }
        // Howard Hinnant's civil_from_days; eras are 400-year cycles starting on March 1.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.init(year: year, month: month, day: day)
    }

    /// The number of days from 1970-01-01 to this date; negative before 1970.
    public var daysSinceEpoch: Int {
        // Howard Hinnant's days_from_civil.
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The month that contains this date.
    public var period: Period {
        Period(validYear: year, month: month)
    }

    /// The date as `YYYY-MM-DD`, e.g. `2020-05-01`.
    public var description: String {
        pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in a month (28…31), or 0 when `month` is not 1…12.
    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeapYear(year) ? 29 : 28
        default: return 0
        }
    }

    /// Orders dates chronologically.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Decodes a date from a `YYYY-MM-DD` string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a date as YYYY-MM-DD, found \"\(text)\"")
        }
        self = date
    }

    /// Encodes the date as a `YYYY-MM-DD` string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A calendar month (会计期间), e.g. `2020-05`, for years 1…9999.
///
/// It encodes as its text form, e.g. `"2020-05"`.
public struct Period: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The year, 1…9999.
    public let year: Int
    /// The month, 1…12.
    public let month: Int

    /// Creates a period, or returns `nil` unless the year is 1…9999 and the month 1…12.
    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else {
            return nil
        }
        self.init(validYear: year, month: month)
    }

    /// Creates a period from values already checked.
    init(validYear year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// Parses exactly `YYYY-MM` with ASCII digits (`2020-05`; not `2020-5`), or returns `nil`.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
            let year = decimal(bytes[0..<4]), let month = decimal(bytes[5..<7])
        else {
            return nil
        }
        self.init(year: year, month: month)
    }

    /// Creates a period from a number such as `202005`, or returns `nil` when it does not
    /// denote year 1…9999 and month 1…12.
    public init?(yyyymm: Int) {
        guard yyyymm > 0 else {
            return nil
        }
        self.init(year: yyyymm / 100, month: yyyymm % 100)
    }

    /// The period as a number such as `202005`.
    public var yyyymm: Int {
        year * 100 + month
    }

    /// The following month, or `nil` after 9999-12.
    public var next: Period? {
        month == 12 ? Period(year: year + 1, month: 1) : Period(validYear: year, month: month + 1)
    }

    /// The preceding month, or `nil` before 0001-01.
    public var previous: Period? {
        month == 1 ? Period(year: year - 1, month: 12) : Period(validYear: year, month: month - 1)
    }

    /// The first day of the month.
    public var firstDay: LocalDate {
        LocalDate(validYear: year, month: month, day: 1)
    }

    /// The last day of the month (28th…31st).
    public var lastDay: LocalDate {
        LocalDate(validYear: year, month: month, day: LocalDate.daysIn(year: year, month: month))
    }

    /// Whether `date` falls in this month.
    public func contains(_ date: LocalDate) -> Bool {
        date.year == year && date.month == month
    }

    /// The period as `YYYY-MM`, e.g. `2020-05`.
    public var description: String {
        pad(year, 4) + "-" + pad(month, 2)
    }

    /// Orders periods chronologically.
    public static func < (lhs: Period, rhs: Period) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    /// Decodes a period from a `YYYY-MM` string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let period = Period(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a period as YYYY-MM, found \"\(text)\"")
        }
        self = period
    }

    /// Encodes the period as a `YYYY-MM` string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension LocalDate {
    /// Creates a date from values already checked.
    fileprivate init(validYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}

/// The value of a run of ASCII digits, or `nil` if any byte is not a digit.
private func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
    var value = 0
    for byte in bytes {
        guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
            return nil
        }
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return value
}

/// `value` in decimal with leading zeros to `width` digits.
private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
