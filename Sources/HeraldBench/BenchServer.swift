import Foundation
import HeraldChannels
import HeraldService
import Hummingbird
import JourneyEngine
import Logging

/// The service as `herald serve` builds it (the bench's journeys, API key `bench-key`, channels
/// writing to the local outbox in `directory/outbox`), in process on a free loopback port, with no
/// signal handlers: the bench must stay killable with SIGTERM/SIGINT after a section.
struct BenchServer {
    let port: Int
    let running: Task<Void, any Error>

    static func start(_ options: BenchOptions, store: any JourneyStore, directory: String, label: String) async throws -> BenchServer {
        var configuration = ServiceConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.journeys = options.journeys
        configuration.apiKeys = ["bench-key"]
        configuration.logLevel = "warning"
        var logger = Logger(label: label)
        logger.logLevel = .warning
        let delivery = ChannelsDelivery(
            dispatcher: MessageDispatcher(configuration: .local(directory: directory + "/outbox"), logger: logger),
            renderer: MessageRenderer(journeysDirectory: options.journeys))
        let listening = AsyncStream<Int>.makeStream()
        let server = try await HeraldServer.make(
            configuration: configuration, store: store, delivery: delivery, logger: logger,
            onListening: { port in listening.continuation.yield(port) })
        let running = Task { try await server.application.runService(gracefulShutdownSignals: []) }
        var ports = listening.stream.makeAsyncIterator()
        guard let port = await ports.next() else {
            running.cancel()
            throw BenchError("the server did not start listening")
        }
        return BenchServer(port: port, running: running)
    }

    /// Stops the server and waits for it to finish.
    func stop() async {
        running.cancel()
        _ = try? await running.value
    }
}
