// swift-tools-version: 6.0
// libFuzzer fuzzers for ReliefCore's parsers (docs/FUZZING.md). A package of its own so that the
// root package's `swift build` and `swift test` never compile with `-sanitize=fuzzer`; build and
// run them with `scripts/fuzz NAME [EXECUTIONS]` from the repository root.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// One executable per fuzzer: its main.swift hands the command line to libFuzzer's driver.
func fuzzer(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "CFuzzerDriver", "FuzzSupport",
            .product(name: "ReliefCore", package: "ReliefLedger"),
        ],
        swiftSettings: strict
    )
}

let package = Package(
    name: "ReliefFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "ReliefLedger", path: "..")
    ],
    targets: [
        // The declaration of libFuzzer's LLVMFuzzerRunDriver (its definition is in the fuzzer
        // runtime that -sanitize=fuzzer links).
        .target(name: "CFuzzerDriver"),
        // What the fuzzers share: running the driver, and checks that stop the run on a failure.
        .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], swiftSettings: strict),
        fuzzer("fuzz-money"),
        fuzzer("fuzz-csv"),
        fuzzer("fuzz-xlsx"),
        fuzzer("fuzz-purchase-import"),
    ],
    swiftLanguageModes: [.v6]
)
