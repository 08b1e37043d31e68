/// One posting to account 102 银行存款 in the books, as the bank reconciliation sees it.
public struct BookItem: Sendable, Hashable {
    /// The posting's identity, e.g. entry id × 1000 + line number; should be unique.
    public var id: Int64
    /// The entry's date.
    public var date: LocalDate
    /// The signed amount in fen: a debit to 102 (money in) positive, a credit (money out) negative.
    public var amountFen: Int64
    /// A text to look for in the bank's note and summary: the payment reference
    /// (e.g. `RL-B5-91420`), or the entry's description; may be empty.
    public var reference: String
    /// The voucher (凭证号) for display, e.g. `记-2020-05-0012`.
    public var voucher: String

    /// Makes an item from its parts.
    public init(id: Int64, date: LocalDate, amountFen: Int64, reference: String = "", voucher: String = "") {
        self.id = id
        self.date = date
        self.amountFen = amountFen
        self.reference = reference
        self.voucher = voucher
    }
}

/// Bank lines and book items that were found to be the same money movement.
public struct BankMatch: Sendable, Hashable {
    /// The rule of pass (a): the book item's reference appears in the bank line's note or summary.
    public static let referenceRule = "reference"
    /// The rule of pass (b): same signed amount, dates within the window.
    public static let amountAndDateRule = "amount+date"
    /// The rule of pass (c), in either direction: one bank line and several book items, or
    /// several bank lines and one book item, with equal sums.
    public static let oneToManyRule = "one-to-many"

    /// The ``BankLine/line`` values of the bank lines, ascending.
    public var bankLines: [Int]
    /// The ``BookItem/id`` values of the book items, ascending.
    public var bookItems: [Int64]
    /// How they were matched: ``referenceRule``, ``amountAndDateRule`` or ``oneToManyRule``.
    public var rule: String

    /// Makes a match from its parts.
    public init(bankLines: [Int], bookItems: [Int64], rule: String) {
        self.bankLines = bankLines
        self.bookItems = bookItems
        self.rule = rule
    }
}

/// The outcome of matching a bank statement against the book: what matched, and the
/// unmatched items on each side (未达账项 or errors), which the reconciliation statement lists.
public struct BankMatchResult: Sendable {
    /// The matches, in the order they were made (pass by pass; within a pass by date).
    public var matches: [BankMatch]
    /// Bank lines matched to nothing, by date then line.
    public var bankOnly: [BankLine]
    /// Book items matched to nothing, by date then id.
    public var bookOnly: [BookItem]

    /// Makes a result from its parts.
    public init(matches: [BankMatch], bankOnly: [BankLine], bookOnly: [BookItem]) {
        self.matches = matches
        self.bankOnly = bankOnly
        self.bookOnly = bookOnly
    }
}

