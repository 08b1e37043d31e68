import Foundation
import HTTPTypes
import Hummingbird
import Postgres
import ReliefCore
import ReliefStore

/// A write's answer as it is stored under its idempotency key and replayed on a retry.
struct StoredResponse: Sendable {
    var status: HTTPResponse.Status
    var body: [UInt8]
    var contentType: String

    /// A JSON answer.
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> StoredResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return StoredResponse(status: status, body: Array(try encoder.encode(value)) + [0x0A], contentType: JSONResponse.contentType)
    }
}

extension WebServer {
    /// The most characters an Idempotency-Key may have.
    static let maximumIdempotencyKeyCharacters = 100

    /// The `Idempotency-Key` header every API write must carry: 400 when missing, too long or
    /// holding control characters.
    func idempotencyKey(_ request: Request) throws -> String {
        guard let key = request.headers[.idempotencyKey]?.trimmingCharacters(in: .whitespaces), !key.isEmpty else {
            throw APIError(.badRequest, "IDEMPOTENCY_KEY_REQUIRED", "写操作必须带 Idempotency-Key 请求头（同一操作重试时用同一个值）", field: "Idempotency-Key")
        }
        guard key.count <= Self.maximumIdempotencyKeyCharacters, !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError(.badRequest, "IDEMPOTENCY_KEY_INVALID", "Idempotency-Key 最长 100 个字符，且不能含控制字符", field: "Idempotency-Key")
        }
        return key
    }

    /// SHA-256 of the method, path and body: what a retry must repeat exactly.
    static func requestHash(_ request: Request, body: [UInt8]) -> String {
        Chain.hex(Chain.sha256(Array("\(request.method.rawValue) \(request.uri.path)\n".utf8) + body))
    }

    /// Runs the write `body` as `user` in one transaction together with the record of its answer
    /// under `key`. A retry with the same key and request gets the stored answer (marked
    /// `Idempotent-Replayed: true`) and writes nothing; the same key with another request is a 409.
    /// A failed write stores nothing, so it can be retried.
    func idempotent(
        _ user: User, key: String, requestHash: String, _ body: @escaping @Sendable (isolated Connection) throws -> StoredResponse
    ) async throws -> Response {
        let attempt: @Sendable (isolated Connection) throws -> (StoredResponse, Bool) = { t in
            if let row = try t.query(
                "SELECT request_hash, status, body, content_type FROM relief.idempotency_keys WHERE actor = $1 AND key = $2", [user.actorName, key]
            ).rows.first {
                guard try row.decode(String.self, at: 0) == requestHash else {
                    throw APIError(.conflict, "IDEMPOTENCY_KEY_REUSED", "此 Idempotency-Key 已用于另一个请求；新的操作请用新的值", field: "Idempotency-Key")
                }
                let stored = StoredResponse(
                    status: HTTPResponse.Status(code: try row.decode(Int.self, at: 1)), body: try row.decode(PostgresBytes.self, at: 2).bytes,
                    contentType: try row.decode(String.self, at: 3))
                return (stored, true)
            }
            let answer = try body(t)
            precondition((200..<300).contains(answer.status.code), "only successful answers are stored")
            try t.query(
                "INSERT INTO relief.idempotency_keys (actor, key, request_hash, status, body, content_type) VALUES ($1, $2, $3, $4, $5, $6)",
                [user.actorName, key, requestHash, answer.status.code, PostgresBytes(answer.body), answer.contentType])
            return (answer, false)
        }
        let (answer, replayed): (StoredResponse, Bool)
        do {
            (answer, replayed) = try await asUser(user, attempt)
        } catch let error as PostgresError where error.sqlState == "23505" && error.constraint == "idempotency_keys_pkey" {
            // A concurrent request with the same key committed first: answer as it did.
            (answer, replayed) = try await asUser(user, attempt)
        }
        var response = JSONResponse.raw(answer.body, status: answer.status, contentType: answer.contentType)
        if replayed { response.headers[.idempotentReplayed] = "true" }
        return response
    }

    /// The request body as bytes, at most ``WebContext/bodyLimit``.
    func bodyBytes(_ request: Request, limit: Int = WebContext.bodyLimit) async throws -> [UInt8] {
        Array(try await body(request, limit: limit).readableBytesView)
    }

    /// A JSON object from already-read bytes (415/400 as ``jsonObject(_:)``).
    func jsonObject(_ request: Request, bytes: [UInt8]) throws -> [String: Any] {
        try requireJSON(request)
        guard let dictionary = try Self.parseJSON(bytes) as? [String: Any] else {
            throw APIError(.badRequest, "MALFORMED_JSON", "请求体必须是 JSON 对象（{…}）", field: "body")
        }
        return dictionary
    }

    /// A body that must be empty or a JSON object, for writes that take no fields (415/400 otherwise).
    func emptyOrJSONObject(_ request: Request, bytes: [UInt8]) throws {
        guard bytes.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else { return }
        _ = try jsonObject(request, bytes: bytes)
    }

    /// The JSON value in `bytes`; a 400 naming the parser's reason and position when it is not JSON.
    static func parseJSON(_ bytes: [UInt8]) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw APIError(.badRequest, "MALFORMED_JSON", "请求体不是合法的 JSON：" + EntryJSON.syntaxProblem(error, in: bytes), field: "body")
        }
    }
}

