import Foundation
public import JourneyEngine
public import JourneyLanguage

/// The real toolchain: the journey compiler and the journey engine — the same engine the dry-run
/// runs, so a journey that passes its dry-run behaves the same in the service.
public struct JourneysToolchain: JourneyToolchain {
    public var options: JourneyEngine.Options

    public init(options: JourneyEngine.Options = JourneyEngine.Options()) { self.options = options }

    public static func make() throws -> any JourneyToolchain { JourneysToolchain() }

    public func compile(directory: String) -> JourneyCompilation {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .failed([
                JourneyDiagnostic(
                    file: directory, line: 0, column: 0, severity: "error",
                    message: "the journeys directory \(directory) does not exist", id: "service-no-journeys")
            ])
        }
        let result = JourneyCompiler.compile(directory: directory)
        let diagnostics = result.diagnostics.map { d in
            JourneyDiagnostic(
                file: d.location?.file ?? directory, line: d.location?.line ?? 0, column: d.location?.column ?? 0,
                severity: d.severity.rawValue, message: d.message, id: d.id.rawValue)
        }
        guard let catalog = result.catalog else { return .failed(diagnostics.filter { $0.severity == "error" }) }
        return .compiled(catalog, warnings: diagnostics)
    }

    /// Every archived version stays held, so in-flight instances keep their program; paused
    /// journeys take no new entries and their instances hold (the engine's `paused`).
    public func makeEngine(catalog: JourneyCatalog, archive: [JourneyProgram], paused: Set<String>) -> any CustomerEngine {
        let current = Set(catalog.journeys.map { "\($0.name)@\($0.version)" })
        let retained = archive.filter { !current.contains("\($0.name)@\($0.version)") }
        return JourneyEngineAdapter(
            engine: JourneyEngine(catalog: catalog, retainedPrograms: retained, paused: paused, options: options))
    }
}

/// The journey engine as the service drives it, with its timeline turned into inspection records.
struct JourneyEngineAdapter: CustomerEngine {
    let engine: JourneyEngine

    func handle(_ input: EngineInput, state: inout CustomerState, now: Double) -> EngineOutput {
        engine.handle(input, state: &state, now: now)
    }

    func nextWakeAt(of state: CustomerState) -> Double? { engine.nextWakeAt(of: state) }

    func holdsWork(of state: CustomerState) -> Bool { engine.holdsWork(of: state) }

    func records(of output: EngineOutput, customerID: String, now: Double) -> EngineRecords {
        var records = EngineRecords()
        func count(_ record: TimelineRecord, _ step: String, _ metric: String) {
            records.counters[JourneyCounter(journey: record.journey, version: record.version, step: step, metric: metric), default: 0] += 1
        }
        func log(_ record: TimelineRecord, _ kind: String, _ summary: String) {
            let detail = (try? ValueEncoder.encode(record.kind)) ?? .null
            records.log.append(CustomerLogEntry(at: record.at, kind: kind, journey: record.journey, summary: summary, detail: detail))
        }
        for record in output.timeline {
            switch record.kind {
            case .entered(let trigger):
                count(record, "", "entered")
                log(record, "entered", "entered \(record.journey) on \(trigger)")
            case .notEntered(let trigger, let reason):
                log(record, "not_entered", "did not enter \(record.journey) on \(trigger): \(reason)")
            case .stepReached(let step, _):
                count(record, step, "reached")
            case .sent(let step, let message, let requested, let channel, _, let notes):
                count(record, step, "sent")
                let via = requested == channel ? "" : " instead of \(requested.rawValue)"
                log(record, "decision", "sent \(message) by \(channel.rawValue)\(via)\(notes.isEmpty ? "" : ": \(notes)")")
            case .deferred(let step, let message, let channel, let until, let reason):
                count(record, step, "deferred")
                log(record, "decision", "deferred \(message) by \(channel.rawValue) until \(Value.formatTime(until)): \(reason)")
            case .skipped(let step, let message, let channel, let reason):
                count(record, step, "skipped")
                log(record, "decision", "skipped \(message) by \(channel.rawValue): \(reason)")
            case .sendCancelled(let step, let message, _, let because):
                count(record, step, "cancelled")
                log(record, "decision", "cancelled \(message): \(because)")
            case .held(let step):
                count(record, step, "held")
                log(record, "held", "held at \(step): \(record.journey) is paused")
            case .resumed(let step, let heldFor):
                log(record, "resumed", "resumed at \(step) after holding \(DurationText.format(heldFor))")
            case .exited(let step, let reason):
                count(record, step, "exited")
                log(record, "exited", "left \(record.journey) at \(step): \(reason)")
            case .converted(let goal, let time, _):
                count(record, "", "converted")
                log(record, "converted", "reached the goal \(goal) after \(DurationText.format(time))")
            default:
                break
            }
        }
        return records
    }
}
