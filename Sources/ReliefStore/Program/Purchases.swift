public import Postgres
public import ReliefCore

/// The program's configuration as the purchase path needs it.
struct ProgramContext: Sendable {
    var id: Int
    var code: String
    var bookCode: String
    var facts: ProgramFacts
    var closedThrough: Period?

    static func load(_ c: isolated Connection, code: String) throws -> ProgramContext {
        let statement = self.statement(code: code)
        return try decode(try c.query(statement.sql, statement.parameters), code: code)
    }

    /// The query of ``load(_:code:)``, to send in a pipeline with others.
    static func statement(code: String) -> PipelineStatement {
        PipelineStatement(
            """
            SELECT p.id, b.code, p.paired_county, array_to_string(p.townships, '|'), array_to_string(p.prohibited_categories, '|'),
                   b.closed_through,
                   (SELECT array_to_string(r.eligible_channels, '|') FROM relief.subsidy_rules r WHERE r.program_id = p.id ORDER BY r.version DESC LIMIT 1)
            FROM relief.programs p JOIN relief.books b ON b.id = p.book_id WHERE p.code = $1
            """, [code], prepared: true)
    }

    /// The program in the result of ``statement(code:)``; throws when there is none.
    static func decode(_ result: PostgresResult, code: String) throws -> ProgramContext {
        guard let row = result.rows.first else {
            throw ProgramError.unknownProgram(code)
        }
        func set(_ index: Int) throws -> Set<String> {
            Set((try row.decodeOptional(String.self, at: index) ?? "").split(separator: "|").map(String.init))
        }
        let channels = try set(6)
        return ProgramContext(
            id: try row.decode(Int.self, at: 0), code: code, bookCode: try row.decode(String.self, at: 1),
            facts: ProgramFacts(
                pairedCounty: try row.decode(String.self, at: 2), townships: try set(3), prohibitedCategories: try set(4),
                eligibleChannels: channels.isEmpty ? ImportLayouts.channels : channels),
            closedThrough: try row.decodeOptional(Int.self, at: 5).flatMap { Period(yyyymm: $0) })
    }
}

/// Problems with the program's set-up.
public enum ProgramError: Error, Sendable, CustomStringConvertible {
    /// No program with that code.
    case unknownProgram(String)

    public var description: String {
        switch self {
        case .unknownProgram(let code): return "unknown program \(code); set one up with `relief program setup` (or load `relief demo`)"
        }
    }
}

/// Purchases: validated in full, judged line by line, written with their memorandum entries in
/// one transaction.
public enum Purchases {
    /// Purchases written per round of statements in an import (their entries through one
    /// `post_entries` call, then the purchases, then their lines).
    public static let importChunkPurchases = 2_048

