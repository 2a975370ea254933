import Foundation
import HeraldChannels
import HeraldService
import Hummingbird
import JourneyEngine
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The composition root of `herald serve`: reads the configuration, opens the store, picks the
/// channels and hands them to a ``HeraldServer``, which knows none of them by name.
enum ServeAssembly {
    /// Runs until SIGTERM/SIGINT. Prints `herald: listening on http://HOST:PORT` once it accepts
    /// connections (tests and scripts wait for that line). Any failure to start throws a
    /// ``StartFailure`` with one line that says what and how to fix it.
    static func run(_ configuration: ServeConfiguration) async throws {
        let level = Logger.Level(rawValue: configuration.service.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "herald")
        var service = configuration.service
        let environment = ProcessInfo.processInfo.environment
        let delivery = try channelsDelivery(&service, logger: logger)
        let opened = try await OpenedStore.open(configuration, environment: environment, logger: logger)
        let listening = Listening()
        let host = service.host
        let server: HeraldServer
        do {
            server = try await HeraldServer.make(
                configuration: service, store: opened.store, leasing: opened.leasing, delivery: delivery, logger: logger,
                onListening: { port in
                    listening.set()
                    FileHandle.standardOutput.write(Data("herald: listening on http://\(host):\(port)\n".utf8))
                })
        } catch let refused as JourneyRegistry.Refused {
            for d in refused.diagnostics {
                FileHandle.standardError.write(Data("\(d.file):\(d.line):\(d.column): \(d.severity): \(d.message)\n".utf8))
            }
            throw StartFailure(
                "the journeys in \(service.journeys) did not pass the check (\(refused.diagnostics.count) \(refused.diagnostics.count == 1 ? "error" : "errors")): fix them and start again"
            )
        }
        do {
            try await server.application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch  where !listening.isSet {
            throw StartFailure("cannot listen on \(service.host):\(service.port): \(Self.reason(error))")
        }
        logger.notice("herald stopped")
    }

    /// HeraldChannels as configured: the channel file when one is given (its `retry:` section then
    /// sets the retry schedule), else every channel to the local development outbox folder (so
    /// `make run` needs no provider).
    static func channelsDelivery(_ service: inout ServiceConfiguration, logger: Logger) throws -> ChannelsDelivery {
        var channels: ChannelConfiguration
        if let file = service.delivery.channelsConfig {
            do {
                channels = try ChannelConfiguration.load(file: file)
            } catch {
                throw ServiceConfiguration.Invalid(description: "\(error)")
            }
            service.delivery.retryBaseSeconds = channels.retry.baseDelay.seconds
            service.delivery.retryCapSeconds = channels.retry.maxDelay.seconds
            service.delivery.maxAttempts = channels.retry.maxAttempts
        } else {
            channels = .local(directory: service.delivery.outboxFolder)
        }
        // Signed unsubscribe and tracking links (docs/engagement.md): the service verifies them.
        if let secret = service.engagement.linkSecret, let base = service.engagement.publicURL {
            channels.email.settings.links = EngagementLinks(secret: secret, baseURL: base, tracksClicks: service.engagement.clickTracking)
        }
        return ChannelsDelivery(
            dispatcher: MessageDispatcher(configuration: channels, logger: logger),
            renderer: MessageRenderer(journeysDirectory: service.journeys))
    }

    /// `bind(…): Address already in use (errno: 98)` → `address already in use (…)`.
    static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        guard let errno = text.range(of: " (errno:") else { return text }
        var reason = text[..<errno.lowerBound]
        if let colon = reason.range(of: ": ", options: .backwards) { reason = reason[colon.upperBound...] }
        let plain = reason.trimmingCharacters(in: CharacterSet(charactersIn: ") ")).lowercased()
        return plain + (plain.contains("in use") ? " (another process listens there: stop it or choose another --port)" : "")
    }
}

/// Set once the HTTP server accepts connections.
final class Listening: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
