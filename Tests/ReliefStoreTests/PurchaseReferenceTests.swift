import Postgres
import ReliefStore
import ReliefTestSupport
import Testing

/// Migration 0017 replaced the seven foreign keys of purchases and purchase lines with one check
/// per INSERT statement. These tests pin down that the checks refuse what the keys refused, and
/// more (a reference of another tenant), and that what they name cannot go away.
@Suite("purchase reference checks")
struct PurchaseReferenceTests {
    /// A copy of the demo's first purchase under a new key, with any column replaced.
    func purchase(
        tenant: String = "tenant_id", program: String = "program_id", enterprise: String = "enterprise_id",
        supplier: String = "supplier_id", entry: String = "entry_id"
    ) -> String {
        """
        INSERT INTO relief.purchases (tenant_id, program_id, purchase_key, enterprise_id, supplier_id, purchase_date, channel,
                                      purpose, invoice_number, invoice_date, seller_tax_id, entry_id, created_by)
        SELECT \(tenant), \(program), 'HAND-1', \(enterprise), \(supplier), purchase_date, channel, purpose, invoice_number,
               invoice_date, seller_tax_id, \(entry), created_by
        FROM relief.purchases ORDER BY id LIMIT 1
        """
    }

    /// A copy of the demo's first purchase line as line 99, with any column replaced.
    func line(purchase: String = "purchase_id", product: String = "product_id", tenant: String = "tenant_id") -> String {
        """
        INSERT INTO relief.purchase_lines (purchase_id, line, tenant_id, product_id, quantity, unit, unit_price, amount_fen,
                                           eligible, reason_codes, reasons)
        SELECT \(purchase), 99, \(tenant), \(product), quantity, unit, unit_price, amount_fen, eligible, reason_codes, reasons
        FROM relief.purchase_lines ORDER BY purchase_id, line LIMIT 1
        """
    }

    @Test func purchasesAndLinesNameOnlyRowsOfTheirOwnTenant() async throws {
        let books = try await ProgramTests.demoBooks("purchaserefs")
        let other = try await books.admin.run { c in
            try c.query("INSERT INTO relief.tenants (code, name) VALUES ('other', '另一个工会') RETURNING id").single().decode(Int.self, at: 0)
        }
        // The copies as they are pass: the checks refuse only what is wrong.
        #expect(await books.ownerError(purchase()) == nil)
        #expect(await books.ownerError(line()) == nil)
        // No such program, enterprise, supplier or entry.
        #expect(await books.ownerError(purchase(program: "424242")) == "RL033")
        #expect(await books.ownerError(purchase(enterprise: "424242")) == "RL033")
        #expect(await books.ownerError(purchase(supplier: "424242")) == "RL033")
        #expect(await books.ownerError(purchase(entry: "424242424")) == "RL033")
        // Rows that exist, but of another tenant: a foreign key let this through.
        #expect(await books.ownerError(purchase(tenant: String(other))) == "RL033")
        #expect(await books.ownerError(line(tenant: String(other))) == "RL033")
        // A line of no purchase, or of no product.
        #expect(await books.ownerError(line(purchase: "424242424")) == "RL033")
        #expect(await books.ownerError(line(product: "424242")) == "RL033")
        await books.close()
    }

    @Test func whatPurchasesNameCannotGoAwayOrChangeIdentity() async throws {
        let books = try await ProgramTests.demoBooks("purchasekept")
        for table in ["enterprises", "suppliers", "products", "programs"] {
            #expect(await books.ownerError("DELETE FROM relief.\(table)") == "RL031", "DELETE FROM \(table)")
            #expect(await books.ownerError("TRUNCATE relief.\(table) CASCADE") == "RL031", "TRUNCATE \(table)")
            #expect(await books.ownerError("UPDATE relief.\(table) SET id = DEFAULT") == "RL031", "new ids in \(table)")
        }
        #expect(await books.ownerError("UPDATE relief.accounts SET id = DEFAULT WHERE code = '102'") == "RL031")
        #expect(await books.ownerError("TRUNCATE relief.purchases") == "RL030")
        #expect(await books.ownerError("TRUNCATE relief.purchase_lines") == "RL030")
        // Names may change.
        #expect(await books.ownerError("UPDATE relief.enterprises SET name = name || '（更名）'") == nil)
        #expect(await books.ownerError("UPDATE relief.products SET name = name || '（更名）'") == nil)
        await books.close()
    }
}