/// Matches bank statement lines to the book's postings of account 102 银行存款.
///
/// Matching is **greedy** and deterministic: passes run in a fixed order, each item is used at
/// most once, and within a pass bank lines (book items in the reverse direction) are taken by
/// date, then line (id); candidates are tried by date, then id (equal lines or ids: input
/// order; input order otherwise does not matter). A match, once made, is never
/// undone, so a later pass cannot improve on an earlier choice; the search is also bounded (see
/// the constants), so in pathological inputs a possible match can be missed. Anything not
/// matched is reported as bank-only or book-only for a person to look at — never silently
/// forced.
///
/// The passes:
/// 1. **reference** — a book item whose reference (at least ``minimumReferenceLength``
///    characters) appears in the bank line's note or summary (ASCII letters compared without
///    case; a reference ending or starting in a letter or digit must not continue into another
///    letter or digit, so `RL-B5-9142` is not found in `RL-B5-91420`), with the same signed
///    amount. Dates are not compared: a reference is specific enough to match a transfer that
///    cleared weeks after it was booked.
/// 2. **amount+date** — the same signed amount, dates at most `dateWindowDays` apart; among
///    several candidates the earliest (then smallest id) is taken, which pairs equal amounts
///    first-in first-out.
/// 3. **one-to-many** — one bank line equal to the sum of 2…`maximumGroupSize` unmatched book
///    items of the same sign within the window (a batch paid as one transfer); then the reverse,
///    several bank lines equal to one book item (a split transfer). Book items sharing a
///    reference prefix (the reference without its last `-` segment, e.g. `RL-B5-`) are tried
///    first, those whose prefix appears in the bank line's note first of all; then all
///    candidates. In the reverse direction, bank lines whose note or summary contains the book
///    item's reference are tried first. Only the
///    ``maximumGroupCandidates`` candidates nearest in date are considered, smaller groups are
///    tried before larger ones, and the combinations examined are capped per search
///    (``maximumCombinationsPerSearch``) and per call (``maximumCombinationsPerCall``).
///
/// Zero-amount book items are never matched (they are reported as book-only).
public enum BankMatcher {
    /// The widest date window honoured, in days (ten years), whatever `dateWindowDays` says.
    public static let maximumDateWindowDays = 3_653
    /// The shortest reference looked for in bank notes; shorter ones match too much.
    public static let minimumReferenceLength = 4
    /// Only this many leading UTF-8 bytes of a bank line's note and summary are searched.
    public static let maximumSearchedTextBytes = 4_096
    /// The most candidates (nearest in date) a one-to-many subset search considers.
    public static let maximumGroupCandidates = 20
    /// The most items inside the date window examined when collecting one-to-many candidates.
    public static let maximumWindowScan = 10_000
    /// The largest group size honoured, whatever `maximumGroupSize` says.
    public static let maximumGroupSizeLimit = 8
    /// The most partial combinations one subset search examines before giving up.
    public static let maximumCombinationsPerSearch = 20_000
    /// The most partial combinations all subset searches of one ``match(bank:book:dateWindowDays:maximumGroupSize:)``
    /// call examine together; once spent, the one-to-many pass stops.
    public static let maximumCombinationsPerCall = 2_000_000

    /// Matches statement lines to book items; see ``BankMatcher`` for the rules.
    ///
    /// - Parameters:
    ///   - bank: The statement lines (from ``BankStatementReader/read(_:)``).
    ///   - book: The postings of account 102 to reconcile: normally every posting not yet
    ///     reconciled up to the period end, including earlier periods' outstanding items.
    ///   - dateWindowDays: How many days apart a bank line and a book item may be for passes 2
    ///     and 3 (negative counts as 0; at most ``maximumDateWindowDays``).
    ///   - maximumGroupSize: The most items on the "many" side of a one-to-many match (values
    ///     below 2 turn pass 3 off; at most ``maximumGroupSizeLimit``).
    public static func match(
        bank: [BankLine], book: [BookItem], dateWindowDays: Int = 3, maximumGroupSize: Int = 5
    ) -> BankMatchResult {
        let window = min(max(0, dateWindowDays), maximumDateWindowDays)
        var state = MatchState(bank: bank, book: book, window: window)
        state.matchByReference()
        state.matchByAmountAndDate()
        let groupSize = min(maximumGroupSize, maximumGroupSizeLimit)
        if groupSize >= 2 {
            state.matchBankLinesToGroups(maximumGroupSize: groupSize)
            state.matchBookItemsToGroups(maximumGroupSize: groupSize)
        }
        return state.result()
    }
}

/// The working state of one matching call; items are referred to by their index in the input.
private struct MatchState {
    let bank: [BankLine]
    let book: [BookItem]
    let window: Int
    /// Bank indices by date, line, index.
    let bankOrder: [Int]
    /// Book indices by date, id, index.
    let bookOrder: [Int]
    /// Days since 1970 of each bank line and book item.
    let bankDays: [Int]
    let bookDays: [Int]
    /// Signed amounts of each bank line and book item.
    let bankAmounts: [Int64]
    let bookAmounts: [Int64]
    var bankUsed: [Bool]
    var bookUsed: [Bool]
    var matches: [BankMatch] = []
    /// Combinations left for all subset searches of this call.
    var combinationBudget = BankMatcher.maximumCombinationsPerCall

