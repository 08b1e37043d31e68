public import Postgres
public import ReliefCore

/// The pairing and the notice, and the organisation tree: configuration, not code.
public enum Programs {
    /// What a program is.
    public struct Setup: Sendable {
        public var code: String
        public var name: String
        public var operatorCode: String
        public var operatorName: String
        public var pairedCounty: String
        public var noticeNumber: String
        public var startsOn: LocalDate
        public var endsOn: LocalDate
        public var townships: [String]
        public var bookCode: String

        /// Makes a set-up.
        public init(
            code: String, name: String, operatorCode: String, operatorName: String, pairedCounty: String, noticeNumber: String,
            startsOn: LocalDate, endsOn: LocalDate, townships: [String], bookCode: String = "main"
        ) {
            self.code = code
            self.name = name
            self.operatorCode = operatorCode
            self.operatorName = operatorName
            self.pairedCounty = pairedCounty
            self.noticeNumber = noticeNumber
            self.startsOn = startsOn
            self.endsOn = endsOn
            self.townships = townships
            self.bookCode = bookCode
        }
    }

    /// Creates the operator union and the program when missing; returns true when it created the program.
    @discardableResult
    public static func setup(_ c: isolated Connection, _ setup: Setup) throws -> Bool {
        guard setup.endsOn >= setup.startsOn else { throw SubsidyError(message: "the program ends (\(setup.endsOn)) before it starts (\(setup.startsOn))") }
        guard !setup.townships.isEmpty else { throw SubsidyError(message: "name the paired county's townships (--townships 珠山镇,椒园镇,…)") }
        return try c.transactionIsolated { t in
            let operatorID = try organisation(t, code: setup.operatorCode, name: setup.operatorName, kind: "operator", parentID: nil, region: nil)
            if try !t.query("SELECT 1 FROM relief.programs WHERE tenant_id = $1 AND code = $2", [MasterData.tenantID, setup.code]).rows.isEmpty {
                return false
            }
            let dimension = try MasterData.dimensionID(t, kind: "program", code: setup.code, name: setup.name)
            try t.query(
                """
                INSERT INTO relief.programs (tenant_id, code, name, operator_id, book_id, paired_county, notice_number, starts_on, ends_on, townships, dimension_id)
                SELECT $1, $2, $3, $4, b.id, $5, $6, $7::date, $8::date, $9::text[], $10 FROM relief.books b WHERE b.code = $11
                """,
                [MasterData.tenantID, setup.code, setup.name, operatorID, setup.pairedCounty, setup.noticeNumber, setup.startsOn.description,
                 setup.endsOn.description, PostgresArray.text(setup.townships), dimension, setup.bookCode])
            for township in setup.townships { _ = try MasterData.dimensionID(t, kind: "township", code: township, name: township) }
            return true
        }
    }

    /// Adds a county or district union under an organisation (created when missing).
    public static func addUnion(_ c: isolated Connection, code: String, name: String, kind: String, parentCode: String, region: String?) throws {
        guard kind == "county_union" || kind == "district_union" else { throw SubsidyError(message: "kind must be county_union or district_union") }
        guard let parent = try c.query("SELECT id FROM relief.organisations WHERE tenant_id = $1 AND code = $2", [MasterData.tenantID, parentCode]).rows.first else {
            throw SubsidyError(message: "no organisation \(parentCode)")
        }
        _ = try organisation(c, code: code, name: name, kind: kind, parentID: try parent.decode(Int.self, at: 0), region: region)
    }

    static func organisation(_ c: isolated Connection, code: String, name: String, kind: String, parentID: Int?, region: String?) throws -> Int {
        if let row = try c.query("SELECT id FROM relief.organisations WHERE tenant_id = $1 AND code = $2", [MasterData.tenantID, code]).rows.first {
            return try row.decode(Int.self, at: 0)
        }
        return try c.query(
            "INSERT INTO relief.organisations (tenant_id, code, name, kind, parent_id, region) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            [MasterData.tenantID, code, name, kind, parentID, region]
        ).single().decode(Int.self, at: 0)
    }
}
