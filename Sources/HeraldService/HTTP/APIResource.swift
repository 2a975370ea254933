import Foundation
import JourneyEngine
import JourneyLanguage

/// The API's resources as docs/openapi.yaml defines them: snake_case fields, RFC 3339 times,
/// enums as fixed lower-case words. Built field by field from the engine's types, so the
/// engine's own encoding (what the store keeps) never reaches a client and can change freely.
enum APIResource {
    static func time(_ seconds: Double) -> Value { .string(Value.formatTime(seconds)) }
    static func time(_ seconds: Double?) -> Value { seconds.map(time) ?? .null }
    static func string(_ text: String?) -> Value { text.map(Value.string) ?? .null }
    static func integer(_ number: some BinaryInteger) -> Value { .number(Double(number)) }

    /// `GET /v1/customers/{id}` (and the `PUT` answer).
    static func customer(
        _ stored: StoredCustomer, id: String, log: [CustomerLogEntry], messages: [OutboxStatus]
    ) -> Value {
        let state = stored.state
        return .object([
            "id": .string(id),
            "profile": profile(state.profile),
            "instances": .list(state.instances.map(instance)),
            "pending_sends": .list(state.pendingSends.map(pendingSend)),
            "segments": .list(state.segments.map(Value.string)),
            "version": integer(stored.version),
            "next_wake_at": time(stored.nextWakeAt),
            "updated_at": time(stored.updatedAt),
            "recent_decisions": .list(log.map(decision)),
            "messages": .list(messages.map(message)),
        ])
    }

    static func profile(_ profile: CustomerProfile) -> Value {
        .object([
            "id": .string(profile.id),
            "email": string(profile.email),
            "phone": string(profile.phone),
            "time_zone": string(profile.timeZone),
            "subscriptions": .object(profile.subscriptions.mapValues(Value.bool)),
            "attributes": .object(profile.attributes),
        ])
    }

    /// One journey instance: where the customer is in which version of which journey, since when.
    static func instance(_ instance: JourneyInstance) -> Value {
        var fields: [String: Value] = [
            "journey": .string(instance.journey),
            "version": .string(instance.version),
            "entry": integer(instance.entrySequence),
            "step": .string(instance.step),
            "since": time(instance.enteredAt),
            "status": .string(instance.isActive ? (instance.heldSince == nil ? "active" : "held") : "finished"),
            "wait_until": time(instance.isActive ? instance.deadline : nil),
            "converted_at": time(instance.convertedAt),
            "goal_deadline": time(instance.goalDeadline),
            "variants": .list(
                instance.variants.map {
                    .object(["split": .string($0.split), "variant": .string($0.variant), "control": .bool($0.isControl)])
                }),
            "exit": .null,
        ]
        if case .finished(let reason, let at) = instance.status {
            fields["exit"] = .object(["reason": .string(exitReason(reason)), "detail": string(exitDetail(reason)), "at": time(at)])
        }
        return .object(fields)
    }

    /// The stable word for why an instance left its journey.
    static func exitReason(_ reason: ExitReason) -> String {
        switch reason {
        case .completed: "completed"
        case .explicit: "exit_step"
        case .event: "exit_event"
        case .condition: "exit_condition"
        case .goal: "goal"
        case .versionRetired: "version_retired"
        case .migration: "migration"
        case .stepLimit: "step_limit"
        case .invalidState: "invalid_state"
        }
    }

    static func exitDetail(_ reason: ExitReason) -> String? {
        switch reason {
        case .explicit(let label): label
        case .event(let name): name
        case .invalidState(let state): "state \(state)"
        default: nil
        }
    }

    static func pendingSend(_ pending: PendingSend) -> Value {
        .object([
            "journey": .string(pending.request.journey),
            "step": .string(pending.request.step),
            "message": .string(pending.request.send.message),
            "channel": .string(pending.request.send.channel.rawValue),
            "category": .string(pending.request.send.category.rawValue),
            "requested_at": time(pending.request.requestedAt),
            "due_at": time(pending.dueAt),
            "deferrals": integer(pending.deferrals),
        ])
    }

