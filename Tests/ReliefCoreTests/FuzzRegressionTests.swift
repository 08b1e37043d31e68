import Foundation
import Testing

@testable import ReliefCore

/// Inputs the fuzzers found (docs/FUZZING.md), each kept in Fixtures/fuzz and in the fuzzers' seed
/// corpus: every one must now be a clear error, not a trap or a hang.
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    /// The bytes of `Fixtures/fuzz/<name>`.
    private func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz/\(name)")
        return try [UInt8](Data(contentsOf: url))
    }

    /// The error TableReader throws for `bytes` (nil, recorded as an issue, when it reads them).
    private func readError(_ bytes: [UInt8]) -> TableReadError? {
        do {
            let table = try TableReader.read(bytes, fileName: "purchases.xlsx")
            Issue.record("read a table from a damaged workbook: \(table)")
            return nil
        } catch {
            return error
        }
    }

    /// A ZIP archive of stored entries, laid out as ZIPLayout reads it: local headers and data,
    /// then the central directory, then the end record.
    private func archive(_ entries: [(name: String, data: [UInt8], method: UInt16)]) -> [UInt8] {
        func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func le32(_ value: Int) -> [UInt8] { le16(value & 0xFFFF) + le16(value >> 16 & 0xFFFF) }
        var body: [UInt8] = []
        var directory: [UInt8] = []
        for (name, data, method) in entries {
            let offset = body.count
            let fields = le16(20) + le16(0) + le16(Int(method)) + le16(0) + le16(0x2821) + le32(0)
                + le32(data.count) + le32(data.count) + le16(name.utf8.count) + le16(0)
            body += le32(0x0403_4B50) + fields + Array(name.utf8) + data
            directory += le32(0x0201_4B50) + le16(20) + fields + le16(0) + le16(0) + le16(0) + le32(0)
                + le32(offset) + Array(name.utf8)
        }
        return body + directory + le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count)
            + le16(entries.count) + le32(directory.count) + le32(body.count) + le16(0)
    }

    /// Overwrites the little-endian 32-bit value at `offset`.
    private func patch(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
        for index in 0..<4 {
            bytes[offset + index] = UInt8(value >> (8 * UInt32(index)) & 0xFF)
        }
    }

    @Test("fuzz-purchase-import: a central directory past the end of the file is damaged, not a trap")
    func centralDirectoryPastTheEnd() throws {
        // A workbook whose end record still says the directory starts at byte 5,128 after bytes
        // were cut from the middle: ZIPFoundation's in-memory reader trapped on the read there.
        let error = try #require(readError(fixture("zip-offset-past-end.xlsx")))
        #expect(error.message.contains("the archive is damaged"))
        #expect(error.chineseDescription.contains("压缩包已损坏"))
    }

    @Test("offsets past the end: central directory, local header, data descriptor")
    func offsetsPastTheEnd() throws {
        let good = archive([("_rels/.rels", Array("<Relationships/>".utf8), 0)])
        #expect(ZIPLayout.problem(in: good) == nil)

        var directory = good
        patch(&directory, at: good.count - 6, 0xFFFF_FFF0)  // end record: directory offset
        #expect(ZIPLayout.problem(in: directory) == .damaged)
        #expect(readError(directory)?.message.contains("damaged") == true)

        let directoryStart = 30 + "_rels/.rels".utf8.count + "<Relationships/>".utf8.count
        var header = good
        patch(&header, at: directoryStart + 42, UInt32(good.count + 1))  // local header offset
        #expect(ZIPLayout.problem(in: header) == .damaged)
        #expect(readError(header)?.message.contains("damaged") == true)

        var descriptor = good
        descriptor[directoryStart + 8] |= 0x08  // flag: a data descriptor follows the data
        patch(&descriptor, at: directoryStart + 24, 0x7FFF_FFFF)  // its (uncompressed) size
        #expect(ZIPLayout.problem(in: descriptor) == .damaged)
        #expect(readError(descriptor)?.message.contains("damaged") == true)
    }

    @Test("ZIP64 archives are refused with advice")
    func zip64() throws {
        let good = archive([("_rels/.rels", Array("<Relationships/>".utf8), 0)])
        let directoryStart = 30 + "_rels/.rels".utf8.count + "<Relationships/>".utf8.count
        var versionNeeded = good
        versionNeeded[directoryStart + 6] = 45
        #expect(ZIPLayout.problem(in: versionNeeded) == .zip64)
        let error = try #require(readError(versionNeeded))
        #expect(error.message.contains("ZIP64"))
        #expect(error.chineseDescription.contains("ZIP64"))
    }

    @Test("fuzz-xlsx: a deflate stream that never ends is damaged, not a hang")
    func deflateNeverEnds() throws {
        // Its only entry opens a stored deflate block of 65,535 bytes that the file cuts off:
        // ZIPFoundation on Linux asked for more input forever.
        let bytes = try fixture("deflate-never-ends.xlsx")
        #if canImport(CZlib)
            #expect(ZIPLayout.problem(in: bytes) == .damaged)
        #endif
        #expect(readError(bytes)?.message.contains("damaged") == true)
    }

    @Test("fuzz-xlsx: an XML part that is not UTF-8 is refused, not a trap in FoundationXML")
    func xmlPartNotUTF8() throws {
        // xl/sharedStrings.xml of this workbook has an attribute name with bytes that are not
        // UTF-8, which FoundationXML force-unwrapped as a String.
        let error = try #require(readError(fixture("xml-name-not-utf8.xlsx")))
        #expect(error.message.contains("xl/sharedStrings.xml of the workbook is not UTF-8 text"))
        #expect(error.chineseDescription.contains("不是 UTF-8 文本"))

        let workbook = archive([
            ("xl/worksheets/sheet1.xml", Array(#"<worksheet><sheetData><row><c t="inlineStr"><is><t>a</t></is></c></row></sheetData></worksheet>"#.utf8), 0),
            ("xl/sharedStrings.xml", Array("<sst><si><t a".utf8) + [0xB9, 0xB8] + Array(#"="1">x</t></si></sst>"#.utf8), 0),
        ])
        #expect(readError(workbook)?.message.contains("is not UTF-8 text") == true)
    }
}

extension FuzzRegressionTests {
    @Test("fuzz-xlsx: a cell that ends outside its row is an error, not a trap")
    func cellOutsideRow() throws {
        // Fixtures/fuzz/cell-outside-row.parts is a fuzz-xlsx input: a broken worksheet (the
        // first NUL-separated part) that fuzz-xlsx packs into a workbook. libxml2 recovered from
        // it with a </c> after a <row>, and the reader indexed the cells at column -1.
        let parts = try fixture("cell-outside-row.parts").split(separator: 0, omittingEmptySubsequences: false)
        let sheet = try #require(parts.first)
        let broken = archive([("xl/worksheets/sheet1.xml", Array(sheet), 0)])
        #expect(readError(broken) != nil)

        // The same in well-formed XML.
        let nested = archive([
            ("xl/worksheets/sheet1.xml", Array(#"<worksheet><sheetData><row><c t="inlineStr"><is><t>a</t></is><row/></c></row></sheetData></worksheet>"#.utf8), 0)
        ])
        let error = try #require(readError(nested))
        #expect(error.message.contains("a cell that is not inside a row"))
    }
}

extension FuzzRegressionTests {
    @Test("fuzz-xlsx: a processing instruction or a DTD in a part is refused, not a segmentation fault")
    func processingInstruction() throws {
        // xl/styles.xml of this workbook holds `<?soiys""numFmt>…`: a processing instruction
        // without data, whose null data pointer FoundationXML passed to strlen.
        let error = try #require(readError(fixture("processing-instruction-without-data.xlsx")))
        #expect(error.message.contains("xl/styles.xml of the workbook has a processing instruction or a DTD"))
        #expect(error.chineseDescription.contains("含有处理指令或 DTD"))

        let sheet = #"<worksheet><sheetData><row><c t="inlineStr"><is><t>a</t></is></c></row></sheetData></worksheet>"#
        for part in [
            #"<?xml version="1.0"?>"# + "<worksheet><?pi?></worksheet>",
            #"<!DOCTYPE worksheet [<!ENTITY e "<?pi?>">]><worksheet>&e;</worksheet>"#,
            " <?xml version=\"1.0\"?>" + sheet,
        ] {
            let workbook = archive([("xl/worksheets/sheet1.xml", Array(part.utf8), 0)])
            #expect(readError(workbook)?.message.contains("processing instruction or a DTD") == true, "\(part)")
        }
        // The XML declaration itself, with or without a byte-order mark, is fine.
        for prefix in ["", "\u{FEFF}"] {
            let workbook = archive([("xl/worksheets/sheet1.xml", Array((prefix + #"<?xml version="1.0"?>"# + sheet).utf8), 0)])
            #expect(try TableReader.read(workbook, fileName: "a.xlsx").headers == ["a"])
        }
    }
}

extension FuzzRegressionTests {
    @Test("fuzz-xlsx: a broken XML declaration is an error (libxml2 crashed here when parsing was stopped early)")
    func brokenXMLDeclaration() throws {
        // A worksheet part starting `<?xml version="1.0" encoding="UTF-8" standalone="yes<?xml …`.
        // Stopping the parser at its first error (to save FoundationXML's per-error leak) made
        // libxml2 2.9 crash in xmlSwitchToEncoding on this input; the reader must not do that.
        let parts = try fixture("broken-xml-declaration.parts").split(separator: 0, omittingEmptySubsequences: false)
        let names = [
            "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels", "_rels/.rels",
        ]
        let workbook = archive(zip(names, parts).filter { !$1.isEmpty }.map { ($0, Array($1), 0) })
        #expect(readError(workbook) != nil)
    }
}

@Suite("fuzz-csv regressions")
struct CSVFuzzRegressionTests {
    @Test("a quote followed by a combining mark is doubled, so the CSV reads back as written")
    func aQuoteBeforeACombiningMarkRoundTrips() throws {
        let cell = "4\"\"\"\"\u{07A9}\"\"\"\"\"*"  // U+07A9 THAANA SUKUN combines with the quote before it
        let text = CSV.row(["h"]) + CSV.row([cell])
        let table = try TableReader.read(Array(text.utf8), fileName: "quote.csv")
        #expect(table.rows.map(\.cells) == [[cell]])
    }
}