    init(bank: [BankLine], book: [BookItem], window: Int) {
        self.bank = bank
        self.book = book
        self.window = window
        let bankDays = bank.map(\.date.daysSinceEpoch)
        let bookDays = book.map(\.date.daysSinceEpoch)
        self.bankDays = bankDays
        self.bookDays = bookDays
        bankAmounts = bank.map(\.amountFen)
        bookAmounts = book.map(\.amountFen)
        bankOrder = bank.indices.sorted {
            (bankDays[$0], bank[$0].line, $0) < (bankDays[$1], bank[$1].line, $1)
        }
        bookOrder = book.indices.sorted {
            (bookDays[$0], book[$0].id, $0) < (bookDays[$1], book[$1].id, $1)
        }
        bankUsed = Array(repeating: false, count: bank.count)
        bookUsed = Array(repeating: false, count: book.count)
    }

    mutating func record(bank bankIndices: [Int], book bookIndices: [Int], rule: String) {
        for index in bankIndices { bankUsed[index] = true }
        for index in bookIndices { bookUsed[index] = true }
        matches.append(
            BankMatch(
                bankLines: bankIndices.map { bank[$0].line }.sorted(),
                bookItems: bookIndices.map { book[$0].id }.sorted(), rule: rule))
    }

    // MARK: Pass 1: reference

    mutating func matchByReference() {
        var byAmount: [Int64: [(index: Int, needle: [UInt8])]] = [:]
        for index in bookOrder where book[index].amountFen != 0 {
            let reference = book[index].reference.trimmingWhitespace()
            guard reference.count >= BankMatcher.minimumReferenceLength else { continue }
            byAmount[book[index].amountFen, default: []].append((index, TextSearch.folded(reference)))
        }
        guard !byAmount.isEmpty else { return }
        for bankIndex in bankOrder {
            guard let candidates = byAmount[bank[bankIndex].amountFen] else { continue }
            let haystack =
                TextSearch.folded(bank[bankIndex].note) + [0x0A] + TextSearch.folded(bank[bankIndex].summary)
            for candidate in candidates where !bookUsed[candidate.index] {
                if TextSearch.contains(haystack, candidate.needle) {
                    record(bank: [bankIndex], book: [candidate.index], rule: BankMatch.referenceRule)
                    break
                }
            }
        }
    }

    // MARK: Pass 2: amount and date

    mutating func matchByAmountAndDate() {
        // Book indices by amount, each list by date; `next` skips entries that can no longer be
        // used (used, or too early for this and every later bank line).
        var byAmount: [Int64: [Int]] = [:]
        for index in bookOrder where !bookUsed[index] && book[index].amountFen != 0 {
            byAmount[book[index].amountFen, default: []].append(index)
        }
        var next: [Int64: Int] = [:]
        for bankIndex in bankOrder where !bankUsed[bankIndex] {
            let amount = bank[bankIndex].amountFen
            guard let candidates = byAmount[amount] else { continue }
            let day = bankDays[bankIndex]
            var position = next[amount] ?? 0
            while position < candidates.count,
                bookUsed[candidates[position]] || bookDays[candidates[position]] < day - window
            {
                position += 1
            }
            next[amount] = position
            // The first unused candidate at or after `position` is the earliest in the window.
            var probe = position
            while probe < candidates.count, bookDays[candidates[probe]] <= day + window {
                let bookIndex = candidates[probe]
                if !bookUsed[bookIndex] {
                    record(bank: [bankIndex], book: [bookIndex], rule: BankMatch.amountAndDateRule)
                    break
                }
                probe += 1
            }
        }
    }

    // MARK: Pass 3: one-to-many

    /// One bank line to several book items (a batch paid as one transfer).
    mutating func matchBankLinesToGroups(maximumGroupSize: Int) {
        let sortedBookDays = bookOrder.map { bookDays[$0] }
        for bankIndex in bankOrder where !bankUsed[bankIndex] {
            guard combinationBudget > 0 else { return }
            let amount = bank[bankIndex].amountFen
            let day = bankDays[bankIndex]
            let candidates = nearest(
                order: bookOrder, sortedDays: sortedBookDays, around: day, amount: amount,
                used: bookUsed, amounts: bookAmounts, days: bookDays)
            guard candidates.count >= 2 else { continue }
            let bankText =
                TextSearch.folded(bank[bankIndex].note) + [0x0A]
                + TextSearch.folded(bank[bankIndex].summary)
            var pools = prefixPools(candidates, bankText: bankText)
            pools.append(candidates)
            var perSearch = BankMatcher.maximumCombinationsPerSearch
            for pool in pools {
                if let group = subset(
                    of: pool, target: amount.magnitude, amounts: bookAmounts,
                    maximumGroupSize: maximumGroupSize, perSearch: &perSearch)
                {
                    record(bank: [bankIndex], book: group, rule: BankMatch.oneToManyRule)
                    break
                }
            }
        }
    }

