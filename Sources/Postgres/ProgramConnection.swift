import Foundation
import CLibPQ

/// How a libpq program (pg_dump, pg_restore, psql) reaches the database of a
/// ``ConnectionConfiguration``: a conninfo for its `--dbname` without the password, and the
/// password in `PGPASSWORD`, so that it never appears on a command line (where `ps` shows it).
public struct ProgramConnection: Sendable, Equatable {
    /// The most options libpq may report; its table has about forty.
    static let maximumOptions = 256

    /// `keyword='value'` pairs for `--dbname`, the password left out.
    public var conninfo: String
    /// Variables to add to the program's environment (`PGPASSWORD` when the conninfo had one).
    public var environment: [String: String]

    /// Splits `configuration`'s conninfo (keyword/value or URI) with libpq's own parser, and names
    /// `database` explicitly (the database the caller is connected to, from `current_database()`),
    /// so the program reaches the same database whatever PG* variables or service files say.
    ///
    /// - Throws: ``PostgresError`` of kind `connection` when libpq cannot parse the conninfo.
    public init(_ configuration: ConnectionConfiguration, database: String) throws(PostgresError) {
        var pairs: [String] = []
        var environment: [String: String] = [:]
        if !configuration.conninfo.isEmpty {
            var errorMessage: UnsafeMutablePointer<CChar>?
            guard let options = PQconninfoParse(configuration.conninfo, &errorMessage) else {
                let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
                if let errorMessage { PQfreemem(errorMessage) }
                throw PostgresError(
                    kind: .connection,
                    message: "cannot parse the connection string: "
                        + message.trimmingCharacters(in: .whitespacesAndNewlines),
                    hint: "check DATABASE_URL")
            }
            defer { PQconninfoFree(options) }
            var index = 0
            while index < Self.maximumOptions, let keywordPointer = options[index].keyword {
                defer { index += 1 }
                guard let valuePointer = options[index].val else { continue }
                let keyword = String(cString: keywordPointer)
                let value = String(cString: valuePointer)
                switch keyword {
                case "password": environment["PGPASSWORD"] = value
                case "dbname": continue
                default: pairs.append("\(keyword)=\(Self.quoted(value))")
                }
            }
        }
        pairs.append("dbname=\(Self.quoted(database))")
        self.conninfo = pairs.joined(separator: " ")
        self.environment = environment
    }

    /// A conninfo value in single quotes, with `\` and `'` escaped by a backslash.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
