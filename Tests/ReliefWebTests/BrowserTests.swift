import Foundation
import HummingbirdTesting
import ReliefCore
import ReliefStore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The issue's browser test: headless Chromium (Debian's chromium and chromium-driver) against
/// the app on a real socket. A clerk records a purchase and sees the progress bar move; the
/// approver approves a batch. Screenshots go to artifacts/screenshots/.
///
/// chromedriver is driven over the W3C WebDriver HTTP protocol with `curl` run as a process:
/// URLSession hung inside `swift test` on the new-session request.
@Suite("browser: headless Chromium through chromedriver")
struct BrowserTests {
    /// The package root, three levels above this file (Tests/ReliefWebTests/BrowserTests.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let screenshots = packageRoot.appendingPathComponent("artifacts/screenshots")

    @Test(.timeLimit(.minutes(3)))
    func aClerkRecordsAPurchaseAndSeesTheBarMoveThenTheApproverApprovesABatch() async throws {
        let tools = BrowserTools.find()
        guard let chromium = tools.chromium, let chromedriver = tools.chromedriver else {
            Issue.record(
                """
                The browser test needs chromium and chromedriver (found chromium: \(tools.chromium ?? "no"), \
                chromedriver: \(tools.chromedriver ?? "no")). Run scripts/install-deps --test (installs chromium, \
                chromium-driver and fonts-noto-cjk).
                """)
            return
        }
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        let names = ["01-clerk-dashboard", "02-purchase-form", "03-clerk-dashboard-after-purchase", "04-approver-batches", "05-batch-approved"]
        for name in names { try? FileManager.default.removeItem(at: Self.screenshot(name)) }

        let driver = try await ChromeDriver.start(executable: chromedriver)
        defer { driver.forceStop() }
        let fixture = try await WebFixture.make("browser")
        let (driverURL, profile) = (driver.baseURL, driver.profile)
        do {
            try await fixture.testLive { client in
                let port = try #require(client.port)
                let session = try await WebDriverSession.create(driver: driverURL, chromium: chromium, profile: profile)
                do {
                    try await Self.flow(fixture, session, app: "http://127.0.0.1:\(port)")
                } catch {
                    await session.delete()
                    throw error
                }
                await session.delete()
            }
        } catch {
            let log = driver.logTail()
            await driver.stop()
            await fixture.close()
            throw WebDriverError("\(error)\n--- chromedriver log (tail) ---\n\(log)")
        }
        await driver.stop()
        #expect(!driver.process.isRunning, "chromedriver still running after /shutdown and SIGKILL")
        await fixture.close()

        for name in names {
            let data = try? Data(contentsOf: Self.screenshot(name))
            #expect(data.map { $0.count > 8 && $0.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) } == true, "\(name).png is not a PNG")
        }
    }

    static func screenshot(_ name: String) -> URL { screenshots.appendingPathComponent(name + ".png") }

