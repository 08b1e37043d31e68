// swift-tools-version: 6.0
// ReliefLedger (消费帮扶台账): a double-entry ledger on PostgreSQL through libpq.
// Layers, bottom to top: CLibPQ → Postgres → ReliefCore (pure) → ReliefStore → ReliefWeb → ReliefCLI → relief.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ReliefLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "relief", targets: ["relief"]),
        // The pure core as a library, for the fuzzers in Fuzz/ (a separate package).
        .library(name: "ReliefCore", targets: ["ReliefCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C shim: libpq from libpq-dev, found by pkg-config.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // Thin Swift layer over libpq: thread-confined connections, pool, COPY, errors.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Pure domain logic: money, 大写, credit codes, periods, entries, canonical text. No I/O.
        .target(
            name: "ReliefCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        // Numbered SQL migrations, shipped as a resource bundle.
        .target(
            name: "ReliefMigrations",
            path: "sql",
            exclude: ["README.md"],
            resources: [.copy("migrations")],
            swiftSettings: strict
        ),
        // A private PostgreSQL cluster under a data folder (initdb / pg_ctl).
        .target(
            name: "EmbeddedPostgres",
            swiftSettings: strict
        ),
        // PostgreSQL-backed books: migrations, posting path, reports, verification.
        .target(
            name: "ReliefStore",
            dependencies: [
                "Postgres", "ReliefCore", "ReliefMigrations", "EmbeddedPostgres",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        // The web app (Hummingbird): JSON API and server-rendered zh-CN pages, each request's
        // database work run as the signed-in user's database role.
        .target(
            name: "ReliefWeb",
            dependencies: [
                "ReliefStore", "ReliefCore", "Postgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: strict
        ),
        // The command-line interface as a library so that tests can drive it.
        .target(
            name: "ReliefCLI",
            dependencies: [
                "ReliefStore", "ReliefCore", "EmbeddedPostgres", "ReliefWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The benchmark's HTTP client (relief bench, phase f).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "relief",
            dependencies: ["ReliefCLI"],
            swiftSettings: strict
        ),
        // Test support: a throwaway PostgreSQL for integration tests.
        .target(
            name: "ReliefTestSupport",
            dependencies: ["Postgres", "EmbeddedPostgres"],
            path: "Tests/Support",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReliefCoreTests", dependencies: ["ReliefCore"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "EmbeddedPostgresTests", dependencies: ["EmbeddedPostgres"], swiftSettings: strict),
        .testTarget(
            name: "PostgresTests", dependencies: ["Postgres", "ReliefTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ReliefStoreTests",
            dependencies: ["ReliefStore", "ReliefCore", "Postgres", "ReliefTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ReliefCLITests",
            dependencies: ["ReliefCLI", "ReliefStore", "ReliefCore", "Postgres", "ReliefTestSupport"],
            // The bad-input corpus, read from the source tree by BadInputTests.
            exclude: ["BadInput"],
            swiftSettings: strict),
        .testTarget(
            name: "ReliefWebTests",
            dependencies: [
                "ReliefWeb", "ReliefStore", "ReliefCore", "Postgres", "ReliefTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["generate-openapi-swift.sh"],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
