/// Something that can attempt to deliver a message once: an SMTP server, an HTTP provider, a
/// webhook endpoint, the local outbox, or a test double.
///
/// An attempt never throws: every failure is a ``DeliveryOutcome``, transient or permanent.
/// Retries, rate limits and concurrency bounds are the ``MessageDispatcher``'s job.
public protocol DeliveryChannel: Sendable {
    func attempt(_ message: OutgoingMessage) async -> DeliveryOutcome
}
