import FuzzSupport
import ReliefCore

/// Reads the input as an .xlsx upload and checks the table it gives.
///
/// An input that starts like a ZIP archive (`PK\u{3}\u{4}`) is the workbook itself: that
/// fuzzes the ZIP layer (damaged headers, sizes, methods, checksums, ZIP bombs). Any other
/// input is a workbook's XML parts separated by NUL bytes, in the order of ``partPaths``,
/// packed here into a valid uncompressed archive: that fuzzes the XML layer, which mutations of
/// a compressed, checksummed archive almost never reach.
///
/// Properties: nothing traps, whatever the archive (damaged entries, ZIP bombs, bad XML, bad
/// references, huge numbers); errors render in English and Chinese; a table has a non-empty
/// trimmed header, every row exactly as many cells as the header, no trailing empty row and no
/// encoding; and writing the table with XLSXWriter and reading it back gives the same headers
/// and cells.
func fuzzXLSX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var input = bytes(data, size)
    if !input.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
        let parts = input.split(separator: 0, maxSplits: partPaths.count - 1, omittingEmptySubsequences: false)
        let entries = zip(partPaths, parts).filter { !$1.isEmpty }.map { ($0, Array($1)) }
        guard !entries.isEmpty else {
            return -1  // No parts: not a workbook.
        }
        input = storedZIP(entries)
    }
    let table: Table
    do {
        table = try TableReader.read(input, fileName: "fuzz.xlsx")
    } catch {
        require(!error.description.isEmpty && !error.chineseDescription.isEmpty, "empty message")
        return 0
    }
    require(table.encoding == nil, "an XLSX table with an encoding")
    require(table.headers.contains { !$0.isEmpty }, "empty header \(table.headers)")
    for row in table.rows {
        require(row.cells.count == table.headers.count, "row \(row.line): \(row.cells.count) cells, \(table.headers.count) headers")
    }
    if let last = table.rows.last {
        require(last.cells.contains { !$0.isEmpty }, "trailing empty row \(last.line)")
    }

    let rows = ([table.headers] + table.rows.map(\.cells)).map { $0.map(XLSXCell.text) }
    let written: [UInt8]
    do {
        written = try XLSXWriter.write(sheetName: "Sheet1", rows: rows)
    } catch {
        require(false, "XLSXWriter could not write a table TableReader read: \(error)")
        return 0
    }
    do {
        let again = try TableReader.read(written, fileName: "fuzz.xlsx")
        require(again.headers == table.headers, "headers \(table.headers) became \(again.headers)")
        require(
            again.rows.map(\.cells) == table.rows.map(\.cells),
            "cells \(table.rows.map(\.cells)) became \(again.rows.map(\.cells))")
    } catch {
        require(false, "the rewritten workbook could not be read: \(error)")
    }
    return 0
}

/// The parts of a workbook, in the order an XML-layer input gives them (separated by NUL).
let partPaths = [
    "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels", "_rels/.rels",
]
