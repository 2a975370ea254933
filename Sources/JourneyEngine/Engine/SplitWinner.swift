import JourneyLanguage

/// The decided winner of a split with a winner rule (`winner after 14 days by conversion min 500
/// per variant`): an input to the engine (``JourneyEngine/Options/winners``).
///
/// ```swift
/// let winner = SplitWinner(journey: "newsletter", split: "subject_test", variant: "b", since: decidedAt,
///                          evidence: "conversion 12.1 % vs 8.0 %, n=1,200")
/// let engine = JourneyEngine(catalog: catalog, options: .init(winners: [winner]))
/// ```
public struct SplitWinner: Sendable, Hashable, Codable {
    public var journey: String
    public var split: String
    /// The winning variant's name.
    public var variant: String
    /// The instant of the decision: entrants from then on go to the winner.
    public var since: Double
    /// Why it won, for the timeline ("conversion 12.1 % vs 8.0 %, n=1,200").
    public var evidence: String

    public init(journey: String, split: String, variant: String, since: Double, evidence: String) {
        self.journey = journey
        self.split = split
        self.variant = variant
        self.since = since
        self.evidence = evidence
    }

    /// The timeline's note: "winner since 2026-03-10: conversion 12.1 % vs 8.0 %, n=1,200".
    public var note: String {
        let day = Value.formatTime(since).prefix(10)
        return "winner since \(day)" + (evidence.isEmpty ? "" : ": \(evidence)")
    }
}

extension JourneyEngine {
    /// The same engine (catalog, retained versions, paused journeys, options) with these decided
    /// winners as its input.
    public func deciding(winners: [SplitWinner]) -> JourneyEngine {
        var options = core.options
        options.winners = winners
        let current = Set(core.catalog.journeys.map { "\($0.name)@\($0.version)" })
        let retained = core.held.filter { !current.contains("\($0.name)@\($0.version)") }
        var engine = JourneyEngine(catalog: core.catalog, retainedPrograms: retained, paused: core.paused, options: options)
        engine.decide = decide
        engine.audience = audience
        return engine
    }
}
