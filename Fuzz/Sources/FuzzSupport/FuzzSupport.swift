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
public func runFuzzer(_ target: FuzzTarget) -> Never {
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
