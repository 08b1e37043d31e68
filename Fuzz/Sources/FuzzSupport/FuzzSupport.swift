import CFuzzerDriver

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What libFuzzer calls for each input: the bytes and their count; returns 0.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

/// Hands the process's command line (libFuzzer's flags, corpus folders, crash files) to
/// libFuzzer's driver, which runs `target` on each input, and exits with the driver's status.
///
/// With `FUZZ_REPEAT=N` in the environment it runs `target` N times on each file named on the
/// command line instead, and prints the peak resident size after each file: a quick way to see
/// whether an input leaks memory.
public func runFuzzer(_ target: FuzzTarget) -> Never {
    if let text = getenv("FUZZ_REPEAT"), let count = Int(String(cString: text)) {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                continue
            }
            var input: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case let read = fread(&chunk, 1, chunk.count, file), read > 0 {
                input += chunk[..<read]
            }
            fclose(file)
            for _ in 0..<count {
                _ = input.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("\(path): \(count) runs, peak RSS \(usage.ru_maxrss / 1024) MB")
        }
        exit(0)
    }
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv, target)
    exit(status)
}

/// The bytes of one input as an array (empty for a null pointer).
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else {
        return []
    }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the run with a message when a property does not hold: abort() makes libFuzzer write
/// the input to a crash file (with SWIFT_BACKTRACE=enable=no, so Swift's backtracer does not
/// take the signal first).
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() {
        var text = "fuzz property failed at \(file):\(line): \(message())\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        abort()
    }
}
