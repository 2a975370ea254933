import Foundation
import HTTPTypes
import JourneyEngine
import JourneyLanguage
import Logging

/// Retry and discard of a dead letter, shared by the API (`POST /v1/dead-letters/{id}/retry`,
/// `DELETE /v1/dead-letters/{id}`) and the console: the store's answer as the API's errors, the
/// delivery worker woken for a retried message, and a log line for each.
struct DeadLetterOperations: Sendable {
    let store: any JourneyStore
    let clock: ServiceClock
    /// Wakes the delivery worker, so a retried message goes out now rather than at its next poll.
    let deliverySignal: Signal

    /// Puts the message back in the outbox, due now, with its id (the idempotency key) kept.
    func retry(_ sequence: Int64, by who: String, logger: Logger) async throws -> DeadLetter {
        let letter = try Self.done(try await store.retryDeadLetter(sequence, now: clock.now()), sequence)
        deliverySignal.notify()
        logger.notice(
            "\(who): dead letter retried",
            metadata: ["dead_letter": "\(sequence)", "message_id": "\(letter.message.id)", "customer_id": "\(letter.message.customerID)"])
        return letter
    }

    /// Removes the dead letter (the customer's log keeps a record).
    func discard(_ sequence: Int64, by who: String, logger: Logger) async throws -> DeadLetter {
        let letter = try Self.done(try await store.discardDeadLetter(sequence, now: clock.now()), sequence)
        logger.notice(
            "\(who): dead letter discarded",
            metadata: ["dead_letter": "\(sequence)", "message_id": "\(letter.message.id)", "customer_id": "\(letter.message.customerID)"])
        return letter
    }

    private static func done(_ resolution: DeadLetterResolution, _ sequence: Int64) throws -> DeadLetter {
        switch resolution {
        case .done(let letter):
            return letter
        case .unknown:
            throw APIError(
                .notFound, code: "unknown_dead_letter",
                message: "there is no dead letter \(sequence) (it was discarded, pruned, or never existed); GET /v1/dead-letters lists them")
        case .alreadyRetried(let at):
            throw APIError(
                .conflict, code: "already_retried",
                message: "dead letter \(sequence) was retried at \(Value.formatTime(at)): its message is in the outbox again")
        case .messageGone:
            throw APIError(
                .conflict, code: "message_gone",
                message:
                    "dead letter \(sequence)'s message is no longer a failed one in the outbox (it was erased or sent again); discard the dead letter instead"
            )
        }
    }

    /// A dead letter's sequence from a path segment: a positive integer, else 422.
    static func sequence(_ text: String) throws -> Int64 {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let value = Int64(text), value > 0
        else {
            throw APIError.invalid([
                ValidationProblem(
                    path: "id", message: "must be a dead letter's sequence (1, 2, …); \"\(text)\" is not one; GET /v1/dead-letters lists them")
            ])
        }
        return value
    }
}
