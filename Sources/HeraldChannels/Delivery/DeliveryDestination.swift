import Foundation

/// Where an attempt goes, as far as sharing capacity is concerned: one email or SMS provider, one
/// webhook origin (scheme, host and port). The delivery worker limits attempts in flight per
/// destination, so one slow or hanging destination cannot hold the slots the others need.
///
/// ```swift
/// dispatcher.destination(channel: .webhook, webhookURL: "https://hooks.partner.example/herald")
/// // DeliveryDestination(key: "webhook https://hooks.partner.example:443", maxConcurrency: 64)
/// ```
public struct DeliveryDestination: Sendable, Hashable, CustomStringConvertible {
    /// Equal for attempts that compete for the same receiver.
    public var key: String
    /// The channel's `max_concurrency`: attempts in flight to this destination at most.
    public var maxConcurrency: Int

    public init(key: String, maxConcurrency: Int) {
        self.key = key
        self.maxConcurrency = max(1, maxConcurrency)
    }

    public var description: String { key }

    /// The origin of a webhook URL (`https://host:443`), or the text itself when it does not parse
    /// (the attempt will fail on it anyway, and alone).
    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased()
        else { return url }
        let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : 0)
        return "\(scheme)://\(host):\(port)"
    }
}

extension MessageDispatcher {
    /// The destination of a message on `channel` (with the recipient's own webhook URL, if any).
    public func destination(channel: ChannelKind, webhookURL: String?) -> DeliveryDestination {
        let limit = maxConcurrency(of: channel)
        guard channel == .webhook else { return DeliveryDestination(key: channel.rawValue, maxConcurrency: limit) }
        guard let url = webhookURL ?? configuredWebhookURL else { return DeliveryDestination(key: "webhook", maxConcurrency: limit) }
        return DeliveryDestination(key: "webhook " + DeliveryDestination.origin(of: url), maxConcurrency: limit)
    }
}
