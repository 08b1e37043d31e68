// The subsidy an enterprise's union receives for its eligible purchases under a versioned rule:
// min(rate × eligible amount, per-member cap × members, per-enterprise cap, what is left of the
// fund), with the caps counting earlier approvals of the programme year. Exact integer fen.

/// A version of the subsidy rule.
public struct SubsidyRule: Sendable, Hashable, Codable {
    /// The rule version, 1, 2, …
    public var version: Int
    /// The subsidy rate in basis points of the eligible amount, 0…10000 (1000 = 10%).
    public var rateBasisPoints: Int
    /// The cap per union member for the programme year, in fen (≥ 0).
    public var perMemberCapFen: Int64
    /// The cap per enterprise for the programme year, in fen (≥ 0).
    public var perEnterpriseCapFen: Int64
    /// The purchase channels whose lines are eligible under this version.
    public var eligibleChannels: Set<String>
    /// The first day on which this version applies.
    public var effectiveFrom: LocalDate

    /// The largest rate: 10000 basis points = 100%.
    public static let maximumRateBasisPoints = 10_000

    /// Creates a rule; call ``validate()`` when the values come from input.
    public init(
        version: Int, rateBasisPoints: Int, perMemberCapFen: Int64, perEnterpriseCapFen: Int64,
        eligibleChannels: Set<String>, effectiveFrom: LocalDate
    ) {
        self.version = version
        self.rateBasisPoints = rateBasisPoints
        self.perMemberCapFen = perMemberCapFen
        self.perEnterpriseCapFen = perEnterpriseCapFen
        self.eligibleChannels = eligibleChannels
        self.effectiveFrom = effectiveFrom
    }

    /// Checks that the version is positive, the rate is 0…10000 basis points, both caps are ≥ 0
    /// and the eligible channels are some of the purchase channels (``ImportLayouts/channels``).
    /// - Throws: ``SubsidyRuleError`` for the first problem found.
    public func validate() throws(SubsidyRuleError) {
        if let reason = problem {
            throw SubsidyRuleError(version: version, reason: reason)
        }
    }

    /// The first problem with the rule, or `nil` when it is sound.
    var problem: SubsidyRuleError.Reason? {
        if version < 1 {
            return .versionNotPositive
        }
        if !(0...SubsidyRule.maximumRateBasisPoints).contains(rateBasisPoints) {
            return .rateOutOfRange(rateBasisPoints)
        }
        if perMemberCapFen < 0 {
            return .negativePerMemberCap(perMemberCapFen)
        }
        if perEnterpriseCapFen < 0 {
            return .negativePerEnterpriseCap(perEnterpriseCapFen)
        }
        if eligibleChannels.isEmpty {
            return .noChannels
        }
        let unknown = eligibleChannels.subtracting(ImportLayouts.channels)
        if !unknown.isEmpty {
            return .unknownChannels(unknown.sorted())
        }
        return nil
    }
}

/// Why a subsidy rule is not sound, with messages in English and Chinese.
public struct SubsidyRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the rule.
    public enum Reason: Sendable, Equatable {
        /// The version is 0 or negative.
        case versionNotPositive
        /// The rate is outside 0…10000 basis points; the rate found.
        case rateOutOfRange(Int)
        /// The per-member cap is negative; the cap found, in fen.
        case negativePerMemberCap(Int64)
        /// The per-enterprise cap is negative; the cap found, in fen.
        case negativePerEnterpriseCap(Int64)
        /// No eligible channel is named.
        case noChannels
        /// Channels that are not purchase channels (a typo would make every line ineligible).
        case unknownChannels([String])
    }

    /// The version of the rule.
    public let version: Int
    /// What is wrong.
    public let reason: Reason

    /// The input field at fault, named as the API names it.
    public var field: String {
        switch reason {
        case .versionNotPositive: return "version"
        case .rateOutOfRange: return "rate_bp"
        case .negativePerMemberCap: return "member_cap"
        case .negativePerEnterpriseCap: return "enterprise_cap"
        case .noChannels, .unknownChannels: return "channels"
        }
    }

    /// Creates an error for the rule `version`.
    public init(version: Int, reason: Reason) {
        self.version = version
        self.reason = reason
    }

    /// An English message naming the rule version and the problem.
    public var description: String {
        let subject = "subsidy rule version \(version): "
        switch reason {
        case .versionNotPositive:
            return subject + "the version must be 1 or more"
        case .rateOutOfRange(let rate):
            return subject + "the rate must be 0…10000 basis points (0%…100%), found \(rate)"
        case .negativePerMemberCap(let fen):
            return subject + "the per-member cap must not be negative, found \(Money(fen: fen).formatted)"
        case .negativePerEnterpriseCap(let fen):
            return subject + "the per-enterprise cap must not be negative, found \(Money(fen: fen).formatted)"
        case .noChannels:
            return subject + "name at least one eligible channel: " + ImportLayouts.channels.sorted().joined(separator: ", ")
        case .unknownChannels(let names):
            return subject + "\(names.joined(separator: ", ")) is not a purchase channel; choose from "
                + ImportLayouts.channels.sorted().joined(separator: ", ")
        }
    }

    /// A Simplified Chinese message naming the rule version and the problem.
    public var chineseDescription: String {
        let subject = "补助规则第 \(version) 版："
        switch reason {
        case .versionNotPositive:
            return subject + "版本号必须不小于 1"
        case .rateOutOfRange(let rate):
            return subject + "补助比例必须在 0 至 10000 个基点（0% 至 100%）之间，实际为 \(rate)"
        case .negativePerMemberCap(let fen):
            return subject + "会员人均上限不得为负数，实际为 \(Money(fen: fen).formatted) 元"
        case .negativePerEnterpriseCap(let fen):
            return subject + "单位上限不得为负数，实际为 \(Money(fen: fen).formatted) 元"
        case .noChannels:
            return subject + "至少列出一个合规渠道：" + ImportLayouts.channels.sorted().joined(separator: "、")
        case .unknownChannels(let names):
            return subject + "\(names.joined(separator: "、")) 不是采购渠道；可选 " + ImportLayouts.channels.sorted().joined(separator: "、")
        }
    }
}

