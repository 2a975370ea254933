import Logging
import ServiceLifecycle
import UnixSignals

/// `kill -HUP <pid>` reloads the journeys, like `POST /v1/journeys/reload`.
struct ReloadOnHangup: Service {
    let registry: JourneyRegistry
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    let report = try await registry.reload(source: "sighup")
                    logger.notice(
                        "journeys reloaded on SIGHUP",
                        metadata: ["journeys": "\(report.journeys.map { "\($0.name)@\($0.version.prefix(12)) \($0.status)" })"])
                } catch let refused as JourneyRegistry.Refused {
                    logger.error(
                        "journey reload refused; the running version stays",
                        metadata: [
                            "diagnostics": "\(refused.diagnostics.map { "\($0.file):\($0.line):\($0.column): \($0.message)" })"
                        ])
                } catch {
                    logger.error("journey reload failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
