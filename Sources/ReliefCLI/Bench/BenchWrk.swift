import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// (f)'s figures: requests per second and latency percentiles, from whichever client drove them.
struct HTTPFigures {
    /// Requests answered as expected.
    var requests: Int
    /// Wall time of the measured run.
    var seconds: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double

    var perSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }
}

extension HTTPFigures {
    /// The figures of the in-process client's sample.
    init(_ sample: LatencySample) {
        self.init(
            requests: sample.count, seconds: sample.seconds,
            p50Milliseconds: sample.percentileMilliseconds(0.5),
            p99Milliseconds: sample.percentileMilliseconds(0.99))
    }
}

/// Drives (f) with wrk from Debian, a separate process in C: the load generator then takes a
/// small share of the two cores, where the in-process AsyncHTTPClient (and the JSON it builds
/// per request) competed with the server for them. A Lua script makes each purchase's invoice
/// and Idempotency-Key unique and counts every answer whose status is not the expected one.
struct BenchWrk {
    /// wrk's threads (its connections are spread over them).
    static let threads = 2
    /// The most seconds a wrk run may take beyond its duration before the bench gives up.
    static let graceSeconds = 60
    /// How often the bench looks whether wrk has exited.
    static let pollMilliseconds = 50

    /// wrk's path, when it is on PATH.
    let executable: String

    /// wrk found on PATH, or nil (then the bench uses its in-process client).
    static func find() -> BenchWrk? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for folder in folders {
            let path = "\(folder)/wrk"
            if FileManager.default.isExecutableFile(atPath: path) { return BenchWrk(executable: path) }
        }
        return nil
    }

    /// What one run sends.
    struct Load {
        var url: String
        var connections: Int
        var seconds: Int
        /// Headers of every request (the token or the session cookie, the content type).
        var headers: [(name: String, value: String)]
        /// For POSTs: the body before and after the invoice number, which the script fills in
        /// with ``BenchHTTP/invoiceFormat`` from its slot and the request's count on its thread.
        var body: (prefix: String, suffix: String)?
        /// Keeps keys and invoices apart between runs: each wrk thread adds its index.
        var slot: Int
        var expectedStatus: Int
    }

    /// Runs wrk once and reads the figures its script prints. Throws, naming the first wrong
    /// answer, when any request was not answered with `expectedStatus` or a socket failed.
    func run(_ load: Load, folder: String) async throws -> HTTPFigures {
        let scriptPath = "\(folder)/relief-bench-\(getpid()).lua"
        let outputPath = "\(folder)/relief-bench-\(getpid()).wrk.out"
        try Self.script(load).write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: scriptPath)
            try? FileManager.default.removeItem(atPath: outputPath)
        }
        let arguments = [
            "-t\(Self.threads)", "-c\(load.connections)", "-d\(load.seconds)s", "--timeout", "30s", "-s",
            scriptPath, load.url, "--", String(load.slot),
        ]
        let pid = try ChildProcess.spawn(
            program: executable, arguments, environment: ProcessInfo.processInfo.environment,
            outputPath: outputPath)
        let status = try await Self.wait(pid, limitMilliseconds: (load.seconds + Self.graceSeconds) * 1000)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(
                description: "relief bench: wrk exited with status \(status): \(output.suffix(500))")
        }
        return try Self.figures(output, load: load)
    }

    /// The figures from the script's `relief-wrk` line; an error for any wrong answer.
    static func figures(_ output: String, load: Load) throws -> HTTPFigures {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("relief-wrk ") }) else {
            throw Failure(description: "relief bench: wrk printed no figures: \(output.suffix(500))")
        }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count == 6 else {
            throw Failure(description: "relief bench: wrk's figures unreadable: \(line)")
        }
        let (requests, durationMicroseconds, p50, p99, wrong, socketErrors) = (
            fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]
        )
        if wrong > 0 || socketErrors > 0 {
            let first =
                output.split(separator: "\n").first { $0.hasPrefix("relief-wrk-first-wrong ") }?.dropFirst(23)
                ?? ""
            throw Failure(
                description:
                    "relief bench: \(load.url): \(Int(wrong)) answers were not \(load.expectedStatus) and \(Int(socketErrors)) sockets failed; the first: \(first)"
            )
        }
        return HTTPFigures(
            requests: Int(requests), seconds: durationMicroseconds / 1_000_000, p50Milliseconds: p50 / 1000,
            p99Milliseconds: p99 / 1000)
    }

    /// Waits for `pid` without holding a thread of the cooperative pool (the server runs in this
    /// process). Returns its exit status; kills it past `limitMilliseconds`.
    static func wait(_ pid: pid_t, limitMilliseconds: Int) async throws -> Int32 {
        var status: Int32 = 0
        for _ in 0..<(limitMilliseconds / pollMilliseconds) {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { return ChildProcess.exitCode(status) }
            guard waited == 0 || errno == EINTR else {
                throw Failure(description: "relief bench: waitpid failed: errno \(errno)")
            }
            try await Task.sleep(for: .milliseconds(pollMilliseconds))
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        throw Failure(description: "relief bench: wrk did not finish within \(limitMilliseconds) ms")
    }

    /// The Lua script: the request (unique invoice and key per POST), the check of each answer,
    /// and one line of figures at the end (requests, microseconds, p50, p99, wrong answers,
    /// socket errors).
    static func script(_ load: Load) -> String {
        let headers = load.headers.map { "[\(luaString($0.name))] = \(luaString($0.value))" }.joined(
            separator: ", ")
        let body =
            load.body.map { "local prefix, suffix = \(luaString($0.prefix)), \(luaString($0.suffix))" }
            ?? "local prefix = nil"
        return """
            -- relief bench (f): written for one run, then removed.
            local threads = {}
            \(body)
            local expected = \(load.expectedStatus)
            function setup(thread)
              thread:set("index", #threads)
              table.insert(threads, thread)
            end
            function init(args)
              slot = tonumber(args[1]) + index
              count = 0
              wrong = 0
              first_wrong = ""
            end
            function request()
              local headers = { \(headers) }
              if prefix == nil then return wrk.format("GET", nil, headers, nil) end
              count = count + 1
              local invoice = string.format(\(luaString(BenchHTTP.invoiceFormat)), slot, count)
              headers["Idempotency-Key"] = "BENCH-WRK-" .. slot .. "-" .. count
              return wrk.format("POST", nil, headers, prefix .. invoice .. suffix)
            end
            function response(status, headers, body)
              if status ~= expected then
                wrong = wrong + 1
                if first_wrong == "" then first_wrong = status .. " " .. string.sub(body or "", 1, 300) end
              end
            end
            function done(summary, latency, requests)
              local wrong, first = 0, ""
              for _, thread in ipairs(threads) do
                wrong = wrong + thread:get("wrong")
                if first == "" then first = thread:get("first_wrong") end
              end
              local e = summary.errors
              io.write(string.format("relief-wrk %d %d %.0f %.0f %d %d\\n", summary.requests, summary.duration,
                latency:percentile(50), latency:percentile(99), wrong, e.connect + e.read + e.write + e.timeout))
              io.write("relief-wrk-first-wrong " .. string.gsub(first, "\\n", " ") .. "\\n")
            end

            """
    }

    /// `text` as a Lua string literal (byte escapes for quotes, backslashes and control bytes).
    static func luaString(_ text: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                out += Array(String(format: "\\%03d", Int(byte)).utf8)
            } else {
                out.append(byte)  // other bytes as they are: UTF-8 stays UTF-8
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
