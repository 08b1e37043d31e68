public import ArgumentParser
import Foundation
import Postgres
import ReliefStore

/// The password for a new user: RELIEF_PASSWORD, else one line from standard input.
func readPassword() throws -> String {
    if let password = Session.environment["RELIEF_PASSWORD"], !password.isEmpty { return password }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw ValidationError("give the password on standard input (echo … | relief user add …) or in RELIEF_PASSWORD")
    }
    return line
}

extension Role: ArgumentParser.ExpressibleByArgument {
    init?(argument: String) { self.init(rawValue: argument) }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Users and their roles.", subcommands: [Add.self, Disable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user. Roles: admin, finance_preparer, finance_approver, enterprise_clerk (with --enterprise), auditor.",
            discussion: "The password is read from RELIEF_PASSWORD or one line of standard input; it is stored only as a bcrypt hash.")
        @Option var login: String
        @Option var name: String
        @Option var role: Role
        @Option(help: "For enterprise_clerk: the enterprise's 统一社会信用代码.") var enterprise: String?
        func run() async throws {
            let password = try readPassword()
            let (login, name, role, enterprise, actor) = (login, name, role, enterprise, Session.actorName)
            let user = try await withConnection { c in
                try c.transactionIsolated { t in
                    let user = try Access.addUser(t, login: login, displayName: name, role: role, enterpriseCreditCode: enterprise, password: password)
                    try Access.audit(t, User(id: 0, login: actor, displayName: actor, role: .admin), action: "user.add", target: user.login, detail: ["role": role.rawValue])
                    return user
                }
            }
            print("user \(user.login) (\(user.role.rawValue)\(user.enterpriseCode.map { ", \($0)" } ?? "")) added")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user; its sessions and API tokens stop working.")
        @Option var login: String
        func run() async throws {
            let login = login
            try await withConnection { c in try Access.disable(c, login: login) }
            print("user \(login) disabled")
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API token for a user; it is printed once and stored only as its SHA-256.")
        @Option var login: String
        @Option(help: "What the token is for.") var name: String = "api"
        @Option(help: "Days until it expires (1–366).") var days: Int = 30
        func run() async throws {
            let (login, name, days) = (login, name, days)
            let token = try await withConnection { c in try Access.createToken(c, login: login, name: name, days: days) }
            print(token)
        }
    }
}