    /// Imports a purchase file into `programCode`. Every row is checked before anything is
    /// written; any problem rejects the file, listing them all by line and column. Purchases whose
    /// 采购单号 is already there are skipped, so importing the same file again changes nothing.
    ///
    /// The table is consumed: its cells are let go once its rows are parsed, so that a caller
    /// that hands over its only copy (the CLI does) does not hold the file twice, as cells and as
    /// records, for the whole import.
    public static func importPurchases(
        _ c: isolated Connection, _ table: consuming Table, programCode: String, actorName: String,
        progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> ImportSummary {
        let fileName = table.fileName
        let rowCount = table.rows.count
        let (records, mapProblems, parseProblems) = parse(table)
        table = Table(fileName: fileName, headers: [], rows: [])
        return try importParsed(
            c, ParsedFile(fileName: fileName, rowCount: rowCount, records: records, mapProblems: mapProblems, parseProblems: parseProblems),
            programCode: programCode, actorName: actorName, progress: progress)
    }

    /// Imports purchase lines already parsed without a problem (``RecordParser/purchases(_:)``),
    /// as ``importPurchases(_:_:programCode:actorName:progress:)`` does a table's: a web purchase
    /// request, parsed when it arrived. `fileName` names the lines in errors.
    public static func importPurchases(
        _ c: isolated Connection, records: [PurchaseRowRecord], fileName: String, programCode: String, actorName: String
    ) throws -> ImportSummary {
        try RecordsImport(records: records, fileName: fileName, programCode: programCode, actorName: actorName).run(c).summary
    }

    /// An import of purchase lines already parsed without a problem, in fewer round trips: the
    /// caller sends ``reads`` in its transaction's first round trip (after the user's settings)
    /// and passes their results to ``run(_:readResults:trailing:)``, which sends the caller's
    /// `trailing` statements with its last INSERTs. The web app's group of purchase requests
    /// takes four round trips this way instead of seven. Always `post_entries`, never the bulk
    /// path: a group is small.
    public struct RecordsImport: Sendable {
        let file: ParsedFile
        let programCode: String
        let actorName: String

        /// Prepares the import of `records`; `fileName` names the lines in errors.
        public init(records: [PurchaseRowRecord], fileName: String, programCode: String, actorName: String) {
            file = ParsedFile(fileName: fileName, rowCount: records.count, records: records, mapProblems: [], parseProblems: [])
            self.programCode = programCode
            self.actorName = actorName
        }

        /// What the import reads before it writes, in order.
        public var reads: [PipelineStatement] {
            let keys = keysInFirstOrder(file.records)
            return readStatements(programCode: programCode, records: file.records, keys: keys, asksForBulk: false)
        }

        /// Runs the import in the caller's transaction. `readResults`, when given, are the
        /// results of ``reads`` sent earlier in this transaction; `trailing` statements go with
        /// the last INSERTs of the import (or alone when it writes nothing), and their results
        /// come back in order.
        public func run(
            _ c: isolated Connection, readResults: [PostgresResult]? = nil, trailing: [PipelineStatement] = []
        ) throws -> (summary: ImportSummary, trailing: [PostgresResult]) {
            var trailingResults: [PostgresResult] = []
            let summary = try importParsed(
                c, file, programCode: programCode, actorName: actorName, path: .postEntries, readResults: readResults, trailing: trailing,
                trailingResults: &trailingResults, progress: { _, _ in })
            return (summary, trailingResults)
        }
    }

    /// The distinct keys of `records`, in the order they first appear.
    static func keysInFirstOrder(_ records: [PurchaseRowRecord]) -> [String] {
        var seenKeys = Set<String>()
        return records.map(\.key).filter { seenKeys.insert($0).inserted }
    }

    /// Imports a purchase file given as the bytes of a CSV or XLSX file, as
    /// ``importPurchases(_:_:programCode:actorName:progress:)`` does a table. A CSV file is read
    /// row by row into records (``TableReader/forEachRow(_:fileName:header:row:)``): the file is
    /// held as its bytes and its records, never as a table of cells too (1M lines: about 600 MiB
    /// less). The bytes are let go once read.
    ///
    /// - Throws: ``TableReadError`` when the file cannot be read, ``ImportErrors`` when rows are
    ///   wrong; nothing is written then.
    public static func importPurchases(
        _ c: isolated Connection, file bytes: consuming [UInt8], fileName: String, programCode: String, actorName: String,
        progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }
    ) throws -> ImportSummary {
        var mapProblems: [ImportProblem] = []
        var rowCount = 0
        // The CSV is split into rows on this thread while a second thread parses the rows into
        // records (both about half of the read, which is serial before anything is written).
        let state = ParseState()
        let parsing = BatchPipeline<TableRow>(batchSize: 512, depth: 8, name: "relief.parse") { rows in
            guard let mapping = state.mapping else { return }
            for row in rows { state.parser.add(mapping.row(row)) }
        }
        var readFailure: (any Error)?
        do {
            _ = try TableReader.forEachRow(
                bytes, fileName: fileName,
                header: { headers in
                    let mapped = ImportLayouts.purchases.mapping(headers: headers)
                    mapProblems = mapped.problems
                    // Set before the first row is sent; the pipeline's lock hands it over.
                    state.mapping = mapped.problems.isEmpty ? mapped.mapping : nil
                },
                row: { row in
                    rowCount += 1
                    // The worker never throws, so neither does send.
                    if state.mapping != nil { try? parsing.send(row) }
                })
        } catch {
            readFailure = error
        }
        try parsing.finish()
        if let readFailure { throw readFailure }
        bytes = []
        let (records, parseProblems) = state.parser.finish()
        return try importParsed(
            c, ParsedFile(fileName: fileName, rowCount: rowCount, records: records, mapProblems: mapProblems, parseProblems: parseProblems),
            programCode: programCode, actorName: actorName, progress: progress)
    }

