import JourneyLanguage
import Testing

@testable import JourneyEngine

/// `wait for events` and `go to` as the engine runs them: the first matching arm (in source order)
/// takes the event, an event at the timeout instant is too late, of two events at one instant the
/// first processed decides, and a loop through a wait repeats over time.
struct WaitForEventsEngineTests {
    static let source = """
        policy
          cap marketing 5 per day

        journey nps
          trigger on event "ticket.closed"
          send webhook survey transactional
          wait for events up to 5 days
            on event "nps.submitted" where event.score >= 9 ->
              send webhook review_request transactional
              go to thanks
            on event "nps.submitted" where event.score <= 6 ->
              send webhook alert transactional
              go to thanks
            on event "nps.submitted" -> exit "passive"
            on event "email.unsubscribed" -> exit "unsubscribed"
            timeout -> exit "no answer"
          step thanks: set customer.nps_score = event.score
          send webhook thank_you transactional

        journey reminders
          trigger on event "trial.started"
          step ask: send webhook ask transactional
          increment customer.asks
          wait for events up to 2 days
            on event "answered" -> exit "answered"
            timeout ->
              if customer.asks < 3
                go to ask
              exit "gave up"

        """

    static func engine() throws -> JourneyEngine {
        let result = JourneyCompiler.compile(sources: ["nps.journey": source])
        let catalog = try #require(result.catalog, "\(result.diagnostics)")
        return JourneyEngine(catalog: catalog)
    }

    @Test(
        arguments: [
            // (answers as (offset after the ticket, event, score), expected sends after the survey, exit)
            ([(hour, "nps.submitted", 10.0)], ["webhook review_request", "webhook thank_you"], ExitReason.completed),
            ([(hour, "nps.submitted", 3.0)], ["webhook alert", "webhook thank_you"], .completed),
            ([(hour, "nps.submitted", 7.0)], [], .explicit("passive")),
            ([(hour, "email.unsubscribed", 0.0)], [], .explicit("unsubscribed")),
            ([], [], .explicit("no answer")),
            // A second before the timeout the arm runs; at the timeout instant it is too late.
            ([(5 * day - 1, "nps.submitted", 10.0)], ["webhook review_request", "webhook thank_you"], .completed),
            ([(5 * day, "nps.submitted", 10.0)], [], .explicit("no answer")),
            // Two answers at one instant: the first processed takes its arm, the second finds the
            // instance gone on (it is not a second answer).
            ([(hour, "nps.submitted", 2.0), (hour, "nps.submitted", 10.0)], ["webhook alert", "webhook thank_you"], .completed),
            ([(hour, "nps.submitted", 10.0), (hour, "nps.submitted", 2.0)], ["webhook review_request", "webhook thank_you"], .completed),
            // An event no arm takes is ignored; the wait goes on.
            ([(hour, "order.completed", 0.0), (2 * hour, "nps.submitted", 9.0)], ["webhook review_request", "webhook thank_you"], .completed),
        ] as [([(Double, String, Double)], [String], ExitReason)])
    func theFirstMatchingArmTakesTheEvent(answers: [(Double, String, Double)], expected: [String], exit: ExitReason) throws {
        var c = CustomerDriver(try Self.engine())
        c.event("ticket.closed", at: t0)
        for (offset, name, score) in answers {
            c.event(name, at: t0 + offset, ["score": .number(score)])
        }
        c.advance(to: t0 + 10 * day)
        #expect(c.sends == ["webhook survey"] + expected)
        #expect(c.exits("nps") == [exit])
        if expected.contains("webhook thank_you") {
            let score = answers.first { $0.1 == "nps.submitted" }?.2
            #expect(c.state.profile.attributes["nps_score"] == score.map(Value.number), "the joined step sees the arm's event")
        }
    }

