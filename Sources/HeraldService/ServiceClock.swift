import Foundation

/// Where the service reads the time: seconds since the Unix epoch.
public struct ServiceClock: Sendable {
    public var now: @Sendable () -> Double
    public init(now: @escaping @Sendable () -> Double) { self.now = now }
    public static let system = ServiceClock { Date().timeIntervalSince1970 }
}
