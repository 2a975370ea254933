import Foundation
import Testing

@testable import HeraldChannels

struct ThroughputProbe {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HERALD_PROBE_URL"] != nil))
    func webhooks() async throws {
        let url = ProcessInfo.processInfo.environment["HERALD_PROBE_URL"]!
        let total = 20000
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let endpoint = WebhookChannel.Endpoint(url: url, secrets: [try WebhookSecret(Fixtures.secretA)], addressPolicy: AddressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")!]))
        let dispatcher = MessageDispatcher(channels: [.webhook: WebhookChannel(endpoint: endpoint, transport: transport)], limits: [.webhook: ChannelLimits(maxConcurrency: 64)])
        let start = ContinuousClock.now
        let delivered = try await withThrowingTaskGroup(of: Bool.self) { group in
            var inFlight = 0
            var count = 0
            for index in 0..<total {
                if inFlight >= 256 {
                    if try await group.next() == true { count += 1 }
                    inFlight -= 1
                }
                group.addTask { await dispatcher.attempt(Fixtures.webhook(key: "p\(index)")) == .delivered(providerMessageID: "p\(index)") }
                inFlight += 1
            }
            for try await ok in group where ok { count += 1 }
            return count
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("PROBE delivered \(delivered)/\(total) in \(seconds)s = \(Double(delivered) / seconds) msg/s")
    }
}
