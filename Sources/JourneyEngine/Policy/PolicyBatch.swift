import Foundation
import JourneyLanguage

/// One `DeliveryPolicy.decide` call: the batch's view of the ledger, the customer's local calendar
/// (built only when a rule needs it) and the per-request decision procedure.
///
/// For each request, in precedence order (see `ConflictResolver`):
/// 1. **Duplicate** — its id is in the ledger (or was sent earlier in the batch) → skipped.
/// 2. **Transactional** — needs contact data only: sent on its channel, else on its fallback
///    channel, else skipped. Never deferred, never capped, never quiet.
/// 3. **Topic consent** — a marketing send whose topic the customer left → skipped (a topic is the
///    same on every channel, so no fallback).
/// 4. **Channel consent, contact data** — blocked → the fallback channel if declared, else skipped.
/// 5. **Quiet hours** with `inQuietHours: .skip` → skipped.
/// 6. **Caps, minimum gap, conflicts** → `whenCapped`: `.skip` skips, `.fallback` tries the fallback
///    channel (whose caps then skip), `.deferUpTo(b)` defers to the first instant every rule allows
///    (quiet hours included) if it is within `requestedAt + b`, else skips with
///    `deferBoundExpired`.
/// 7. **Quiet hours** alone (`inQuietHours: .deferUntilEnd`) → deferred to the window's end; not
///    bounded by `deferUpTo`.
/// 8. Otherwise sent.
struct PolicyBatch {
    let policy: DeliveryPolicy
    let contact: CustomerContact
    let now: Double
    var ledger: LedgerView
    private var calendarStorage: LocalCalendar?
    private var dayCache: (instant: Double, start: Double, next: Double)?

    init(policy: DeliveryPolicy, ledger: SendLedger, contact: CustomerContact, now: Double) {
        self.policy = policy
        self.contact = contact
        self.now = now
        self.ledger = LedgerView(recorded: ledger.entries)
    }

    mutating func decide(_ requests: [SendRequest]) -> [DeliveryDecision] {
        if requests.count == 1 { return [decide(requests[0])] }
        var decisions = [DeliveryDecision](repeating: .skipped(reason: .duplicate(requestID: "")), count: requests.count)
        for index in ConflictResolver.precedenceOrder(requests) {
            decisions[index] = decide(requests[index])
        }
        return decisions
    }

    mutating func decide(_ request: SendRequest) -> DeliveryDecision {
        if ledger.contains(requestID: request.id) { return .skipped(reason: .duplicate(requestID: request.id)) }
        let decision =
            request.send.category == .transactional ? decideTransactional(request) : decideMarketing(request)
        if case .send(let channel, _) = decision {
            ledger.added.append(LedgerEntry(request: request, channel: channel, at: now))
        }
        return decision
    }

    // MARK: Transactional

    private func decideTransactional(_ request: SendRequest) -> DeliveryDecision {
        let channel = request.send.channel
        let suppressed = ConsentCheck.suppression(contact, channel: channel, category: .transactional)
        if suppressed == nil, ConsentCheck.hasContact(contact, for: channel) { return .send(channel: channel, notes: []) }
        let missing = suppressed ?? DecisionReason.missingContact(channel: channel)
        guard let fallback = fallbackChannel(of: request) else { return .skipped(reason: missing) }
        let fallbackSuppressed = ConsentCheck.suppression(contact, channel: fallback, category: .transactional)
        if fallbackSuppressed == nil, ConsentCheck.hasContact(contact, for: fallback) {
            return .send(channel: fallback, notes: [.fellBack(from: channel, because: missing)])
        }
        return .skipped(
            reason: .fallbackBlocked(
                from: channel, because: missing, fallback: fallback, blockedBy: fallbackSuppressed ?? .missingContact(channel: fallback)))
    }

    // MARK: Marketing

    private enum Outcome {
        case send
        case deferred(until: Double, reason: DecisionReason)
        case skipped(DecisionReason)
        /// Blocked by a cap, the gap or a conflict under `whenCapped: .fallback`.
        case capped(DecisionReason)
    }

