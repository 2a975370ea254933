import Foundation
import JourneyLanguage
import Testing

@testable import JourneyEngine

/// Random policies and request streams over simulated days, driven like the engine drives the
/// policy: fresh requests wait for their settle window, every pending request known by then is
/// decided in one batch, sends go into the (pruned) ledger, deferred requests are re-presented at
/// their time. The invariants are checked with Foundation's `Calendar`, independently of the
/// policy's own wall-clock code.
struct PolicyPropertyTests {
    static let zones = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "America/Havana"]
    static let journeys = ["cart", "welcome", "winback", "newsletter"]
    static let starts: [Double] = [
        1_772_668_800,  // 2026-03-05T00:00Z: New York springs forward on 03-08
        1_792_627_200,  // 2026-10-22T00:00Z: Berlin falls back 10-25, New York 11-01
        1_780_272_000,  // 2026-06-01T00:00Z
    ]

    @Test("no cap exceeded, no marketing in quiet hours or without consent, same inputs same decisions", arguments: 0..<120)
    func invariants(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 1)
        let scenario = Scenario.random(using: &random)
        let run = scenario.run(shuffleBatches: nil)
        try check(scenario, run)
        // Same inputs → same decisions, whatever order the engine hands the batch in.
        #expect(scenario.run(shuffleBatches: nil).log == run.log)
        #expect(scenario.run(shuffleBatches: UInt64(seed)).log == run.log)
    }

    @Test("the random scenarios exercise every kind of decision")
    func coverage() {
        var kinds: [String: Int] = [:]
        for seed in 0..<120 {
            var random = SplitMix64(seed: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 1)
            for line in Scenario.random(using: &random).run(shuffleBatches: nil).log {
                for kind in [
                    "send on", "fell back", "deferred", "skipped", "cap `", "quiet hours", "minimum gap", "won the settle window",
                    "no consent", "no phone", "defer bound", "already sent", "fallback ",
                ] where line.contains(kind) {
                    kinds[kind, default: 0] += 1
                }
            }
        }
        for kind in [
            "send on", "fell back", "deferred", "skipped", "cap `", "quiet hours", "minimum gap", "won the settle window", "no consent", "no phone",
            "defer bound", "already sent", "fallback ",
        ] {
            #expect(kinds[kind, default: 0] > 0, "no decision with \(kind)")
        }
    }

    private func check(_ scenario: Scenario, _ run: Scenario.Run) throws {
        let policy = scenario.policy
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: scenario.contact.timeZone))
        let sent = run.sent
        let marketing = sent.filter { $0.category == .marketing }
        // Every request id at most once.
        #expect(Set(sent.map(\.requestID)).count == sent.count)
        for entry in sent {
            let request = try #require(scenario.requestsByID[entry.requestID])
            switch entry.channel {
            case .email: #expect(scenario.contact.hasEmail)
            case .sms: #expect(scenario.contact.hasPhone)
            case .webhook: break
            }
            guard entry.category == .marketing else { continue }
            #expect(scenario.contact.subscriptions[entry.channel.rawValue] ?? true, "marketing without consent: \(entry)")
            if let topic = request.send.topic {
                #expect(scenario.contact.subscriptions["topic:" + topic] ?? true, "marketing to a left topic: \(entry)")
            }
            let time = calendar.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: entry.at))
            let minute = (time.hour ?? 0) * 60 + (time.minute ?? 0)
            for window in policy.program.quietHours where window.channels?.contains(entry.channel) ?? true {
                #expect(!QuietHoursCalendar.contains(window, minuteOfDay: minute), "marketing in quiet hours: \(entry) \(window)")
            }
            for cap in policy.program.caps + policy.journeyCaps
            where CapCounter.applies(cap, toMarketingOn: entry.channel, journey: entry.journey) {
                let counted = sent.filter { other in
                    guard other.at <= entry.at,
                        CapCounter.counts(
                            cap, other, forJourney: entry.journey,
                            transactionalCounts: policy.program.transactionalCountsTowardCaps)
                    else { return false }
                    switch cap.window {
                    case .rolling(let seconds): return other.at > entry.at - seconds
                    case .calendarDay:
                        return calendar.isDate(
                            Date(timeIntervalSince1970: other.at), inSameDayAs: Date(timeIntervalSince1970: entry.at))
                    }
                }
                #expect(counted.count <= cap.limit, "cap \(cap.name) exceeded at \(entry.at): \(counted.count)/\(cap.limit)")
            }
        }
        if let gap = policy.program.minimumGap {
            for (earlier, later) in zip(marketing, marketing.dropFirst()) {
                #expect(later.at - earlier.at >= gap, "minimum gap broken: \(earlier) → \(later)")
            }
        }
        #expect(run.stuck == 0, "a deferral did not move forward")
    }
}

