import Foundation
import HTTPTypes
import Hummingbird
import ReliefCore
import ReliefStore

/// A page request from someone who must sign in first: answered with a redirect to /login.
struct SignInRequired: Error {}

extension WebServer {
    /// The signed-in session when its role is in `allowed`. Throws ``SignInRequired`` (the error
    /// middleware redirects to /login) when signed out, and a 403 for another role.
    func requireSession(_ request: Request, allowed: Set<Role>) async throws -> WebSession {
        guard let session = try await session(request) else { throw SignInRequired() }
        guard allowed.contains(session.user.role) else {
            throw APIError(.forbidden, "FORBIDDEN", "当前角色（\(Pages.roleName(session.user.role))）无权访问此页面")
        }
        return session
    }

    /// The header's links for a role: only pages the role may open.
    static func nav(_ user: User) -> [[String: String]] {
        var links: [(String, String)] = [("/", user.role == .enterpriseClerk ? "采购进度" : "完成率")]
        switch user.role {
        case .enterpriseClerk:
            links += [("/purchases/new", "录入采购"), ("/purchases/upload", "上传采购表"), ("/reports/subsidy-ledger", "我的补助"), ("/reports/statement", "对账单")]
        case .financePreparer, .financeApprover:
            links += [("/program", "项目设置"), ("/batches", "补助批次"), ("/imports", "导入"), ("/reports/bank-reconciliation", "银行对账"), ("/periods", "结账"),
                      ("/reports/exceptions", "异常清单"), ("/reports/supervision", "督导")]
        case .admin:
            links += [("/program", "项目设置"), ("/imports", "导入"), ("/periods", "结账")]
        case .auditor:
            links += [("/journal", "序时账查询"), ("/exports", "导出与审计包"), ("/verify", "链校验"), ("/audit-log", "操作日志")]
        }
        links.append(("/reports", "报表"))
        return links.map { ["href": $0.0, "label": $0.1] }
    }
}
