import Foundation
import Hummingbird
import Logging
import Postgres
import ReliefCore
import ReliefStore

/// Counts every request by its route pattern and final status and times it. Outermost, so it sees
/// the status the client gets.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = WebContext
    let metrics: RequestMetrics

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].contains(request.method.rawValue) ? request.method.rawValue : "OTHER"
        do {
            let response = try await next(request, context)
            record(method, context, Int(response.status.code), since: start)
            return response
        } catch {
            record(method, context, (error as? any HTTPResponseError).map { Int($0.status.code) } ?? 500, since: start)
            throw error
        }
    }

    private func record(_ method: String, _ context: WebContext, _ status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(method: method, route: context.endpointPath ?? "unmatched", status: status, seconds: seconds)
    }
}

/// Security headers on every response, errors and redirects included.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebContext

    static let contentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Turns every error into a response: JSON (`{"error": …}`) under /api and /metrics, a small
/// Chinese HTML page elsewhere. Unexpected errors are logged and reported without their detail.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WebContext

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch is SignInRequired {
            return Pages.redirect("/login")
        } catch {
            let apiError = Self.translate(error, logger: context.logger)
            if request.uri.path.hasPrefix("/api/") || request.uri.path == "/metrics" {
                return apiError.response()
            }
            return Pages.errorPage(apiError)
        }
    }

    /// Maps any error to an ``APIError``. The database's own refusals surface as 403 (privilege,
    /// row-level security, a clerk's posting scope) or 409 (a unique key already taken).
    static func translate(_ error: any Error, logger: Logger = Logger(label: "relief.web")) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as PostgresError where error.sqlState == "42501" || error.sqlState == "RL060":
            logger.notice("database refused", metadata: ["sqlstate": "\(error.sqlState ?? "")", "message": "\(error.message)"])
            return APIError(.forbidden, "FORBIDDEN", "数据库拒绝了此操作：当前角色无此权限")
        case let error as PostgresError where error.sqlState == "42P01" && error.message.contains("row-level security"):
            return APIError(.forbidden, "FORBIDDEN", "数据库拒绝了此操作：当前角色无此权限")
        case let error as PostgresError where error.sqlState == "RL053":
            return APIError(.conflict, "MAKER_CHECKER", "制单人不能审核自己的批次（制单与审核须为不同的人）")
        case let error as SubsidyError:
            return APIError(.unprocessableContent, "REFUSED", error.message)
        case let error as PackError:
            return APIError(.unprocessableContent, "REFUSED", error.message)
        case let error as LedgerError:
            switch error {
            case .unknownAccount, .unknownBook, .unknownEntry: return APIError(.notFound, "NOT_FOUND", error.description)
            case .closedPeriod: return APIError(.conflict, "PERIOD_CLOSED", error.description)
            case .rejected(let pg) where pg.sqlState == "RL041" || pg.sqlState == "RL040":
                return APIError(.conflict, "FUND_EXCEEDED", "银行存款或已收资金不足：\(pg.message)")
            default: return APIError(.unprocessableContent, "REFUSED", error.description)
            }
        case let error as ImportErrors:
            return ImportView.validationError(error)
        case let error as any HTTPResponseError:
            let status = error.status
            switch status {
            case .notFound: return APIError(.notFound, "NOT_FOUND", "没有这个地址")
            case .contentTooLarge: return APIError(.contentTooLarge, "PAYLOAD_TOO_LARGE", "请求体超过 1 MB")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "METHOD_NOT_ALLOWED", "不支持此请求方法")
            default: return APIError(status, "HTTP_\(status.code)", status.reasonPhrase)
            }
        default:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "INTERNAL", "服务器内部错误，请稍后再试或联系管理员")
        }
    }
}
