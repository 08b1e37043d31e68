import FuzzSupport
import ReliefCore

/// Parses the input as an amount, a quantity and a unit price, and checks what was accepted.
///
/// Properties: nothing traps; an accepted amount is within ±Money.maximumFen, agrees with an
/// independent reading of the same text, and parses back to the same fen from both its
/// `formatted` and `plain` text; allowNegative only widens what is accepted; the rounded
/// suggestions of a "too many decimals" error are themselves accepted; every error message
/// renders. Quantities and unit prices round-trip through `description` and `formatted`.
func fuzzMoney(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: bytes(data, size), as: UTF8.self)

    let signed: Money?
    do {
        signed = try Money.parse(text, field: "amount", allowNegative: true)
    } catch {
        signed = nil
        require(!error.description.isEmpty && !error.chineseDescription.isEmpty, "empty message")
        if case .tooManyDecimalPlaces(let up, let down) = error.reason {
            for suggestion in [up, down].compactMap({ $0 }) {
                require(
                    (try? Money.parse(suggestion, field: "amount", allowNegative: true)) != nil,
                    "suggestion \(suggestion) for \(text.debugDescription) is not accepted")
            }
        }
    }
    if let signed {
        require(abs(signed.fen) <= Money.maximumFen, "\(text.debugDescription) → \(signed.fen) fen is over the maximum")
        if let expected = referenceFen(text) {
            require(signed.fen.magnitude == expected, "\(text.debugDescription) → \(signed.fen), reference \(expected)")
        } else {
            require(false, "\(text.debugDescription) accepted as \(signed.fen) but the reference reading rejects it")
        }
        for rendered in [signed.formatted, signed.plain] {
            let again = try? Money.parse(rendered, field: "amount", allowNegative: true)
            require(again == signed, "\(text.debugDescription) → \(signed.fen) → \(rendered) → \(String(describing: again))")
        }
        require(!signed.capital.isEmpty, "no 大写 text for \(signed.fen)")
    }
    if let unsigned = try? Money.parse(text, field: "amount") {
        require(unsigned == signed, "\(text.debugDescription): \(unsigned.fen) without sign, \(String(describing: signed)) with")
        require(unsigned.fen >= 0, "\(text.debugDescription): negative \(unsigned.fen) without allowNegative")
    }
    let small = try? Money.parse(text, field: "amount", maximumFen: 100, allowNegative: true)
    require(small == nil || small == signed && abs(signed!.fen) <= 100, "\(text.debugDescription): maximumFen 100 gave \(String(describing: small))")

    if let quantity = try? Quantity.parse(text, field: "quantity") {
        for rendered in [quantity.description, quantity.formatted] {
            let again = try? Quantity.parse(rendered, field: "quantity")
            require(again == quantity, "quantity \(text.debugDescription) → \(quantity.thousandths) → \(rendered)")
        }
    }
    if let price = try? UnitPrice.parse(text, field: "unit price") {
        for rendered in [price.description, price.formatted] {
            let again = try? UnitPrice.parse(rendered, field: "unit price")
            require(again == price, "price \(text.debugDescription) → \(price.tenThousandthsOfYuan) → \(rendered)")
        }
    }
    return 0
}

/// The magnitude in fen of text that Money.parse accepted, read independently of it: trim
/// whitespace, drop the sign, the currency sign and the separators, and read `digits[.d[d]]`;
/// `nil` when what is left is not of that form.
func referenceFen(_ text: String) -> UInt64? {
    let characters = Array(text)
    guard let first = characters.firstIndex(where: { !$0.isWhitespace }),
        let last = characters.lastIndex(where: { !$0.isWhitespace })
    else {
        return nil
    }
    let body = characters[first...last]
    guard body.filter({ $0 == "-" }).count <= 1, body.filter({ $0 == "¥" || $0 == "￥" }).count <= 1 else {
        return nil
    }
    let number = body.filter { !["-", "¥", "￥", ","].contains($0) }
    let parts = number.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count),
        parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isWholeNumber } })
    else {
        return nil
    }
    let fraction = parts.count == 2 ? String(parts[1]) : ""
    guard fraction.count <= 2, let yuan = UInt64(String(parts[0])),
        let cents = UInt64(fraction + String(repeating: "0", count: 2 - fraction.count))
    else {
        return nil
    }
    return yuan * 100 + cents
}
