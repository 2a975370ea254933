public import JourneyEngine
public import JourneyLanguage

/// The dry-run as JSON (`herald.dry-run/1`, documented in docs/dry-run.md): byte-identical for
/// the same inputs and seed.
public struct DryRunJSONRenderer {
    public static let format = "herald.dry-run/1"
    public var result: DryRunResult
    public var customer: String?

    public init(result: DryRunResult, customer: String? = nil) {
        self.result = result
        self.customer = customer
    }

    public func render() -> String { document().rendered() }

    public func document() -> JSONNode {
        let report = result.report
        return .object([
            ("format", .string(Self.format)),
            ("from", .time(result.from)),
            ("until", .time(result.until)),
            ("seed", .number(Double(result.seed))),
            (
                "totals",
                .object([
                    ("customers", .int(result.customers.count)),
                    ("events", .int(result.eventCount)),
                    ("sends", .int(result.customers.reduce(0) { $0 + $1.outbox.count })),
                ])
            ),
            (
                "issues",
                .array(result.issues.map { .object([("file", .string($0.file)), ("line", .int($0.line)), ("message", .string($0.message))]) })
            ),
            ("notes", .array(result.notes.map(JSONNode.string))),
            ("journeys", .array(report.journeys.map { Self.journey($0, winners: result.winners) })),
            ("stages", .array(report.stages.map(Self.stage))),
            (
                "delivery",
                .object([
                    ("by_rule", Self.nestedCounts(report.delivery.byRule)),
                    ("conflicts", Self.nestedCounts(report.delivery.conflicts)),
                ])
            ),
            ("customers", .array(result.customers.filter { customer == nil || $0.id == customer }.map(Self.customer))),
        ])
    }

    static func counts(_ map: [String: Int]) -> JSONNode { .sorted(map.mapValues(JSONNode.int)) }
    static func nestedCounts(_ map: [String: [String: Int]]) -> JSONNode { .sorted(map.mapValues(counts)) }
    static func optionalNumber(_ x: Double?) -> JSONNode { x.map(JSONNode.number) ?? .null }

    /// `[lower, upper]`, or `null`.
    static func interval(_ x: ClosedRange<Double>?) -> JSONNode { x.map { .array([.number($0.lowerBound), .number($0.upperBound)]) } ?? .null }

    /// One journey's report; `winners` are the dry-run's decided winners (shown under their
    /// experiment).
    static func journey(_ j: JourneyReport, winners: [SplitWinner] = []) -> JSONNode {
        .object([
            ("name", .string(j.journey)),
            ("title", .string(j.title)),
            ("version", .string(j.version)),
            ("stage", .optional(j.stage?.rawValue)),
            ("priority", .int(j.priority)),
            ("entries", .int(j.entries)),
            ("customers", .int(j.customers)),
            ("active_at_end", .int(j.active)),
            ("not_entered", counts(j.notEntered)),
            (
                "steps",
                .array(
                    j.steps.map { s in
                        .object([
                            ("step", .string(s.step)), ("kind", .string(s.kind)), ("stage", .optional(s.stage?.rawValue)),
                            ("reached", .int(s.reached)), ("exited_here", .int(s.exitedHere)), ("drop_off", optionalNumber(s.dropOff)),
                            ("waiting_at_end", .int(s.waiting)),
                        ])
                    })
            ),
            ("exits", counts(j.exits)),
            ("sends", counts(j.sends)),
            (
                "decisions",
                .object([
                    ("sent", .int(j.decisions.sent)), ("fell_back", .int(j.decisions.fellBack)), ("deferred", .int(j.decisions.deferred)),
                    ("skipped", .int(j.decisions.skipped)), ("cancelled", .int(j.decisions.cancelled)), ("reasons", counts(j.decisions.reasons)),
                ])
            ),
            (
                "conversions",
                .object([
                    ("count", .int(j.conversions)), ("rate", optionalNumber(j.conversionRate)),
                    ("median_time_to_convert", optionalNumber(j.medianTimeToConvert)),
                ])
            ),
            ("global_holdout", .object([("kept_out", .int(j.heldOut)), ("conversions", .int(j.heldOutConversions))])),
            ("engagement", engagement(j.engagement)),
            (
                "experiments",
                .array(
                    j.experiments.map { e in
                        .object(
                            [
                                ("split", .string(e.split)),
                                (
                                    "variants",
                                    .array(
                                        e.variants.map { v in
                                            .object([
                                                ("name", .string(v.name)), ("control", .bool(v.isControl)), ("entries", .int(v.entries)),
                                                ("conversions", .int(v.conversions)), ("rate", optionalNumber(v.conversionRate)),
                                                ("uplift_vs_control", optionalNumber(v.upliftVsControl)),
                                                ("points_vs_control", optionalNumber(v.pointsVsControl)),
                                                ("rate_interval", interval(v.rateInterval)),
                                                ("points_interval", interval(v.pointsInterval)),
                                                ("p_value", optionalNumber(v.pValue)),
                                                ("enough_data", .bool(v.enoughData)),
                                                (
                                                    "steps",
                                                    .array(v.steps.map { .object([("step", .string($0.step)), ("reached", .int($0.reached))]) })
                                                ),
                                            ])
                                        })
                                ),
                            ]
                                + (winners.first { $0.journey == j.journey && $0.split == e.split }.map { w in
                                    [
                                        (
                                            "winner",
                                            JSONNode.object([
                                                ("variant", .string(w.variant)), ("since", .string(Value.formatTime(w.since))),
                                                ("evidence", .string(w.evidence)),
                                            ])
                                        )
                                    ]
                                } ?? []))
                    })
            ),
        ])
    }

