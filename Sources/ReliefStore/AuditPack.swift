import Foundation
public import Postgres
import ZIPFoundation
public import ReliefCore

/// Journal export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, json, hledger, beancount, xlsx

    /// The file name extension.
    public var fileExtension: String {
        switch self {
        case .csv: return "csv"
        case .json: return "json"
        case .hledger: return "journal"
        case .beancount: return "beancount"
        case .xlsx: return "xlsx"
        }
    }
}

/// Streams the journal to a file in one of the export formats.
public enum JournalExport {
    /// Writes the entries of `bookCode` (those in `periods`, or all) to `path`; returns entries written.
    /// Text formats stream: memory stays flat whatever the number of entries.
    @discardableResult
    public static func write(
        _ c: isolated Connection, bookCode: String, format: ExportFormat, gb18030: Bool = false, periods: ClosedRange<Period>? = nil, to path: String
    ) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw PackError(message: "\(path): cannot create the file")
        }
        defer { try? handle.close() }
        let accounts = try Reports.accounts(c, bookID: try Reports.bookID(c, code: bookCode))
        var count = 0
        if format == .xlsx {
            var rows: [[XLSXCell]] = []
            try JournalStream.forEach(c, bookCode: bookCode, periods: periods) { entry in
                count += 1
                rows += JournalWriters.xlsxRows(entry)
            }
            try handle.write(contentsOf: try XLSXWriter.write(sheetName: "序时账", rows: [JournalWriters.xlsxHeader] + rows))
            return count
        }
        if format == .csv && !gb18030 && periods == nil {
            // The whole book in UTF-8 CSV: the connection's thread writes the rows straight from
            // the COPY rows' bytes, a second thread writes the chunks to the file.
            try handle.write(contentsOf: Array((CSV.byteOrderMark + CSV.row(CSVJournalWriter.headers)).utf8))
            let file = FileSink(handle: handle)
            let pipeline = BatchPipeline<[UInt8]>(batchSize: 1, depth: 4, name: "relief.export") { chunks in
                for index in chunks.indices { try file.write(chunks[index]) }
            }
            do {
                count = try JournalStream.forEachCSVChunk(c, bookCode: bookCode, chunkBytes: 1 << 20) { chunk in try pipeline.send(chunk) }
            } catch {
                try? pipeline.finish()
                throw error
            }
            try pipeline.finish()
            return count
        }
        // The connection's thread reads the rows; a second thread formats and writes them.
        let sink = JournalSink(writer: JournalWriters.make(format, gb18030: gb18030), handle: handle)
        try sink.header(accounts: accounts)
        let pipeline = BatchPipeline<ExportEntry>(name: "relief.export") { batch in try sink.write(batch) }
        do {
            try JournalStream.forEach(c, bookCode: bookCode, periods: periods) { entry in
                count += 1
                try pipeline.send(entry)
            }
        } catch {
            try? pipeline.finish()
            throw error
        }
        try pipeline.finish()
        try sink.footer()
        return count
    }
}

/// A file written by the pipeline's worker thread.
private final class FileSink: Sendable {
    private let handle: FileHandle

    init(handle: FileHandle) { self.handle = handle }

    func write(_ bytes: [UInt8]) throws { try handle.write(contentsOf: bytes) }
}

/// A text writer and its file, used by one thread at a time: the exporting thread before and
/// after the pipeline, its worker thread in between (the pipeline's lock orders the hand-overs).
private final class JournalSink: @unchecked Sendable {
    private var writer: any ByteJournalWriter
    /// `writer` when it is the CSV writer, for ``appendEntry(_:)``.
    private var csv: CSVJournalWriter?
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    init(writer: any ByteJournalWriter, handle: FileHandle) {
        self.writer = writer
        self.csv = writer as? CSVJournalWriter
        self.handle = handle
        buffer.reserveCapacity((1 << 20) + 64 * 1024)
    }

