import JourneyLanguage
import Testing

@testable import JourneyEngine

struct PolicyConflictTests {
    let now = 1_780_000_000.0
    let settle = 120.0

    var policy: DeliveryPolicy { Fixture.policy(settleWindow: settle) }

    @Test("two journeys in one batch: the higher priority wins, the loser skips with the winner named")
    func batchCollision() {
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, at: now - 100)
        let news = Fixture.request("news", journey: "newsletter", priority: 20, channel: .sms, at: now - 110)
        let decisions = policy.decide([news, cart], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        #expect(decisions[0] == .skipped(reason: .conflict(winner: "cart_abandonment", winnerPriority: 80)))
        #expect(decisions[1] == .send(channel: .email, notes: []))
    }

    @Test("with a minimum gap, the loser still names the winning journey, and is held for the whole gap")
    func conflictUnderMinimumGap() {
        let gapped = Fixture.policy(minimumGap: 4 * Fixture.hour, settleWindow: settle)
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, at: now - 100)
        let news = Fixture.request("news", journey: "newsletter", priority: 20, whenCapped: .deferUpTo(seconds: 86_400), at: now - 110)
        let decisions = gapped.decide([news, cart], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        #expect(decisions[1] == .send(channel: .email, notes: []))
        #expect(decisions[0] == .deferred(until: now + 4 * Fixture.hour, reason: .conflict(winner: "cart_abandonment", winnerPriority: 80)))
        // A send of the same journey an hour later is held by the gap, not a conflict.
        var ledger = SendLedger()
        ledger.record([decisions[1]], for: [cart], at: now)
        let own = Fixture.request("cart2", journey: "cart_abandonment", priority: 80, at: now + Fixture.hour)
        let later = gapped.decide([own], ledger: ledger, contact: Fixture.contact(), now: now + Fixture.hour)
        #expect(later == [.skipped(reason: .minimumGap(lastSentAt: now, gap: 4 * Fixture.hour, allowedAt: now + 4 * Fixture.hour))])
    }

    @Test("the loser defers until the winner lies a settle window before its round (winner + 2 × settle)")
    func loserDefers() {
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, at: now - 100)
        let news = Fixture.request("news", journey: "newsletter", priority: 20, whenCapped: .deferUpTo(seconds: 3600), at: now - 110)
        let decisions = policy.decide([cart, news], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        #expect(decisions[1] == .deferred(until: now + 2 * settle, reason: .conflict(winner: "cart_abandonment", winnerPriority: 80)))
        // Re-presented then (with the winner in the ledger), it goes.
        var ledger = SendLedger()
        ledger.record(decisions, for: [cart, news], at: now)
        let later = policy.decide([news], ledger: ledger, contact: Fixture.contact(), now: now + 2 * settle)
        #expect(later == [.send(channel: .email, notes: [])])
        // A moment earlier it would still lose.
        let early = policy.decide([news], ledger: ledger, contact: Fixture.contact(), now: now + 2 * settle - 1)
        #expect(early[0].deferredUntil == now + 2 * settle)
    }

    @Test("a loser with whenCapped: fallback is skipped: the conflict is per customer, not per channel")
    func loserFallback() {
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, at: now - 100)
        let news = Fixture.request("news", journey: "newsletter", priority: 20, channel: .sms, fallback: .email, whenCapped: .fallback, at: now - 100)
        let decisions = policy.decide([cart, news], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        let conflict = DecisionReason.conflict(winner: "cart_abandonment", winnerPriority: 80)
        #expect(decisions[1] == .skipped(reason: .fallbackBlocked(from: .sms, because: conflict, fallback: .email, blockedBy: conflict)))
    }

