public import Postgres
public import ReliefCore

/// What an import did.
public struct ImportSummary: Sendable, CustomStringConvertible {
    /// Rows read.
    public var rows = 0
    /// Records created.
    public var created = 0
    /// Records that were already there, possibly updated.
    public var unchanged = 0
    /// For purchases: lines judged ineligible.
    public var ineligibleLines = 0
    /// For purchases: entries posted.
    public var entriesPosted = 0

    public var description: String {
        var text = "\(rows) rows: \(created) created, \(unchanged) already present"
        if entriesPosted > 0 || ineligibleLines > 0 { text += "; \(entriesPosted) entries posted, \(ineligibleLines) ineligible lines" }
        return text
    }
}

/// Imports of master data: all rows are checked first; any problem rejects the whole file and
/// nothing is written; otherwise one transaction writes them. Importing the same file again
/// changes nothing.
public enum MasterData {
    /// The tenant every import writes to (one operator union per database for now).
    public static let tenantID = 1

    /// Reads a table with `layout`, throwing every mapping problem at once.
    static func rows(_ table: Table, _ layout: ImportLayout) throws -> ImportLayout.Rows {
        let (rows, problems) = layout.map(table)
        if !problems.isEmpty { throw ImportErrors(fileName: table.fileName, problems: problems) }
        return rows
    }

    /// Imports enterprises (one row per enterprise and year).
    public static func importEnterprises(_ c: isolated Connection, _ table: Table) throws -> ImportSummary {
        let (records, problems) = RecordParser.enterprises(try rows(table, ImportLayouts.enterprises))
        var seen: [String: Int] = [:]
        var all = problems
        for record in records {
            let key = "\(record.creditCode)/\(record.year)"
            if let first = seen[key] {
                all.append(ImportProblem(line: record.line, column: "统一社会信用代码", message: "\(record.creditCode) for \(record.year) already appears on line \(first)"))
            }
            seen[key] = record.line
        }
        if !all.isEmpty { throw ImportErrors(fileName: table.fileName, problems: all.sorted { ($0.line ?? 0) < ($1.line ?? 0) }) }
        var summary = ImportSummary(rows: table.rows.count)
        try c.transactionIsolated { t in
            for record in records {
                let dimension = try dimensionID(t, kind: "enterprise", code: record.creditCode, name: record.name)
                let existing = try t.query("SELECT id FROM relief.enterprises WHERE tenant_id = $1 AND credit_code = $2", [tenantID, record.creditCode]).rows.first
                let enterpriseID: Int
                if let existing {
                    enterpriseID = try existing.decode(Int.self, at: 0)
                    try t.query(
                        "UPDATE relief.enterprises SET name = $2, union_name = $3, bank_name = $4, bank_account = $5 WHERE id = $1 AND (name, union_name, bank_name, bank_account) IS DISTINCT FROM ($2, $3, $4, $5)",
                        [enterpriseID, record.name, record.unionName, record.bankName, record.bankAccount])
                    summary.unchanged += 1
                } else {
                    enterpriseID = try t.query(
                        "INSERT INTO relief.enterprises (tenant_id, credit_code, name, union_name, bank_name, bank_account, dimension_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        [tenantID, record.creditCode, record.name, record.unionName, record.bankName, record.bankAccount, dimension]
                    ).single().decode(Int.self, at: 0)
                    summary.created += 1
                }
                try t.query(
                    """
                    INSERT INTO relief.enterprise_years (enterprise_id, year, tenant_id, members, target_fen) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (enterprise_id, year) DO UPDATE SET members = EXCLUDED.members, target_fen = EXCLUDED.target_fen
                    WHERE (enterprise_years.members, enterprise_years.target_fen) IS DISTINCT FROM (EXCLUDED.members, EXCLUDED.target_fen)
                    """, [enterpriseID, record.year, tenantID, record.members, record.targetFen])
            }
        }
        return summary
    }

