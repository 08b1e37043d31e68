import Foundation

/// What every download shares: the `Content-Disposition` header and which files may be streamed.
///
/// No download reads a path taken from the request: ids are integers, periods and formats are
/// parsed, report keys are looked up in the catalog, account and enterprise codes are letters and
/// digits. The two checks here hold even if one of those is loosened one day.
enum Downloads {
    /// The file name a browser is offered: ASCII letters, digits, `.`, `-` and `_` only (anything
    /// else becomes `_`), no `..`, no leading dot, at most 100 characters; `download` when nothing
    /// is left. No quote, CR, LF, slash or backslash can reach the header.
    static func fileName(_ name: String) -> String {
        var text = String(String.UnicodeScalarView(name.unicodeScalars.map { scalar -> Unicode.Scalar in
            let value = scalar.value
            let allowed = (48...57).contains(value) || (65...90).contains(value) || (97...122).contains(value) || value == 46 || value == 45 || value == 95
            return allowed ? scalar : "_"
        }))
        while text.contains("..") { text = text.replacingOccurrences(of: "..", with: ".") }
        while text.hasPrefix(".") { text.removeFirst() }
        text = String(text.prefix(100))
        return text.isEmpty ? "download" : text
    }

    /// `attachment; filename="…"` with ``fileName(_:)``.
    static func attachment(_ name: String) -> String {
        "attachment; filename=\"\(fileName(name))\""
    }

    /// The folder exports and audit packs are written to.
    static var temporaryFolder: String { URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.path }

    /// A path for a new temporary download: `relief-<kind>-<random>.<ext>` in ``temporaryFolder``.
    static func temporaryPath(kind: String, fileExtension: String) -> String {
        temporaryFolder + "/relief-\(kind)-\(Secrets.randomToken().prefix(16)).\(fileExtension)"
    }

    /// True only for a file this app writes for a download: directly in ``temporaryFolder``, named
    /// `relief-…` with plain characters, no `.` or `..` components, no NUL. The streamer deletes
    /// the file it sends, so anything else (a path with `../`, `/etc/passwd`) is refused outright.
    static func isTemporaryDownload(_ path: String) -> Bool {
        guard !path.contains("\0"), path.hasPrefix("/") else { return false }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard !components.contains(where: { $0 == "." || $0 == ".." || $0.isEmpty }), let name = components.last else { return false }
        let folder = "/" + components.dropLast().joined(separator: "/")
        return folder == temporaryFolder && name.hasPrefix("relief-") && fileName(String(name)) == name
    }
}
