import JourneyLanguage

extension CustomerRun {
    /// Adds an engagement event to the customer's histogram at its local hour (the customer's
    /// zone at the event's own time), and, when its `message_id` names a message of a current
    /// journey with a send at the best time, records it for that journey's audience hours (`at`: the instant it is processed;
    /// `nil` for imported history, which counts for the customer only).
    mutating func recordEngagement(_ kind: EngagementHistogram.Kind, _ event: CustomerEvent, at t: Double?) {
        guard let zone = LocalClock.zone(zoneID(journeyZone: nil)) else { return }
        let hour = LocalClock.localHour(of: event.timestamp, in: zone)
        modifying(&state.engagementHours) { histogram in
            var updated = histogram ?? EngagementHistogram()
            updated.record(kind, localHour: hour, at: event.timestamp)
            histogram = updated
        }
        guard let t, case .string(let messageID)? = event.properties["message_id"],
            let journey = Self.journey(ofMessage: messageID, customer: state.profile.id), engine.bestTimeJourneys.contains(journey),
            let program = engine.currentIndex[journey].map({ engine.catalog.journeys[$0] })
        else { return }
        output.timeline.append(
            TimelineRecord(
                at: t, customerID: state.profile.id, journey: journey, version: program.version, entrySequence: 0,
                kind: .sendTimeEngagement(localHour: hour)))
    }

    /// The journey of a message id `<customer>/<journey>/<entry>/<step>/<channel>`.
    static func journey(ofMessage id: String, customer: String) -> String? {
        guard id.hasPrefix(customer + "/") else { return nil }
        let rest = id.dropFirst(customer.count + 1)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let journey = rest[..<slash]
        return journey.isEmpty ? nil : String(journey)
    }

    /// When a send with `at best time within …` is requested (recorded on the timeline with its
    /// basis); `t` for any other send.
    mutating func requestTime(of send: Send, step: String, instance i: Int, program: JourneyProgram, at t: Double) -> Double {
        guard let rule = send.bestTime, send.category == .marketing, let zone = LocalClock.zone(zoneID(journeyZone: program.timeZone))
        else { return t }
        let choice = SendTimeChooser.choose(
            rule, at: t, zone: zone, customer: state.engagementHours, audience: audience.weights(journey: program.name, day: UTCDay.of(t)))
        record(.sendTimeChosen(step: step, message: send.message, channel: send.channel, choice: choice), instance: i, at: t)
        return choice.at
    }
}
