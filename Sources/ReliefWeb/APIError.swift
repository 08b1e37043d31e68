import Foundation
public import Hummingbird
import ReliefStore

/// An error the API reports as `{"error": {"code", "message", "field", "problems"?}}` with an HTTP
/// status. Codes are stable (clients switch on them); messages are Chinese for clerks.
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// One problem of a rejected purchase, as the importer found it.
    public struct Problem: Sendable, Encodable, Equatable {
        /// The request field (`invoice_number`, `lines[0].amount`, `Idempotency-Key`), if known.
        public var field: String?
        /// The 1-based purchase line, if the problem is on a line.
        public var line: Int?
        /// What is wrong.
        public var message: String

        /// Makes a problem.
        public init(field: String?, line: Int?, message: String) {
            self.field = field
            self.line = line
            self.message = message
        }

        enum CodingKeys: String, CodingKey { case field, line, message }

        /// Encodes `field` and `line` as null when absent, so every problem has the same shape.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(field, forKey: .field)
            try container.encode(line, forKey: .line)
            try container.encode(message, forKey: .message)
        }
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable error code, e.g. `VALIDATION_FAILED`.
    public var code: String
    /// A human-readable message.
    public var message: String
    /// The request field at fault, if any.
    public var field: String?
    /// For validation failures: every problem found.
    public var problems: [Problem]?
    /// Extra response headers (e.g. `WWW-Authenticate`, `Retry-After`).
    public var headers: HTTPFields = [:]

    /// Makes an error.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, problems: [Problem]? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.problems = problems
    }

    /// `status code: message`, for logs.
    public var description: String { "\(status.code) \(code): \(message)" }

    /// No or unknown credentials.
    static func unauthenticated(_ message: String = "需要登录：请在 Authorization 头中提供 Bearer 令牌") -> APIError {
        var error = APIError(.unauthorized, "UNAUTHENTICATED", message)
        error.headers[.wwwAuthenticate] = "Bearer realm=\"relief\""
        return error
    }

    /// Signed in, but the role may not do this.
    static func forbidden(_ role: Role, allowed: Set<Role>) -> APIError {
        APIError(.forbidden, "FORBIDDEN", "当前角色（\(role.rawValue)）无权执行此操作；允许的角色：\(allowed.map(\.rawValue).sorted().joined(separator: ", "))")
    }

    /// A query parameter `YYYY-MM` that is missing or wrong.
    static func invalidPeriod(_ text: String?) -> APIError {
        APIError(.badRequest, "INVALID_PERIOD", text == nil ? "缺少参数 period（格式 YYYY-MM）" : "period 格式应为 YYYY-MM，例如 2020-05", field: "period")
    }

    /// The error as a JSON response.
    func response() -> Response {
        var response = JSONResponse.make(ErrorBody(error: .init(code: code, message: message, field: field, problems: problems)), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    struct ErrorBody: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var field: String?
            var problems: [Problem]?

            enum CodingKeys: String, CodingKey { case code, message, field, problems }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(code, forKey: .code)
                try container.encode(message, forKey: .message)
                try container.encode(field, forKey: .field)
                try container.encodeIfPresent(problems, forKey: .problems)
            }
        }
        var error: Inner
    }
}

/// JSON responses with sorted keys, UTF-8, and unescaped slashes.
enum JSONResponse {
    static let contentType = "application/json; charset=utf-8"

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do {
            return raw(try encoder.encode(value) + Data("\n".utf8), status: status)
        } catch {
            return raw(Data(#"{"error":{"code":"INTERNAL","message":"无法生成响应","field":null}}"#.utf8), status: .internalServerError)
        }
    }

    static func raw(_ data: some Sequence<UInt8>, status: HTTPResponse.Status = .ok, contentType: String = contentType) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
