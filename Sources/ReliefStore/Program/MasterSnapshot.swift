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

    static func load(_ c: isolated Connection) throws -> MasterSnapshot {
        var snapshot = MasterSnapshot()
        let tenant = MasterData.tenantID
        for row in try c.query("SELECT credit_code, id, name FROM relief.enterprises WHERE tenant_id = $1", [tenant]).rows {
            snapshot.enterprises[try row.decode(String.self, at: 0)] = Enterprise(id: try row.decode(Int.self, at: 1), name: try row.decode(String.self, at: 2))
        }
        var supplierCerts: [Int: [Certification]] = [:]
        var productCerts: [Int: [Certification]] = [:]
        for row in try c.query("SELECT supplier_id, product_id, number, valid_from::text, valid_to::text FROM relief.certifications WHERE tenant_id = $1", [tenant]).rows {
            guard let from = LocalDate(parsing: try row.decode(String.self, at: 3)) else { continue }
            let cert = Certification(number: try row.decode(String.self, at: 2), validFrom: from, validTo: try row.decodeOptional(String.self, at: 4).flatMap { LocalDate(parsing: $0) })
            if let product = try row.decodeOptional(Int.self, at: 1) {
                productCerts[product, default: []].append(cert)
            } else {
                supplierCerts[try row.decode(Int.self, at: 0), default: []].append(cert)
            }
        }
        var creditCodeOfSupplier: [Int: String] = [:]
        for row in try c.query("SELECT id, credit_code, name, township FROM relief.suppliers WHERE tenant_id = $1", [tenant]).rows {
            let id = try row.decode(Int.self, at: 0)
            let code = try row.decode(String.self, at: 1)
            creditCodeOfSupplier[id] = code
            snapshot.suppliers[code] = Supplier(id: id, creditCode: code, name: try row.decode(String.self, at: 2), township: try row.decode(String.self, at: 3), certifications: supplierCerts[id] ?? [])
        }
        for row in try c.query("SELECT id, code, name, supplier_id, category, origin_township, price_min, price_max FROM relief.products WHERE tenant_id = $1", [tenant]).rows {
            let id = try row.decode(Int.self, at: 0)
            let code = try row.decode(String.self, at: 1)
            snapshot.products[code] = Product(
                id: id, code: code, name: try row.decode(String.self, at: 2),
                supplierCreditCode: creditCodeOfSupplier[try row.decode(Int.self, at: 3)] ?? "",
                category: try row.decode(String.self, at: 4), originTownship: try row.decodeOptional(String.self, at: 5),
                priceMin: try row.decodeOptional(Int64.self, at: 6).flatMap { UnitPrice(tenThousandthsOfYuan: $0) },
                priceMax: try row.decodeOptional(Int64.self, at: 7).flatMap { UnitPrice(tenThousandthsOfYuan: $0) },
                certifications: productCerts[id] ?? [])
        }
        return snapshot
    }
}
