import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// `send … at best time within …`: the decayed histogram, the choice and its fallbacks, and the
/// delivery policy after the choice.
struct SendTimeEngineTests {
    static let source = """
        policy
          cap marketing 5 per day
          quiet hours 22:00 to 08:00

        journey weekly
          trigger on event "digest.ready"
          send email weekly at best time within 24 hours

        journey promo
          trigger on event "promo.ready"
          send email promo at best time within 24 hours default 10:00

        journey short
          trigger on event "short.ready"
          send email short at best time within 3 hours

        journey plain
          trigger on event "plain.ready"
          send email plain

        """

    static func engine(audience: AudienceHours = AudienceHours()) throws -> JourneyEngine {
        var engine = JourneyEngine(catalog: try #require(JourneyCompiler.compile(sources: ["a.journey": source]).catalog))
        engine.audience = audience
        return engine
    }

    static let berlin = CustomerProfile(id: "c1", email: "c1@example.com", timeZone: "Europe/Berlin")

    /// 2026-03-02 (Monday) at `hh:mm` Berlin time (UTC+1 in March before the 29th), plus `days`.
    static func berlin(_ hour: Int, _ minute: Int = 0, days: Int = 0) -> Double {
        t0 + Double(days) * day + Double(hour - 1) * 3_600 + Double(minute) * 60
    }

    static func choices(_ driver: CustomerDriver) -> [SendTimeChoice] {
        driver.timeline.compactMap { if case .sendTimeChosen(_, _, _, let choice) = $0.kind { choice } else { nil } }
    }

    // MARK: Decay

    @Test func weightsHalveEveryThirtyDaysAndLateEventsCountAtTheirAge() {
        var histogram = EngagementHistogram()
        let t = 1_800_000_000.0
        histogram.record(.open, localHour: 19, at: t)
        histogram.record(.click, localHour: 19, at: t + 30 * day)
        #expect(abs(histogram.weight(hour: 19) - 1.5) < 1e-12)
        #expect(histogram.asOf == t + 30 * day)
        // An event older than the newest one: its weight decayed to the newest instant (60 days: ¼).
        histogram.record(.click, localHour: 8, at: t - 30 * day)
        #expect(abs(histogram.weight(hour: 8) - 0.25) < 1e-12)
        #expect(histogram.asOf == t + 30 * day)
        // Read 60 days later, every hour has shrunk by ¼; the ranking is unchanged.
        #expect(abs(histogram.weight(hour: 19, at: t + 90 * day) - 1.5 / 4) < 1e-12)
        #expect((histogram.opens, histogram.clicks, histogram.engagements) == (1, 2, 3))
        // The order events arrive in does not matter.
        var reordered = EngagementHistogram()
        reordered.record(.click, localHour: 8, at: t - 30 * day)
        reordered.record(.click, localHour: 19, at: t + 30 * day)
        reordered.record(.open, localHour: 19, at: t)
        for h in 0..<24 { #expect(abs(reordered.weight(hour: h) - histogram.weight(hour: h)) < 1e-12) }
    }

    @Test func theHistogramIsKeptFromEngagementEventsAtTheirLocalHour() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0, days: -40))
        driver.event("email.opened", at: Self.berlin(19, 20, days: -30))
        driver.event("email.clicked", at: Self.berlin(19, 45, days: -1))
        driver.event("sms.clicked", at: Self.berlin(7, 5, days: -1))
        driver.event("email.bounced", at: Self.berlin(12, days: -1))  // not engagement
        let histogram = try #require(driver.state.engagementHours)
        #expect((histogram.opens, histogram.clicks) == (1, 2))
        let nonZero = (0..<24).filter { histogram.weight(hour: $0) > 0 }
        #expect(nonZero == [7, 19])
        #expect(abs(histogram.weight(hour: 19) - (1 + exp2(-(29 * day + 25 * minute) / (30 * day)))) < 1e-9)
    }

    // MARK: The choice

    @Test func aCustomerWithHistoryGetsTheirBestHourInTheWindow() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0, days: -40))
        for d in 1...4 { driver.event("email.clicked", at: Self.berlin(19, 10 * d, days: -d)) }
        driver.event("email.opened", at: Self.berlin(8, 30, days: -2))
        driver.event("digest.ready", at: Self.berlin(9))
        let choice = try #require(Self.choices(driver).first)
        #expect(choice.at == Self.berlin(19))
        #expect(choice.description == "best hour 19:00 local, from 1 open and 4 clicks")
        #expect(driver.outbox.isEmpty, "nothing is sent before the chosen hour")
        driver.advance(to: Self.berlin(20))
        #expect(driver.outbox.map(\.at) == [Self.berlin(19)])
        #expect(driver.sends == ["email weekly"])
    }

    @Test func clicksOnlyAreNamedAsClicks() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0, days: -40))
        for d in 1...14 { driver.event("email.clicked", at: Self.berlin(19, 5, days: -d)) }
        driver.event("digest.ready", at: Self.berlin(9))
        #expect(Self.choices(driver).map(\.description) == ["best hour 19:00 local, from 14 clicks"])
    }

    @Test func tiesGoToTheEarliestHourOfTheWindow() {
        var weights = Array(repeating: 0.0, count: 24)
        weights[12] = 2
        weights[20] = 2
        let histogram = EngagementHistogram(weights: weights, asOf: t0, opens: 4, clicks: 0)
        let zone = TimeZone(identifier: "Europe/Berlin")!
        let rule = SendTimeRule(window: day)
        let morning = SendTimeChooser.choose(rule, at: Self.berlin(9), zone: zone, customer: histogram, audience: ([], 0))
        #expect(morning.at == Self.berlin(12))
        let afternoon = SendTimeChooser.choose(rule, at: Self.berlin(13), zone: zone, customer: histogram, audience: ([], 0))
        #expect(afternoon.at == Self.berlin(20))
        // The current hour counts as the window start itself: sent at once.
        let noon = SendTimeChooser.choose(rule, at: Self.berlin(12, 40), zone: zone, customer: histogram, audience: ([], 0))
        #expect(noon.at == Self.berlin(12, 40))
        #expect(noon.description == "best hour 12:00 local, from 4 opens")
    }

    @Test func candidatesAreTheStartAndEachLocalHourOfTheWindowAcrossDaylightSaving() {
        let zone = TimeZone(identifier: "Europe/Berlin")!
        let halfPast = SendTimeChooser.candidates(from: Self.berlin(9, 30), window: day, zone: zone)
        #expect(halfPast.count == 25)
        #expect(halfPast.first?.hour == 9)
        #expect(halfPast.last?.hour == 9)
        #expect(SendTimeChooser.candidates(from: Self.berlin(9), window: day, zone: zone).count == 24)
        #expect(SendTimeChooser.candidates(from: Self.berlin(9), window: 3 * hour, zone: zone).map(\.hour) == [9, 10, 11])
        // 2026-03-29: Berlin skips 02:00–03:00, so that night has no hour 2 and the day 23 hours.
        let spring = utc("2026-03-28T23:00:00Z")  // 00:00 local
        let hours = SendTimeChooser.candidates(from: spring, window: day, zone: zone)
        #expect(!hours.prefix(23).contains { $0.hour == 2 })
        #expect(hours.map(\.hour).prefix(4) == [0, 1, 3, 4])
        #expect(hours[2].at == utc("2026-03-29T01:00:00Z"))
    }

    @Test func tooLittleHistoryFallsBackToTheJourneysBestHour() throws {
        var audience = AudienceHours()
        let today = UTCDay.of(Self.berlin(9))
        audience.add(journey: "weekly", localHour: 10, day: today - 3, count: 8)
        audience.add(journey: "weekly", localHour: 18, day: today - 2, count: 5)
        audience.add(journey: "weekly", localHour: 10, day: today - 1, count: 2)
        audience.add(journey: "weekly", localHour: 21, day: today, count: 500)  // today's counts wait for tomorrow
        audience.add(journey: "weekly", localHour: 6, day: today - 29, count: 500)  // older than 28 days
        var driver = CustomerDriver(try Self.engine(audience: audience), profile: Self.berlin, at: Self.berlin(0, days: -40))
        driver.event("email.clicked", at: Self.berlin(23, days: -3))
        driver.event("email.opened", at: Self.berlin(23, days: -2))
        driver.event("digest.ready", at: Self.berlin(9))
        let choice = try #require(Self.choices(driver).first)
        #expect(choice.description == "too little history (2 engagements): journey's best hour 10:00")
        #expect(choice.at == Self.berlin(10))
        if case .journey(let history, let total, _) = choice.basis {
            #expect(history == 2)
            #expect(total == 15)
        } else {
            Issue.record("basis \(choice.basis)")
        }
        // The other journey has no audience: its declared default hour.
        driver.event("promo.ready", at: Self.berlin(9, 5))
        #expect(Self.choices(driver).last?.description == "too little history (2 engagements): default 10:00")
    }

    @Test func noHistoryAndNoAudienceSendsAtTheWindowStartOrTheDefault() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0))
        driver.event("digest.ready", at: Self.berlin(9))
        #expect(Self.choices(driver).map(\.description) == ["no history: window start 09:00"])
        #expect(driver.outbox.map(\.at) == [Self.berlin(9)])
        driver.event("promo.ready", at: Self.berlin(11, 30))
        // 10:00 has passed today: tomorrow's 10:00 is still inside the 24-hour window.
        #expect(Self.choices(driver).last?.description == "no history: default 10:00")
        #expect(Self.choices(driver).last?.at == Self.berlin(10, days: 1))
    }

    @Test func aShortWindowWithoutTheCustomersHoursFallsBack() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0, days: -40))
        for d in 1...5 { driver.event("email.clicked", at: Self.berlin(19, 15, days: -d)) }
        driver.event("short.ready", at: Self.berlin(9))
        #expect(Self.choices(driver).map(\.description) == ["no engagement inside the window (5 engagements at other hours): window start 09:00"])
        // Later the same day the window holds 19:00.
        driver.event("short.ready", at: Self.berlin(17, 30))
        #expect(Self.choices(driver).last?.description == "best hour 19:00 local, from 5 clicks")
        #expect(Self.choices(driver).last?.at == Self.berlin(19))
    }

    @Test func anAudienceBelowTenEngagementsIsNotUsed() throws {
        var audience = AudienceHours()
        audience.add(journey: "weekly", localHour: 10, day: UTCDay.of(Self.berlin(9)) - 1, count: 9)
        var driver = CustomerDriver(try Self.engine(audience: audience), profile: Self.berlin, at: Self.berlin(0))
        driver.event("digest.ready", at: Self.berlin(9))
        #expect(Self.choices(driver).map(\.description) == ["no history: window start 09:00"])
    }

    @Test func quietHoursStillDeferTheChosenHour() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0, days: -40))
        for d in 1...5 { driver.event("email.clicked", at: Self.berlin(23, 15, days: -d)) }
        driver.event("digest.ready", at: Self.berlin(9))
        #expect(Self.choices(driver).map(\.description) == ["best hour 23:00 local, from 5 clicks"])
        driver.advance(to: Self.berlin(12, days: 1))
        let deferred = driver.timeline.compactMap { record -> (Double, Double)? in
            if case .deferred(_, _, _, let until, _) = record.kind { (record.at, until) } else { nil }
        }
        #expect(deferred.count == 1)
        #expect(deferred.first?.0 == Self.berlin(23))
        #expect(deferred.first?.1 == Self.berlin(8, days: 1))
        #expect(driver.outbox.map(\.at) == [Self.berlin(8, days: 1)])
    }

    @Test func theChoiceIsDeterministic() throws {
        func run(_ order: [Int]) throws -> ([TimelineRecord], [OutboxMessage]) {
            var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0, days: -40))
            let engagements: [(String, Double)] = [
                ("email.clicked", Self.berlin(18, 5, days: -20)), ("email.opened", Self.berlin(7, 40, days: -3)),
                ("email.clicked", Self.berlin(18, 50, days: -12)), ("sms.clicked", Self.berlin(7, 10, days: -2)),
            ]
            // Late events arrive stamped with their own time; the histogram is the same whatever the order.
            for k in order {
                let (name, at) = engagements[k]
                let event = CustomerEvent(id: "g\(k)", customerID: "c1", name: name, timestamp: at)
                driver.collect(driver.engine.handle(.event(event), state: &driver.state, now: Self.berlin(0, days: -1)))
            }
            driver.event("digest.ready", at: Self.berlin(9))
            driver.advance(to: Self.berlin(12, days: 1))
            return (driver.timeline.filter { if case .sendTimeChosen = $0.kind { true } else { false } }, driver.outbox)
        }
        let first = try run([0, 1, 2, 3])
        #expect(try run([0, 1, 2, 3]) == first)
        let shuffled = try run([3, 1, 0, 2])
        #expect(shuffled.0.map(\.kind) == first.0.map(\.kind))
        #expect(shuffled.1.map(\.at) == first.1.map(\.at))
        // 18:00 has two clicks 12 and 20 days old, 07:00 an open and a click 2 and 3 days old: 07:00 wins.
        if case .sendTimeChosen(_, _, _, let choice) = try #require(first.0.first?.kind) {
            #expect(choice.description == "best hour 07:00 local, from 1 open and 3 clicks")
            #expect(choice.at == Self.berlin(7, days: 1))
        }
    }

    // MARK: The journey's audience hours

    @Test func engagementWithAMessageOfTheJourneyIsCountedForItsAudience() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0))
        driver.event("email.opened", at: Self.berlin(19, 30), ["message_id": .string("c1/weekly/1/send_email_weekly/email")])
        driver.event("email.clicked", at: Self.berlin(19, 31), ["message_id": .string("c2/weekly/1/send_email_weekly/email")])  // not this customer's
        driver.event("email.clicked", at: Self.berlin(19, 32), ["message_id": .string("c1/gone/1/send_email_x/email")])  // no such journey
        driver.event("email.clicked", at: Self.berlin(19, 33))  // no message id: the customer's histogram only
        // A journey without a send at the best time keeps no audience hours.
        driver.event("email.clicked", at: Self.berlin(19, 34), ["message_id": .string("c1/plain/1/send_email_plain/email")])
        let counted = driver.timeline.filter { if case .sendTimeEngagement = $0.kind { true } else { false } }
        #expect(counted.map(\.journey) == ["weekly"])
        #expect(counted.first?.kind == .sendTimeEngagement(localHour: 19))
        #expect(driver.state.engagementHours?.engagements == 5)
        let fromTimeline = AudienceHours(timeline: driver.timeline)
        let metric = AudienceHours.metric(localHour: 19, at: Self.berlin(19, 30))
        #expect(metric == "send_time_hour:19@2026-03-02")
        let fromCounters = AudienceHours(counters: [JourneyCounter(journey: "weekly", version: "v", metric: metric): 1])
        #expect(fromTimeline == fromCounters)
        #expect(fromCounters.weights(journey: "weekly", day: UTCDay.of(Self.berlin(9, days: 1))).total == 1)
    }

    @Test func utcDaysRoundTrip() {
        for day in [-1, 0, 365, 20_000, 20_513, 30_000] {
            #expect(UTCDay.parse(UTCDay.text(day)) == day)
        }
        #expect(UTCDay.text(UTCDay.of(t0)) == "2026-03-02")
        #expect(UTCDay.parse("2026-13-01") == nil)
        #expect(UTCDay.parse("2026-03") == nil)
    }

    // MARK: Storage

    @Test func theHistogramIsStoredCompactlyAsFormatTwo() throws {
        var driver = CustomerDriver(try Self.engine(), profile: Self.berlin, at: Self.berlin(0))
        let before = CustomerStateCoding.encode(driver.state)
        driver.event("email.clicked", at: Self.berlin(19))
        driver.event("email.opened", at: Self.berlin(20))
        let bytes = CustomerStateCoding.encode(driver.state)
        #expect(bytes.first == CustomerStateCoding.binaryV2)
        #expect(try CustomerStateCoding.decode(bytes) == driver.state)
        #expect(bytes.count > before.count)
        // Two non-zero hours: about 2 × 9 bytes, not 24 × 8.
        #expect(bytes.count - CustomerStateCoding.encode(CustomerState(profile: driver.state.profile)).count < 100)
        #expect(throws: JourneyStoreError.self) { try CustomerStateCoding.decode(Array(bytes.dropLast(3))) }
        // JSON (what stores wrote before the binary format) keeps it too.
        let json = try JSONEncoder().encode(driver.state)
        #expect(try CustomerStateCoding.decode(json) == driver.state)
    }
}
