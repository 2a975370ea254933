import JourneyEngine

/// The delivery worker's admission control, as a pure state machine: at most `concurrency`
/// attempts in flight in all, and at most a destination's own limit to any one destination.
///
/// A claim whose destination is full waits for that destination's next free slot — at most as
/// many claims wait per destination as its limit, in claim order — and beyond that it is given
/// back to the store. Waiting claims hold no global slot, so a destination whose every attempt
/// hangs costs the others only its own limit, never the whole worker. Time comes in as `now`.
///
/// ```swift
/// var slots = DeliverySlots(concurrency: 32)
/// slots.claimed(claim, destination: "webhook http://127.0.0.1:80", limit: 8)    // .start, .wait or .giveBack
/// slots.finished(destination: "webhook http://127.0.0.1:80", now: now, minimumLease: 30)  // the next waiting claim
/// ```
struct DeliverySlots {
    /// What to do with a fresh claim.
    enum Admission: Equatable {
        /// Start its attempt now.
        case start
        /// Hold it: it starts when its destination frees a slot.
        case wait
        /// Give it back unattempted: its destination is full and enough claims wait for it.
        case giveBack
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
        var inFlight = 0
        var waiting: [OutboxClaim] = []
    }

    let concurrency: Int
    private var lanes: [String: Lane] = [:]
    private var stopped = false
    /// Attempts running now.
    private(set) var inFlight = 0
    /// Claims held for a full destination.
    private(set) var waiting = 0

    init(concurrency: Int) {
        self.concurrency = max(1, concurrency)
    }

    /// How many more messages the worker may claim now.
    var freeSlots: Int { stopped ? 0 : max(0, concurrency - inFlight) }

    /// Attempts in flight to `destination`.
    func inFlight(to destination: String) -> Int { lanes[destination]?.inFlight ?? 0 }

    mutating func claimed(_ claim: OutboxClaim, destination: String, limit: Int) -> Admission {
        if stopped { return .giveBack }
        var lane = lanes[destination] ?? Lane(limit: max(1, limit))
        lane.limit = max(1, limit)
        defer { lanes[destination] = lane.inFlight == 0 && lane.waiting.isEmpty ? nil : lane }
        if lane.inFlight < lane.limit {
            // Claims are bounded by `freeSlots`, so the worker as a whole has room; if it had not,
            // waiting would be for a slot no attempt of this destination will free.
            guard inFlight < concurrency else { return .giveBack }
            lane.inFlight += 1
            inFlight += 1
            return .start
        }
        if lane.waiting.count < lane.limit {
            lane.waiting.append(claim)
            waiting += 1
            return .wait
        }
        return .giveBack
    }

    /// An attempt to `destination` finished: its slot goes to the destination's oldest waiting claim
    /// that still holds its lease for `minimumLease` seconds; waiting claims with less are given back.
    mutating func finished(destination: String, now: Double, minimumLease: Double) -> Handover {
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
