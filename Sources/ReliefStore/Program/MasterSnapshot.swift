import Postgres
import ReliefCore

/// Master data in memory for validating and judging a file.
struct MasterSnapshot: Sendable {
    struct Enterprise { var id: Int; var name: String }
    struct Supplier { var id: Int; var creditCode: String; var name: String; var township: String; var certifications: [Certification] }
    struct Product {
        var id: Int; var code: String; var name: String; var supplierCreditCode: String; var category: String
        var originTownship: String?; var priceMin: UnitPrice?; var priceMax: UnitPrice?; var certifications: [Certification]
    }

    var enterprises: [String: Enterprise] = [:]
    var suppliers: [String: Supplier] = [:]
    var products: [String: Product] = [:]

    /// Above this many distinct codes, the whole master data is read (one scan beats long arrays).
    static let maximumFilteredCodes = 2_000

    /// The codes `records` name, or nil (everything) above ``maximumFilteredCodes``.
    static func codes(for records: [PurchaseRowRecord]) -> (enterprises: [String], suppliers: [String], products: [String])? {
        let enterprises = Set(records.map(\.enterpriseCreditCode))
        let suppliers = Set(records.map(\.supplierCreditCode))
        let products = Set(records.map(\.productCode))
        guard enterprises.count + suppliers.count + products.count <= maximumFilteredCodes else { return nil }
        return (Array(enterprises), Array(suppliers), Array(products))
    }

    /// The master data `records` refer to, as four queries independent of each other so that
    /// they travel in one pipeline (decoded by ``decode(_:)``): enterprises, products, suppliers
    /// (those named and those of the named products), certifications (of those suppliers and
    /// products). Only what the records name, or everything for a large file: a one-purchase
    /// request reads a few rows, not the province's thousands of enterprises.
    static func statements(for records: [PurchaseRowRecord]) -> [PipelineStatement] {
        statements(codes: codes(for: records))
    }

    /// The named rows, or all of them when `codes` is nil.
    static func statements(codes: (enterprises: [String], suppliers: [String], products: [String])?) -> [PipelineStatement] {
        let tenant = MasterData.tenantID
        let filtered = codes != nil
        let enterprises = PostgresArray.text(codes?.enterprises ?? [])
        let suppliers = PostgresArray.text(codes?.suppliers ?? [])
        let products = PostgresArray.text(codes?.products ?? [])
        let supplierFilter = """
            (NOT $2 OR s.credit_code = ANY ($3::text[])
             OR s.id IN (SELECT p.supplier_id FROM relief.products p WHERE p.tenant_id = $1 AND p.code = ANY ($4::text[])))
            """
        return [
            PipelineStatement(
                "SELECT credit_code, id, name FROM relief.enterprises WHERE tenant_id = $1 AND (NOT $2 OR credit_code = ANY ($3::text[]))",
                [tenant, filtered, enterprises], prepared: true),
            PipelineStatement(
                """
                SELECT p.id, p.code, p.name, s.credit_code, p.category, p.origin_township, p.price_min, p.price_max
                FROM relief.products p JOIN relief.suppliers s ON s.id = p.supplier_id
                WHERE p.tenant_id = $1 AND (NOT $2 OR p.code = ANY ($3::text[]))
                """, [tenant, filtered, products], prepared: true),
            PipelineStatement(
                "SELECT s.id, s.credit_code, s.name, s.township FROM relief.suppliers s WHERE s.tenant_id = $1 AND \(supplierFilter)",
                [tenant, filtered, suppliers, products], prepared: true),
            PipelineStatement(
                """
                SELECT c.supplier_id, c.product_id, c.number, c.valid_from::text, c.valid_to::text FROM relief.certifications c
                WHERE c.tenant_id = $1 AND (NOT $2
                    OR c.supplier_id IN (SELECT s.id FROM relief.suppliers s WHERE s.tenant_id = $1 AND \(supplierFilter))
                    OR c.product_id IN (SELECT p.id FROM relief.products p WHERE p.tenant_id = $1 AND p.code = ANY ($4::text[])))
                """, [tenant, filtered, suppliers, products], prepared: true),
        ]
    }

    /// The snapshot in the four results of ``statements(codes:)``.
    static func decode(_ results: [PostgresResult]) throws -> MasterSnapshot {
        precondition(results.count == 4, "the master data is four queries")
        var snapshot = MasterSnapshot()
        for row in results[0].rows {
            snapshot.enterprises[try row.decode(String.self, at: 0)] = Enterprise(id: try row.decode(Int.self, at: 1), name: try row.decode(String.self, at: 2))
        }
        var supplierCerts: [Int: [Certification]] = [:]
        var productCerts: [Int: [Certification]] = [:]
        for row in results[3].rows {
            guard let from = LocalDate(parsing: try row.decode(String.self, at: 3)) else { continue }
            let cert = Certification(number: try row.decode(String.self, at: 2), validFrom: from, validTo: try row.decodeOptional(String.self, at: 4).flatMap { LocalDate(parsing: $0) })
            if let product = try row.decodeOptional(Int.self, at: 1) {
                productCerts[product, default: []].append(cert)
            } else {
                supplierCerts[try row.decode(Int.self, at: 0), default: []].append(cert)
            }
        }
        for row in results[2].rows {
            let id = try row.decode(Int.self, at: 0)
            let code = try row.decode(String.self, at: 1)
            snapshot.suppliers[code] = Supplier(
                id: id, creditCode: code, name: try row.decode(String.self, at: 2), township: try row.decode(String.self, at: 3),
                certifications: supplierCerts[id] ?? [])
        }
        for row in results[1].rows {
            let id = try row.decode(Int.self, at: 0)
            let code = try row.decode(String.self, at: 1)
            snapshot.products[code] = Product(
                id: id, code: code, name: try row.decode(String.self, at: 2), supplierCreditCode: try row.decode(String.self, at: 3),
                category: try row.decode(String.self, at: 4), originTownship: try row.decodeOptional(String.self, at: 5),
                priceMin: try row.decodeOptional(Int64.self, at: 6).flatMap { UnitPrice(tenThousandthsOfYuan: $0) },
                priceMax: try row.decodeOptional(Int64.self, at: 7).flatMap { UnitPrice(tenThousandthsOfYuan: $0) },
                certifications: productCerts[id] ?? [])
        }
        return snapshot
    }
}