/// One enterprise's figures for a subsidy batch.
public struct SubsidyInput: Sendable, Hashable {
    /// The enterprise's code; the fund is allocated in ascending order of codes.
    public var enterpriseCode: String
    /// The total of the enterprise's eligible purchase lines in this batch, in fen (a negative
    /// total counts as 0).
    public var eligibleAmountFen: Int64
    /// The number of union members (a negative number counts as 0).
    public var members: Int
    /// Subsidy approved in earlier batches of the programme year, in fen; it counts against
    /// both caps (a negative amount counts as 0).
    public var alreadyApprovedFen: Int64

    /// Creates an input.
    public init(enterpriseCode: String, eligibleAmountFen: Int64, members: Int, alreadyApprovedFen: Int64) {
        self.enterpriseCode = enterpriseCode
        self.eligibleAmountFen = eligibleAmountFen
        self.members = members
        self.alreadyApprovedFen = alreadyApprovedFen
    }
}

/// One line of the working shown for a proposal, e.g. `补助比例 10% × 合格采购额 32,504.00`
/// with its amount.
public struct SubsidyStep: Sendable, Hashable, Codable {
    /// What was computed, in Simplified Chinese, with the figures used.
    public var label: String
    /// The result, in fen.
    public var amountFen: Int64

    /// Creates a step.
    public init(label: String, amountFen: Int64) {
        self.label = label
        self.amountFen = amountFen
    }
}

/// The term of the formula that decided a subsidy.
public enum SubsidyLimit: String, Sendable, Codable {
    /// The rate × the eligible amount.
    case rate
    /// The per-member cap × members, less earlier approvals.
    case memberCap
    /// The per-enterprise cap, less earlier approvals.
    case enterpriseCap
    /// What was left of the fund.
    case fund

    /// The Chinese name of the limit.
    public var chineseName: String {
        switch self {
        case .rate: return "补助比例"
        case .memberCap: return "会员人均上限"
        case .enterpriseCap: return "单位上限"
        case .fund: return "专项资金余额"
        }
    }
}

/// The proposed subsidy for one enterprise, with the working.
public struct SubsidyProposal: Sendable, Hashable, Codable {
    /// The enterprise's code.
    public var enterpriseCode: String
    /// The proposed subsidy, in fen (≥ 0).
    public var amountFen: Int64
    /// The limit that decided the amount.
    public var binding: SubsidyLimit
    /// The working: the four terms of the formula in the order rate, member cap, enterprise
    /// cap, fund, then the result.
    public var steps: [SubsidyStep]

    /// Creates a proposal.
    public init(enterpriseCode: String, amountFen: Int64, binding: SubsidyLimit, steps: [SubsidyStep]) {
        self.enterpriseCode = enterpriseCode
        self.amountFen = amountFen
        self.binding = binding
        self.steps = steps
    }
}

/// The subsidy formula.
public enum SubsidyFormula {
    /// The denominator of basis points.
    static let basisPointsPerUnit: UInt64 = 10_000