    static func stage(_ s: StageReport) -> JSONNode {
        .object([
            ("stage", .string(s.stage.rawValue)), ("journeys", .array(s.journeys.map(JSONNode.string))), ("entries", .int(s.entries)),
            ("customers", .int(s.customers)), ("steps_reached", .int(s.stepsReached)), ("sends", .int(s.sends)),
            ("conversions", .int(s.conversions)),
        ])
    }

    static func customer(_ c: CustomerResult) -> JSONNode {
        .object([
            ("id", .string(c.id)),
            ("time_zone", .string(c.timeZone)),
            ("events", .int(c.eventCount)),
            ("timeline", .array(c.timeline.compactMap { record($0, timeZone: c.timeZone(at: $0.at)) })),
            (
                "sends",
                .array(
                    c.outbox.map { m in
                        .object([
                            ("id", .string(m.id)), ("at", .time(m.at)), ("journey", .string(m.journey)), ("step", .string(m.step)),
                            ("channel", .string(m.channel.rawValue)), ("message", .string(m.message)), ("category", .string(m.category.rawValue)),
                        ])
                    })
            ),
        ])
    }

    /// The per-step engagement table: `{"steps": [{"step", "variant", "sent", …, "revenue"}], "total": {…}}`
    /// (the shape of `GET /v1/journeys/{name}/stats`).
    static func engagement(_ stats: EngagementStats?) -> JSONNode {
        guard let stats else { return .null }
        let rows = stats.rowValues.map(JSONNode.value)
        return .object([("steps", .array(Array(rows.dropLast()))), ("total", rows.last ?? .null)])
    }

