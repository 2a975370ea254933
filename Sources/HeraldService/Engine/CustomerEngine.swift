public import JourneyEngine
public import JourneyLanguage

/// The engine as the service drives it: a pure step function over one customer's aggregate.
///
/// The journey engine conforms through ``JourneyToolchain``; tests plug in scripted engines to
/// exercise the durable machinery (inbox, timers, outbox, crash recovery) against a known oracle.
public protocol CustomerEngine: Sendable {
    /// Handles one input for one customer at `now` (the system clock), mutating its aggregate.
    func handle(_ input: EngineInput, state: inout CustomerState, now: Double) -> EngineOutput
    /// When the engine must next be woken for this aggregate (the durable timer index).
    func nextWakeAt(of state: CustomerState) -> Double?
    /// Whether the aggregate has work held by a paused journey (the service rechecks such
    /// customers now and then, so that a resume finds them in the timer index).
    func holdsWork(of state: CustomerState) -> Bool
    /// What to keep of an output for inspection (`GET /v1/customers/{id}`) and per-journey counts.
    func records(of output: EngineOutput, customerID: String, now: Double) -> EngineRecords
}

/// Inspection records derived from one engine output.
public struct EngineRecords: Sendable {
    public var log: [CustomerLogEntry]
    public var counters: [JourneyCounter: Int64]
    public init(log: [CustomerLogEntry] = [], counters: [JourneyCounter: Int64] = [:]) {
        self.log = log
        self.counters = counters
    }
}

extension CustomerEngine {
    public func nextWakeAt(of state: CustomerState) -> Double? { state.nextWakeAt }
    public func holdsWork(of state: CustomerState) -> Bool { false }

    /// By default every outbox message is logged as a send and counted per journey step.
    public func records(of output: EngineOutput, customerID: String, now: Double) -> EngineRecords {
        var records = EngineRecords()
        for message in output.outbox {
            records.log.append(
                CustomerLogEntry(
                    at: now, kind: "send", journey: message.journey,
                    summary: "send \(message.message) by \(message.channel.rawValue) (\(message.category.rawValue))",
                    detail: .object([
                        "message_id": .string(message.id), "step": .string(message.step),
                        "channel": .string(message.channel.rawValue),
                    ])))
            records.counters[
                JourneyCounter(journey: message.journey, version: message.journeyVersion, step: message.step, metric: "sent"),
                default: 0] += 1
        }
        return records
    }
}

/// One problem found while checking a journeys directory.
public struct JourneyDiagnostic: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var column: Int
    /// `error`, `warning` or `note`.
    public var severity: String
    public var message: String
    public var id: String?

    public init(file: String, line: Int, column: Int, severity: String, message: String, id: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.id = id
    }
}

/// The result of checking a journeys directory.
public enum JourneyCompilation: Sendable {
    case compiled(JourneyCatalog, warnings: [JourneyDiagnostic])
    case failed([JourneyDiagnostic])
}

/// How the service turns a journeys directory into a running engine: the compiler and the engine
/// constructor, injected so that `herald serve` wires the real ones and tests can script them.
public protocol JourneyToolchain: Sendable {
    /// Checks and compiles every journey in `directory`.
    func compile(directory: String) -> JourneyCompilation
    /// Builds the engine for a deployed catalog. `archive` holds every version ever deployed, so
    /// in-flight instances continue on the version they entered; `paused` journeys take no new
    /// entries and their waiting instances hold.
    func makeEngine(catalog: JourneyCatalog, archive: [JourneyProgram], paused: Set<String>) -> any CustomerEngine
}