    /// Proposes the subsidy of each enterprise:
    /// `min(rate × eligible amount, per-member cap × members − already approved,
    /// per-enterprise cap − already approved, what is left of the fund)`.
    ///
    /// - rate × eligible amount is `eligibleAmountFen × rateBasisPoints / 10000` rounded
    ///   half-up to the fen, exactly (128-bit intermediate).
    /// - The caps apply to the programme year's total, so earlier approvals are subtracted;
    ///   a cap already used up leaves 0. `perMemberCapFen × members` saturates at `Int64.max`.
    /// - The fund (`fundRemainingFen`, a negative value counting as 0) is allocated in
    ///   ascending order of enterprise code (ties in input order), each enterprise taking at
    ///   most what is left.
    /// - When the same enterprise code appears more than once, its earlier proposals in this
    ///   call count against its caps like earlier approvals.
    /// - `binding` is the smallest term; on a tie the first of rate, member cap, enterprise
    ///   cap, fund.
    ///
    /// Every input gets a proposal, also when the amount is 0, in the allocation order.
    ///
    /// - Precondition: `rule.validate()` does not throw.
    public static func propose(rule: SubsidyRule, inputs: [SubsidyInput], fundRemainingFen: Int64)
        -> [SubsidyProposal]
    {
        precondition(
            rule.problem == nil,
            "unsound subsidy rule: \(SubsidyRuleError(version: rule.version, reason: rule.problem ?? .versionNotPositive))"
        )
        let ordered = inputs.enumerated().sorted { left, right in
            left.element.enterpriseCode != right.element.enterpriseCode
                ? left.element.enterpriseCode < right.element.enterpriseCode
                : left.offset < right.offset
        }.map(\.element)

        var fundLeftFen = max(0, fundRemainingFen)
        var proposedInCallFen: [String: Int64] = [:]
        var proposals: [SubsidyProposal] = []
        proposals.reserveCapacity(ordered.count)
        for input in ordered {
            let earlierInCall = proposedInCallFen[input.enterpriseCode, default: 0]
            let proposal = proposeOne(
                rule: rule, input: input, earlierInCallFen: earlierInCall, fundLeftFen: fundLeftFen)
            fundLeftFen -= proposal.amountFen
            proposedInCallFen[input.enterpriseCode] = saturatingAdd(earlierInCall, proposal.amountFen)
            proposals.append(proposal)
        }
        return proposals
    }

    private static func proposeOne(
        rule: SubsidyRule, input: SubsidyInput, earlierInCallFen: Int64, fundLeftFen: Int64
    ) -> SubsidyProposal {
        let eligibleFen = max(0, input.eligibleAmountFen)
        let members = max(0, input.members)
        let approvedFen = saturatingAdd(max(0, input.alreadyApprovedFen), earlierInCallFen)

        let rateFen = rateAmountFen(eligibleFen: eligibleFen, rateBasisPoints: rule.rateBasisPoints)
        let (memberTotal, memberOverflow) = rule.perMemberCapFen.multipliedReportingOverflow(
            by: Int64(members))
        let memberTotalFen = memberOverflow ? Int64.max : memberTotal
        let memberRemainingFen = max(0, memberTotalFen - approvedFen)
        let enterpriseRemainingFen = max(0, rule.perEnterpriseCapFen - approvedFen)

        let terms: [(SubsidyLimit, Int64)] = [
            (.rate, rateFen), (.memberCap, memberRemainingFen), (.enterpriseCap, enterpriseRemainingFen),
            (.fund, fundLeftFen),
        ]
        var binding = terms[0]
        for term in terms.dropFirst() where term.1 < binding.1 {
            binding = term
        }

        let approvedText = approvedFen > 0 ? " − 本年度已核定 \(Money(fen: approvedFen).formatted)" : ""
        let eligibleText =
            input.eligibleAmountFen < 0
            ? "\(Money(fen: 0).formatted)（\(Money(fen: input.eligibleAmountFen).formatted) 按 0 计）"
            : Money(fen: eligibleFen).formatted
        let steps = [
            SubsidyStep(
                label: "补助比例 \(percent(rule.rateBasisPoints))% × 合格采购额 \(eligibleText)", amountFen: rateFen),
            SubsidyStep(
                label:
                    "会员人均上限 \(Money(fen: rule.perMemberCapFen).formatted) × 会员 \(members) 人\(approvedText)",
                amountFen: memberRemainingFen),
            SubsidyStep(
                label: "单位上限 \(Money(fen: rule.perEnterpriseCapFen).formatted)\(approvedText)",
                amountFen: enterpriseRemainingFen),
            SubsidyStep(label: "专项资金余额 \(Money(fen: fundLeftFen).formatted)", amountFen: fundLeftFen),
            SubsidyStep(
                label: "核定补助（取以上最小值，由\(binding.0.chineseName)决定，规则第 \(rule.version) 版）",
                amountFen: binding.1),
        ]
        return SubsidyProposal(
            enterpriseCode: input.enterpriseCode, amountFen: binding.1, binding: binding.0, steps: steps)
    }

    /// `eligibleFen × rateBasisPoints / 10000` rounded half-up, for `eligibleFen ≥ 0` and a
    /// rate of 0…10000 (so the result is at most `eligibleFen`).
    static func rateAmountFen(eligibleFen: Int64, rateBasisPoints: Int) -> Int64 {
        let product = UInt64(eligibleFen).multipliedFullWidth(by: UInt64(rateBasisPoints))
        let (low, carry) = product.low.addingReportingOverflow(basisPointsPerUnit / 2)
        let high = product.high + (carry ? 1 : 0)
        let (quotient, _) = basisPointsPerUnit.dividingFullWidth((high: high, low: low))
        return Int64(quotient)
    }

    /// Basis points as a percentage in its shortest exact form: 1000 → `10`, 1250 → `12.5`.
    private static func percent(_ basisPoints: Int) -> String {
        DecimalText.render(Int64(basisPoints), places: 2, grouped: false)
    }

    /// `a + b`, or `Int64.max` on overflow (both are ≥ 0 here).
    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : sum
    }
}
