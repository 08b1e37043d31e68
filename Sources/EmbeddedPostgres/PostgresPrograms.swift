import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The PostgreSQL programs a cluster needs, taken from one folder where possible so versions match.
struct PostgresPrograms: Sendable {
    /// Where versioned Debian/Ubuntu installs keep their programs: `<root>/<version>/bin`.
    static let versionedInstallRoot = "/usr/lib/postgresql"

    /// The message for a missing install when the default search (PATH, then versioned folders) was used.
    static let notFoundMessage =
        "PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or under "
        + "/usr/lib/postgresql/*/bin. Install them: apt-get install postgresql (Debian/Ubuntu)."

    let initdb: String
    let pgCtl: String
    let createdb: String
    /// psql, when installed: used to see whether the database exists before running createdb.
    let psql: String?
    /// The folder initdb really lives in (symbolic links resolved); other programs come from here first.
    let binDirectory: String

    /// Finds the programs. With `searchPaths`, only those folders are searched; otherwise PATH, then
    /// `/usr/lib/postgresql/*/bin` from the highest version down.
    static func locate(searchPaths: [String]?, environmentPath: String?) throws(EmbeddedPostgresError)
        -> PostgresPrograms
    {
        let candidates: [String]
        let notFound: String
        if let searchPaths {
            candidates = searchPaths
            notFound =
                "PostgreSQL server programs (initdb, pg_ctl) were not found in "
                + "\(searchPaths.joined(separator: ", ")). "
                + "Install them: apt-get install postgresql (Debian/Ubuntu)."
        } else {
            let pathFolders = (environmentPath ?? "").split(separator: ":").map(String.init)
                .filter { $0.hasPrefix("/") }
            candidates = pathFolders + versionedBinDirectories()
            notFound = notFoundMessage
        }

        guard let initdbFolder = candidates.first(where: { isExecutable($0 + "/initdb") }) else {
            throw EmbeddedPostgresError(kind: .programsNotFound, message: notFound)
        }
        let initdb = resolvedPath(initdbFolder + "/initdb")
        let binDirectory = parentFolder(of: initdb)
        var preferred: [String] = []
        for folder in [binDirectory, initdbFolder] + candidates where !preferred.contains(folder) {
            preferred.append(folder)
        }

        func find(_ name: String) throws(EmbeddedPostgresError) -> String {
            guard let folder = preferred.first(where: { isExecutable($0 + "/" + name) }) else {
                throw EmbeddedPostgresError(
                    kind: .programsNotFound,
                    message:
                        "The PostgreSQL program \(name) was not found next to initdb (\(binDirectory)) "
                        + "or in the other searched folders. "
                        + "Install it: apt-get install postgresql (Debian/Ubuntu).")
            }
            return resolvedPath(folder + "/" + name)
        }

        let pgCtl = try find("pg_ctl")
        let createdb = try find("createdb")
        // pg_ctl starts the `postgres` that sits next to its own (resolved) executable.
        let serverFolder = parentFolder(of: pgCtl)
        guard isExecutable(serverFolder + "/postgres") else {
            throw EmbeddedPostgresError(
                kind: .programsNotFound,
                message:
                    "The PostgreSQL server program postgres was not found next to pg_ctl (\(serverFolder)). "
                    + "Install it: apt-get install postgresql (Debian/Ubuntu).")
        }
        let psql = try? find("psql")
        return PostgresPrograms(
            initdb: initdb, pgCtl: pgCtl, createdb: createdb, psql: psql, binDirectory: binDirectory)
    }

    /// `/usr/lib/postgresql/<version>/bin` folders that exist, highest version first.
    static func versionedBinDirectories() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: versionedInstallRoot)) ?? []
        let versioned: [(version: [Int], name: String)] = names.compactMap { name in
            let parts = name.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
            return (parts.compactMap { $0 }, name)
        }
        let sorted = versioned.sorted { $0.version.lexicographicallyPrecedes($1.version) }.reversed()
        return sorted.map { "\(versionedInstallRoot)/\($0.name)/bin" }
    }

    static func isExecutable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue
        else { return false }
        return access(path, X_OK) == 0
    }

    /// The path with symbolic links resolved, or the path itself when that fails.
    static func resolvedPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func parentFolder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }
}