    /// Imports suppliers and their certifications.
    public static func importSuppliers(_ c: isolated Connection, _ table: Table) throws -> ImportSummary {
        let mapped = try rows(table, ImportLayouts.suppliers)
        let (records, problems) = RecordParser.suppliers(mapped)
        // A supplier repeats for each certificate; its own fields must then agree, or which row
        // wins would depend on the order of the file.
        var all = problems
        var first: [String: SupplierRecord] = [:]
        let headers = mapped.first?.headers ?? [:]
        for record in records {
            guard let earlier = first[record.creditCode] else {
                first[record.creditCode] = record
                continue
            }
            for (key, differs) in [
                ("name", earlier.name != record.name), ("township", earlier.township != record.township),
                ("village", earlier.village != record.village), ("on_832", earlier.on832 != record.on832),
            ] where differs {
                all.append(ImportProblem(
                    line: record.line, column: headers[key] ?? key,
                    message: "differs from line \(earlier.line) for the same supplier \(record.creditCode); a supplier repeated for another certificate must repeat the same \(headers[key] ?? key)"))
            }
        }
        if !all.isEmpty { throw ImportErrors(fileName: table.fileName, problems: all.sorted { ($0.line ?? 0) < ($1.line ?? 0) }) }
        var summary = ImportSummary(rows: table.rows.count)
        try c.transactionIsolated { t in
            for record in records {
                let dimension = try dimensionID(t, kind: "supplier", code: record.creditCode, name: record.name)
                _ = try dimensionID(t, kind: "township", code: record.township, name: record.township)
                let existing = try t.query("SELECT id FROM relief.suppliers WHERE tenant_id = $1 AND credit_code = $2", [tenantID, record.creditCode]).rows.first
                let supplierID: Int
                if let existing {
                    supplierID = try existing.decode(Int.self, at: 0)
                    try t.query(
                        "UPDATE relief.suppliers SET name = $2, township = $3, village = $4, on_832 = $5 WHERE id = $1 AND (name, township, village, on_832) IS DISTINCT FROM ($2, $3, $4, $5)",
                        [supplierID, record.name, record.township, record.village, record.on832])
                    summary.unchanged += 1
                } else {
                    supplierID = try t.query(
                        "INSERT INTO relief.suppliers (tenant_id, credit_code, name, township, village, on_832, dimension_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        [tenantID, record.creditCode, record.name, record.township, record.village, record.on832, dimension]
                    ).single().decode(Int.self, at: 0)
                    summary.created += 1
                }
                if let cert = record.certification {
                    try t.query(
                        """
                        INSERT INTO relief.certifications (tenant_id, supplier_id, number, valid_from, valid_to) VALUES ($1, $2, $3, $4::date, $5::date)
                        ON CONFLICT (tenant_id, supplier_id, product_id, number, valid_from) DO NOTHING
                        """, [tenantID, supplierID, cert.number, cert.validFrom.description, cert.validTo?.description])
                    // A later end date in a newer file shortens or extends the same certificate.
                    try t.query(
                        "UPDATE relief.certifications SET valid_to = $4::date WHERE supplier_id = $1 AND product_id IS NULL AND number = $2 AND valid_from = $3::date AND valid_to IS DISTINCT FROM $4::date",
                        [supplierID, cert.number, cert.validFrom.description, cert.validTo?.description])
                }
            }
        }
        return summary
    }