    @Test func theTimelineNamesTheEventsWaitedForAndTheOneReceived() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("ticket.closed", at: t0)
        c.event("nps.submitted", at: t0 + hour, ["score": .number(10)])
        let waiting = c.timeline.compactMap { record -> String? in
            if case .waiting(let step, let until, let event) = record.kind, record.journey == "nps" {
                "\(step) \(until - t0) \(event ?? "-")"
            } else {
                nil
            }
        }
        #expect(waiting == ["wait_for_events 432000.0 nps.submitted or email.unsubscribed"])
        let received = c.timeline.compactMap { record -> String? in
            if case .eventReceived(let step, let event) = record.kind { "\(step) \(event)" } else { nil }
        }
        #expect(received == ["wait_for_events nps.submitted"])
    }

    @Test func aLoopThroughAWaitRepeatsOverTimeUntilItsExit() throws {
        var c = CustomerDriver(try Self.engine())
        c.event("trial.started", at: t0)
        c.advance(to: t0 + 30 * day)
        #expect(c.sends == ["webhook ask", "webhook ask", "webhook ask"])
        #expect(c.outbox.map { $0.at - t0 } == [0, 2 * day, 4 * day])
        #expect(c.exits("reminders") == [.explicit("gave up")])

        var answered = CustomerDriver(try Self.engine())
        answered.event("trial.started", at: t0)
        answered.event("answered", at: t0 + 3 * day)
        answered.advance(to: t0 + 30 * day)
        #expect(answered.sends == ["webhook ask", "webhook ask"])
        #expect(answered.exits("reminders") == [.explicit("answered")])
    }
}

/// A message sent with variants: one version per customer, stable, recorded in the timeline and
/// the instance (so reports count it like a split) and given to the templates as `variant`.
struct MessageVariantEngineTests {
    static func engine() throws -> JourneyEngine {
        let source = """
            journey news
              trigger on event "signed_up"
              entry always
              send webhook newsletter transactional
                variant question 30%
                variant statement 70%

            """
        let result = JourneyCompiler.compile(sources: ["news.journey": source])
        return JourneyEngine(catalog: try #require(result.catalog, "\(result.diagnostics)"))
    }

    @Test func eachCustomerKeepsOneVersionRecordedInTheTimelineAndTheMessage() throws {
        let engine = try Self.engine()
        var counts: [String: Int] = [:]
        for n in 0..<400 {
            var c = CustomerDriver(engine, profile: CustomerProfile(id: "c\(n)", email: "c\(n)@example.com"))
            c.event("signed_up", at: t0)
            c.event("signed_up", at: t0 + day)
            #expect(c.outbox.count == 2)
            let variants = c.outbox.compactMap { message -> String? in
                if case .string(let name)? = message.context["variant"]?[path: ["name"]] { name } else { nil }
            }
            #expect(variants.count == 2 && variants[0] == variants[1], "the same customer gets the same version: \(variants)")
            let variant = try #require(variants.first)
            #expect(c.outbox[0].context["variant"]?[path: [variant]] == .bool(true))
            let assigned = c.timeline.compactMap { record -> String? in
                if case .variantAssigned("newsletter", let name, false, _) = record.kind { name } else { nil }
            }
            #expect(assigned == [variant, variant], "recorded once per entry")
            #expect(c.state.instances.allSatisfy { $0.variants == [VariantAssignment(split: "newsletter", variant: variant, isControl: false)] })
            counts[variant, default: 0] += 1
        }
        // 30 % / 70 %, within a generous margin for 400 customers.
        #expect((80...160).contains(counts["question"] ?? 0), "\(counts)")
        #expect(counts["question", default: 0] + counts["statement", default: 0] == 400)
    }

    @Test func aSendWithoutVariantsHasNoVariantInItsContext() throws {
        let result = JourneyCompiler.compile(sources: [
            "a.journey": "journey a\n  trigger on event \"signed_up\"\n  send webhook hello transactional\n"
        ])
        var c = CustomerDriver(JourneyEngine(catalog: try #require(result.catalog)))
        c.event("signed_up", at: t0)
        #expect(c.outbox.count == 1)
        #expect(c.outbox[0].context["variant"] == nil)
    }
}