    @Test("against a recent ledger entry: a request within the settle window of a higher-or-equal send loses")
    func againstLedger() {
        let ledger = [Fixture.entry("cart", at: now - 150, journey: "cart_abandonment", priority: 80)]
        // Requested 30 s after the cart message went out, decided at the end of its settle window.
        let news = Fixture.request("news", journey: "newsletter", priority: 20, at: now - 120)
        #expect(
            Fixture.decide(policy, news, ledger: ledger, now: now)
                == .skipped(reason: .conflict(winner: "cart_abandonment", winnerPriority: 80)))
        // Requested more than a settle window after it: no conflict.
        let late = Fixture.request("late", journey: "newsletter", priority: 20, at: now - 150 + settle + 1)
        #expect(Fixture.decide(policy, late, ledger: ledger, now: now + 200).sentChannel == .email)
    }

    @Test("a recent lower-priority send does not block a higher-priority one; same-journey sends never conflict")
    func lowerPriorityEntryDoesNotBlock() {
        let ledger = [Fixture.entry("news", at: now - 30, journey: "newsletter", priority: 20)]
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, at: now - 60)
        #expect(Fixture.decide(policy, cart, ledger: ledger, now: now).sentChannel == .email)
        let again = Fixture.request("news2", journey: "newsletter", priority: 20, at: now - 60)
        #expect(Fixture.decide(policy, again, ledger: ledger, now: now).sentChannel == .email)
        // An entry recorded without a priority wins against any request.
        let unknown = [Fixture.entry("old", at: now - 30, journey: "legacy", priority: nil)]
        #expect(Fixture.decide(policy, cart, ledger: unknown, now: now).skipReason != nil)
    }

    @Test("transactional sends neither conflict nor are conflicted")
    func transactionalNoConflict() {
        let receipt = Fixture.request("receipt", journey: "orders", priority: 10, category: .transactional, at: now - 10)
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, at: now - 10)
        let decisions = policy.decide([cart, receipt], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        #expect(decisions.map(\.sentChannel) == [.email, .email])
    }

    static let tieOrders: [[Int]] = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]]

    @Test("equal priorities: earlier requestedAt, then journey name, then request id — whatever the array order", arguments: tieOrders)
    func equalPriorityTieBreak(order: [Int]) {
        let requests = [
            Fixture.request("z", journey: "b_journey", priority: 50, at: now - 50),
            Fixture.request("y", journey: "a_journey", priority: 50, at: now - 50),
            Fixture.request("x", journey: "c_journey", priority: 50, at: now - 40),
            Fixture.request("w", journey: "c_journey", priority: 50, at: now - 40),
        ]
        let shuffled = order.map { requests[$0] }
        let decisions = policy.decide(shuffled, ledger: SendLedger(), contact: Fixture.contact(), now: now)
        let byID = Dictionary(uniqueKeysWithValues: zip(shuffled.map(\.id), decisions))
        // a_journey wins (same time as b_journey, name first); c_journey's sends are later.
        #expect(byID["y"]?.sentChannel == .email)
        for id in ["z", "x", "w"] {
            #expect(byID[id] == .skipped(reason: .conflict(winner: "a_journey", winnerPriority: 50)))
        }
    }

    @Test("equal priority, same time, same journey name order → request id decides")
    func requestIDTieBreak() {
        let a = Fixture.request("id_2", journey: "promo", priority: 50, at: now)
        let b = Fixture.request("id_1", journey: "promo2", priority: 50, at: now)
        let first = policy.decide([a, b], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        let second = policy.decide([b, a], ledger: SendLedger(), contact: Fixture.contact(), now: now)
        #expect(first == [second[1], second[0]])
        #expect(first[0].sentChannel == .email)
    }

    @Test("a blocked winner passes the slot on: the next journey may send")
    func blockedWinnerPassesSlot() {
        let policy = Fixture.policy(caps: [Fixture.cap("one_sms", 1, .calendarDay, channels: [.sms])], settleWindow: settle)
        let ledger = [Fixture.entry("old", at: now - 3600, journey: "x", channel: .sms, priority: 1)]
        let cart = Fixture.request("cart", journey: "cart_abandonment", priority: 80, channel: .sms, at: now - 100)
        let news = Fixture.request("news", journey: "newsletter", priority: 20, channel: .email, at: now - 100)
        let decisions = policy.decide([cart, news], ledger: SendLedger(entries: ledger), contact: Fixture.contact(), now: now)
        #expect(decisions[0].skipReason != nil)
        #expect(decisions[1].sentChannel == .email)
    }
}
