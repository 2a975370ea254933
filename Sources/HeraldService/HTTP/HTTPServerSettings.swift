import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// How the HTTP server treats connections, from `limits` in the configuration:
///
/// - hummingbird's idle timeout (`idle_timeout_seconds`) closes a connection that sends no
///   complete request head in time (nothing at all, or a head that never ends, before the API key
///   is even seen), stops sending in the middle of a body, or idles between requests;
/// - ``RequestBodyHandler`` bounds a whole body (`body_timeout_seconds`) and reads out the rest of
///   a body the server answered early (a 413) before closing, so every client sees the answer;
/// - hummingbird's ``MaximumAvailableConnections`` caps open connections (`max_connections`);
///   past it, new connections wait in the listen backlog until one closes.
enum HTTPServerSettings {
    static func server(_ limits: ServiceConfiguration.Limits, logger: Logger) -> HTTPServerBuilder {
        let bodyTimeout = TimeAmount.nanoseconds(Int64(limits.bodyTimeoutSeconds * 1_000_000_000))
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [RequestBodyHandler(bodyTimeout: bodyTimeout, logger: logger)],
                idleTimeout: .nanoseconds(Int64(limits.idleTimeoutSeconds * 1_000_000_000))))
    }

    static func application(
        _ configuration: ServiceConfiguration, logger: Logger
    ) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "herald",
            availableConnectionsDelegate: MaximumAvailableConnections(
                connectionLimit(configuration.limits.maxConnections, logger: logger), logger: logger))
    }

    /// File descriptors kept free for the database, its WAL, delivery sockets and logs.
    static let reservedDescriptors = 256

    /// The configured limit, lowered to fit the open-file limit: running out of descriptors makes
    /// `accept` fail in a loop and the server stop answering even `/healthz`.
    static func connectionLimit(_ configured: Int, logger: Logger) -> Int {
        var limit = rlimit()
        #if os(Linux)
        let status = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let status = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        guard status == 0, limit.rlim_cur < rlim_t(Int.max) else { return configured }
        let fitting = max(16, Int(limit.rlim_cur) - reservedDescriptors)
        if configured > fitting {
            logger.notice(
                "limits.max_connections lowered to fit the open-file limit",
                metadata: ["configured": "\(configured)", "used": "\(fitting)", "open_files": "\(limit.rlim_cur)"])
            return fitting
        }
        return configured
    }
}
