// swift-tools-version: 6.1
import PackageDescription

/// One set of settings for every target (as hummingbird does): existential `any` spelled out,
/// imports visible only where declared, and imports internal unless marked `public import`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["HeraldCLI"]),
        .executable(name: "journey-check", targets: ["journey-check"]),
        .executable(name: "herald-bench", targets: ["HeraldBench"]),
        .library(name: "JourneyLanguage", targets: ["JourneyLanguage"]),
        .library(name: "JourneyEngine", targets: ["JourneyEngine"]),
        .plugin(name: "JourneyBuildCheck", targets: ["JourneyBuildCheck"]),
        .plugin(name: "CheckJourneys", targets: ["CheckJourneys"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // MARK: Language — source text to a checked, compiled program. Foundation only.
        .target(name: "JourneyLanguage", swiftSettings: swiftSettings),
        // The checker the plugins run: depends on the language module only. The target is named like
        // its product because SwiftPM cannot otherwise resolve a plugin's dependency on an executable
        // target that is also a product (swiftlang/swift-package-manager#8831).
        .executableTarget(
            name: "journey-check", dependencies: ["JourneyLanguage"], path: "Sources/JourneyCheck", swiftSettings: swiftSettings
        ),
        // The language server `herald lsp` runs: a hand-written LSP layer over the language module only.
        .target(name: "JourneyLanguageServer", dependencies: ["JourneyLanguage"], swiftSettings: swiftSettings),
        // A small target that exists so `swift build` checks Journeys/ (through the build-tool plugin).
        .target(name: "HeraldJourneys", swiftSettings: swiftSettings, plugins: ["JourneyBuildCheck"]),

        // MARK: Engine — interpreter, clocks, delivery policy, store protocol, in-memory store.
        .target(name: "JourneyEngine", dependencies: ["JourneyLanguage"], swiftSettings: swiftSettings),
        // Dry-run and journey tests: loading sample data, scenario files, reports.
        .target(
            name: "HeraldSimulation",
            dependencies: ["JourneyEngine", "JourneyLanguage", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),

        // MARK: Channels — libcurl transport, adapters, templates. Independent of the engine, the
        // stores and the service; speaks the language module's vocabulary.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .yum(["libcurl-devel"])]
        ),
        .target(
            name: "HeraldChannels",
            dependencies: [
                // The shared vocabulary (`Value`, `Channel`, `MessageCategory`); Foundation only.
                "JourneyLanguage",
                "CCurl",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Storage and service.
        .target(
            name: "HeraldSQLite",
            dependencies: ["JourneyEngine", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // Scale-out: several nodes on one PostgreSQL, shards leased per node, writes fenced by epoch.
        .target(
            name: "HeraldPostgres",
            dependencies: [
                "JourneyEngine", "JourneyLanguage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The service knows the store protocol and the channels, never a store by name: the
        // composition root (`herald serve` in HeraldCLI) opens the store and hands it in.
        .target(
            name: "HeraldService",
            dependencies: [
                "JourneyEngine", "JourneyLanguage", "HeraldChannels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The console's templates, script and style sheet (no Node toolchain: hand-written) are
            // compiled in as Swift data by the EmbedConsoleResources plugin: `herald` is one binary.
            exclude: ["Console/Resources"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedConsoleResources"]
        ),

        // MARK: The command-line tool, and the composition root of `herald serve` (Serve/): it reads
        // the configuration, opens the store (SQLite or PostgreSQL) and picks the channels.
        .executableTarget(
            name: "HeraldCLI",
            dependencies: [
                "JourneyLanguage", "JourneyLanguageServer", "JourneyEngine", "HeraldSimulation", "HeraldChannels", "HeraldService",
                "HeraldSQLite", "HeraldPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks — `make bench` builds this in release and prints one table (BENCHMARKS.md).
        // The store benchmarks drive the store and the engine the way ProcessingService does; the
        // HTTP ingestion benchmark runs the real HeraldService server, and the PostgreSQL one three
        // HeraldPostgres stores (so the release build includes Hummingbird and PostgresNIO).
        .executableTarget(
            name: "HeraldBench",
            dependencies: [
                "JourneyLanguage", "JourneyEngine", "HeraldSimulation", "HeraldSQLite", "HeraldChannels", "HeraldService",
                "HeraldPostgres", "JourneyLanguageServer",
                // Child processes without Foundation's `Process` (Tests/ChildProcess/ChildProcess.swift says why).
                "ChildProcess",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            // The delivery benchmark (webhooks vs wrk, SMTP) is compiled with this define; without it
            // the delivery rows read "not built". (HeraldChannels is built either way: HeraldService
            // and the HTTP benchmark's channels to the local outbox use it.)
            swiftSettings: swiftSettings + [.define("HERALD_BENCH_DELIVERY")]
        ),

        // MARK: Plugins — each depends on one small executable (the checker, the resource embedder).
        .plugin(
            name: "JourneyBuildCheck",
            capability: .buildTool(),
            dependencies: ["journey-check"]
        ),
        // Compiles the console's resources into HeraldService; its tool uses Foundation only.
        .executableTarget(name: "embed-resources", path: "Sources/EmbedResources", swiftSettings: swiftSettings),
        .plugin(name: "EmbedConsoleResources", capability: .buildTool(), dependencies: ["embed-resources"]),
        .plugin(
            name: "CheckJourneys",
            capability: .command(
                intent: .custom(verb: "check-journeys", description: "Check (and with --fix, format) the journey files"),
                permissions: [.writeToPackageDirectory(reason: "--fix rewrites journey files in the canonical layout")]
            ),
            dependencies: ["journey-check"]
        ),

        // MARK: Tests.
        // Broken/ and Golden/ are read from the source tree (via #filePath), not bundled.
        .testTarget(
            name: "JourneyLanguageTests", dependencies: ["JourneyLanguage", "ChildProcess"], exclude: ["Broken", "Golden"],
            swiftSettings: swiftSettings
        ),
        // The language server: the protocol layer in process, and the real `herald lsp` over pipes.
        .testTarget(
            name: "JourneyLanguageServerTests", dependencies: ["JourneyLanguageServer", "JourneyLanguage", "ChildProcess"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "JourneyEngineTests", dependencies: ["JourneyEngine", "JourneyLanguage"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HeraldSimulationTests",
            dependencies: ["HeraldSimulation", "JourneyEngine", "JourneyLanguage", "ChildProcess"],
            // Policy scenario journeys, messages and YAML, read from the source tree by the tests.
            exclude: ["PolicyScenarios"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldChannelsTests",
            dependencies: ["HeraldChannels", "JourneyLanguage", "HeraldTestSupport"],
            // Python test servers and example messages, read from the source tree by the tests.
            exclude: ["Servers", "Fixtures"],
            swiftSettings: swiftSettings
        ),
        // Child processes spawned without Foundation's `Process`, whose `run()` crashes now and then on
        // Linux in Swift 6.3 (see ChildProcess.swift).
        .target(name: "CChildProcess", path: "Tests/CChildProcess"),
        .target(name: "ChildProcess", dependencies: ["CChildProcess"], path: "Tests/ChildProcess", swiftSettings: swiftSettings),
        // Helpers the service, store and cluster tests share: loopback HTTP calls, a webhook receiver,
        // the `herald serve` process, a PostgreSQL database per test.
        .target(
            name: "HeraldTestSupport",
            dependencies: [
                "JourneyLanguage", "HeraldPostgres", "ChildProcess",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                // The webhook receiver verifies signatures itself (HMAC-SHA256), not with Herald's signer.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/HeraldTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HeraldServiceTests",
            dependencies: [
                "HeraldTestSupport", "HeraldService", "HeraldSQLite", "HeraldChannels", "JourneyEngine", "JourneyLanguage",
                "HeraldSimulation",
                // The reload plan on a server over PostgreSQL (ReloadPlanTests).
                "HeraldPostgres",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                // Reads the outbox of a killed `herald serve` (the delivery crash loop).
                .product(name: "GRDB", package: "GRDB.swift"),
                // Reads the example configuration file as `herald serve` does.
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // One conformance suite, every backend: memory, SQLite and PostgreSQL
        // (HERALD_TEST_POSTGRES_URL; required under CI=true).
        .testTarget(
            name: "HeraldStoreConformanceTests",
            dependencies: [
                "HeraldTestSupport", "JourneyEngine", "JourneyLanguage", "HeraldSQLite", "HeraldPostgres",
                // The journey registry on each store: revisions deployed across a cluster's nodes.
                "HeraldService",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // Writes rows the way an earlier version did (JSON aggregates), behind the store's back.
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The `herald` binary as users run it (check, fmt, graph, dry-run, test, send-test, serve):
        // arguments, output, exit codes; `herald serve` under SIGHUP, a PostgreSQL outage, real
        // email and SMS servers, and a bad configuration. It runs the binary that
        // `swift build --build-tests` builds, so it links no Herald module itself.
        .testTarget(
            name: "HeraldCLITests",
            dependencies: [
                "HeraldTestSupport", "JourneyLanguage", "ChildProcess", .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // Three `herald serve` processes on one PostgreSQL: kill -9, SIGSTOP past the lease, fencing.
        .testTarget(
            name: "HeraldClusterTests",
            dependencies: [
                "HeraldTestSupport", "JourneyEngine", "JourneyLanguage", "HeraldPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
