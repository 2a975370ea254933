import Foundation
import HeraldPostgres
import Logging
import Testing

/// Opening a store on a PostgreSQL that does not answer: the wait is announced at once and given
/// up at its deadline with the reason, whatever the connection pool's own retries do. Needs no
/// server (nothing listens on port 1).
struct PostgresStartupTests {
    @Test func aDatabaseThatNeverAnswersIsGivenUpAtTheDeadlineWithTheReason() async throws {
        let configuration = try PostgresConfiguration(url: "postgres://herald@127.0.0.1:1/herald")
        let notices = NoticeLog()
        var logger = Logger(label: "herald.test.startup") { _ in NoticeHandler(log: notices) }
        logger.logLevel = .notice
        do {
            _ = try await PostgresJourneyStore.open(configuration, logger: logger, connectTimeout: 3)
            Issue.record("opened a store on a port where nothing listens")
        } catch {
            let message = String(describing: error)
            #expect(message.contains("cannot connect to PostgreSQL at 127.0.0.1:1/herald"), "\(message)")
            #expect(message.contains("no answer within 3 s"), "\(message)")
        }
        #expect(notices.messages.filter { $0 == "waiting for PostgreSQL" }.count == 1, "\(notices.messages)")
    }
}

/// The messages logged at notice level or above.
final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var logged: [String] = []
    var messages: [String] { lock.withLock { logged } }
    func add(_ message: String) { lock.withLock { logged.append(message) } }
}

struct NoticeHandler: LogHandler {
    let log: NoticeLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .notice
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        if event.level >= .notice { log.add(event.message.description) }
    }
}