/// Reading typed fields of a JSON object with errors that name the field.
struct JSONFields {
    var object: [String: Any]

    func string(_ field: String) throws -> String {
        guard let value = object[field] else { throw APIError(.unprocessableContent, "VALIDATION_FAILED", "缺少字段 \(field)", field: field) }
        guard let text = value as? String else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(field) 必须是字符串", field: field)
        }
        return text
    }

    func optionalString(_ field: String) throws -> String? {
        object[field] == nil || object[field] is NSNull ? nil : try string(field)
    }

    /// A JSON true or false; `defaultValue` when absent or null, a 422 for anything else.
    func bool(_ field: String, default defaultValue: Bool) throws -> Bool {
        guard let value = object[field], !(value is NSNull) else { return defaultValue }
        guard Self.isBoolean(value), let flag = value as? Bool else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(field) 必须是 true 或 false", field: field)
        }
        return flag
    }

    /// Whether a value from JSONSerialization was a JSON true or false (not the numbers 0 or 1,
    /// which bridge to Bool as well).
    static func isBoolean(_ value: Any) -> Bool { EntryJSON.isJSONBoolean(value) }

    func period(_ field: String) throws -> Period {
        let text = try string(field)
        guard let period = Period(parsing: text) else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(field) 应为 YYYY-MM 格式的月份，收到 \(text.prefix(40))", field: field)
        }
        return period
    }

    func date(_ field: String) throws -> LocalDate {
        let text = try string(field)
        guard let date = LocalDate(parsing: text) else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(field) 应为 YYYY-MM-DD 格式的日期，收到 \(text.prefix(40))", field: field)
        }
        return date
    }

    func money(_ field: String) throws -> Money {
        do {
            return try Money.parse(try string(field), field: field)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(error)", field: field)
        }
    }

    func integer(_ field: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = object[field] else { throw APIError(.unprocessableContent, "VALIDATION_FAILED", "缺少字段 \(field)", field: field) }
        // JSON true/false arrive as Bool (refused); numbers as NSNumber or Int; 1.5 is not an integer.
        let number: Int? = Self.isBoolean(value) ? nil : (value as? NSNumber).flatMap { n in
            n.doubleValue == Double(n.intValue) ? n.intValue : nil
        } ?? (value as? Int)
        guard let number, range.contains(number) else {
            throw APIError(.unprocessableContent, "VALIDATION_FAILED", "\(field) 应为 \(range.lowerBound) 到 \(range.upperBound) 之间的整数", field: field)
        }
        return number
    }
}
