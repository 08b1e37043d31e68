import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a finished program printed and how it exited.
public struct CommandResult: Sendable {
    /// The program's exit status.
    public let exitCode: Int32
    /// What it wrote to standard output.
    public let standardOutput: String
    /// What it wrote to standard error.
    public let standardError: String

    /// Standard error, or standard output when standard error is empty (some programs report there).
    public var diagnostics: String {
        let errorText = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        if !errorText.isEmpty { return errorText }
        return standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The OS account the server runs as when relief itself runs as root (initdb and postgres refuse root).
struct ServiceAccount: Sendable {
    /// The account Debian/Ubuntu's postgresql package creates.
    static let defaultName = "postgres"

    let name: String
    let userID: uid_t
    let groupID: gid_t

    /// Looks the account up in the user database; nil when it does not exist.
    static func lookUp(_ name: String) -> ServiceAccount? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        let bufferSize = 16_384
        var buffer = [CChar](repeating: 0, count: bufferSize)
        let status = getpwnam_r(name, &entry, &buffer, bufferSize, &result)
        guard status == 0, result != nil else { return nil }
        return ServiceAccount(name: name, userID: entry.pw_uid, groupID: entry.pw_gid)
    }
}

/// Runs programs with Foundation's `Process`, capturing output, with a bounded wait.
/// When `account` is set, programs run as that account through `runuser -u <account> --`.
struct CommandRunner: Sendable {
    /// Places runuser (util-linux) is installed.
    static let runuserCandidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
    /// How long a program may keep running after it was asked to terminate before it is killed.
    static let terminationGraceSeconds = 5.0

    /// Runs the rest of its arguments as a command in a subshell that first closes every file
    /// descriptor above 2, and exits with that command's status. See `run(leavesDaemon:)`.
    static let closeInheritedDescriptorsScript =
        #"( for path in /proc/self/fd/*; do fd=${path##*/}; "#
        + #"if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec "$@" ); exit $?"#
    static let bashPath = "/bin/bash"

    let account: ServiceAccount?

    /// Runs `executable` and waits at most `timeoutSeconds` for it to exit.
    ///
    /// `environment` is the child's whole environment; by default ours without PG* variables (see
    /// ``childEnvironment(_:)``).
    ///
    /// `leavesDaemon` is for commands that start a background process (`pg_ctl start`). On Linux,
    /// Foundation's `Process` learns that a child exited when a socket the child inherits is closed; a
    /// daemon that inherits it too would make the command look alive for as long as the server runs.
    /// Such commands therefore run under bash, which keeps that socket while a subshell closes every
    /// descriptor above 2 and then runs the command.
    func run(
        _ executable: String, _ arguments: [String], timeoutSeconds: Double, leavesDaemon: Bool = false,
        environment: [String: String]? = nil
    )
        throws(EmbeddedPostgresError) -> CommandResult
    {
        var launchPath = executable
        var launchArguments = arguments
        if let account {
            guard let runuser = Self.runuserCandidates.first(where: { PostgresPrograms.isExecutable($0) })
            else {
                throw EmbeddedPostgresError(
                    kind: .commandFailed,
                    message:
                        "runuser was not found (looked in "
                        + "\(Self.runuserCandidates.joined(separator: ", "))); "
                        + "it is needed to run PostgreSQL as the \(account.name) user while running as root. "
                        + "Install util-linux, or run relief as a non-root user.")
            }
            launchPath = runuser
            launchArguments = ["-u", account.name, "--", executable] + arguments
        }
        #if os(Linux)
            if leavesDaemon && PostgresPrograms.isExecutable(Self.bashPath) {
                launchArguments =
                    ["-c", Self.closeInheritedDescriptorsScript, "relief-detach", launchPath]
                    + launchArguments
                launchPath = Self.bashPath
            }
        #endif
        let commandLine = ([executable] + arguments).joined(separator: " ")

        let outputFolder = FileManager.default.temporaryDirectory.path
        let token = UUID().uuidString
        let outputPath = "\(outputFolder)/relief-embedded-pg-\(token).out"
        let errorPath = "\(outputFolder)/relief-embedded-pg-\(token).err"
        // Files rather than pipes: a server started by pg_ctl must never keep our reads open.
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
            FileManager.default.createFile(atPath: errorPath, contents: nil),
            let outputHandle = FileHandle(forWritingAtPath: outputPath),
            let errorHandle = FileHandle(forWritingAtPath: errorPath)
        else {
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
            throw EmbeddedPostgresError(
                kind: .fileSystem,
                message: "Could not create temporary files in \(outputFolder) to capture the output of "
                    + "\(commandLine). Check that the folder exists and is writable (or set TMPDIR).")
        }
        defer {
            try? outputHandle.close()
            try? errorHandle.close()
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: launchPath)
        process.arguments = launchArguments
        // "/" so that a service account that cannot enter our working folder does not complain.
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.environment = environment ?? Self.childEnvironment(ProcessInfo.processInfo.environment)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }

        do {
            try process.run()
        } catch {
            throw EmbeddedPostgresError(
                kind: .commandFailed,
                message: "Could not run \(launchPath): \(error). Check that it is installed and executable.")
        }

        if finished.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            // Process starts the child in a process group of its own: stop the whole group.
            kill(-process.processIdentifier, SIGTERM)
            process.terminate()
            if finished.wait(timeout: .now() + Self.terminationGraceSeconds) == .timedOut {
                kill(-process.processIdentifier, SIGKILL)
                kill(process.processIdentifier, SIGKILL)
                _ = finished.wait(timeout: .now() + Self.terminationGraceSeconds)
            }
            throw EmbeddedPostgresError(
                kind: .commandFailed,
                message:
                    "\(commandLine) did not finish within \(Int(timeoutSeconds)) seconds and was stopped. "
                    + "Check the PostgreSQL log and that the machine is not overloaded.")
        }

        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let errorOutput = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return CommandResult(
            exitCode: process.terminationStatus, standardOutput: output, standardError: errorOutput)
    }

    /// Our environment without PG* variables (they would point libpq tools elsewhere) and with
    /// messages in English, so that the texts we look for ("already exists") are predictable.
    static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        var result = environment.filter { !$0.key.hasPrefix("PG") }
        result["LC_ALL"] = "C"
        return result
    }
}
