import Postgres
import ReliefCore

/// Master data in memory for validating and judging a file.
struct MasterSnapshot {
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

    /// The master data `records` refer to: only their enterprises, suppliers and products (and the
    /// suppliers of those products), or everything for a large file. A one-purchase request thus
    /// reads a few rows, not the province's thousands of enterprises.
    static func load(_ c: isolated Connection, for records: [PurchaseRowRecord]) throws -> MasterSnapshot {
        let enterprises = Set(records.map(\.enterpriseCreditCode))
        let suppliers = Set(records.map(\.supplierCreditCode))
        let products = Set(records.map(\.productCode))
        guard enterprises.count + suppliers.count + products.count <= maximumFilteredCodes else { return try load(c) }
        return try load(c, enterprises: Array(enterprises), suppliers: Array(suppliers), products: Array(products))
    }

    /// Everything.
    static func load(_ c: isolated Connection) throws -> MasterSnapshot {
        try load(c, enterprises: nil, suppliers: nil, products: nil)
    }

    /// The named rows, or all of a kind when its list is nil; one set of queries for both.
    static func load(_ c: isolated Connection, enterprises: [String]?, suppliers: [String]?, products: [String]?) throws -> MasterSnapshot {
        var snapshot = MasterSnapshot()
        let tenant = MasterData.tenantID
        func array(_ codes: [String]?) -> String? { codes.map { PostgresArray.text($0) } }
        for row in try c.query(
            "SELECT credit_code, id, name FROM relief.enterprises WHERE tenant_id = $1 AND ($2::text[] IS NULL OR credit_code = ANY ($2::text[]))",
            [tenant, array(enterprises)]
        ).rows {
            snapshot.enterprises[try row.decode(String.self, at: 0)] = Enterprise(id: try row.decode(Int.self, at: 1), name: try row.decode(String.self, at: 2))
        }
        var productRows: [(id: Int, code: String, name: String, supplierID: Int, category: String, origin: String?, min: Int64?, max: Int64?)] = []
        for row in try c.query(
            """
            SELECT id, code, name, supplier_id, category, origin_township, price_min, price_max FROM relief.products
            WHERE tenant_id = $1 AND ($2::text[] IS NULL OR code = ANY ($2::text[]))
            """, [tenant, array(products)]
        ).rows {
            productRows.append((
                try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2), try row.decode(Int.self, at: 3),
                try row.decode(String.self, at: 4), try row.decodeOptional(String.self, at: 5), try row.decodeOptional(Int64.self, at: 6),
                try row.decodeOptional(Int64.self, at: 7)))
        }
        // The named suppliers and those of the named products (a product's supplier is checked against the file's).
        let supplierIDs = products == nil ? nil : productRows.map { String($0.supplierID) }
        var creditCodeOfSupplier: [Int: String] = [:]
        var supplierRows: [(id: Int, code: String, name: String, township: String)] = []
        for row in try c.query(
            """
            SELECT id, credit_code, name, township FROM relief.suppliers
            WHERE tenant_id = $1 AND ($2::text[] IS NULL OR credit_code = ANY ($2::text[]) OR id = ANY ($3::integer[]))
            """, [tenant, array(suppliers), array(supplierIDs)]
        ).rows {
            let row = (try row.decode(Int.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2), try row.decode(String.self, at: 3))
            creditCodeOfSupplier[row.0] = row.1
            supplierRows.append(row)
        }
        var supplierCerts: [Int: [Certification]] = [:]
        var productCerts: [Int: [Certification]] = [:]
        let filtered = suppliers != nil || products != nil
        for row in try c.query(
            """
            SELECT supplier_id, product_id, number, valid_from::text, valid_to::text FROM relief.certifications
            WHERE tenant_id = $1 AND (NOT $2 OR supplier_id = ANY ($3::integer[]) OR product_id = ANY ($4::integer[]))
            """, [tenant, filtered, PostgresArray.text(supplierRows.map { String($0.id) }), PostgresArray.text(productRows.map { String($0.id) })]
        ).rows {
            guard let from = LocalDate(parsing: try row.decode(String.self, at: 3)) else { continue }
            let cert = Certification(number: try row.decode(String.self, at: 2), validFrom: from, validTo: try row.decodeOptional(String.self, at: 4).flatMap { LocalDate(parsing: $0) })
            if let product = try row.decodeOptional(Int.self, at: 1) {
                productCerts[product, default: []].append(cert)
            } else {
                supplierCerts[try row.decode(Int.self, at: 0), default: []].append(cert)
            }
        }
        for supplier in supplierRows {
            snapshot.suppliers[supplier.code] = Supplier(
                id: supplier.id, creditCode: supplier.code, name: supplier.name, township: supplier.township, certifications: supplierCerts[supplier.id] ?? [])
        }
        for product in productRows {
            snapshot.products[product.code] = Product(
                id: product.id, code: product.code, name: product.name, supplierCreditCode: creditCodeOfSupplier[product.supplierID] ?? "",
                category: product.category, originTownship: product.origin, priceMin: product.min.flatMap { UnitPrice(tenThousandthsOfYuan: $0) },
                priceMax: product.max.flatMap { UnitPrice(tenThousandthsOfYuan: $0) }, certifications: productCerts[product.id] ?? [])
        }
        return snapshot
    }
}