    /// Imports products; each names its supplier by credit code.
    public static func importProducts(_ c: isolated Connection, _ table: Table) throws -> ImportSummary {
        let (records, problems) = RecordParser.products(try rows(table, ImportLayouts.products))
        var all = problems
        var supplierIDs: [String: Int] = [:]
        for row in try c.query("SELECT credit_code, id FROM relief.suppliers WHERE tenant_id = $1", [tenantID]).rows {
            supplierIDs[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        for record in records where supplierIDs[record.supplierCreditCode] == nil {
            all.append(ImportProblem(line: record.line, column: "供应商信用代码", message: "unknown supplier \(record.supplierCreditCode); import it with `relief import suppliers` first"))
        }
        // One row per product: a second row with the same code would silently overwrite the first.
        var lineOfCode: [String: Int] = [:]
        for record in records {
            if let first = lineOfCode[record.code] {
                all.append(ImportProblem(line: record.line, column: "商品编码", message: "\(record.code) already appears on line \(first); give each product one row"))
            } else {
                lineOfCode[record.code] = record.line
            }
        }
        if !all.isEmpty { throw ImportErrors(fileName: table.fileName, problems: all.sorted { ($0.line ?? 0) < ($1.line ?? 0) }) }
        var summary = ImportSummary(rows: table.rows.count)
        try c.transactionIsolated { t in
            for record in records {
                _ = try dimensionID(t, kind: "category", code: record.category, name: record.category)
                let supplierID = supplierIDs[record.supplierCreditCode]!
                let inserted = try t.query(
                    """
                    INSERT INTO relief.products (tenant_id, supplier_id, code, name, spec, unit, category, origin_township, price_min, price_max)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (tenant_id, code) DO UPDATE SET name = EXCLUDED.name, spec = EXCLUDED.spec, unit = EXCLUDED.unit,
                        category = EXCLUDED.category, origin_township = EXCLUDED.origin_township,
                        price_min = EXCLUDED.price_min, price_max = EXCLUDED.price_max
                    WHERE products.supplier_id = EXCLUDED.supplier_id
                    RETURNING (xmax = 0) AS created, id
                    """,
                    [tenantID, supplierID, record.code, record.name, record.spec, record.unit, record.category, record.originTownship,
                     record.priceMin?.tenThousandthsOfYuan, record.priceMax?.tenThousandthsOfYuan]
                ).rows.first
                guard let inserted else {
                    throw ImportErrors(fileName: table.fileName, problems: [ImportProblem(line: record.line, column: "商品编码", message: "\(record.code) belongs to another supplier")])
                }
                if try inserted.decode(Bool.self, at: 0) { summary.created += 1 } else { summary.unchanged += 1 }
                if let cert = record.certification {
                    try t.query(
                        """
                        INSERT INTO relief.certifications (tenant_id, supplier_id, product_id, number, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5::date, $6::date)
                        ON CONFLICT (tenant_id, supplier_id, product_id, number, valid_from) DO UPDATE SET valid_to = EXCLUDED.valid_to
                        WHERE certifications.valid_to IS DISTINCT FROM EXCLUDED.valid_to
                        """, [tenantID, supplierID, try inserted.decode(Int.self, at: 1), cert.number, cert.validFrom.description, cert.validTo?.description])
                }
            }
        }
        return summary
    }

    /// The statement that makes sure each (kind, code) dimension value exists, creating the
    /// missing ones with the code as their name: one statement for a set, where
    /// ``dimensionID(_:kind:code:name:)`` takes one round trip each (a purchase group names
    /// about seven). Nil for no values.
    static func ensureDimensionsStatement(_ values: [(kind: String, code: String)]) -> PipelineStatement? {
        guard !values.isEmpty else { return nil }
        return PipelineStatement(
            """
            INSERT INTO relief.dimension_values (tenant_id, kind, code, name)
            SELECT $1, w.kind, w.code, w.code
            FROM (SELECT DISTINCT u.kind, u.code FROM unnest($2::text[], $3::text[]) AS u(kind, code)) w
            WHERE NOT EXISTS (SELECT 1 FROM relief.dimension_values d WHERE d.tenant_id = $1 AND d.kind = w.kind AND d.code = w.code)
            ORDER BY w.kind, w.code
            """, [tenantID, PostgresArray.text(values.map(\.kind)), PostgresArray.text(values.map(\.code))], prepared: true)
    }

    /// The id of a dimension value, creating it when missing.
    static func dimensionID(_ c: isolated Connection, kind: String, code: String, name: String) throws -> Int {
        try c.query(
            """
            WITH found AS (SELECT id FROM relief.dimension_values WHERE tenant_id = $1 AND kind = $2 AND code = $3),
                 made AS (INSERT INTO relief.dimension_values (tenant_id, kind, code, name)
                          SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)
            SELECT id FROM found UNION ALL SELECT id FROM made
            """, [tenantID, kind, code, name]
        ).single().decode(Int.self, at: 0)
    }
}
