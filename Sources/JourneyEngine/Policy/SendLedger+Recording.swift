public import JourneyLanguage

extension LedgerEntry {
    /// The entry for `request` sent on `channel` at `at` (carrying the request's priority, which
    /// conflicts inside the settle window compare).
    public init(request: SendRequest, channel: Channel, at: Double) {
        self.init(
            at: at, channel: channel, category: request.send.category, journey: request.journey,
            message: request.send.message, requestID: request.id, priority: request.priority)
    }
}

extension SendLedger {
    /// Whether a send with this request id is recorded (the deduplication check).
    public func contains(requestID: String) -> Bool {
        entries.contains { $0.requestID == requestID }
    }

    /// Records a send, keeping the entries oldest first (an entry older than the newest one is
    /// inserted in place).
    ///
    /// ```swift
    /// if case .send(let channel, _) = decision {
    ///     ledger.record(LedgerEntry(request: request, channel: channel, at: now))
    /// }
    /// ```
    public mutating func record(_ entry: LedgerEntry) {
        guard let last = entries.last, last.at > entry.at else {
            entries.append(entry)
            return
        }
        let index = entries.lastIndex { $0.at <= entry.at }.map { $0 + 1 } ?? 0
        entries.insert(entry, at: index)
    }

    /// Records every `.send` among `decisions` (one per request, in the same order) at `now`: what
    /// the engine does after `DeliveryPolicy.decide`.
    public mutating func record(_ decisions: [DeliveryDecision], for requests: [SendRequest], at now: Double) {
        for (decision, request) in zip(decisions, requests) {
            if case .send(let channel, _) = decision { record(LedgerEntry(request: request, channel: channel, at: now)) }
        }
    }

    /// Removes the entries of a request whose delivery failed permanently: its cap slot is released.
    public mutating func release(requestID: String) {
        entries.removeAll { $0.requestID == requestID }
    }

    /// The ledger without the entries older than `seconds` before `now` (use
    /// `DeliveryPolicy.ledgerRetention`: older entries cannot affect any decision). Deduplication
    /// by request id covers the same horizon.
    public func pruned(keepingWithin seconds: Double, now: Double) -> SendLedger {
        let oldest = now - seconds
        guard let first = entries.first, first.at < oldest else { return self }
        return SendLedger(entries: entries.filter { $0.at >= oldest })
    }
}

extension DeliveryPolicy {
    /// How long a ledger entry can still affect a decision: the longest rolling window, two days
    /// when a calendar-day cap exists (a local day lasts at most 25 hours, and its start lies at
    /// most that far back), the minimum gap, and twice the settle window.
    public var ledgerRetention: Double {
        var retention = max(program.minimumGap ?? 0, 2 * program.settleWindow)
        for cap in program.caps + journeyCaps {
            switch cap.window {
            case .rolling(let seconds): retention = max(retention, seconds)
            case .calendarDay: retention = max(retention, 2 * 86_400)
            }
        }
        return retention
    }

    /// When a freshly requested send is due for decision: `requestedAt + settleWindow` for
    /// marketing, `requestedAt` for transactional sends (they take no part in conflicts).
    public func settleDeadline(for request: SendRequest) -> Double {
        request.send.category == .transactional ? request.requestedAt : request.requestedAt + program.settleWindow
    }

    /// The earliest settle deadline among `pending` sends, or `nil` when none are pending. At that
    /// instant the engine decides *all* pending sends together in one batch.
    public func nextSettleDeadline(_ pending: [SendRequest]) -> Double? {
        pending.lazy.map { settleDeadline(for: $0) }.min()
    }
}
