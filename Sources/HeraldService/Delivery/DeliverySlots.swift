import JourneyEngine

/// The delivery worker's admission control, as a pure state machine: at most `concurrency`
/// attempts in flight in all, and at most a destination's own limit to any one destination.
///
/// A claim whose destination is full waits for that destination's next free slot — in claim order,
/// at most `concurrency` claims per destination, so a single busy destination keeps its slots busy
/// without claims going back and forth — and beyond that it is given back to the store. Waiting
/// claims hold no global slot, so a destination whose every attempt hangs costs the others only its
/// own limit, never the whole worker. Time comes in as `now`.
///
/// ```swift
/// var slots = DeliverySlots(concurrency: 32)
/// slots.claimed(claim, destination: "webhook http://127.0.0.1:80", limit: 8)  // .start, .wait or .giveBack(retryAfter:)
/// slots.finished(destination: "webhook http://127.0.0.1:80", now: now, minimumLease: 30, duration: 0.2)  // the next waiting claim
/// ```
struct DeliverySlots {
    /// What to do with a fresh claim.
    enum Admission: Equatable {
        /// Start its attempt now.
        case start
        /// Hold it: it starts when its destination frees a slot.
        case wait
        /// Give it back unattempted, due again in `retryAfter` seconds: its destination is full and
        /// `concurrency` claims wait for it. The delay is about the time the destination needs to
        /// work off what waits (from its recent attempt durations), so a fast destination gets its
        /// messages back soon and a hanging one does not have them claimed over and over.
        case giveBack(retryAfter: Double)
    }

    /// What to do after an attempt finished.
    struct Handover: Equatable {
        /// A waiting claim to start in the freed slot.
        var start: OutboxClaim?
        /// Waiting claims whose lease would lapse too soon to start them: give them back.
        var giveBack: [OutboxClaim] = []
    }

    private struct Lane {
        var limit: Int
        /// Since when attempts to this destination have been running without a pause.
        var busySince: Double
        var inFlight = 0
        var waiting: [OutboxClaim] = []
    }

    let concurrency: Int
    /// The longest delay of a claim given back for a destination with no finished attempt to go
    /// by (until then the delay is how long the destination has been busy).
    let unknownDelay: Double
    private var lanes: [String: Lane] = [:]
    /// Recent attempt durations per destination (exponentially weighted), kept while lanes come and go.
    private var durations: [String: Double] = [:]
    private var stopped = false
    /// Attempts running now.
    private(set) var inFlight = 0
    /// Claims held for a full destination.
    private(set) var waiting = 0

    init(concurrency: Int, unknownDelay: Double = 1) {
        self.concurrency = max(1, concurrency)
        self.unknownDelay = unknownDelay
    }

    /// How many more messages the worker may claim now.
    var freeSlots: Int { stopped ? 0 : max(0, concurrency - inFlight) }

    /// Attempts in flight to `destination`.
    func inFlight(to destination: String) -> Int { lanes[destination]?.inFlight ?? 0 }

    mutating func claimed(_ claim: OutboxClaim, destination: String, limit: Int, now: Double) -> Admission {
        if stopped { return .giveBack(retryAfter: 0) }
        var lane = lanes[destination] ?? Lane(limit: max(1, limit), busySince: now)
        lane.limit = max(1, limit)
        defer { lanes[destination] = lane.inFlight == 0 && lane.waiting.isEmpty ? nil : lane }
        if lane.inFlight < lane.limit {
            // Claims are bounded by `freeSlots`, so the worker as a whole has room; if it had not,
            // waiting would be for a slot no attempt of this destination will free.
            guard inFlight < concurrency else { return .giveBack(retryAfter: retryDelay(destination, lane, now: now)) }
            lane.inFlight += 1
            inFlight += 1
            return .start
        }
        if lane.waiting.count < concurrency {
            lane.waiting.append(claim)
            waiting += 1
            return .wait
        }
        return .giveBack(retryAfter: retryDelay(destination, lane, now: now))
    }

    /// About how long the destination needs for what waits for it (bounded to 50 ms … 30 s).
    private func retryDelay(_ destination: String, _ lane: Lane, now: Double) -> Double {
        guard let duration = durations[destination] else { return min(unknownDelay, max(0.05, now - lane.busySince)) }
        return min(30, max(0.05, duration * (Double(lane.waiting.count) / Double(lane.limit) + 1)))
    }

    /// An attempt to `destination` finished after `duration` seconds: its slot goes to the
    /// destination's oldest waiting claim that still holds its lease for `minimumLease` seconds;
    /// waiting claims with less are given back.
    mutating func finished(destination: String, now: Double, minimumLease: Double, duration: Double) -> Handover {
        if durations.count > 10_000, durations[destination] == nil { durations.removeAll() }
        durations[destination] = durations[destination].map { $0 * 0.8 + duration * 0.2 } ?? duration
        guard var lane = lanes[destination] else { return Handover() }
        var handover = Handover()
        lane.inFlight -= 1
        inFlight -= 1
        while !stopped, handover.start == nil, !lane.waiting.isEmpty {
            let next = lane.waiting.removeFirst()
            waiting -= 1
            if next.leaseUntil - now >= minimumLease {
                handover.start = next
                lane.inFlight += 1
                inFlight += 1
            } else {
                handover.giveBack.append(next)
            }
        }
        lanes[destination] = lane.inFlight == 0 && lane.waiting.isEmpty ? nil : lane
        return handover
    }

    /// Shutting down: nothing more starts; returns the waiting claims, to give back.
    mutating func stop() -> [OutboxClaim] {
        stopped = true
        var claims: [OutboxClaim] = []
        for (key, lane) in lanes {
            claims += lane.waiting
            lanes[key]?.waiting = []
        }
        waiting = 0
        return claims
    }
}