/// One random customer, policy and request stream.
struct Scenario {
    var policy: DeliveryPolicy
    var contact: CustomerContact
    var requests: [SendRequest]
    var requestsByID: [String: SendRequest]

    struct Run {
        var log: [String] = []
        var sent: [LedgerEntry] = []
        var stuck = 0
    }

    static func random(using random: inout SplitMix64) -> Scenario {
        let start = PolicyPropertyTests.starts.randomElement(using: &random)!
        let windows: [CapWindow] = [
            .calendarDay, .rolling(seconds: 3600), .rolling(seconds: 6 * 3600), .rolling(seconds: 86_400), .rolling(seconds: 3 * 86_400),
        ]
        let channelSets: [Set<Channel>?] = [nil, nil, [.sms], [.email], [.email, .sms]]
        let scopes: [JourneyScope] = [.all, .all, .each, .named("cart"), .named("newsletter")]
        var caps: [Cap] = []
        for index in 0..<Int.random(in: 0...3, using: &random) {
            caps.append(
                Fixture.cap(
                    "cap\(index)", Int.random(in: 0...4, using: &random), windows.randomElement(using: &random)!,
                    channels: channelSets.randomElement(using: &random)!,
                    category: Bool.random(using: &random) ? .marketing : nil, journey: scopes.randomElement(using: &random)!))
        }
        var quietHours: [QuietHours] = []
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            quietHours.append(
                QuietHours(
                    channels: channelSets.randomElement(using: &random)!,
                    start: LocalTime(hour: Int.random(in: 0..<24, using: &random), minute: [0, 30].randomElement(using: &random)!),
                    end: LocalTime(hour: Int.random(in: 0..<24, using: &random), minute: [0, 15].randomElement(using: &random)!),
                    location: Fixture.location))
        }
        let policy = Fixture.policy(
            caps: caps, minimumGap: Bool.random(using: &random) ? Double(Int.random(in: 1...8, using: &random)) * 1800 : nil,
            quietHours: quietHours, settleWindow: [0, 30, 120, 600].randomElement(using: &random)!,
            transactionalCountsTowardCaps: Bool.random(using: &random))
        var subscriptions: [String: Bool] = [:]
        for key in ["email", "sms", "webhook", "topic:news", "topic:offers"] where Int.random(in: 0..<4, using: &random) == 0 {
            subscriptions[key] = Bool.random(using: &random)
        }
        let contact = CustomerContact(
            timeZone: PolicyPropertyTests.zones.randomElement(using: &random)!, hasEmail: Int.random(in: 0..<6, using: &random) > 0,
            hasPhone: Bool.random(using: &random), subscriptions: subscriptions)
        let rules: [CappedRule] = [.skip, .fallback, .deferUpTo(seconds: 3600), .deferUpTo(seconds: 86_400), .deferUpTo(seconds: 3 * 86_400)]
        var requests: [SendRequest] = []
        let count = Int.random(in: 10...80, using: &random)
        for index in 0..<count {
            if index > 0, Int.random(in: 0..<20, using: &random) == 0 {
                requests.append(requests.randomElement(using: &random)!)  // the engine replays a step
                continue
            }
            let journey = PolicyPropertyTests.journeys.randomElement(using: &random)!
            // Bursts: a third of the requests land within minutes of the previous one.
            let at =
                index > 0 && Int.random(in: 0..<3, using: &random) == 0
                ? requests[index - 1].requestedAt + Double(Int.random(in: 0...300, using: &random))
                : start + Double(Int.random(in: 0..<(5 * 86_400), using: &random))
            let channel = Channel.allCases.randomElement(using: &random)!
            requests.append(
                SendRequest(
                    id: "r\(index)", journey: journey, priority: [20, 50, 50, 80].randomElement(using: &random)!, step: "s\(index)",
                    send: Send(
                        channel: channel, message: "m\(index)",
                        category: Int.random(in: 0..<5, using: &random) == 0 ? .transactional : .marketing,
                        topic: [nil, nil, "news", "offers"].randomElement(using: &random)!,
                        fallback: Bool.random(using: &random) ? Channel.allCases.randomElement(using: &random)! : nil,
                        whenCapped: rules.randomElement(using: &random)!,
                        inQuietHours: Int.random(in: 0..<4, using: &random) == 0 ? .skip : .deferUntilEnd),
                    requestedAt: at))
        }
        var byID: [String: SendRequest] = [:]
        for request in requests { byID[request.id] = request }
        return Scenario(policy: policy, contact: contact, requests: requests, requestsByID: byID)
    }

    /// Drives the policy the way the engine does.
    func run(shuffleBatches seed: UInt64?) -> Run {
        var shuffler = seed.map { SplitMix64(seed: $0) }
        struct Pending {
            var request: SendRequest
            /// `nil` while fresh (due at its settle deadline); the re-presentation time once deferred.
            var deferredUntil: Double?
        }
        var arrivals = requests.sorted { ($0.requestedAt, $0.id) < ($1.requestedAt, $1.id) }[...]
        var pending: [Pending] = []
        var ledger = SendLedger()
        var result = Run()
        let settle = policy.program.settleWindow
        var steps = 0
        while steps < 10_000 {
            steps += 1
            // The next decision instant: the earliest settle deadline or deferral.
            let due = pending.map { $0.deferredUntil ?? ($0.request.requestedAt + settle) }.min()
            let nextArrival = arrivals.first?.requestedAt
            guard due != nil || nextArrival != nil else { break }
            if let nextArrival, due.map({ nextArrival <= $0 }) ?? true {
                pending.append(Pending(request: arrivals.removeFirst(), deferredUntil: nil))
                continue
            }
            let now = due!
            var batch: [Int] = pending.indices.filter { index in
                if let until = pending[index].deferredUntil { return until <= now }
                return pending[index].request.requestedAt <= now
            }
            if var generator = shuffler {
                batch.shuffle(using: &generator)
                shuffler = generator
            }
            let requests = batch.map { pending[$0].request }
            ledger = ledger.pruned(keepingWithin: policy.ledgerRetention, now: now)
            let decisions = policy.decide(requests, ledger: ledger, contact: contact, now: now)
            ledger.record(decisions, for: requests, at: now)
            var done: Set<Int> = []
            for (index, decision) in zip(batch, decisions) {
                result.log.append("\(now) \(pending[index].request.id) \(decision)")
                switch decision {
                case .send(let channel, _):
                    result.sent.append(LedgerEntry(request: pending[index].request, channel: channel, at: now))
                    done.insert(index)
                case .deferred(let until, _):
                    if until <= now {
                        result.stuck += 1
                        done.insert(index)
                    } else {
                        pending[index].deferredUntil = until
                    }
                case .skipped:
                    done.insert(index)
                }
            }
            pending = pending.indices.filter { !done.contains($0) }.map { pending[$0] }
        }
        result.log.sort()
        result.sent.sort { ($0.at, $0.requestID) < ($1.at, $1.requestID) }
        return result
    }
}
