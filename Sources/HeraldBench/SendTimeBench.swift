import Foundation
import HeraldSimulation
import JourneyEngine
import JourneyLanguage

/// Send-time optimisation, evaluated: synthetic customers whose preferred local hour is known,
/// past engagements drawn from it, and the hour the engine chooses for `at best time within 24
/// hours` (the real engine, through the dry-run, which learns the journey's audience hours the
/// same way the service does). Not a speed figure: the quality of the choice.
///
/// The model (seeded, so every run prints the same table):
/// - 1,500 customers per history level, spread over six time zones; a preferred local hour p:
///   35% evening (18–21), 30% morning (7–9), 15% lunch (12–13), 20% any hour (uniform).
/// - The chance to open a message sent at local hour h is `0.04 + 0.36 · exp(−d² / 8)`, d the
///   distance in hours between h and p around the clock (40% at p, 25% at ±2 h, 4% far away).
/// - A past engagement happened at a uniformly random moment of the last 90 days, at an hour
///   drawn with that chance (a send at a random hour, opened or not); 60% opens, 40% clicks;
///   0, 3, 10 or 30 of them per customer, each naming a message of the journey (so the journey's
///   audience hours learn from every level).
/// - On the evaluation day every customer gets `digest.ready` at a uniformly random UTC instant;
///   the send waits up to 24 hours for its best hour. No quiet hours or caps interfere.
/// - Figures: the share of customers whose chosen hour is exactly p, or within ±1 h; the expected
///   open rate at the chosen hour against one fixed hour for everyone (10:00 local) and against
///   sending at once (the trigger's own hour).
enum SendTimeBench {
    static let histories = [0, 3, 10, 30]
    static let customersPerLevel = 1_500
    static let zones = ["America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo"]
    static let fixedHour = 10
    /// 2026-11-02 00:00 UTC: the evaluation day (a Monday).
    static let evaluationDay: Double = 1_793_577_600

    static let journeys = """
        policy
          cap marketing 10 per day

        journey weekly
          trigger on event "digest.ready"
          send email weekly at best time within 24 hours

        """

    static func openChance(hour: Int, preferred: Int) -> Double {
        let raw = abs(hour - preferred) % 24
        let d = Double(min(raw, 24 - raw))
        return 0.04 + 0.36 * exp(-d * d / 8)
    }

    struct Customer {
        var profile: CustomerProfile
        var preferred: Int
        var history: Int
        var triggerHour: Int = 0
    }

    struct Outcome {
        var exact = 0
        var near = 0
        var chosenOpen = 0.0
        var fixedOpen = 0.0
        var atOnceOpen = 0.0
        var count = 0
        var bases: [String: Int] = [:]
    }