    func header(accounts: [Account]) throws {
        buffer += try writer.headerBytes(accounts: accounts)
    }

    func write(_ entries: [ExportEntry]) throws {
        // By index into the buffer: `for entry in entries`, or `entries[index]` of the array, copied
        // each entry (a retain and release per string).
        try entries.withUnsafeBufferPointer { entries in try write(entries) }
    }

    private func write(_ entries: UnsafeBufferPointer<ExportEntry>) throws {
        for index in entries.indices {
            try appendEntry(entries[index])
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The writer's bytes for `entry`: a CSV writer is called on its concrete type, since the call
    /// through `any ByteJournalWriter` copied each entry (perf of a 2M-row export).
    private func appendEntry(_ entry: ExportEntry) throws {
        if csv != nil {
            try csv!.appendEntryBytes(entry, to: &buffer)
        } else {
            try writer.appendEntryBytes(entry, to: &buffer)
        }
    }

    func footer() throws {
        buffer += try writer.footerBytes()
        try handle.write(contentsOf: buffer)
        buffer.removeAll()
    }
}

/// The audit pack: every report and the journal, plus manifest.json; checkable offline.
public enum AuditPack {
    /// Writes the pack for `period` into `folder` (created; must be empty or new).
    public static func write(_ c: isolated Connection, bookCode: String, programCode: String?, period: Period, folder: String) throws -> PackManifest {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard try fm.contentsOfDirectory(atPath: folder).isEmpty else { throw PackError(message: "\(folder) is not empty; give a new folder") }
        let bookID = try Reports.bookID(c, code: bookCode)
        let close = try c.query("SELECT chain_seq, encode(chain_head, 'hex') FROM relief.period_closes WHERE book_id = $1 AND period = $2", [bookID, period.yyyymm]).rows.first
        let head = try close ?? c.query("SELECT chain_seq, encode(chain_head, 'hex') FROM relief.books WHERE id = $1", [bookID]).single()
        let chainSeq = try head.decode(Int64.self, at: 0)
        var closingDigest: String?
        if close != nil {
            let lines = try c.query(
                "SELECT a.code, cb.debit_fen, cb.credit_fen FROM relief.closing_balances cb JOIN relief.accounts a ON a.id = cb.account_id WHERE cb.book_id = $1 AND cb.period = $2",
                [bookID, period.yyyymm]
            ).rows.map { (code: try $0.decode(String.self, at: 0), debitFen: try $0.decode(Int64.self, at: 1), creditFen: try $0.decode(Int64.self, at: 2)) }
            closingDigest = PackManifest.closingDigest(lines)
        }
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        func save(_ name: String, _ bytes: [UInt8]) throws {
            guard fm.createFile(atPath: path(name), contents: Data(bytes)) else { throw PackError(message: "\(path(name)): cannot write") }
        }
        // The journal runs from the first entry to the pack's head, so the chain can be recomputed.
        for format in ExportFormat.allCases {
            try JournalExport.write(c, bookCode: bookCode, format: format, to: path("journal.\(format.fileExtension)"))
        }
        var reports: [(String, Report)] = [
            ("trial-balance", try BookReports.trialBalance(c, bookCode: bookCode, period: period)),
            ("general-ledger", try BookReports.generalLedger(c, bookCode: bookCode, period: period)),
            ("journal-\(period)", try BookReports.journal(c, bookCode: bookCode, period: period)),
        ]
        if let programCode {
            reports += [
                ("monthly", try ProgramReports.monthly(c, programCode: programCode, period: period)),
                ("by-township", try ProgramReports.breakdown(c, programCode: programCode, period: period, dimension: "township")),
                ("by-category", try ProgramReports.breakdown(c, programCode: programCode, period: period, dimension: "category")),
                ("by-channel", try ProgramReports.breakdown(c, programCode: programCode, period: period, dimension: "channel")),
                ("subsidy-ledger", try ProgramReports.subsidyLedger(c, programCode: programCode, asOf: period.lastDay)),
                ("exceptions", try ProgramReports.exceptions(c, programCode: programCode, period: nil)),
            ]
        }
        for (name, report) in reports {
            try save("\(name).csv", Array(report.renderCSV().utf8))
            try save("\(name).xlsx", try report.renderXLSX())
        }
        try save("trial-balance.json", Array(try Reports.trialBalance(c, bookCode: bookCode, period: period).renderJSON().utf8))
        var files: [PackManifest.File] = []
        for name in try fm.contentsOfDirectory(atPath: folder).sorted() {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
            files.append(PackManifest.File(name: name, sha256: Chain.hex(Chain.sha256(bytes)), bytes: bytes.count))
        }
        let manifest = PackManifest(
            book: bookCode, period: period.description, chainSeq: chainSeq, chainHead: try head.decode(String.self, at: 1),
            periodClosed: close != nil, closingDigest: closingDigest, files: files)
        try save("manifest.json", try manifest.encoded())
        return manifest
    }

    /// Zips a written pack folder into `path` (a new file): the pack as one download. Unzipped,
    /// it checks with ``verify(folder:)`` like the folder itself.
    public static func archive(folder: String, to path: String) throws {
        do {
            try FileManager.default.zipItem(at: URL(fileURLWithPath: folder), to: URL(fileURLWithPath: path), shouldKeepParent: false)
        } catch {
            throw PackError(message: "\(path): cannot zip the pack: \(error)")
        }
    }

    /// Checks a pack offline: every file against the manifest (missing, changed or unlisted files are
    /// named), and the chain recomputed over journal.json up to the manifest's head. Returns the
    /// problems; none means the pack is intact.
    public static func verify(folder: String) -> [String] {
        let fm = FileManager.default
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        guard let data = fm.contents(atPath: path("manifest.json")) else { return ["manifest.json is missing from \(folder)"] }
        let manifest: PackManifest
        do {
            manifest = try JSONDecoder().decode(PackManifest.self, from: data)
        } catch {
            return ["manifest.json cannot be read: \(error)"]
        }
        var problems: [String] = []
        let listed = Set(manifest.files.map(\.name))
        for file in manifest.files {
            guard let bytes = fm.contents(atPath: path(file.name)) else {
                problems.append("\(file.name): missing")
                continue
            }
            let digest = Chain.hex(Chain.sha256(Array(bytes)))
            if digest != file.sha256 {
                problems.append("\(file.name): changed (SHA-256 \(digest.prefix(16))… ≠ manifest \(file.sha256.prefix(16))…)")
            }
        }
        for name in ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).sorted() where name != "manifest.json" && !listed.contains(name) {
            problems.append("\(name): not listed in the manifest")
        }
        guard let journal = fm.contents(atPath: path("journal.json")) else { return problems + ["journal.json is missing: the chain cannot be checked"] }
        do {
            var previous = Chain.genesis
            var last: Int64 = 0
            for entry in try JournalJSONReader.read(Array(journal)) where entry.seq <= manifest.chainSeq {
                guard entry.seq == last + 1 else {
                    problems.append("journal.json: chain position \(last + 1) is missing")
                    break
                }
                let computed = Chain.next(previous: previous, canonicalText: entry.canonicalText)
                if Chain.hex(computed) != entry.hashHex {
                    problems.append("journal.json: entry #\(entry.seq) (voucher \(entry.voucherReference)) does not hash to its recorded hash")
                    break
                }
                previous = computed
                last = entry.seq
            }
            if problems.isEmpty && (last != manifest.chainSeq || Chain.hex(previous) != manifest.chainHead) {
                problems.append("journal.json: the recomputed chain ends at #\(last) \(Chain.hex(previous).prefix(16))…, the manifest says #\(manifest.chainSeq) \(manifest.chainHead.prefix(16))…")
            }
        } catch {
            problems.append("\(error)")
        }
        return problems
    }
}
