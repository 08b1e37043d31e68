import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Postgres
import ReliefCore
import ReliefStore

/// What auditors use: the journal browser, the exports and the audit pack, the chain check, the
/// audit log. Finance may use them too; clerks may not (their own rows are in their reports).
extension WebServer {
    /// Who may browse, export and verify the books.
    static let auditors: Set<Role> = [.admin, .financePreparer, .financeApprover, .auditor]
    /// Who may read the audit log.
    static let auditLogReaders: Set<Role> = [.admin, .auditor]

    func addAuditRoutes(to router: Router<WebContext>) {
        router.get("/api/v1/journal") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.auditors)
            let (filter, limit) = try Self.journalFilter(request)
            let book = self.configuration.bookCode
            let entries = try await self.asUser(user) { t in try JournalSearch.entries(t, bookCode: book, filter: filter, limit: limit) }
            struct Body: Encodable { var count: Int; var nextAfter: Int64?; var entries: [JournalEntryView] }
            return JSONResponse.make(Body(count: entries.count, nextAfter: entries.count == limit ? entries.last?.seq : nil, entries: entries))
        }
        router.get("/api/v1/exports/journal") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.auditors)
            return try await self.journalExport(request, user: user)
        }
        router.get("/api/v1/exports/audit-pack") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.auditors)
            return try await self.auditPack(request, user: user)
        }
        router.get("/api/v1/verify") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.auditors)
            return JSONResponse.make(try await self.verification(user))
        }
        router.get("/api/v1/audit-log") { request, _ in
            let user = try await self.authenticate(request, allowed: Self.auditLogReaders)
            return JSONResponse.make(["events": try await self.auditLog(user, limit: 500)])
        }
        router.get("/journal") { request, _ in try await self.journalPage(request) }
        router.get("/exports") { request, _ in try await self.exportsPage(request) }
        router.get("/exports/journal") { request, _ in
            let session = try await self.requireSession(request, allowed: Self.auditors)
            return try await self.journalExport(request, user: session.user)
        }
        router.get("/exports/audit-pack") { request, _ in
            let session = try await self.requireSession(request, allowed: Self.auditors)
            return try await self.auditPack(request, user: session.user)
        }
        router.get("/verify") { request, _ in try await self.verifyPage(request) }
        router.get("/audit-log") { request, _ in try await self.auditLogPage(request) }
    }

    // MARK: Journal browser

    /// The filter from the query (period, account, enterprise, supplier, voucher, after, limit);
    /// empty values mean "any", malformed ones are a 400 naming the parameter.
    static func journalFilter(_ request: Request) throws -> (JournalFilter, Int) {
        let query = request.uri.queryParameters
        func value(_ name: String) -> String? { query.get(name).flatMap { $0.isEmpty ? nil : String($0) } }
        var filter = JournalFilter()
        if let text = value("period") {
            guard let period = Period(parsing: text) else { throw APIError.invalidPeriod(text) }
            filter.period = period
        }
        for (name, maximum) in [("account", 20), ("enterprise", 18), ("supplier", 18)] {
            guard let text = value(name) else { continue }
            guard isCode(text, maximum: maximum) else {
                throw APIError(.badRequest, "INVALID_PARAMETER", "\(name) 只能是字母和数字的代码（最长 \(maximum) 位）", field: name)
            }
            switch name {
            case "account": filter.accountCode = text
            case "enterprise": filter.enterprise = text
            default: filter.supplier = text
            }
        }
        if let text = value("voucher") {
            let digits = text.hasPrefix("记-") ? String(text.dropFirst(2)) : text
            guard let number = Int(digits), number > 0, number < 1_000_000 else {
                throw APIError(.badRequest, "INVALID_PARAMETER", "voucher 应为凭证号，如 12 或 记-12", field: "voucher")
            }
            filter.voucherNumber = number
        }
        if let text = value("after") {
            guard let seq = Int64(text), seq >= 0 else { throw APIError(.badRequest, "INVALID_PARAMETER", "after 应为链序号", field: "after") }
            filter.afterSeq = seq
        }
        var limit = 100
        if let text = value("limit") {
            guard let number = Int(text), (1...JournalSearch.maximumEntries).contains(number) else {
                throw APIError(.badRequest, "INVALID_PARAMETER", "limit 应为 1 到 \(JournalSearch.maximumEntries) 之间的整数", field: "limit")
            }
            limit = number
        }
        return (filter, limit)
    }

    /// GET /journal: filters and the matching entries.
    func journalPage(_ request: Request) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.auditors)
        let (filter, limit) = try Self.journalFilter(request)
        let book = configuration.bookCode
        let (entries, accounts) = try await asUser(session.user) { t in
            (try JournalSearch.entries(t, bookCode: book, filter: filter, limit: limit),
             try Reports.accounts(t, bookID: try Reports.bookID(t, code: book)).map { ($0.code, $0.name) })
        }
        var query: [String] = []
        if let period = filter.period { query.append("period=\(period)") }
        if let account = filter.accountCode { query.append("account=\(account)") }
        if let enterprise = filter.enterprise { query.append("enterprise=\(enterprise)") }
        if let supplier = filter.supplier { query.append("supplier=\(supplier)") }
        if let voucher = filter.voucherNumber { query.append("voucher=\(voucher)") }
        var object: [String: Any] = [
            "title": "序时账查询", "user": Pages.userBlock(session),
            "period": filter.period?.description ?? "", "enterprise": filter.enterprise ?? "", "supplier": filter.supplier ?? "",
            "voucher": filter.voucherNumber.map(String.init) ?? "",
            "accounts": accounts.map { ["value": $0.0, "label": "\($0.0) \($0.1)", "selected": $0.0 == filter.accountCode] },
            "hasEntries": !entries.isEmpty, "count": String(entries.count),
            "entries": entries.map { entry -> [String: Any] in
                [
                    "seq": String(entry.seq), "date": entry.date, "voucher": entry.voucher, "description": entry.description, "createdBy": entry.createdBy,
                    "reverses": entry.reversesSeq.map { "冲销 #\($0)" } ?? "", "hash": String(entry.hash.prefix(16)),
                    "postings": entry.postings.map { posting -> [String: Any] in
                        [
                            "account": "\(posting.accountCode) \(posting.accountName)",
                            "debit": posting.side == "D" ? Money(fen: posting.amountFen).formatted : "",
                            "credit": posting.side == "C" ? Money(fen: posting.amountFen).formatted : "",
                            "enterprise": posting.enterprise ?? "", "supplier": posting.supplier ?? "",
                        ]
                    },
                ]
            },
        ]
        if entries.count == limit, let last = entries.last {
            object["nextHref"] = "/journal?" + (query + ["after=\(last.seq)", "limit=\(limit)"]).joined(separator: "&")
        }
        return Pages.html("journalBrowser", object)
    }

    // MARK: Exports

    /// The journal in `format` (csv, json, hledger, beancount, xlsx; `encoding=gb18030` for CSV),
    /// streamed from a temporary file so memory stays flat.
    func journalExport(_ request: Request, user: User) async throws -> Response {
        let query = request.uri.queryParameters
        let text = query.get("format") ?? "csv"
        guard let format = ExportFormat(rawValue: text) else {
            throw APIError(.badRequest, "INVALID_PARAMETER", "format 只能是 \(ExportFormat.allCases.map(\.rawValue).joined(separator: "、"))", field: "format")
        }
        let encoding = query.get("encoding")?.lowercased() ?? ""
        guard ["", "utf-8", "utf8", "gb18030"].contains(encoding) else {
            throw APIError(.badRequest, "INVALID_PARAMETER", "encoding 只能是 utf-8 或 gb18030", field: "encoding")
        }
        let gb18030 = encoding == "gb18030"
        guard !gb18030 || format == .csv else {
            throw APIError(.badRequest, "INVALID_PARAMETER", "只有 CSV 可以用 GB18030 编码", field: "encoding")
        }
        let path = Downloads.temporaryPath(kind: "export", fileExtension: format.fileExtension)
        let book = configuration.bookCode
        do {
            _ = try await asUser(user) { t in try JournalExport.write(t, bookCode: book, format: format, gb18030: gb18030, to: path) }
            try await asUser(user) { t in try Access.audit(t, user, action: "export.journal", target: format.rawValue) }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let contentType: String
        switch format {
        case .csv: contentType = gb18030 ? "text/csv; charset=GB18030" : "text/csv; charset=utf-8"
        case .json: contentType = JSONResponse.contentType
        case .xlsx: contentType = ReportFormat.xlsx.contentType
        case .hledger, .beancount: contentType = "text/plain; charset=utf-8"
        }
        return try Self.fileResponse(path: path, contentType: contentType, downloadName: "journal-\(book).\(format.fileExtension)")
    }

    /// The audit pack of `period` as one ZIP: every report, the journal in every format and the
    /// manifest, checkable offline with `relief verify --pack`.
    func auditPack(_ request: Request, user: User) async throws -> Response {
        let text = request.uri.queryParameters.get("period")
        guard let period = text.flatMap({ Period(parsing: $0) }) else { throw APIError.invalidPeriod(text) }
        let base = Downloads.temporaryFolder + "/relief-pack-\(Secrets.randomToken().prefix(16))"
        let (folder, zip) = (base + "/pack", base + ".zip")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (book, program) = (configuration.bookCode, configuration.programCode)
        do {
            _ = try await asUser(user) { t in try AuditPack.write(t, bookCode: book, programCode: program, period: period, folder: folder) }
            try AuditPack.archive(folder: folder, to: zip)
            try await asUser(user) { t in try Access.audit(t, user, action: "export.audit-pack", target: period.description) }
        } catch {
            try? FileManager.default.removeItem(atPath: zip)
            throw error
        }
        return try Self.fileResponse(path: zip, contentType: "application/zip", downloadName: "audit-pack-\(book)-\(period).zip")
    }

    /// Streams a temporary file in 64 KiB chunks as an attachment, then deletes it. Only a file
    /// this app wrote for the download (``Downloads/isTemporaryDownload(_:)``) is sent: any other
    /// path is a 500 and the file is neither read nor deleted.
    static func fileResponse(path: String, contentType: String, downloadName: String) throws -> Response {
        guard Downloads.isTemporaryDownload(path) else {
            throw APIError(.internalServerError, "INTERNAL", "导出文件路径无效")
        }
        let chunkBytes = 64 * 1024
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        let body = ResponseBody { writer in
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard let handle = FileHandle(forReadingAtPath: path) else { throw APIError(.internalServerError, "INTERNAL", "导出文件丢失") }
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: chunkBytes), !data.isEmpty {
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
        var headers: HTTPFields = [.contentType: contentType, .contentDisposition: Downloads.attachment(downloadName)]
        if let size { headers[.contentLength] = String(size) }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// GET /exports: links to every export and the audit pack.
    func exportsPage(_ request: Request) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.auditors)
        let period = try await defaultPeriod(session.user)
        let formats: [(String, String)] = [
            ("csv", "CSV（UTF-8）"), ("csv&encoding=gb18030", "CSV（GB18030，旧版 Excel）"), ("xlsx", "Excel（XLSX）"), ("json", "JSON（含链哈希）"),
            ("hledger", "hledger 日记账"), ("beancount", "Beancount"),
        ]
        return Pages.html("exports", [
            "title": "导出与审计包", "user": Pages.userBlock(session), "period": period.description,
            "formats": formats.map { ["href": "/exports/journal?format=\($0.0)", "label": $0.1] },
        ])
    }

    // MARK: Verification

    struct VerificationView: Encodable, Sendable {
        var book: String
        var sound: Bool
        var entriesChecked: Int
        var postingsChecked: Int
        var chainHead: String
        var problems: [String]
        var checkedAt: String
    }

    func verification(_ user: User) async throws -> VerificationView {
        let book = configuration.bookCode
        let report = try await asUser(user) { t in try Verifier.verify(t, bookCode: book) }
        return VerificationView(
            book: book, sound: report.isSound, entriesChecked: report.entriesChecked, postingsChecked: report.postingsChecked,
            chainHead: Chain.hex(report.chainHead), problems: report.problems.map(\.description), checkedAt: Date().ISO8601Format())
    }

    /// GET /verify: the chain recomputed now, with every problem found.
    func verifyPage(_ request: Request) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.auditors)
        let view = try await verification(session.user)
        return Pages.html("verify", [
            "title": "链校验", "user": Pages.userBlock(session), "sound": view.sound, "book": view.book,
            "entries": String(view.entriesChecked), "postings": String(view.postingsChecked), "head": view.chainHead, "problems": view.problems,
            "checkedAt": view.checkedAt,
        ], status: .ok)
    }

    // MARK: Audit log

    struct AuditEvent: Encodable, Sendable {
        var at: String
        var actor: String
        var role: String
        var action: String
        var target: String
        var remote: String
        var detail: String
    }

    func auditLog(_ user: User, limit: Int) async throws -> [AuditEvent] {
        try await asUser(user) { t in
            try t.query(
                """
                SELECT to_char(at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS'), actor, role, action, target, coalesce(remote, ''), detail::text
                FROM relief.audit_log ORDER BY id DESC LIMIT $1
                """, [limit]
            ).rows.map {
                AuditEvent(
                    at: try $0.decode(String.self, at: 0), actor: try $0.decode(String.self, at: 1), role: try $0.decode(String.self, at: 2),
                    action: try $0.decode(String.self, at: 3), target: try $0.decode(String.self, at: 4), remote: try $0.decode(String.self, at: 5),
                    detail: try $0.decode(String.self, at: 6))
            }
        }
    }

    /// GET /audit-log: the latest 500 events.
    func auditLogPage(_ request: Request) async throws -> Response {
        let session = try await requireSession(request, allowed: Self.auditLogReaders)
        let events = try await auditLog(session.user, limit: 500)
        return Pages.html("auditLog", [
            "title": "操作日志", "user": Pages.userBlock(session),
            "events": events.map { ["at": $0.at, "actor": $0.actor, "role": $0.role, "action": $0.action, "target": $0.target, "remote": $0.remote, "detail": $0.detail] },
        ])
    }
}