    /// Several bank lines to one book item (a split transfer).
    mutating func matchBookItemsToGroups(maximumGroupSize: Int) {
        let sortedBankDays = bankOrder.map { bankDays[$0] }
        for bookIndex in bookOrder where !bookUsed[bookIndex] && book[bookIndex].amountFen != 0 {
            guard combinationBudget > 0 else { return }
            let amount = book[bookIndex].amountFen
            let day = bookDays[bookIndex]
            let candidates = nearest(
                order: bankOrder, sortedDays: sortedBankDays, around: day, amount: amount,
                used: bankUsed, amounts: bankAmounts, days: bankDays)
            guard candidates.count >= 2 else { continue }
            var pools: [[Int]] = []
            let reference = book[bookIndex].reference.trimmingWhitespace()
            if reference.count >= BankMatcher.minimumReferenceLength {
                let needle = TextSearch.folded(reference)
                let mentioning = candidates.filter {
                    TextSearch.contains(
                        TextSearch.folded(bank[$0].note) + [0x0A] + TextSearch.folded(bank[$0].summary),
                        needle)
                }
                if mentioning.count >= 2 && mentioning.count < candidates.count {
                    pools.append(mentioning)
                }
            }
            pools.append(candidates)
            var perSearch = BankMatcher.maximumCombinationsPerSearch
            for pool in pools {
                if let group = subset(
                    of: pool, target: amount.magnitude, amounts: bankAmounts,
                    maximumGroupSize: maximumGroupSize, perSearch: &perSearch)
                {
                    record(bank: group, book: [bookIndex], rule: BankMatch.oneToManyRule)
                    break
                }
            }
        }
    }

    /// The unused items of the same sign and smaller magnitude than `amount`, dated within the
    /// window of `day`: at most ``BankMatcher/maximumGroupCandidates`` of them, the nearest in
    /// date (ties: earlier, then order), returned in `order`'s order.
    func nearest(
        order: [Int], sortedDays: [Int], around day: Int, amount: Int64, used: [Bool],
        amounts: [Int64], days: [Int]
    ) -> [Int] {
        // First position whose day is within the window (binary search).
        var low = 0
        var high = sortedDays.count
        while low < high {
            let middle = (low + high) / 2
            if sortedDays[middle] < day - window { low = middle + 1 } else { high = middle }
        }
        var found: [(position: Int, distance: Int)] = []
        var position = low
        var scanned = 0
        while position < sortedDays.count, sortedDays[position] <= day + window,
            scanned < BankMatcher.maximumWindowScan
        {
            let index = order[position]
            let candidate = amounts[index]
            if !used[index], candidate != 0, (candidate > 0) == (amount > 0),
                candidate.magnitude < amount.magnitude
            {
                found.append((position, abs(days[index] - day)))
            }
            position += 1
            scanned += 1
        }
        found.sort { ($0.distance, $0.position) < ($1.distance, $1.position) }
        return found.prefix(BankMatcher.maximumGroupCandidates).map(\.position).sorted().map { order[$0] }
    }

    /// Pools of book candidates that share a reference prefix, at least two each: those whose
    /// prefix appears in the bank text first, then by their earliest member, then by prefix.
    func prefixPools(_ candidates: [Int], bankText: [UInt8]) -> [[Int]] {
        var byPrefix: [[UInt8]: [Int]] = [:]
        var prefixes: [[UInt8]] = []
        for index in candidates {
            guard let prefix = TextSearch.referencePrefix(book[index].reference) else { continue }
            if byPrefix[prefix] == nil { prefixes.append(prefix) }
            byPrefix[prefix, default: []].append(index)
        }
        var pools: [(mentioned: Bool, first: Int, prefix: [UInt8], members: [Int])] = []
        for prefix in prefixes {
            guard let members = byPrefix[prefix], members.count >= 2, members.count < candidates.count else {
                continue
            }
            let bare = Array(prefix.reversed().drop { $0 == UInt8(ascii: "-") }.reversed())
            let mentioned = bare.count >= 2 && TextSearch.contains(bankText, bare)
            pools.append((mentioned, candidates.firstIndex(of: members[0]) ?? 0, prefix, members))
        }
        pools.sort {
            if $0.mentioned != $1.mentioned { return $0.mentioned }
            if $0.first != $1.first { return $0.first < $1.first }
            return $0.prefix.lexicographicallyPrecedes($1.prefix)
        }
        return pools.map(\.members)
    }