    /// A line of the customer's history: what happened (`kind`, and for a send decision its
    /// `outcome`), where (`step`, `message`, `channel`), until when a deferred send waits, and the
    /// reason in words (`summary`). The engine's record, kept with the line, is read back as the
    /// engine's type and shown field by field; its encoding never reaches the client.
    static func decision(_ entry: CustomerLogEntry) -> Value {
        var fields: [String: Value] = [
            "at": time(entry.at), "kind": .string(entry.kind), "journey": string(entry.journey), "summary": .string(entry.summary),
            "outcome": .null, "step": .null, "message": .null, "channel": .null, "until": .null,
        ]
        if let kind = timelineKind(entry.detail) {
            switch kind {
            case .sent(let step, let message, let requested, let channel, _, _):
                fields.merge([
                    "outcome": .string(requested == channel ? "sent" : "fell_back"), "step": .string(step), "message": .string(message),
                    "channel": .string(channel.rawValue),
                ]) { $1 }
            case .deferred(let step, let message, let channel, let until, _):
                fields.merge([
                    "outcome": .string("deferred"), "step": .string(step), "message": .string(message), "channel": .string(channel.rawValue),
                    "until": time(until),
                ]) { $1 }
            case .skipped(let step, let message, let channel, _):
                fields.merge([
                    "outcome": .string("skipped"), "step": .string(step), "message": .string(message), "channel": .string(channel.rawValue),
                ]) { $1 }
            case .sendCancelled(let step, let message, let channel, _):
                fields.merge([
                    "outcome": .string("cancelled"), "step": .string(step), "message": .string(message), "channel": .string(channel.rawValue),
                ]) { $1 }
            case .movedByMigration(_, _, _, let step, _, _):
                fields["step"] = .string(step)
            case .sendTimeChosen(let step, let message, let channel, let choice):
                fields.merge([
                    "step": .string(step), "message": .string(message), "channel": .string(channel.rawValue), "until": time(choice.at),
                ]) { $1 }
            case .held(let step), .resumed(let step, _), .exited(let step, _):
                fields["step"] = .string(step)
            default:
                break
            }
        } else if case .object(let detail) = entry.detail {
            // Engines without a timeline log sends with their step and channel.
            if case .string(let step)? = detail["step"] { fields["step"] = .string(step) }
            if case .string(let channel)? = detail["channel"] { fields["channel"] = .string(channel) }
        }
        return .object(fields)
    }

    /// The engine's timeline record kind a log line keeps, read back as the engine's own type.
    private static func timelineKind(_ detail: Value) -> TimelineKind? {
        guard case .object = detail, let data = try? JSONEncoder().encode(detail) else { return nil }
        return try? JSONDecoder().decode(TimelineKind.self, from: data)
    }

    static func message(_ status: OutboxStatus) -> Value {
        .object([
            "id": .string(status.message.id), "journey": .string(status.message.journey), "step": .string(status.message.step),
            "channel": .string(status.message.channel.rawValue), "message": .string(status.message.message),
            "category": .string(status.message.category.rawValue), "state": .string(status.state.rawValue),
            "attempts": integer(status.attempts), "next_attempt_at": time(status.nextAttemptAt),
            "last_error": string(status.lastError),
        ])
    }

    static func deadLetter(_ letter: DeadLetter) -> Value {
        .object([
            "sequence": integer(letter.sequence), "message_id": .string(letter.message.id),
            "customer_id": .string(letter.message.customerID), "journey": .string(letter.message.journey),
            "step": .string(letter.message.step), "channel": .string(letter.message.channel.rawValue),
            "message": .string(letter.message.message), "attempts": integer(letter.attempts), "reason": .string(letter.reason),
            "at": time(letter.at), "retried_at": time(letter.retriedAt),
        ])
    }

    static func diagnostic(_ diagnostic: JourneyDiagnostic) -> Value {
        .object([
            "file": .string(diagnostic.file), "line": integer(diagnostic.line), "column": integer(diagnostic.column),
            "severity": .string(diagnostic.severity), "message": .string(diagnostic.message), "id": string(diagnostic.id),
        ])
    }
}