    /// What the parsing thread of ``importPurchases(_:file:fileName:programCode:actorName:progress:)``
    /// builds: the mapping is set on the reading thread before the first row is sent, the parser
    /// is used by the parsing thread only until ``BatchPipeline/finish()`` returns, then by the
    /// reading thread.
    final class ParseState: @unchecked Sendable {
        var mapping: ImportLayout.Mapping?
        var parser = RecordParser.purchaseParser()
    }

    /// A purchase file as parsed: its records and the problems found in its columns and rows.
    struct ParsedFile {
        var fileName: String
        /// Data rows in the file.
        var rowCount: Int
        var records: [PurchaseRowRecord]
        var mapProblems: [ImportProblem]
        var parseProblems: [ImportProblem]
    }

    /// Which way an import writes: through `post_entries` and INSERTs, or staged by COPY and
    /// moved by `post_staged_purchases` (``BulkPurchases``).
    enum WritePath: Sendable {
        /// The bulk path for a file of at least ``bulkMinimumPurchases`` purchases when the role
        /// may use it, `post_entries` otherwise.
        case automatic
        /// Always `post_entries` (tests compare the two).
        case postEntries
        /// The bulk path whatever the size; throws when the role may not use it.
        case bulk
    }

    /// The import proper: checks the parsed file against the books, then writes it.
    static func importParsed(
        _ c: isolated Connection, _ file: ParsedFile, programCode: String, actorName: String, path: WritePath = .automatic,
        progress: @Sendable (_ done: Int, _ total: Int) -> Void
    ) throws -> ImportSummary {
        var none: [PostgresResult] = []
        return try importParsed(
            c, file, programCode: programCode, actorName: actorName, path: path, readResults: nil, trailing: [], trailingResults: &none,
            progress: progress)
    }