    static func flow(_ fixture: WebFixture, _ browser: WebDriverSession, app: String) async throws {
        // The clerk signs in and reads its 完成率 and the bar's width.
        try await signIn(browser, app: app, role: .enterpriseClerk)
        try await browser.waitForPath("/")
        let completionBefore = try await percent(browser.text(browser.waitFor("#completion")))
        let barBefore = try await number(browser.attribute(browser.waitFor("svg.progress rect.bar"), "width"))
        try #require(barBefore < 90, "the clerk's bar is already at \(barBefore); the purchase could not move it visibly")
        try await browser.screenshot(to: screenshot("01-clerk-dashboard"))

        // A purchase of 100 斤 伍家台贡茶 at 380 元 from the demo's first supplier, in May 2020.
        try await browser.navigate(app + "/purchases/new")
        let key = try await browser.attribute(browser.waitFor(#"input[name="purchase_key"]"#), "value")
        #expect(key.hasPrefix("WEB-"))
        let supplier = fixture.data.suppliers.rows[0].cells[0]
        let product = fixture.data.products.rows[0].cells[0]
        try await browser.select("supplier", supplier)
        try await browser.select("product", product)
        try await browser.select("channel", "直采")
        try await browser.select("purpose", "食堂")
        try await browser.setValue(browser.find(#"input[name="date"]"#), "2020-05-25")
        try await browser.setValue(browser.find(#"input[name="invoice_date"]"#), "2020-05-25")
        for (name, value) in [("invoice_number", "27182818"), ("quantity", "100"), ("unit", "斤"), ("unit_price", "380"), ("amount", "38000.00")] {
            let field = try await browser.find(#"input[name="\#(name)"]"#)
            try await browser.clear(field)
            try await browser.sendKeys(field, value)
        }
        try await browser.screenshot(to: screenshot("02-purchase-form"))
        try await browser.click(browser.find(#"form[action="/purchases"] button[type="submit"]"#))

        // Back on the dashboard: the 完成率 went up and the bar grew.
        try await browser.waitForPath("/")
        let completionAfter = try await percent(browser.text(browser.waitFor("#completion")))
        let barAfter = try await number(browser.attribute(browser.waitFor("svg.progress rect.bar"), "width"))
        #expect(completionAfter > completionBefore, "完成率 \(completionBefore)% → \(completionAfter)%")
        #expect(barAfter > barBefore, "bar width \(barBefore) → \(barAfter)")
        try await browser.screenshot(to: screenshot("03-clerk-dashboard-after-purchase"))
        #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = '\(key)'") == 1)

        // Finance prepares June's batch; the clerk signs out and the approver approves it.
        let preparer = try #require(fixture.users[.financePreparer])
        let batch = try await fixture.preparedBatch(month: 6, preparer: preparer)
        try await browser.click(browser.find(#"form[action="/logout"] button"#))
        try await browser.waitForPath("/login")
        try await signIn(browser, app: app, role: .financeApprover)
        try await browser.waitForPath("/")
        try await browser.navigate(app + "/batches")
        let approve = try await browser.waitFor("#batch-\(batch) form button")
        #expect(try await browser.text(approve) == "审批")
        #expect(try await browser.text(browser.find("#batch-\(batch) .status-prepared")) == "待审核")
        try await browser.screenshot(to: screenshot("04-approver-batches"))
        try await browser.click(approve)
        try await browser.waitForPath("/batches")
        #expect(try await browser.text(browser.waitFor("p.notice")).contains("补助批次 \(batch) 已审核"))
        #expect(try await browser.text(browser.find("#batch-\(batch) .status-approved")) == "已审核")
        try await browser.screenshot(to: screenshot("05-batch-approved"))

        #expect(try await fixture.count("SELECT count(*) FROM relief.subsidy_batches WHERE id = \(batch) AND status = 'approved'") == 1)
        #expect(try await fixture.count("SELECT count(*) FROM relief.purchases WHERE purchase_key = '\(key)'") == 1)
    }

    static func signIn(_ browser: WebDriverSession, app: String, role: Role) async throws {
        try await browser.navigate(app + "/login")
        let login = try await browser.waitFor(#"input[name="login"]"#)
        try await browser.clear(login)
        try await browser.sendKeys(login, WebFixture.login(role))
        try await browser.sendKeys(browser.find(#"input[name="password"]"#), WebFixture.passwords[role]!)
        try await browser.click(browser.find(#"form[action="/login"] button[type="submit"]"#))
    }

    /// "12.3%" → 12.3.
    static func percent(_ text: String) throws -> Double {
        try #require(Double(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")), "完成率 \(text) is not a percentage")
    }

    static func number(_ text: String) throws -> Double {
        try #require(Double(text.trimmingCharacters(in: .whitespaces)), "\(text) is not a number")
    }
}

// MARK: The tools

/// Where chromium and chromedriver are, if installed.
struct BrowserTools {
    var chromium: String?
    var chromedriver: String?

    static func find() -> BrowserTools {
        BrowserTools(chromium: executable("chromium"), chromedriver: executable("chromedriver"))
    }

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return folders.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

struct WebDriverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A chromedriver process on a free local port, with a fresh Chromium profile folder. Owned by
/// the test's task (not Sendable): the server's closure gets its URL and profile path only.
final class ChromeDriver {
    /// Polls of GET /status, 100 ms apart, before giving up on chromedriver.
    static let readyPollLimit = 100
    /// Polls for chromedriver's exit after /shutdown (100 ms apart) and after SIGKILL (20 ms apart).
    static let stopPollLimit = 50

    let process: Process
    let baseURL: String
    let folder: URL
    var profile: URL { folder.appendingPathComponent("profile") }
    var log: URL { folder.appendingPathComponent("chromedriver.log") }

    private init(process: Process, baseURL: String, folder: URL) {
        self.process = process
        self.baseURL = baseURL
        self.folder = folder
    }

    static func start(executable: String) async throws -> ChromeDriver {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relief-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("profile"), withIntermediateDirectories: true)
        let logURL = folder.appendingPathComponent("chromedriver.log")
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else { throw WebDriverError("cannot create \(logURL.path)") }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--port=\(port)"]
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let driver = ChromeDriver(process: process, baseURL: "http://127.0.0.1:\(port)", folder: folder)
        for _ in 0..<readyPollLimit {
            guard process.isRunning else {
                driver.forceStop()
                throw WebDriverError("chromedriver exited (status \(process.terminationStatus)): \(driver.logTail())")
            }
            if let status = try? await Curl.run(["-X", "GET", driver.baseURL + "/status"], maxTime: 2),
                status.code == 200, WebDriverSession.value(status.body)?["ready"] as? Bool == true
            {
                return driver
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await driver.stop()
        throw WebDriverError("chromedriver was not ready after \(readyPollLimit) polls: \(driver.logTail())")
    }

    /// Ends chromedriver (its /shutdown also quits any Chromium it started), then removes the
    /// profile. SIGTERM would not do: a process started from a Swift concurrency thread inherits
    /// that thread's mask, which blocks it. Safe to call twice.
    func stop() async {
        if process.isRunning {
            _ = try? await Curl.run(["-X", "GET", baseURL + "/shutdown"], maxTime: 5)
            for _ in 0..<Self.stopPollLimit where process.isRunning {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        forceStop()
    }

    /// SIGKILL (cannot be blocked) if still running, then removes the profile; for `defer`.
    /// No `waitUntilExit`: it spins a CPU on corelibs Foundation.
    func forceStop() {
        if process.isRunning {
            _ = kill(process.processIdentifier, SIGKILL)
            for _ in 0..<Self.stopPollLimit where process.isRunning { usleep(20_000) }
        }
        try? FileManager.default.removeItem(at: folder)
    }

    func logTail() -> String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(20).joined(separator: "\n")
    }

    /// A port nothing listens on: bound to port 0 and released.
    static func freePort() throws -> Int {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw WebDriverError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw WebDriverError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw WebDriverError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

// MARK: curl

/// One HTTP request through the curl program, waited for without blocking a thread.
enum Curl {
    struct Result: Sendable {
        var code: Int
        var body: Data
    }

    static let executable = BrowserTools.executable("curl") ?? "/usr/bin/curl"

    /// Runs curl with `arguments` (method, URL, …) and `--max-time`; the status and body.
    static func run(_ arguments: [String], body: Data? = nil, maxTime: Int) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("relief-curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("response")
        var all = ["-sS", "--max-time", String(maxTime), "-o", output.path, "-w", "%{http_code}", "-H", "Content-Type: application/json; charset=utf-8"]
        if let body {
            let input = folder.appendingPathComponent("request")
            try body.write(to: input)
            all += ["--data-binary", "@" + input.path]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = all + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        // -sS and -w write a few bytes at most: nothing can fill a pipe.
        let written = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0, let code = Int(written) else {
            throw WebDriverError("curl \(arguments.joined(separator: " ")) failed (exit \(status)): \(errors)")
        }
        return Result(code: code, body: (try? Data(contentsOf: output)) ?? Data())
    }
}

// MARK: WebDriver

/// The few W3C WebDriver commands the test needs, one curl each.
struct WebDriverSession: Sendable {
    /// The W3C key of an element reference.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"
    /// Polls, 100 ms apart, for an element or a page to appear.
    static let pagePollLimit = 100
    /// Seconds for any one command (new session: starting Chromium).
    static let commandMaxTime = 30
    static let newSessionMaxTime = 60

    let base: String

    static func create(driver: String, chromium: String, profile: URL) async throws -> WebDriverSession {
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": ["pageLoad": 30_000, "script": 10_000, "implicit": 0],
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                            "--user-data-dir=\(profile.path)",
                        ],
                    ] as [String: Any],
                ] as [String: Any]
            ]
        ]
        let value = try await command(driver + "/session", "POST", capabilities, maxTime: newSessionMaxTime)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else { throw WebDriverError("no sessionId in \(String(describing: value))") }
        return WebDriverSession(base: driver + "/session/" + id)
    }

    /// The `value` of a WebDriver response as a dictionary.
    static func value(_ body: Data) -> [String: Any]? {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["value"] as? [String: Any]
    }

    /// Sends a command; its `value`, or the WebDriver error thrown.
    @discardableResult
    static func command(_ url: String, _ method: String, _ payload: [String: Any]? = nil, maxTime: Int = commandMaxTime) async throws -> Any? {
        let body = try payload.map { try JSONSerialization.data(withJSONObject: $0) }
        let result = try await Curl.run(["-X", method, url], body: body, maxTime: maxTime)
        let json = (try? JSONSerialization.jsonObject(with: result.body, options: [.fragmentsAllowed])) as? [String: Any]
        let value = json?["value"]
        guard result.code == 200 else {
            let error = value as? [String: Any]
            throw WebDriverError(
                "\(method) \(url) → \(result.code) \(error?["error"] as? String ?? ""): \(error?["message"] as? String ?? String(decoding: result.body, as: UTF8.self))")
        }
        return value is NSNull ? nil : value
    }

    @discardableResult
    func command(_ path: String, _ method: String = "POST", _ payload: [String: Any]? = [:]) async throws -> Any? {
        try await Self.command(base + path, method, method == "GET" || method == "DELETE" ? nil : payload)
    }

    func navigate(_ url: String) async throws { try await command("/url", "POST", ["url": url]) }

    func currentURL() async throws -> String { try await command("/url", "GET") as? String ?? "" }

    /// The first element matching `css`, or an error now.
    func find(_ css: String) async throws -> String {
        let value = try await command("/element", "POST", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else { throw WebDriverError("no element reference for \(css)") }
        return id
    }

    /// The first element matching `css`, polled for while the page loads.
    func waitFor(_ css: String) async throws -> String {
        var last: any Error = WebDriverError("never looked for \(css)")
        for _ in 0..<Self.pagePollLimit {
            do { return try await find(css) } catch { last = error }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebDriverError("\(css) not found after \(Self.pagePollLimit) polls (at \((try? await currentURL()) ?? "?")): \(last)")
    }

    /// Waits until the page's path is `path` (after a form's redirect).
    func waitForPath(_ path: String) async throws {
        var url = ""
        for _ in 0..<Self.pagePollLimit {
            url = try await currentURL()
            if URLComponents(string: url)?.path == path { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WebDriverError("still at \(url) after \(Self.pagePollLimit) polls, expected \(path)")
    }

    func click(_ element: String) async throws { try await command("/element/\(element)/click") }
    func clear(_ element: String) async throws { try await command("/element/\(element)/clear") }
    func sendKeys(_ element: String, _ text: String) async throws { try await command("/element/\(element)/value", "POST", ["text": text]) }
    func text(_ element: String) async throws -> String { try await command("/element/\(element)/text", "GET") as? String ?? "" }
    func attribute(_ element: String, _ name: String) async throws -> String {
        try await command("/element/\(element)/attribute/\(name)", "GET") as? String ?? ""
    }

    /// Picks the option with `value` in `<select name=…>` by clicking it.
    func select(_ name: String, _ value: String) async throws {
        try await click(find(#"select[name="\#(name)"] option[value="\#(value)"]"#))
    }

    /// Sets an input's value by script: typing into a date input depends on the browser's locale.
    func setValue(_ element: String, _ value: String) async throws {
        try await command(
            "/execute/sync", "POST",
            [
                "script": "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true})); return arguments[0].value;",
                "args": [[Self.elementKey: element], value] as [Any],
            ])
    }

    /// Writes the page's screenshot (PNG) to `file`.
    func screenshot(to file: URL) async throws {
        let value = try await command("/screenshot", "GET")
        guard let base64 = value as? String, let data = Data(base64Encoded: base64) else { throw WebDriverError("no screenshot data") }
        try data.write(to: file)
    }

    /// Ends the session (closes Chromium); errors only noted.
    func delete() async {
        do { try await command("", "DELETE") } catch { print("browser test: deleting the WebDriver session failed: \(error)") }
    }
}
