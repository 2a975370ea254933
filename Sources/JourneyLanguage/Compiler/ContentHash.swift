import Foundation

/// The version of a compiled journey: the SHA-256 of its canonical form.
///
/// The canonical form is the program's JSON with keys sorted, source locations removed (so
/// reformatting or moving a journey does not change its version), sets sorted, and the
/// definitions of the segments it uses (directly or through other segments) included (so
/// changing a segment the journey depends on does).
enum ContentHash {
    static func version(of program: JourneyProgram, segments: [String: Expression]) -> String {
        var program = program
        program.version = ""
        var used: [String: Expression] = [:]
        var pending = Array(referencedSegments(program))
        while let name = pending.popLast() {
            guard used[name] == nil, let definition = segments[name] else { continue }
            used[name] = definition
            pending += CatalogChecker.segmentReferences(in: definition)
        }
        struct Payload: Encodable {
            var journey: JourneyProgram
            var segments: [String: Expression]
        }
        return SHA256.hex(canonicalJSON(Payload(journey: program, segments: used)))
    }

    static func referencedSegments(_ program: JourneyProgram) -> Set<String> {
        var names: Set<String> = []
        func scan(_ expression: Expression?) { names.formUnion(CatalogChecker.segmentReferences(in: expression)) }
        switch program.trigger {
        case .event(_, let filter): scan(filter)
        case .segmentEntry(let segment): names.insert(segment)
        case .schedule(let segment, _, _), .calendar(let segment, _, _): if let segment { names.insert(segment) }
        }
        for exit in program.exits {
            switch exit {
            case .event(_, let filter): scan(filter)
            case .condition(let condition): scan(condition)
            }
        }
        scan(program.goal?.filter)
        for state in program.states {
            switch state.kind {
            case .branch(let branches, _): for branch in branches { scan(branch.condition) }
            case .wait(.event(_, let filter, _, _, _)): scan(filter)
            case .wait(.events(let arms, _, _)): for arm in arms { scan(arm.filter) }
            case .wait(.untilTime(let expression, _)): scan(expression)
            case .update(let updates, _):
                for update in updates {
                    switch update.operation {
                    case .set(let e), .increment(let e): scan(e)
                    case .unset: break
                    }
                }
            default: break
            }
        }
        return names
    }

    /// JSON with sorted keys, without `location` fields, and with set-valued fields sorted.
    static func canonicalJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return ""
        }
        let cleaned = canonicalize(object)
        guard let output = try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys, .fragmentsAllowed]) else { return "" }
        return String(decoding: output, as: UTF8.self)
    }

    /// Keys whose arrays encode a `Set` (their order means nothing).
    private static let setKeys: Set<String> = ["weekdays", "channels"]

    private static func canonicalize(_ object: Any) -> Any {
        if let dictionary = object as? [String: Any] {
            var result: [String: Any] = [:]
            for (key, value) in dictionary where key != "location" {
                if setKeys.contains(key), let array = value as? [Any] {
                    result[key] = array.map { canonicalize($0) }.sorted { "\($0)" < "\($1)" }
                } else {
                    result[key] = canonicalize(value)
                }
            }
            return result
        }
        if let array = object as? [Any] { return array.map(canonicalize) }
        return object
    }
}