    /// ``importParsed(_:_:programCode:actorName:path:progress:)``, with reads sent ahead and
    /// statements sent after.
    ///
    /// `readResults` are the results of ``readStatements(programCode:records:keys:asksForBulk:)``
    /// when the caller sent them ahead (``RecordsImport``); `trailing` statements go with the
    /// last chunk's INSERTs (alone when nothing is written), their results into `trailingResults`.
    static func importParsed(
        _ c: isolated Connection, _ file: ParsedFile, programCode: String, actorName: String, path: WritePath = .automatic,
        readResults: [PostgresResult]? = nil, trailing: [PipelineStatement] = [], trailingResults: inout [PostgresResult],
        progress: @Sendable (_ done: Int, _ total: Int) -> Void
    ) throws -> ImportSummary {
        let (fileName, records, mapProblems, parseProblems) = (file.fileName, file.records, file.mapProblems, file.parseProblems)
        var summary = ImportSummary(rows: file.rowCount)
        if !mapProblems.isEmpty {
            _ = try ProgramContext.load(c, code: programCode)  // an unknown program is said first
            throw ImportErrors(fileName: fileName, problems: mapProblems)
        }
        // Each purchase's lines by position in `records`: the records themselves are not copied
        // into a second structure for the whole file.
        let groups = Dictionary(grouping: records.indices, by: { records[$0].key })
        let keysInOrder = keysInFirstOrder(records)
        // Whether the role may take the bulk path is asked only when the file could take it: a
        // web purchase of one line is not charged the query.
        let asksForBulk = path == .bulk || (path == .automatic && keysInOrder.count >= bulkMinimumPurchases)
        let reads = readStatements(programCode: programCode, records: records, keys: keysInOrder, asksForBulk: asksForBulk)
        // Inside the caller's transaction (the web app's, as its user) the import writes there
        // directly, without a savepoint: every caller lets an import error roll the whole
        // transaction back.
        try c.withinTransaction { t in
            // One round trip for everything read before writing (ProgramContext, MasterSnapshot,
            // the invoices in use, and the keys already there or whether the bulk path is open).
            let results = try readResults ?? t.pipeline(reads)
            precondition(results.count == reads.count, "the reads sent ahead are the import's reads")
            let program = try ProgramContext.decode(results[0], code: programCode)
            let master = try MasterSnapshot.decode(Array(results[1...4]))
            let problems = parseProblems + checkReferences(records, master: master, program: program)
            if !problems.isEmpty {
                throw ImportErrors(fileName: fileName, problems: problems.sorted { ($0.line ?? 0, $0.column ?? "") < ($1.line ?? 0, $1.column ?? "") })
            }
            var usedInvoices: [String: String] = [:]
            for row in results[5].rows {
                usedInvoices[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
            }
            let townships = Set(records.compactMap { master.products[$0.productCode]?.originTownship ?? master.suppliers[$0.supplierCreditCode]?.township })
            // Sent with the first chunk's entries, which need them.
            var dimensions: PipelineStatement? = MasterData.ensureDimensionsStatement(
                [("program", program.code)] + Set(records.map(\.channel)).map { ("channel", $0) } + townships.map { ("township", $0) })
            let invoicesInUse = usedInvoices
            let mayBulk = try asksForBulk && results[6].single().decode(Bool.self, at: 0)
            if path == .bulk && !mayBulk {
                throw SubsidyError(message: "this role may not use the bulk import path (relief.post_staged_purchases)")
            }
            precondition(!mayBulk || trailing.isEmpty, "trailing statements go with post_entries imports only")
            if mayBulk {
                // The bulk path reads the keys already there itself, once it holds the book's lock.
                let bulk = BulkImport(
                    keys: keysInOrder, groups: groups, records: records, master: master, program: program,
                    invoicesInUse: invoicesInUse, actorName: actorName)
                try bulk.write(t, dimensions: dimensions, summary: &summary, progress: progress)
                return
            }
            let existing = existingKeysStatement(programCode: programCode, keys: keysInOrder)
            let existingRows = asksForBulk ? try t.query(existing.sql, existing.parameters, prepared: existing.prepared) : results[6]
            let existingKeys = Set(try existingRows.rows.map { try $0.decode(String.self, at: 0) })
            // Judged and drafted a chunk at a time, so that memory holds one chunk's entries, not
            // the whole file's.
            let newKeys = keysInOrder.filter { !existingKeys.contains($0) }
            summary.unchanged = existingKeys.count
            let chunkCount = (newKeys.count + importChunkPurchases - 1) / importChunkPurchases
            let prepare: @Sendable (Int) -> PreparedChunk = { chunk in
                let keys = newKeys[chunk * importChunkPurchases..<min((chunk + 1) * importChunkPurchases, newKeys.count)]
                return prepareChunk(
                    keys: keys, groups: groups, records: records, master: master, program: program, invoicesInUse: invoicesInUse, actorName: actorName)
            }
            // Each chunk is judged, drafted and encoded on a thread of its own while PostgreSQL
            // writes the one before; a one-chunk import (the web app's) makes it here.
            let prefetcher = chunkCount > 1 ? Prefetcher(count: chunkCount, depth: 2, name: "relief.import", make: prepare) : nil
            defer { prefetcher?.stop() }
            var written = 0
            for chunk in 0..<chunkCount {
                let prepared: PreparedChunk
                if let prefetcher {
                    guard let next = try prefetcher.next() else { break }
                    prepared = next
                } else {
                    prepared = prepare(chunk)
                }
                // Entries first, then the purchases that point at them. The entries' hashes are
                // recomputed in Swift while PostgreSQL writes the purchases and their lines; a
                // mismatch throws, and the import's transaction rolls back with them.
                let results = try t.pipeline((dimensions.map { [$0] } ?? []) + [prepared.call])
                dimensions = nil
                let rows = results.last!.rows
                let entryIDs = try rows.map { try $0.decode(Int64.self, at: 1) }
                let (posted, sentAlong) = try insertPurchases(t, prepared, entryIDs: entryIDs, trailing: chunk == chunkCount - 1 ? trailing : []) {
                    try PostingWriter.check(rows, bookCode: program.bookCode, actorName: actorName, drafts: prepared.drafts)
                }
                trailingResults = sentAlong
                summary.created += prepared.drafts.count
                summary.entriesPosted += posted.filter { !$0.existed }.count
                summary.ineligibleLines += prepared.ineligibleLines
                written += prepared.drafts.count
                progress(written, newKeys.count)
            }
            if chunkCount == 0 && !trailing.isEmpty { trailingResults = try t.pipeline(trailing) }
        }
        return summary
    }

    /// The table's rows as records, with the problems of its columns (which stop the import
    /// before any row is read) and of its rows.
    static func parse(_ table: Table) -> (records: [PurchaseRowRecord], mapProblems: [ImportProblem], parseProblems: [ImportProblem]) {
        let (rows, mapProblems) = ImportLayouts.purchases.map(table)
        guard mapProblems.isEmpty else { return ([], mapProblems, []) }
        let (records, parseProblems) = RecordParser.purchases(rows)
        return (records, [], parseProblems)
    }

    /// What an import reads before it writes, as one pipeline: the program, the master data
    /// (four queries), its invoices already in use, and last either the file's keys already
    /// recorded or, when `asksForBulk`, whether the role may take the bulk path (which reads the
    /// keys itself under the book's lock).
    static func readStatements(programCode: String, records: [PurchaseRowRecord], keys: [String], asksForBulk: Bool) -> [PipelineStatement] {
        [ProgramContext.statement(code: programCode)] + MasterSnapshot.statements(for: records) + [
            // Through a function: a clerk's row-level security hides other enterprises' purchases.
            PipelineStatement(
                "SELECT invoice_number, purchase_key FROM relief.invoices_in_use((SELECT id FROM relief.programs WHERE code = $1), $2::text[])",
                [programCode, PostgresArray.text(Array(Set(records.map(\.invoiceNumber))))], prepared: true),
            asksForBulk ? bulkPrivilegeStatement : existingKeysStatement(programCode: programCode, keys: keys),
        ]
    }

    /// The purchases `p` of program `$1` (its code) whose keys are in `$2` (distinct keys, a text
    /// array), as a FROM clause: one probe of the unique (program, key) index per key. With
    /// `purchase_key = ANY ($2)` PostgreSQL's generic plan for a clerk read every purchase of the
    /// clerk's enterprise instead (row-level security's `enterprise_id = acting_enterprise()`,
    /// estimated at a few rows, through `purchases_by_enterprise`, then the keys as a filter):
    /// 1.0–1.8 ms per group of the API's purchases at 15,000 purchases, growing with the
    /// enterprise's books. `OFFSET 0` keeps each key's lookup a subquery of its own. A bulk
    /// import's million keys take as long as with `= ANY` (0.95 s against 1.04 s).
    public static let purchasesByKeys = """
         FROM unnest($2::text[]) AS k(key)
        CROSS JOIN LATERAL (
            SELECT x.* FROM relief.purchases x
            WHERE x.program_id = (SELECT id FROM relief.programs WHERE code = $1) AND x.purchase_key = k.key OFFSET 0) p
        """

    /// Which of `keys` (distinct: a file's, or a group's) the program's purchases already have.
    static func existingKeysStatement(programCode: String, keys: [String]) -> PipelineStatement {
        PipelineStatement("SELECT p.purchase_key" + purchasesByKeys, [programCode, PostgresArray.text(keys)], prepared: true)
    }

    /// Whether this role may take the bulk path (relief_app may, a clerk may not).
    static let bulkPrivilegeStatement = PipelineStatement(
        "SELECT has_function_privilege('relief.post_staged_purchases(text, integer, text)', 'EXECUTE')", [], prepared: true)

    /// References, consistency of each purchase's header fields, closed months, and invoices
    /// used twice within the file.
    static func checkReferences(_ records: [PurchaseRowRecord], master: MasterSnapshot, program: ProgramContext) -> [ImportProblem] {
        var problems: [ImportProblem] = []
        var firstOfKey: [String: PurchaseRowRecord] = [:]
        var keyOfInvoice: [String: (key: String, line: Int)] = [:]
        for record in records {
            if master.enterprises[record.enterpriseCreditCode] == nil {
                problems.append(ImportProblem(line: record.line, column: "企业信用代码", message: "unknown enterprise \(record.enterpriseCreditCode); import it with `relief import enterprises` first"))
            }
            if master.suppliers[record.supplierCreditCode] == nil {
                problems.append(ImportProblem(line: record.line, column: "供应商信用代码", message: "unknown supplier \(record.supplierCreditCode); import it with `relief import suppliers` first"))
            }
            if let product = master.products[record.productCode] {
                if product.supplierCreditCode != record.supplierCreditCode {
                    problems.append(ImportProblem(line: record.line, column: "商品编码", message: "product \(record.productCode) belongs to supplier \(product.supplierCreditCode), not \(record.supplierCreditCode)"))
                }
            } else {
                problems.append(ImportProblem(line: record.line, column: "商品编码", message: "unknown product \(record.productCode); import it with `relief import products` first"))
            }
            if let closed = program.closedThrough, record.date.period <= closed {
                problems.append(ImportProblem(line: record.line, column: "采购日期", message: "\(record.date) is in a closed month (closed through \(closed))"))
            }
            if let first = firstOfKey[record.key] {
                if first.enterpriseCreditCode != record.enterpriseCreditCode || first.supplierCreditCode != record.supplierCreditCode
                    || first.date != record.date || first.channel != record.channel || first.purpose != record.purpose
                    || first.invoiceNumber != record.invoiceNumber || first.invoiceDate != record.invoiceDate || first.sellerTaxId != record.sellerTaxId
                {
                    problems.append(ImportProblem(line: record.line, column: "采购单号", message: "purchase \(record.key) has other header fields (企业, 供应商, 日期, 渠道, 用途, 发票) than on line \(first.line)"))
                }
            } else {
                firstOfKey[record.key] = record
            }
            if let other = keyOfInvoice[record.invoiceNumber], other.key != record.key {
                problems.append(ImportProblem(line: record.line, column: "发票号码", message: "invoice \(record.invoiceNumber) is also used by purchase \(other.key) on line \(other.line)"))
            } else if keyOfInvoice[record.invoiceNumber] == nil {
                keyOfInvoice[record.invoiceNumber] = (record.key, record.line)
            }
        }
        // Each line becomes two postings of one entry.
        let maximumLines = EntryDraft.maximumPostings / 2
        for (key, count) in Dictionary(grouping: records, by: \.key).mapValues(\.count) where count > maximumLines {
            problems.append(ImportProblem(line: firstOfKey[key]?.line, column: "采购单号", message: "purchase \(key) has \(count) lines; at most \(maximumLines)"))
        }
        return problems
    }

    static func judge(_ record: PurchaseRowRecord, master: MasterSnapshot, program: ProgramContext, invoiceUsedBy: String?) -> Judgment {
        let supplier = master.suppliers[record.supplierCreditCode]!
        let product = master.products[record.productCode]!
        let line = LineFacts(
            purchaseDate: record.date, channel: record.channel,
            supplier: SupplierFacts(code: supplier.creditCode, name: supplier.name, creditCode: supplier.creditCode, certifications: supplier.certifications),
            product: ProductFacts(
                code: product.code, name: product.name, category: product.category, originTownship: product.originTownship,
                certifications: product.certifications, priceMin: product.priceMin, priceMax: product.priceMax),
            unitPrice: record.unitPrice, invoiceNumber: record.invoiceNumber,
            invoiceUsedElsewhere: invoiceUsedBy.map { $0 != record.key } ?? false, sellerTaxId: record.sellerTaxId)
        return EligibilityRules.judge(line, program: program.facts)
    }

    static func memorandumEntry(program: ProgramContext, key: String, lines: [PurchaseRowRecord], master: MasterSnapshot) -> EntryDraft {
        let first = lines[0]
        var postings: [PostingDraft] = []
        for line in lines {
            let product = master.products[line.productCode]
            let township = product?.originTownship ?? master.suppliers[line.supplierCreditCode]?.township
            let dimensions = Dimensions(
                enterprise: line.enterpriseCreditCode, supplier: line.supplierCreditCode, township: township,
                category: product?.category, channel: line.channel, program: program.code)
            postings.append(PostingDraft(accountCode: "901", side: .debit, amount: line.amount, dimensions: dimensions, memo: line.productCode))
            postings.append(PostingDraft(accountCode: "902", side: .credit, amount: line.amount, dimensions: dimensions, memo: line.productCode))
        }
        let enterpriseName = master.enterprises[first.enterpriseCreditCode]?.name ?? first.enterpriseCreditCode
        return EntryDraft(
            idempotencyKey: "purchase:\(program.code):\(key)", date: first.date,
            description: "\(enterpriseName)采购 \(first.channel) 发票\(first.invoiceNumber)", postings: postings)
    }

    /// The lines of purchase `key`, in file order, each with its judgment.
    static func judgedLines(
        _ key: String, groups: [String: [Int]], records: [PurchaseRowRecord], master: MasterSnapshot, program: ProgramContext,
        invoicesInUse: [String: String]
    ) -> (lines: [PurchaseRowRecord], judgments: [Judgment]) {
        let lines = groups[key]!.map { records[$0] }
        return (lines, lines.map { judge($0, master: master, program: program, invoiceUsedBy: invoicesInUse[$0.invoiceNumber]) })
    }

    /// A judgment's reason codes, comma-separated, as a line stores them (`reason_codes`).
    static func reasonCodes(_ judgment: Judgment) -> String {
        judgment.reasons.map(\.code.rawValue).joined(separator: ",")
    }

    /// A judgment's reasons in words, as a line stores them (`reasons`).
    static func reasonText(_ judgment: Judgment) -> String {
        judgment.reasons.map(\.message).joined(separator: "；")
    }

    /// One chunk of an import made ready to write: judged, drafted, its `post_entries` call and
    /// the inserts of its purchases and lines. Only the entries' ids are missing: PostgreSQL
    /// gives them when the entries are posted.
    struct PreparedChunk: Sendable {
        /// The purchases' memorandum entries, in the order of the chunk's keys.
        var drafts: [EntryDraft]
        /// The `post_entries` call for `drafts`.
        var call: PipelineStatement
        /// The purchases' insert; its parameter ``entryIDsParameter`` is set once posted.
        var purchases: PipelineStatement
        /// The lines' insert.
        var lines: PipelineStatement
        /// How many lines the chunk's purchases have, and how many of them are ineligible.
        var lineCount: Int
        var ineligibleLines: Int
    }

    /// Judges and drafts the purchases of `keys` and encodes their statements: the Swift side of
    /// one chunk, which needs no connection.
    static func prepareChunk(
        keys: ArraySlice<String>, groups: [String: [Int]], records: [PurchaseRowRecord], master: MasterSnapshot, program: ProgramContext,
        invoicesInUse: [String: String], actorName: String
    ) -> PreparedChunk {
        let items = keys.map { key in
            let (lines, judgments) = judgedLines(key, groups: groups, records: records, master: master, program: program, invoicesInUse: invoicesInUse)
            return (key: key, lines: lines, judgments: judgments)
        }
        let drafts = items.map { memorandumEntry(program: program, key: $0.key, lines: $0.lines, master: master) }
        let statements = insertStatements(program: program, items: items, master: master, actorName: actorName)
        return PreparedChunk(
            drafts: drafts, call: PostingWriter.statement(bookCode: program.bookCode, actorName: actorName, drafts: drafts),
            purchases: statements[0], lines: statements[1], lineCount: items.reduce(0) { $0 + $1.lines.count },
            ineligibleLines: items.reduce(0) { $0 + $1.judgments.filter { !$0.isEligible }.count })
    }

    /// Inserts the purchases of one posted chunk and all their lines: two statements from
    /// arrays, whatever the chunk's size. Arrays rather than COPY: PostgreSQL refuses COPY FROM
    /// into a table under row-level security, and a clerk's transaction is. Runs `meanwhile`
    /// (the Swift re-check of the chunk's entries) while PostgreSQL writes them, and returns what
    /// it returned.
    static func insertPurchases<T>(
        _ t: isolated Connection, _ chunk: PreparedChunk, entryIDs: [Int64], trailing: [PipelineStatement] = [], meanwhile: () throws -> T
    ) throws -> (value: T, trailing: [PostgresResult]) {
        guard entryIDs.count == chunk.drafts.count else {
            throw SubsidyError(message: "PostgreSQL posted \(entryIDs.count) entries for \(chunk.drafts.count) purchases; nothing was imported")
        }
        guard !entryIDs.isEmpty else { return (try meanwhile(), trailing.isEmpty ? [] : try t.pipeline(trailing)) }
        var purchases = chunk.purchases
        purchases.parameters[entryIDsParameter] = PostgresArray.text(entryIDs.map { String($0) })
        // One round trip: the lines find their purchases by key, so both inserts travel together,
        // and each answers with its count only, so they may be sent together whatever their size.
        // A caller's trailing statements come after them, and see their rows.
        let (results, value) = try t.pipeline([purchases, chunk.lines] + trailing, meanwhile: meanwhile)
        guard results[0].affectedRows == entryIDs.count, results[1].affectedRows == chunk.lineCount else {
            throw SubsidyError(
                message: "PostgreSQL stored \(results[0].affectedRows) of \(entryIDs.count) purchases and \(results[1].affectedRows) lines; nothing was imported")
        }
        return (value, Array(results.dropFirst(2)))
    }

    /// The index of the entries' ids among the purchases insert's parameters (`$13`).
    static let entryIDsParameter = 12

    /// The two inserts of ``insertPurchases(_:_:entryIDs:meanwhile:)``: the purchases, then their lines,
    /// each line finding its purchase by (program, 采购单号). The lookup is a scalar subquery, so
    /// it is one index probe per line whatever the planner thinks of the table's size; a line
    /// whose purchase is missing gets no id, which NOT NULL refuses. The purchases' entries
    /// (parameter ``entryIDsParameter``) are left empty, to be set once posted.
    static func insertStatements(
        program: ProgramContext, items: [(key: String, lines: [PurchaseRowRecord], judgments: [Judgment])],
        master: MasterSnapshot, actorName: String
    ) -> [PipelineStatement] {
        let firsts = items.map { $0.lines[0] }
        let purchases = PipelineStatement(
            """
            INSERT INTO relief.purchases (tenant_id, program_id, purchase_key, enterprise_id, supplier_id, purchase_date, channel, purpose,
                                          invoice_number, invoice_date, seller_tax_id, entry_id, created_by)
            SELECT $1, $2, x.key, x.enterprise, x.supplier, x.purchase_date::date, x.channel, x.purpose, x.invoice, x.invoice_date::date, x.tax, x.entry, $3
            FROM unnest($4::text[], $5::integer[], $6::integer[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[])
                 AS x(key, enterprise, supplier, purchase_date, channel, purpose, invoice, invoice_date, tax, entry)
            """,
            [MasterData.tenantID, program.id, actorName, PostgresArray.text(items.map(\.key)),
             PostgresArray.text(firsts.map { String(master.enterprises[$0.enterpriseCreditCode]!.id) }),
             PostgresArray.text(firsts.map { String(master.suppliers[$0.supplierCreditCode]!.id) }),
             PostgresArray.text(firsts.map(\.date.description)), PostgresArray.text(firsts.map(\.channel)), PostgresArray.text(firsts.map(\.purpose)),
             PostgresArray.text(firsts.map(\.invoiceNumber)), PostgresArray.text(firsts.map(\.invoiceDate.description)),
             PostgresArray.text(firsts.map(\.sellerTaxId)), "{}"], prepared: true)
        var keys: [String] = [], lineNumbers: [String] = [], products: [String] = [], quantities: [String] = [], units: [String] = []
        var prices: [String] = [], amounts: [String] = [], codes: [String] = [], reasons: [String] = []
        for item in items {
            for (index, (line, judgment)) in zip(item.lines, item.judgments).enumerated() {
                keys.append(item.key)
                lineNumbers.append(String(index + 1))
                products.append(String(master.products[line.productCode]!.id))
                quantities.append(line.quantity.description)
                units.append(line.unit)
                prices.append(String(line.unitPrice.tenThousandthsOfYuan))
                amounts.append(String(line.amount.fen))
                codes.append(reasonCodes(judgment))
                reasons.append(reasonText(judgment))
            }
        }
        let lines = PipelineStatement(
            """
            INSERT INTO relief.purchase_lines (purchase_id, line, tenant_id, product_id, quantity, unit, unit_price, amount_fen, eligible, reason_codes, reasons)
            SELECT (SELECT p.id FROM relief.purchases p WHERE p.program_id = $2 AND p.purchase_key = x.key),
                   x.line, $1, x.product, x.quantity, x.unit, x.price, x.amount, x.codes = '',
                   CASE WHEN x.codes = '' THEN '{}'::text[] ELSE string_to_array(x.codes, ',') END, x.reasons
            FROM unnest($3::text[], $4::integer[], $5::integer[], $6::numeric[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::text[])
                 AS x(key, line, product, quantity, unit, price, amount, codes, reasons)
            """,
            [MasterData.tenantID, program.id, PostgresArray.text(keys), PostgresArray.text(lineNumbers), PostgresArray.text(products),
             PostgresArray.text(quantities), PostgresArray.text(units), PostgresArray.text(prices), PostgresArray.text(amounts),
             PostgresArray.text(codes), PostgresArray.text(reasons)], prepared: true)
        return [purchases, lines]
    }
}

/// PostgreSQL array literals for parameters.
public enum PostgresArray {
    /// `{"a","b"}` with quotes and backslashes escaped. One pass over the UTF-8 bytes: the
    /// import builds ten of these per chunk, and Foundation's `replacingOccurrences` was 38% of
    /// the import's Swift time (perf, docs/BENCHMARKS.md).
    public static func text(_ values: [String]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.reduce(2) { $0 + $1.utf8.count + 3 })
        bytes.append(UInt8(ascii: "{"))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
