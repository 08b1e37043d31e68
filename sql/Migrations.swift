import Foundation

/// The numbered SQL migrations in `sql/migrations`, shipped as a resource bundle.
public enum MigrationFiles {
    /// One migration file.
    public struct File: Sendable {
        /// The number from the file name (`0001_books.sql` → 1).
        public let version: Int
        /// The file name.
        public let name: String
        /// The SQL text.
        public let sql: String
    }

    /// All migrations in version order. Throws when a file name has no number or two share one.
    public static func all() throws -> [File] {
        guard let folder = Bundle.module.url(forResource: "migrations", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "migrations folder missing from the bundle"])
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        var files: [File] = []
        for name in names {
            guard let version = Int(name.prefix { $0.isNumber }) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "migration \(name) must start with its number, e.g. 0001_books.sql"])
            }
            if files.last?.version == version {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "two migrations share number \(version): \(files.last!.name) and \(name)"])
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            files.append(File(version: version, name: name, sql: sql))
        }
        return files
    }
}