    /// The first group (smallest size first, then in `pool`'s order) of 2…`maximumGroupSize`
    /// items of `pool` whose magnitudes sum to `target`, or `nil`; bounded by `perSearch` and the
    /// call's combination budget.
    mutating func subset(
        of pool: [Int], target: UInt64, amounts: [Int64], maximumGroupSize: Int, perSearch: inout Int
    ) -> [Int]? {
        let values = pool.map { amounts[$0].magnitude }
        let largest = min(maximumGroupSize, pool.count)
        guard largest >= 2 else { return nil }
        var chosen: [Int] = []
        for size in 2...largest {
            chosen.removeAll(keepingCapacity: true)
            if search(
                values, target: target, size: size, from: 0, sum: 0, chosen: &chosen, perSearch: &perSearch)
            {
                return chosen.map { pool[$0] }
            }
            if perSearch <= 0 || combinationBudget <= 0 { return nil }
        }
        return nil
    }

    /// Depth-first search for `size` more positions ≥ `from` completing `sum` to `target`.
    private mutating func search(
        _ values: [UInt64], target: UInt64, size: Int, from: Int, sum: UInt64, chosen: inout [Int],
        perSearch: inout Int
    ) -> Bool {
        let remaining = size - chosen.count
        if remaining == 0 { return sum == target }
        guard from + remaining <= values.count else { return false }
        for position in from...(values.count - remaining) {
            guard perSearch > 0, combinationBudget > 0 else { return false }
            perSearch -= 1
            combinationBudget -= 1
            let (next, overflow) = sum.addingReportingOverflow(values[position])
            if overflow || next > target || (remaining == 1 && next != target) { continue }
            chosen.append(position)
            if search(
                values, target: target, size: size, from: position + 1, sum: next, chosen: &chosen,
                perSearch: &perSearch)
            {
                return true
            }
            chosen.removeLast()
        }
        return false
    }

    func result() -> BankMatchResult {
        BankMatchResult(
            matches: matches,
            bankOnly: bankOrder.filter { !bankUsed[$0] }.map { bank[$0] },
            bookOnly: bookOrder.filter { !bookUsed[$0] }.map { book[$0] })
    }
}

/// Byte-level text search for references in bank notes.
private enum TextSearch {
    /// The UTF-8 bytes of `text` (at most ``BankMatcher/maximumSearchedTextBytes``), ASCII
    /// letters upper-cased.
    static func folded(_ text: String) -> [UInt8] {
        text.utf8.prefix(BankMatcher.maximumSearchedTextBytes).map { byte in
            byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
        }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    /// Whether `needle` occurs in `haystack` without running on into a letter or digit at an
    /// end where the needle itself ends in a letter or digit.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return false }
        let guardStart = isAlphanumeric(needle[0])
        let guardEnd = isAlphanumeric(needle[needle.count - 1])
        for start in 0...(haystack.count - needle.count) {
            var equal = true
            for offset in 0..<needle.count where haystack[start + offset] != needle[offset] {
                equal = false
                break
            }
            guard equal else { continue }
            if guardStart, start > 0, isAlphanumeric(haystack[start - 1]) { continue }
            let end = start + needle.count
            if guardEnd, end < haystack.count, isAlphanumeric(haystack[end]) { continue }
            return true
        }
        return false
    }

    /// The reference without its last `-` segment, keeping the `-` (`RL-B5-91420` → `RL-B5-`),
    /// folded; `nil` when the reference has no `-` before its last character.
    static func referencePrefix(_ reference: String) -> [UInt8]? {
        let bytes = folded(reference.trimmingWhitespace())
        guard let dash = bytes.lastIndex(of: UInt8(ascii: "-")), dash > 0, dash < bytes.count - 1 else {
            return nil
        }
        return Array(bytes[...dash])
    }
}
