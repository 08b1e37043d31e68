import Foundation
import Postgres
import ReliefTestSupport
import Testing

/// The bad-input corpus (BadInput/, listed in BadInput/expected.tsv; docs/BAD-INPUT.md): every
/// malformed file is refused through the binary with an error naming the file, the line and the
/// column or field, and leaves every table and the chain head exactly as they were.
@Suite("bad-input corpus")
struct BadInputTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("BadInput")
    /// Files in the folder that are not corpus cases.
    static let notCases: Set<String> = ["expected.tsv", "generate.py"]
    /// The most manifest lines read.
    static let maximumCases = 1_000

    struct Case: Sendable {
        var file: String
        var command: [String]
        var fragments: [String]
    }

    static func manifest() throws -> [Case] {
        let text = try String(contentsOf: folder.appendingPathComponent("expected.tsv"), encoding: .utf8)
        var cases: [Case] = []
        for line in text.split(separator: "\n").prefix(maximumCases) where !line.hasPrefix("#") && !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3 else {
                Issue.record("expected.tsv: \(line) needs a file, a command and at least one fragment")
                continue
            }
            cases.append(Case(file: fields[0], command: fields[1].split(separator: " ").map(String.init), fragments: Array(fields[2...])))
        }
        return cases
    }

    @Test func theManifestListsEveryCorpusFileOnce() throws {
        let cases = try Self.manifest()
        let listed = cases.map(\.file)
        #expect(Set(listed).count == listed.count, "a file is listed twice")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)).subtracting(Self.notCases)
        #expect(Set(listed) == files, "unlisted: \(files.subtracting(listed).sorted()), missing: \(Set(listed).subtracting(files).sorted())")
        #expect(cases.count >= 40)
        for item in cases {
            #expect(["import", "post"].contains(item.command.first ?? ""), "\(item.file): \(item.command)")
        }
    }

    @Test func everyMalformedFileIsRefusedNamingWhereAndChangesNothing() async throws {
        let cli = try await CLI.make("cli_badinput")
        let demo = try cli.run("demo")
        #expect(demo.exitCode == 0, "\(demo.error)")
        #expect(try cli.run("period", "close", "2020-01").exitCode == 0)
        let cases = try Self.manifest()
        try await cli.withAdmin { admin in
            let before = try await DatabaseSnapshot.take(admin)
            #expect(before.rows("relief.entries") > 200 && before.rows("relief.enterprises") > 20, "\(before)")
            for item in cases {
                let path = Self.folder.appendingPathComponent(item.file).path
                let arguments = item.command == ["post"] ? ["post", "--file", path] : item.command + [path]
                let result = try cli.run(arguments)
                // 1 is relief's refusal; a crash ends with a signal's number instead.
                #expect(result.exitCode == 1, "\(item.file): exit code \(result.exitCode), \(result.error)")
                #expect(result.output.isEmpty, "\(item.file) printed: \(result.output.prefix(300))")
                #expect(result.error.contains(item.file), "\(item.file) is not named: \(result.error.prefix(300))")
                for fragment in item.fragments {
                    #expect(result.error.contains(fragment), "\(item.file): «\(fragment)» not in: \(result.error.prefix(1_000))")
                }
                let after = try await DatabaseSnapshot.take(admin)
                #expect(after.differences(from: before) == [], "\(item.file) changed the database")
            }
            // The comparison sees a write: a good file, imported last, shows up in it.
            let good = try cli.write("good-enterprise.csv", "统一社会信用代码,企业名称,工会名称,年度,会员人数,年度采购目标（元）\n914210000700000077,荆州市水务集团有限公司,荆州市水务集团工会委员会,2021,100,30000\n")
            #expect(try cli.run("import", "enterprises", good).exitCode == 0)
            let changed = try await DatabaseSnapshot.take(admin).differences(from: before)
            #expect(changed.contains { $0.hasPrefix("relief.enterprise_years:") }, "\(changed)")
        }
        #expect(try cli.run("verify").exitCode == 0)
    }
}