    private mutating func decideMarketing(_ request: SendRequest) -> DeliveryDecision {
        let channel = request.send.channel
        if let topic = request.send.topic, !ConsentCheck.consents(contact, toTopic: topic) {
            return .skipped(reason: ConsentCheck.topicSuppression(contact, topic: topic) ?? .noConsent(channel: channel, topic: topic))
        }
        if let block = ConsentCheck.channelBlock(contact, channel: channel, category: .marketing) {
            guard let fallback = fallbackChannel(of: request) else { return .skipped(reason: block) }
            return tryFallback(request, from: channel, because: block, to: fallback, whenCapped: request.send.whenCapped)
        }
        switch evaluate(request, on: channel, whenCapped: request.send.whenCapped) {
        case .send: return .send(channel: channel, notes: [])
        case .deferred(let until, let reason): return .deferred(until: until, reason: reason)
        case .skipped(let reason): return .skipped(reason: reason)
        case .capped(let reason):
            guard let fallback = fallbackChannel(of: request) else { return .skipped(reason: reason) }
            return tryFallback(request, from: channel, because: reason, to: fallback, whenCapped: .skip)
        }
    }

    private mutating func tryFallback(
        _ request: SendRequest, from channel: Channel, because reason: DecisionReason, to fallback: Channel,
        whenCapped: CappedRule
    ) -> DeliveryDecision {
        func blocked(_ other: DecisionReason) -> DecisionReason {
            .fallbackBlocked(from: channel, because: reason, fallback: fallback, blockedBy: other)
        }
        if let block = ConsentCheck.channelBlock(contact, channel: fallback, category: .marketing) {
            return .skipped(reason: blocked(block))
        }
        switch evaluate(request, on: fallback, whenCapped: whenCapped == .fallback ? .skip : whenCapped) {
        case .send: return .send(channel: fallback, notes: [.fellBack(from: channel, because: reason)])
        case .deferred(let until, let other): return .deferred(until: until, reason: blocked(other))
        case .skipped(let other), .capped(let other): return .skipped(reason: blocked(other))
        }
    }

    private func fallbackChannel(of request: SendRequest) -> Channel? {
        guard let fallback = request.send.fallback, fallback != request.send.channel else { return nil }
        return fallback
    }

    /// Caps, gap, conflicts and quiet hours for a marketing send on `channel` at `now`.
    private mutating func evaluate(_ request: SendRequest, on channel: Channel, whenCapped: CappedRule) -> Outcome {
        let (capped, quiet) = blockers(request, on: channel, at: now)
        if let quiet, request.send.inQuietHours == .skip { return .skipped(quiet.reason) }
        if let capped {
            switch whenCapped {
            case .skip: return .skipped(capped.reason)
            case .fallback: return .capped(capped.reason)
            case .deferUpTo(let seconds):
                return deferral(request, on: channel, first: Blocker.stricter(capped, quiet) ?? capped, bound: seconds)
            }
        }
        if let quiet { return deferral(request, on: channel, first: quiet, bound: nil) }
        return .send
    }

    /// The first instant after `now` at which every rule allows the send, found by jumping to the
    /// instant the strictest blocker frees and re-checking there (computed, never polled).
    /// `bound` (seconds from `requestedAt`) applies when a cap, the gap or a conflict is involved.
    private mutating func deferral(
        _ request: SendRequest, on channel: Channel, first: Blocker, bound: Double?
    ) -> Outcome {
        let deadline = bound.map { request.requestedAt + $0 }
        var binding = first
        var bounded = deadline != nil && !first.isQuietHours
        for _ in 0..<64 {
            let instant = binding.freesAt
            if bounded, let deadline, let bound, instant > deadline {
                return .skipped(.deferBoundExpired(bound: bound, blockedBy: binding.reason))
            }
            guard instant.isFinite else { return .skipped(binding.reason) }
            let (capped, quiet) = blockers(request, on: channel, at: instant)
            guard let next = Blocker.stricter(capped, quiet) else {
                return .deferred(until: instant, reason: binding.reason)
            }
            if capped != nil, deadline != nil { bounded = true }
            // Blockers free strictly later than they block; guard against a rule that would not.
            binding = next.freesAt > instant ? next : Blocker(kind: next.kind, freesAt: instant + 1)
        }
        return .skipped(binding.reason)
    }

