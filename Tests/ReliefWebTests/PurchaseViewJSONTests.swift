import Foundation
import Testing

@testable import ReliefWeb

/// The purchase a POST answers with, written member by member: the same bytes as
/// `JSONResponse.make` writes through `JSONEncoder`, so a field added to the view and not to the
/// writer fails here.
@Suite("purchase view JSON")
struct PurchaseViewJSONTests {
    private func line(_ number: Int, eligible: Bool, codes: [String], text: String) -> PurchaseLineView {
        PurchaseLineView(
            line: number, product: "P-\(number)", productName: "宣恩贡茶 \(text)", quantity: "12.500", unit: "kg",
            unitPrice: "38.0000",
            amount: "475.00", amountFen: 47_500, eligible: eligible, reasonCodes: codes,
            reasons: codes.isEmpty ? "" : "原因：\(text)")
    }

    private func view(lines: [PurchaseLineView], text: String) -> PurchaseView {
        PurchaseView(
            purchaseKey: "CG-2026/\(text)", enterprise: "91420100MA4K0001X0", enterpriseName: "武汉\"某\"公司\\工会",
            supplier: "93422825MA4A0001X1",
            supplierName: "宣恩县合作社 \(text)", date: "2026-11-03", channel: "消费帮扶馆", purpose: "职工福利\n节日",
            invoiceNumber: "0012/3456",
            invoiceDate: "2026-11-04", sellerTaxId: "93422825MA4A0001X1", createdBy: "clerk-01 (张三)",
            totalFen: Int64(lines.count) * 47_500,
            eligibleFen: 47_500, lines: lines)
    }

    private func encoderBytes(_ view: PurchaseView) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Array(try! encoder.encode(view)) + [UInt8(ascii: "\n")]
    }

    @Test func writesWhatTheEncoderWrites() throws {
        let cases = [
            view(
                lines: [
                    line(1, eligible: true, codes: [], text: "一"),
                    line(2, eligible: false, codes: ["RL004", "RL007"], text: "🍎 a/b"),
                ], text: "x"),
            view(lines: [line(1, eligible: false, codes: ["RL001"], text: "\t")], text: "tab\tand\u{1F}"),
            view(lines: [], text: ""),
        ]
        for view in cases {
            let written = view.jsonLine()
            #expect(
                String(decoding: written, as: UTF8.self)
                    == String(decoding: encoderBytes(view), as: UTF8.self))
        }
    }
}
