import FuzzSupport
import ReliefCore

/// Reads the input as a CSV upload and checks the table it gives.
///
/// Inputs that start like a ZIP archive are skipped: TableReader sends those to the XLSX
/// reader, which fuzz-xlsx covers.
///
/// Properties: nothing traps (errors are thrown as TableReadError and render in English and
/// Chinese); a table has a non-empty trimmed header, every row exactly as many cells as the
/// header, line numbers from 2 on that strictly increase and stay within the file's line
/// count, no trailing empty row, and an encoding; and writing the table back as quoted UTF-8
/// CSV and reading that gives the same headers and cells.
func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    if input.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
        return -1  // Not a CSV file: keep it out of the corpus.
    }
    let table: Table
    do {
        table = try TableReader.read(input, fileName: "fuzz.csv")
    } catch {
        require(!error.description.isEmpty && !error.chineseDescription.isEmpty, "empty message")
        require(error.line.map { $0 >= 1 } ?? true, "error at line \(String(describing: error.line))")
        return 0
    }
    check(table, lineBreaks: lineBreaks(input))
    require(table.encoding != nil, "a CSV table without an encoding")

    let written = csv(table)
    do {
        let again = try TableReader.read(written, fileName: "fuzz.csv")
        require(again.headers == table.headers, "headers \(table.headers) became \(again.headers)")
        require(
            again.rows.map(\.cells) == table.rows.map(\.cells),
            "cells \(table.rows.map(\.cells)) became \(again.rows.map(\.cells))")
        require(again.encoding == .utf8, "rewritten table read as \(String(describing: again.encoding))")
    } catch {
        require(false, "the rewritten table could not be read: \(error)")
    }
    return 0
}

/// The invariants of any table TableReader returns from a CSV file.
func check(_ table: Table, lineBreaks: Int) {
    require(table.headers.contains { !$0.isEmpty }, "empty header \(table.headers)")
    for header in table.headers {
        require(
            header.first.map { !$0.isWhitespace && $0 != "\u{FEFF}" } ?? true
                && header.last.map { !$0.isWhitespace && $0 != "\u{FEFF}" } ?? true,
            "untrimmed header \(header.debugDescription)")
    }
    var previous = 1
    for row in table.rows {
        require(row.cells.count == table.headers.count, "line \(row.line): \(row.cells.count) cells, \(table.headers.count) headers")
        require(row.line > previous, "line \(row.line) after line \(previous)")
        require(row.line <= lineBreaks + 1, "line \(row.line) in a file of \(lineBreaks + 1) lines")
        previous = row.line
    }
    if let last = table.rows.last {
        require(last.cells.contains { !$0.isEmpty }, "trailing empty row at line \(last.line)")
    }
}

/// How many line ends (CRLF, LF or CR) the bytes hold, counting CRLF once. GB18030 and UTF-8
/// never use 0x0A or 0x0D inside a multi-byte character, so this holds for all encodings read.
func lineBreaks(_ bytes: [UInt8]) -> Int {
    var count = 0
    var index = 0
    while index < bytes.count {
        if bytes[index] == 0x0A {
            count += 1
        } else if bytes[index] == 0x0D {
            count += 1
            if index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                index += 1
            }
        }
        index += 1
    }
    return count
}

/// The table as UTF-8 CSV through the product's own writer (`CSV.row`: quotes where needed, CRLF
/// line ends), so the round trip checks the writer too. (The first version quoted Character by
/// Character and missed a quote followed by a combining mark, which is one Character.)
func csv(_ table: Table) -> [UInt8] {
    Array((CSV.row(table.headers) + table.rows.map { CSV.row($0.cells) }.joined()).utf8)
}
