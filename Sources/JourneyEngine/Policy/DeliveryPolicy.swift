public import JourneyLanguage

/// The single decision point every send passes through, in the dry-run and in the service alike.
///
/// A pure function of (the customer's send ledger, the sends pending for that customer, the
/// customer's contact data and consent, the current instant): no clock, no I/O.
///
/// ```swift
/// let policy = DeliveryPolicy(program: catalog.policy, journeyCaps: catalog.journeys.flatMap(\.caps))
/// let decisions = policy.decide(requests, ledger: state.ledger, contact: contact, now: now)
/// ```
public struct DeliveryPolicy: Sendable {
    public var program: DeliveryPolicyProgram
    /// Caps declared inside journeys (their scope names the journey).
    public var journeyCaps: [Cap]

    public init(program: DeliveryPolicyProgram, journeyCaps: [Cap] = []) {
        self.program = program
        self.journeyCaps = journeyCaps
    }

    /// Decides a batch of sends that are due together for one customer (the settle window gathers
    /// them). Returns one decision per request, in the order of `requests`.
    ///
    /// Decisions inside a batch see each other: a send allowed earlier counts toward the caps that
    /// later ones read. Requests are considered by priority (highest first), then by the time they
    /// were first requested, then by journey name, then by request id — so the outcome never
    /// depends on the order of the array. The rules, their order and the conflict rule are in
    /// `docs/delivery-policy.md`.
    ///
    /// ```swift
    /// let decisions = policy.decide([cartReminder, newsletter], ledger: state.ledger, contact: contact, now: now)
    /// // [.send(channel: .email, notes: []),
    /// //  .deferred(until: now + 120, reason: .conflict(winner: "cart_abandonment", winnerPriority: 80))]
    /// ```
    ///
    /// - Parameters:
    ///   - requests: the sends due now for one customer (fresh ones after their settle window,
    ///     deferred ones re-presented at their time).
    ///   - ledger: the customer's recent sends, oldest first.
    ///   - contact: the customer's time zone, contact data and consent.
    ///   - now: the decision instant, seconds since the Unix epoch.
    /// - Returns: one decision per request, in the order of `requests`.
    public func decide(
        _ requests: [SendRequest], ledger: SendLedger, contact: CustomerContact, now: Double
    ) -> [DeliveryDecision] {
        var batch = PolicyBatch(policy: self, ledger: ledger, contact: contact, now: now)
        return batch.decide(requests)
    }
}

/// A send the engine wants to make, as the delivery policy sees it.
public struct SendRequest: Sendable, Hashable, Codable {
    /// Deduplication key: stable for one journey step of one entry of one customer
    /// (`"<customer>/<journey>/<entry sequence>/<state label>"`); the same request replayed keeps it.
    public var id: String
    public var journey: String
    public var priority: Int
    /// The label of the journey state that sends.
    public var step: String
    public var send: Send
    /// When the send was first requested; a `defer up to` bound counts from here.
    public var requestedAt: Double

    public init(id: String, journey: String, priority: Int, step: String, send: Send, requestedAt: Double) {
        self.id = id
        self.journey = journey
        self.priority = priority
        self.step = step
        self.send = send
        self.requestedAt = requestedAt
    }
}

/// One message that was sent (or reserved for sending) to the customer: what caps count.
public struct LedgerEntry: Sendable, Hashable, Codable {
    public var at: Double
    public var channel: Channel
    public var category: MessageCategory
    public var journey: String
    public var message: String
    /// The `SendRequest.id` it came from.
    public var requestID: String
    /// The sending journey's priority, for conflicts inside the settle window; `nil` (entries
    /// recorded without it) counts as winning against any request.
    public var priority: Int?

    public init(
        at: Double, channel: Channel, category: MessageCategory, journey: String, message: String, requestID: String,
        priority: Int? = nil
    ) {
        self.at = at
        self.channel = channel
        self.category = category
        self.journey = journey
        self.message = message
        self.requestID = requestID
        self.priority = priority
    }
}

/// The customer's recent sends, oldest first, with a bounded footprint (entries older than the
/// longest cap window are pruned).
public struct SendLedger: Sendable, Hashable, Codable {
    public var entries: [LedgerEntry]
    public init(entries: [LedgerEntry] = []) { self.entries = entries }
}

/// What the policy needs to know about the customer.
public struct CustomerContact: Sendable, Hashable {
    /// IANA time zone identifier, already defaulted (customer → journey → policy).
    public var timeZone: String
    public var hasEmail: Bool
    public var hasPhone: Bool
    /// Consent per channel (`"email"`, `"sms"`, `"webhook"`) and per topic (`"topic:newsletter"`).
    /// A channel missing from the map counts as subscribed; a topic missing counts as subscribed.
    public var subscriptions: [String: Bool]
    /// The suppressions in force (for the customer's current addresses), newest last.
    public var suppressions: [Suppression]

    public init(timeZone: String, hasEmail: Bool, hasPhone: Bool, subscriptions: [String: Bool], suppressions: [Suppression] = []) {
        self.timeZone = timeZone
        self.hasEmail = hasEmail
        self.hasPhone = hasPhone
        self.subscriptions = subscriptions
        self.suppressions = suppressions
    }
}

/// The outcome for one send request, always with its reason.
public enum DeliveryDecision: Sendable, Hashable, Codable {
    /// Send now on `channel` (the requested one, or the fallback — `notes` then say why).
    case send(channel: Channel, notes: [DecisionReason])
    /// Ask again at `until` (the engine re-presents the same request then).
    case deferred(until: Double, reason: DecisionReason)
    case skipped(reason: DecisionReason)
}

/// Why a decision went the way it did — specific enough to show a person.
///
/// `description` renders it in UTC; `description(timeZone:)` in the customer's own time zone:
/// "cap `marketing_per_day` reached (3/3), frees at 2026-11-24T00:00:00+01:00".
public enum DecisionReason: Sendable, Hashable, Codable {
    /// A cap is full: its name, its current count and limit, and when the oldest counted message
    /// leaves the window (or the local midnight for calendar-day caps).
    case capReached(cap: String, count: Int, limit: Int, freesAt: Double)
    case minimumGap(lastSentAt: Double, gap: Double, allowedAt: Double)
    case quietHours(channel: Channel, start: LocalTime, end: LocalTime, endsAt: Double)
    /// A higher-priority (or, at equal priority, earlier) journey's send won the settle window.
    case conflict(winner: String, winnerPriority: Int)
    case noConsent(channel: Channel, topic: String?)
    case missingContact(channel: Channel)
    /// An engagement event closed the channel: a hard bounce or complaint suppressed the address,
    /// an unsubscribe or a `STOP` reply withdrew consent (docs/engagement.md).
    case suppressed(Suppression)
    /// The `defer up to` bound ran out while the send was still blocked by `blockedBy`.
    indirect case deferBoundExpired(bound: Double, blockedBy: DecisionReason)
    /// This request id was already sent.
    case duplicate(requestID: String)
    /// Sent on another channel because the requested one was blocked.
    indirect case fellBack(from: Channel, because: DecisionReason)
    /// The requested channel was blocked (`because`), and so was the fallback channel (`blockedBy`):
    /// the reason of a skip or a deferral after a fallback was tried.
    indirect case fallbackBlocked(from: Channel, because: DecisionReason, fallback: Channel, blockedBy: DecisionReason)
}