    // MARK: Rules at an instant

    /// The strictest cap/gap/conflict blocker and the strictest quiet-hours blocker at `instant`.
    private mutating func blockers(
        _ request: SendRequest, on channel: Channel, at instant: Double
    ) -> (capped: Blocker?, quiet: Blocker?) {
        var capped: Blocker?
        // The rule lists by index, and no copy of the whole policy program: copying a `Cap` or a
        // `QuietHours` retains and releases each of its fields (this runs several times per send).
        let caps = policy.program.caps, journeyCaps = policy.journeyCaps, quietHours = policy.program.quietHours
        for c in caps.indices where CapCounter.applies(caps[c], toMarketingOn: channel, journey: request.journey) {
            capped = Blocker.stricter(capped, capBlocker(caps[c], journey: request.journey, at: instant))
        }
        for c in journeyCaps.indices where CapCounter.applies(journeyCaps[c], toMarketingOn: channel, journey: request.journey) {
            capped = Blocker.stricter(capped, capBlocker(journeyCaps[c], journey: request.journey, at: instant))
        }
        if let gap = policy.program.minimumGap, gap > 0 {
            capped = Blocker.stricter(capped, gapBlocker(gap, at: instant))
        }
        let conflict = ConflictResolver.blocker(
            for: request, at: instant, batchInstant: now, settleWindow: policy.program.settleWindow, ledger: ledger)
        if let conflict, let gap = capped, case .minimumGap = gap.kind, gap.freesAt >= conflict.freesAt {
            // The gap runs from the winning journey's own send: what a person needs to see is the
            // conflict (which journey won), held for as long as the gap lasts.
            capped = Blocker(kind: conflict.kind, freesAt: gap.freesAt)
        } else {
            capped = Blocker.stricter(capped, conflict)
        }
        var quiet: Blocker?
        if !quietHours.isEmpty {
            var minute: Int?
            for w in quietHours.indices where QuietHoursCalendar.applies(quietHours[w], to: channel) {
                let calendar = self.calendar
                let minuteOfDay = minute ?? calendar.minuteOfDay(at: instant)
                minute = minuteOfDay
                quiet = Blocker.stricter(
                    quiet,
                    QuietHoursCalendar.blocker(
                        quietHours[w], channel: channel, at: instant, minuteOfDay: minuteOfDay, calendar: calendar))
            }
        }
        return (capped, quiet)
    }

    private mutating func capBlocker(_ cap: Cap, journey: String, at instant: Double) -> Blocker? {
        var day: (start: Double, next: Double)?
        if case .calendarDay = cap.window { day = localDay(at: instant) }
        return CapCounter.blocker(
            cap, journey: journey, at: instant, ledger: ledger,
            transactionalCounts: policy.program.transactionalCountsTowardCaps, day: { day! })
    }

    private func gapBlocker(_ gap: Double, at instant: Double) -> Blocker? {
        var last: Double?
        ledger.visitNewestFirst { entry, _ in
            if entry.category == .marketing { last = entry.at }
            return last == nil
        }
        guard let last, instant < last + gap else { return nil }
        return Blocker(kind: .minimumGap(lastSentAt: last, gap: gap), freesAt: last + gap)
    }

    // MARK: Local time

    private var calendar: LocalCalendar {
        mutating get {
            if let calendarStorage { return calendarStorage }
            // Zones come from LocalClock's cache: building a TimeZone per batch is costly.
            let zone = LocalClock.zone(contact.timeZone) ?? LocalClock.zone(policy.program.defaultTimeZone) ?? TimeZone(secondsFromGMT: 0)!
            let calendar = LocalCalendar(timeZone: zone)
            calendarStorage = calendar
            return calendar
        }
    }

    private mutating func localDay(at instant: Double) -> (start: Double, next: Double) {
        if let dayCache, dayCache.instant == instant { return (dayCache.start, dayCache.next) }
        let calendar = self.calendar
        let start = calendar.startOfDay(containing: instant)
        let next = calendar.startOfNextDay(after: instant)
        dayCache = (instant, start, next)
        return (start, next)
    }
}
