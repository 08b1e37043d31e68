/// Chinese capital-numeral amounts (大写金额) as required on vouchers and receipts by
/// 《会计基础工作规范》第五十二条.
///
/// The rules applied:
/// - The text starts with `人民币`; negative amounts continue with `负`.
/// - Digits are written `零壹贰叁肆伍陆柒捌玖`, places `拾佰仟`, sections `万` and `亿`.
///   A `1` in the tens place is always written `壹拾` (`10.00` → `人民币壹拾元整`).
/// - `元` follows the integer part. When the integer part is zero, no `元` is written unless
///   the whole amount is zero (`0.50` → `人民币伍角整`, `0.00` → `人民币零元整`).
/// - Zeros inside the integer part follow Chinese reading: each run of zeros between two
///   non-zero digits is written as one `零`, also across `万` and `亿` sections
///   (`100,010.00` → `壹拾万零壹拾元`); trailing zeros are not written (`18,000.00` → `壹万捌仟元`).
/// - When the 元 digit is zero but 角 is not, the optional `零` after `元` is **not** written
///   (`10.50` → `人民币壹拾元伍角整`), which the standard permits.
/// - When 角 is zero and 分 is not, `零` is written after `元` (`1.05` → `人民币壹元零伍分`), as the
///   standard requires. With no integer part it is omitted (`0.05` → `人民币伍分`).
/// - An amount that ends at `元` or at `角` gets `整`; an amount with `分` does not.
///
/// Integer parts of 10^16 元 (一亿亿) and more nest `亿` (`壹亿亿元`), which is unambiguous but
/// unusual; ``Money/maximumFen`` keeps ledger amounts far below that.
public enum CapitalAmount {
    private static let digits: [String] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"]
    private static let places: [String] = ["", "拾", "佰", "仟"]

    /// Returns the capital-numeral text of an amount in fen, e.g. `1800000` → `人民币壹万捌仟元整`.
    ///
    /// Every `Int64` is accepted, including `Int64.min`.
    public static func text(fen: Int64) -> String {
        let magnitude = fen.magnitude
        let yuan = magnitude / 100
        let jiao = Int((magnitude / 10) % 10)
        let fenDigit = Int(magnitude % 10)

        var result = "人民币"
        if fen < 0 {
            result += "负"
        }
        if yuan == 0 && jiao == 0 && fenDigit == 0 {
            return result + "零元整"
        }
        if yuan > 0 {
            result += integerText(yuan) + "元"
        }
        if jiao > 0 {
            result += digits[jiao] + "角"
        } else if fenDigit > 0 && yuan > 0 {
            result += "零"
        }
        if fenDigit > 0 {
            result += digits[fenDigit] + "分"
        } else {
            result += "整"
        }
        return result
    }

    /// The reading of a positive integer, e.g. `100010` → `壹拾万零壹拾`.
    private static func integerText(_ number: UInt64) -> String {
        if number >= 100_000_000 {
            let high = number / 100_000_000
            let low = number % 100_000_000
            var text = integerText(high) + "亿"
            if low > 0 {
                if low < 10_000_000 {
                    text += "零"
                }
                text += integerText(low)
            }
            return text
        }
        if number >= 10_000 {
            let high = number / 10_000
            let low = number % 10_000
            var text = sectionText(Int(high)) + "万"
            if low > 0 {
                if low < 1_000 {
                    text += "零"
                }
                text += sectionText(Int(low))
            }
            return text
        }
        return sectionText(Int(number))
    }

    /// The reading of `1...9999` without a section unit, e.g. `1005` → `壹仟零伍`.
    private static func sectionText(_ number: Int) -> String {
        var text = ""
        var pendingZero = false
        var divisor = 1_000
        var place = 3
        while divisor > 0 {
            let digit = (number / divisor) % 10
            if digit == 0 {
                if !text.isEmpty {
                    pendingZero = true
                }
            } else {
                if pendingZero {
                    text += "零"
                    pendingZero = false
                }
                text += digits[digit] + places[place]
            }
            divisor /= 10
            place -= 1
        }
        return text
    }
}