    static func run(_ options: BenchOptions, into table: inout ResultTable) throws {
        let compiled = JourneyCompiler.compile(sources: ["weekly.journey": journeys])
        guard let catalog = compiled.catalog else { throw BenchError("the send-time journey does not compile: \(compiled.errors)") }
        var random = SeededRandom(seed: 0x5EED_71AE)
        var customers: [Customer] = []
        var events: [CustomerEvent] = []
        let from = evaluationDay - 90 * 86_400
        for history in histories {
            for n in 0..<customersPerLevel {
                let id = "h\(history)-\(n)"
                let zone = zones[n % zones.count]
                let roll = random.unit()
                let preferred: Int
                switch roll {
                case ..<0.35: preferred = 18 + random.below(4)
                case ..<0.65: preferred = 7 + random.below(3)
                case ..<0.80: preferred = 12 + random.below(2)
                default: preferred = random.below(24)
                }
                var customer = Customer(
                    profile: CustomerProfile(id: id, email: "\(id)@example.com", timeZone: zone), preferred: preferred, history: history)
                let tz = TimeZone(identifier: zone)!
                for k in 0..<history {
                    // An hour drawn with the open chance (rejection sampling), on a random day.
                    var hour = 0
                    repeat { hour = random.below(24) } while random.unit() >= openChance(hour: hour, preferred: preferred) / 0.40
                    let dayStart = from + Double(random.below(89)) * 86_400
                    let at = localInstant(day: dayStart, hour: hour, minute: random.below(60), zone: tz)
                    events.append(
                        CustomerEvent(
                            id: "\(id)-g\(k)", customerID: id, name: random.unit() < 0.6 ? "email.opened" : "email.clicked",
                            properties: ["message_id": .string("\(id)/weekly/\(k + 1)/send_email_weekly/email")], timestamp: at))
                }
                let trigger = evaluationDay + Double(random.below(86_400))
                customer.triggerHour = LocalClock.localHour(of: trigger, in: tz)
                events.append(CustomerEvent(id: "\(id)-ready", customerID: id, name: "digest.ready", timestamp: trigger))
                customers.append(customer)
            }
        }
        events.sort { $0.timestamp < $1.timestamp }
        let result = DryRun(catalog: catalog).run(
            customers: customers.map(\.profile), events: events, options: DryRunOptions(from: from, until: evaluationDay + 3 * 86_400))

        var outcomes: [Int: Outcome] = [:]
        let byID = Dictionary(uniqueKeysWithValues: customers.map { ($0.profile.id, $0) })
        for replayed in result.customers {
            guard let customer = byID[replayed.id] else { continue }
            let choices = replayed.timeline.compactMap { record -> SendTimeChoice? in
                if case .sendTimeChosen(_, _, _, let choice) = record.kind, record.at >= evaluationDay { choice } else { nil }
            }
            guard let choice = choices.first else { throw BenchError("no send-time choice for \(replayed.id)") }
            let hour = choice.localTime.hour
            let raw = abs(hour - customer.preferred) % 24
            let distance = min(raw, 24 - raw)
            modifying(&outcomes[customer.history, default: Outcome()]) { o in
                o.count += 1
                if distance == 0 { o.exact += 1 }
                if distance <= 1 { o.near += 1 }
                o.chosenOpen += openChance(hour: hour, preferred: customer.preferred)
                o.fixedOpen += openChance(hour: fixedHour, preferred: customer.preferred)
                o.atOnceOpen += openChance(hour: customer.triggerHour, preferred: customer.preferred)
                let basis: String
                switch choice.basis {
                case .customer: basis = "own"
                case .journey: basis = "journey"
                case .defaultTime: basis = "default"
                case .windowStart: basis = "start"
                }
                o.bases[basis, default: 0] += 1
            }
        }

        print("  model: \(customersPerLevel) customers per level, open chance 0.04 + 0.36·exp(−d²/8), fixed hour \(fixedHour):00 local")
        print(
            "  | past engagements | exact hour | within ±1 h | open rate, chosen | open rate, 10:00 | uplift vs 10:00 | open rate, at once | uplift vs at once | basis |"
        )
        print("  |---|---|---|---|---|---|---|---|---|")
        for history in histories {
            guard let o = outcomes[history], o.count > 0 else { continue }
            let n = Double(o.count)
            let basis = o.bases.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print(
                "  | \(history) | \(percent(Double(o.exact) / n)) | \(percent(Double(o.near) / n)) | \(percent(o.chosenOpen / n)) | \(percent(o.fixedOpen / n)) | \(signed(o.chosenOpen / o.fixedOpen - 1)) | \(percent(o.atOnceOpen / n)) | \(signed(o.chosenOpen / o.atOnceOpen - 1)) | \(basis) |"
            )
            table.add(
                "send time, \(history) past engagements: exact-hour hits", 100 * Double(o.exact) / n, "%", reference: ("a random hour", 100.0 / 24))
            table.add(
                "send time, \(history) past engagements: open rate", 100 * o.chosenOpen / n, "%",
                reference: ("all at \(fixedHour):00 local", 100 * o.fixedOpen / n))
        }
    }

    static func percent(_ x: Double) -> String { String(format: "%.1f %%", 100 * x) }
    static func signed(_ x: Double) -> String { String(format: "%+.1f %%", 100 * x) }

    /// `hour:minute` local time on the UTC day starting at `day` (near enough for a synthetic history).
    static func localInstant(day: Double, hour: Int, minute: Int, zone: TimeZone) -> Double {
        let guess = day + Double(hour * 3_600 + minute * 60)
        return guess - Double(zone.secondsFromGMT(for: Date(timeIntervalSince1970: guess)))
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same customers on every machine.
private struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Uniform in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

@inline(__always)
private func modifying<T>(_ value: inout T, _ body: (inout T) -> Void) { body(&value) }
