import Foundation
import HeraldSQLite
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// The `herald serve` entry point: configuration file, then `HERALD_*` environment, then flags.
public enum HeraldServe {
    /// Command-line overrides (`nil`: not given).
    public struct Overrides: Sendable {
        public var host: String?
        public var port: Int?
        public var journeys: String?
        public var data: String?
        public var outbox: String?
        public var durability: String?
        public init() {}
    }

    /// Resolves the configuration: defaults ◂ file ◂ environment ◂ flags.
    public static func configuration(
        file: String?, environment: [String: String], overrides: Overrides
    ) throws -> ServiceConfiguration {
        var configuration = try file.map { try ServiceConfiguration.load(file: $0) } ?? ServiceConfiguration()
        try configuration.applyEnvironment(environment)
        if let host = overrides.host { configuration.host = host }
        if let port = overrides.port { configuration.port = port }
        if let journeys = overrides.journeys { configuration.journeys = journeys }
        if let data = overrides.data { configuration.data = data }
        if let outbox = overrides.outbox { configuration.delivery.outboxFolder = outbox }
        if let durability = overrides.durability {
            guard let value = HeraldSQLiteDurability(rawValue: durability) else {
                throw ServiceConfiguration.Invalid(description: "--durability \(durability): expected full or relaxed")
            }
            configuration.storage.durability = value
        }
        try configuration.validate()
        return configuration
    }

    /// Runs until SIGTERM/SIGINT. Prints `herald: listening on http://HOST:PORT` once it accepts
    /// connections (tests and scripts wait for that line).
    public static func run(configuration: ServiceConfiguration, toolchain: any JourneyToolchain) async throws {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "herald")
        let server: HeraldServer
        do {
            server = try await HeraldServer.make(
                configuration: configuration, toolchain: toolchain, logger: logger,
                onListening: { port in
                    FileHandle.standardOutput.write(Data("herald: listening on http://\(configuration.host):\(port)\n".utf8))
                })
        } catch let refused as JourneyRegistry.Refused {
            for d in refused.diagnostics {
                FileHandle.standardError.write(Data("\(d.file):\(d.line):\(d.column): \(d.severity): \(d.message)\n".utf8))
            }
            throw ServiceConfiguration.Invalid(
                description: "the journeys in \(configuration.journeys) did not pass the check (\(refused.diagnostics.count) problems)")
        }
        try await server.application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        logger.notice("herald stopped")
    }
}

typealias HeraldSQLiteDurability = SQLiteConfiguration.Durability