    /// A timeline record: `at`, `journey`, `entry`, `kind` and the kind's own fields.
    /// `stepReached` and `sendTimeEngagement` records are left out (reports count them). Instants inside reasons are
    /// written in `timeZone`.
    public static func record(_ r: TimelineRecord, timeZone: String = "UTC") -> JSONNode? {
        var fields: [(String, JSONNode)] = [("at", .time(r.at)), ("journey", .string(r.journey)), ("entry", .int(r.entrySequence))]
        func kind(_ name: String, _ extra: [(String, JSONNode)]) {
            fields.append(("kind", .string(name)))
            fields.append(contentsOf: extra)
        }
        switch r.kind {
        case .entered(let trigger): kind("entered", [("trigger", .string(trigger.description))])
        case .notEntered(let trigger, let reason):
            kind(
                "not_entered",
                [
                    ("trigger", .string(trigger.description)), ("reason", .string(ReasonText.notEntered(reason))),
                    ("detail", .string(reason.description)),
                ])
        case .stepReached: return nil
        case .waiting(let step, let until, let event):
            kind("waiting", [("step", .string(step)), ("until", .time(until)), ("for_event", .optional(event))])
        case .eventReceived(let step, let event): kind("event_received", [("step", .string(step)), ("event", .string(event))])
        case .timedOut(let step): kind("timed_out", [("step", .string(step))])
        case .variantAssigned(let split, let variant, let control, let winner):
            kind(
                "variant",
                [("split", .string(split)), ("variant", .string(variant)), ("control", .bool(control))]
                    + (winner.map { [("winner", .string($0))] } ?? []))
        case .attributesUpdated(let step, let attributes):
            kind("updated", [("step", .string(step)), ("attributes", .array(attributes.map(JSONNode.string)))])
        case .sent(let step, let message, let requested, let channel, let id, let notes):
            kind(
                channel == requested ? "sent" : "fell_back",
                [
                    ("step", .string(step)), ("message", .string(message)), ("channel", .string(channel.rawValue)),
                    ("requested_channel", .string(requested.rawValue)), ("message_id", .string(id)),
                    ("notes", .array(notes.map { .string(ReasonText.explanation(ReasonText.fallbackCause($0), timeZone: timeZone)) })),
                ])
        case .deferred(let step, let message, let channel, let until, let reason):
            kind(
                "deferred",
                [
                    ("step", .string(step)), ("message", .string(message)), ("channel", .string(channel.rawValue)), ("until", .time(until)),
                    ("rule", .string(ReasonText.rule(reason))), ("reason", .string(ReasonText.explanation(reason, timeZone: timeZone))),
                ])
        case .skipped(let step, let message, let channel, let reason):
            kind(
                "skipped",
                [
                    ("step", .string(step)), ("message", .string(message)), ("channel", .string(channel.rawValue)),
                    ("rule", .string(ReasonText.rule(reason))), ("reason", .string(ReasonText.explanation(reason, timeZone: timeZone))),
                ])
        case .sendCancelled(let step, let message, let channel, let because):
            kind(
                "cancelled",
                [
                    ("step", .string(step)), ("message", .string(message)), ("channel", .string(channel.rawValue)),
                    ("because", .string(because.description)),
                ])
        case .exited(let step, let reason): kind("exited", [("step", .string(step)), ("reason", .string(reason.description))])
        case .converted(let goal, let time, let variants):
            kind(
                "converted",
                [
                    ("goal", .string(goal)), ("time_to_convert", .number(time)),
                    ("variants", .sorted(Dictionary(variants.map { ($0.split, JSONNode.string($0.variant)) }, uniquingKeysWith: { a, _ in a }))),
                ])
        case .migrated(let from, let to, let step): kind("migrated", [("from", .string(from)), ("to", .string(to)), ("step", .string(step))])
        case .movedByMigration(let fromVersion, let fromStep, let toVersion, let toStep, let kept, let line):
            kind(
                "moved_by_migration",
                [
                    ("from_version", .string(fromVersion)), ("from_step", .string(fromStep)), ("to_version", .string(toVersion)),
                    ("to_step", .string(toStep)), ("deadline", .string(kept ? "kept" : "restarted")), ("line", .number(Double(line))),
                ])
        case .held(let step): kind("held", [("step", .string(step))])
        case .engaged(let e):
            // Sends and conversions have their own records; the statistics section counts these.
            if e.metric == .sent || e.metric == .converted { return nil }
            kind(
                "engagement",
                [
                    ("step", .string(e.step)), ("metric", .string(e.metric.rawValue)), ("message", .string(e.message)),
                    ("message_id", .optional(e.messageID)),
                ])
        case .resumed(let step, let heldFor): kind("resumed", [("step", .string(step)), ("held_for", .number(heldFor))])
        case .sendTimeChosen(let step, let message, let channel, let choice):
            kind(
                "send_time",
                [
                    ("step", .string(step)), ("message", .string(message)), ("channel", .string(channel.rawValue)), ("send_at", .time(choice.at)),
                    ("local_time", .string(choice.localTime.description)), ("reason", .string(choice.description)),
                ])
        case .sendTimeEngagement: return nil
        }
        return .object(fields)
    }
}
