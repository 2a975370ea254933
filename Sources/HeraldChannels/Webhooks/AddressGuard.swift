import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which non-public addresses webhook endpoints may resolve to. The default allows none, so a
/// webhook URL cannot reach loopback, private networks, link-local addresses (cloud metadata at
/// 169.254.169.254) or unique-local IPv6.
public struct AddressPolicy: Sendable, Hashable {
    /// Networks allowed even though they are not public (`127.0.0.0/8` for a local receiver).
    public var allowedNetworks: [IPNetwork]

    public init(allowedNetworks: [IPNetwork] = []) {
        self.allowedNetworks = allowedNetworks
    }

    /// Public addresses only.
    public static let publicOnly = AddressPolicy()

    /// Why `address` may not be used ("a loopback address"), or nil when it may.
    func refusal(_ address: IPAddress) -> String? {
        guard let reason = address.nonPublicReason else { return nil }
        if allowedNetworks.contains(where: { $0.contains(address) || address.embeddedIPv4.map($0.contains) == true }) {
            return nil
        }
        return reason
    }
}

/// Resolves a webhook URL's host, refuses it when any address is not allowed, and returns the
/// `host:port:address` entry that pins the connection to the checked address (so that a second
/// DNS answer cannot send the request elsewhere). Answers are cached briefly.
final class AddressGuard: Sendable {
    struct Target: Sendable, Hashable {
        var host: String
        var port: Int
        var address: IPAddress
        /// The `CURLOPT_RESOLVE` entry, or nil when the host is an address literal.
        var pin: String?
    }

    let policy: AddressPolicy
    private let cacheLifetime: Duration
    private let cache = Mutex<[String: (addresses: [IPAddress], expires: ContinuousClock.Instant)]>([:])
    /// URLs already taken apart (most deliveries go to a few endpoints).
    private let endpoints = Mutex<[String: Endpoint]>([:])

    private struct Endpoint {
        var host: String
        var port: Int
        var literal: IPAddress?
    }

    init(policy: AddressPolicy, cacheLifetime: Duration = .seconds(30)) {
        self.policy = policy
        self.cacheLifetime = cacheLifetime
    }

    /// - Returns: the target to connect to, or a permanent failure (bad URL, refused address) or
    ///   a transient one (the name did not resolve).
    func check(_ url: String) async -> Result<Target, DeliveryFailure> {
        let endpoint: Endpoint
        switch parse(url) {
        case .success(let parsed): endpoint = parsed
        case .failure(let failure): return .failure(failure)
        }
        let (host, port) = (endpoint.host, endpoint.port)
        if let literal = endpoint.literal {
            if let refusal = policy.refusal(literal) {
                return .failure(.permanent("webhook endpoint refused: \(literal) is \(refusal); allow it with webhook.allow_private_networks"))
            }
            return .success(Target(host: host, port: port, address: literal, pin: nil))
        }
        let addresses: [IPAddress]
        switch await resolve(host) {
        case .success(let resolved): addresses = resolved
        case .failure(let failure): return .failure(failure)
        }
        for address in addresses {
            if let refusal = policy.refusal(address) {
                return .failure(
                    .permanent("webhook endpoint refused: `\(host)` resolves to \(address), \(refusal); allow it with webhook.allow_private_networks")
                )
            }
        }
        // Prefer IPv4 when both exist (it is what most receivers listen on first).
        let chosen = addresses.first(where: \.isIPv4) ?? addresses[0]
        let literal = chosen.isIPv4 ? chosen.description : "[\(chosen)]"
        return .success(Target(host: host, port: port, address: chosen, pin: "\(host):\(port):\(literal)"))
    }

    private func parse(_ url: String) -> Result<Endpoint, DeliveryFailure> {
        if let known = endpoints.withLock({ $0[url] }) { return .success(known) }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", var host = components.host, !host.isEmpty
        else {
            return .failure(.permanent("`\(url)` is not an http or https URL"))
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        host = host.lowercased()
        let endpoint = Endpoint(host: host, port: components.port ?? (scheme == "https" ? 443 : 80), literal: IPAddress(host))
        endpoints.withLock { endpoints in
            if endpoints.count > 10_000 { endpoints.removeAll() }
            endpoints[url] = endpoint
        }
        return .success(endpoint)
    }

    private func resolve(_ host: String) async -> Result<[IPAddress], DeliveryFailure> {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[host] }), cached.expires > now {
            return .success(cached.addresses)
        }
        let result = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.getaddrinfo(host))
            }
        }
        if case .success(let addresses) = result {
            cache.withLock { $0[host] = (addresses, now + cacheLifetime) }
        }
        return result
    }

    private static func getaddrinfo(_ host: String) -> Result<[IPAddress], DeliveryFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = Glibc.getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            return .failure(.transient("cannot resolve webhook host `\(host)`: \(reason)"))
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let socketAddress = entry.pointee.ai_addr {
                switch Int32(socketAddress.pointee.sa_family) {
                case AF_INET:
                    socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin_addr
                        addresses.append(IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }))
                    }
                case AF_INET6:
                    socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var address = pointer.pointee.sin6_addr
                        addresses.append(IPAddress(bytes: withUnsafeBytes(of: &address) { Array($0) }))
                    }
                default: break
                }
            }
            cursor = entry.pointee.ai_next
        }
        var unique: [IPAddress] = []
        for address in addresses where !unique.contains(address) { unique.append(address) }
        if unique.isEmpty {
            return .failure(.transient("webhook host `\(host)` has no address"))
        }
        return .success(unique)
    }
}

/// A failure found before any request was made.
enum DeliveryFailure: Error, Sendable, Hashable {
    case permanent(String)
    case transient(String)

    var outcome: DeliveryOutcome {
        switch self {
        case .permanent(let reason): .permanent(reason: reason)
        case .transient(let reason): .transient(reason: reason, retryAfter: nil)
        }
    }
}
