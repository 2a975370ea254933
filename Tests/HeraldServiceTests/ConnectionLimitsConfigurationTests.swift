import Foundation
import Logging
import Testing

@testable import HeraldService

#if canImport(Glibc)
import Glibc
#endif

/// The connection limits as a configuration file gives them, the values refused, and the
/// connection limit fitted to the open-file limit.
struct ConnectionLimitsConfigurationTests {
    static func load(_ yaml: String) throws -> ServiceConfiguration {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("herald-limits-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try ServiceConfiguration.load(file: file.path)
    }

    @Test func limitsAreReadFromTheFileWithDefaultsForTheRest() throws {
        let configuration = try Self.load("limits: { idle_timeout_seconds: 5, max_connections: 100 }\n")
        #expect(configuration.limits.idleTimeoutSeconds == 5)
        #expect(configuration.limits.maxConnections == 100)
        #expect(configuration.limits.bodyTimeoutSeconds == 60)
        #expect(ServiceConfiguration().limits.idleTimeoutSeconds == 30)
        try configuration.validate()
    }

    @Test(arguments: [
        ("limits: { idle_timeout_seconds: 0 }", "idle_timeout_seconds"),
        ("limits: { body_timeout_seconds: -1 }", "body_timeout_seconds"),
        ("limits: { body_timeout_seconds: .inf }", "body_timeout_seconds"),
        ("limits: { max_connections: 0 }", "max_connections"),
    ])
    func nonsenseLimitsAreRefusedWithTheirName(yaml: String, key: String) throws {
        var configuration = try Self.load(yaml + "\n")
        configuration.apiKeys = ["k"]
        let error = try #require(throws: ServiceConfiguration.Invalid.self) { try configuration.validate() }
        #expect(error.description.contains(key), "\(error.description)")
    }

    @Test func theConnectionLimitFitsTheOpenFileLimit() throws {
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let open = Int(limit.rlim_cur)
        let logger = Logger(label: "test")
        let fitted = HTTPServerSettings.connectionLimit(10 * open, logger: logger)
        #expect(fitted == max(16, open - HTTPServerSettings.reservedDescriptors))
        #expect(HTTPServerSettings.connectionLimit(8, logger: logger) == 8, "a limit that fits is kept")
    }
}
