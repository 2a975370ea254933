import Foundation

/// The templates found for one message, with their text (used to check template variables).
struct MessageSource: Sendable {
    var name: String
    /// Relative to the journeys directory: `messages/cart_reminder`.
    var directory: String
    /// File name → text (`subject.mustache` → …); text may be empty when unknown.
    var files: [String: String]
    /// Path of the directory as shown in diagnostics.
    var displayDirectory: String

    var channels: Set<Channel> {
        var channels: Set<Channel> = []
        for channel in Channel.allCases where missingFiles(for: channel).isEmpty { channels.insert(channel) }
        return channels
    }

    /// The template files `channel` needs that this message lacks.
    func missingFiles(for channel: Channel) -> [String] {
        switch channel {
        case .email:
            var missing: [String] = []
            if files["subject.mustache"] == nil { missing.append("subject.mustache") }
            if files["body.html.mustache"] == nil && files["body.txt.mustache"] == nil {
                missing.append("body.html.mustache (or body.txt.mustache)")
            }
            return missing
        case .sms: return files["sms.mustache"] == nil ? ["sms.mustache"] : []
        case .webhook: return files["webhook.json.mustache"] == nil ? ["webhook.json.mustache"] : []
        }
    }
}

/// Checks every declaration of a journeys directory together and lowers it to a ``JourneyCatalog``.
///
/// One instance checks one set of files: names (journeys, segments, messages, attributes) are
/// resolved across all of them.
struct CatalogChecker {
    var diagnostics: [Diagnostic] = []
    let files: [SourceFileSyntax]
    /// `nil` when message templates are not known (in-memory compiles without messages).
    let messages: [String: MessageSource]?

    var schema = Schema()
    var hasCustomerSchema = false
    var segmentSyntax: [String: SegmentSyntax] = [:]
    var segments: [String: Expression] = [:]
    var policy = DeliveryPolicyProgram()
    var hasPolicy = false
    var journeyNames: Set<String> = []
    /// Undeclared events already reported (each is reported once).
    var warnedEvents: Set<String> = []
    /// Whether compiled journeys get their version (the content hash, most of the cost of
    /// compiling); editors checking as the user types do without it.
    var computesVersions = true

    init(files: [SourceFileSyntax], messages: [String: MessageSource]?) {
        self.files = files
        self.messages = messages
    }

    mutating func error(
        _ id: DiagnosticID, at location: SourceLocation?, length: Int = 1, _ message: String, notes: [Diagnostic.Note] = [],
        fixIts: [Diagnostic.FixIt] = []
    ) {
        diagnostics.append(.error(id, at: location, length: length, message, notes: notes, fixIts: fixIts))
    }

    mutating func warning(_ id: DiagnosticID, at location: SourceLocation?, length: Int = 1, _ message: String, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.warning(id, at: location, length: length, message, notes: notes))
    }

    /// An "unknown X" error with a did-you-mean suggestion and a fix-it when one is close.
    mutating func unknown(_ id: DiagnosticID, _ what: String, _ name: Name, candidates: some Sequence<String>, notes: [Diagnostic.Note] = []) {
        let (hint, suggestion) = Suggestions.didYouMean(name.text, in: candidates)
        error(
            id, at: name.location, length: name.length, "unknown \(what) `\(name.text)`\(hint)", notes: notes,
            fixIts: suggestion.map { [.init(location: name.location, length: name.length, replacement: $0)] } ?? []
        )
    }

    mutating func run() -> JourneyCatalog {
        var journeys: [JourneySyntax] = []
        var schemas: [SchemaSyntax] = []
        var policies: [PolicySyntax] = []
        var firstJourney: [String: SourceLocation] = [:]
        for file in files {
            for declaration in file.declarations {
                switch declaration {
                case .journey(let journey):
                    if let first = firstJourney[journey.name.text] {
                        error(
                            .duplicateJourney, at: journey.name.location, length: journey.name.length,
                            "journey `\(journey.name.text)` is already declared; journey names must be unique",
                            notes: [.init("first declared here", at: first)]
                        )
                    } else {
                        firstJourney[journey.name.text] = journey.name.location
                        journeys.append(journey)
                    }
                case .segment(let segment):
                    if let first = segmentSyntax[segment.name.text] {
                        error(
                            .duplicateSegment, at: segment.name.location, length: segment.name.length,
                            "segment `\(segment.name.text)` is already declared", notes: [.init("first declared here", at: first.name.location)]
                        )
                    } else {
                        segmentSyntax[segment.name.text] = segment
                    }
                case .policy(let policy):
                    policies.append(policy)
                case .schema(let schema):
                    schemas.append(schema)
                }
            }
        }
        journeyNames = Set(firstJourney.keys)

        for (index, schema) in schemas.enumerated() where index > 0 {
            error(
                .duplicateSchema, at: schema.location, length: 6, "only one `schema` is allowed across the journey files",
                notes: [.init("the schema is declared here", at: schemas[0].location)])
        }
        if let first = schemas.first { checkSchema(first) }

        for (index, policy) in policies.enumerated() where index > 0 {
            error(
                .duplicatePolicy, at: policy.location, length: 6, "only one `policy` is allowed across the journey files",
                notes: [.init("the policy is declared here", at: policies[0].location)])
        }
        if let first = policies.first {
            hasPolicy = true
            checkPolicy(first)
        }

        checkSegments()

        var programs: [JourneyProgram] = []
        for journey in journeys {
            if let program = checkJourney(journey) { programs.append(program) }
        }
        programs.sort { $0.name < $1.name }
        var messageTemplates: [String: MessageTemplates] = [:]
        for (name, source) in messages ?? [:] {
            messageTemplates[name] = MessageTemplates(name: name, directory: source.directory, channels: source.channels)
        }
        checkTemplateVariables()
        return JourneyCatalog(journeys: programs, segments: segments, policy: policy, schema: schema, messages: messageTemplates)
    }

    // MARK: Schema

    static let typeNames: [String: ValueType] = [
        "string": .string, "number": .number, "bool": .bool, "time": .time, "duration": .duration, "object": .object, "any": .any,
    ]
    static let typeHints: [String: String] = [
        "int": "number", "integer": "number", "float": "number", "double": "number", "decimal": "number",
        "boolean": "bool", "text": "string", "date": "time", "datetime": "time", "timestamp": "time",
        "array": "list<string>", "map": "object", "dictionary": "object",
    ]

    mutating func resolveType(_ type: TypeSyntax) -> ValueType {
        switch type {
        case .list(let element, _):
            return .list(resolveType(element))
        case .named(let name):
            if let type = Self.typeNames[name.text] { return type }
            if name.text == "list" {
                error(.unknownType, at: name.location, length: name.length, "write the element type of a list: `list<string>`")
                return .any
            }
            if let hint = Self.typeHints[name.text] {
                error(
                    .unknownType, at: name.location, length: name.length, "unknown type `\(name.text)`; did you mean `\(hint)`?",
                    fixIts: [.init(location: name.location, length: name.length, replacement: hint)]
                )
                return .any
            }
            unknown(
                .unknownType, "type", name, candidates: Self.typeNames.keys,
                notes: [.init("types are string, number, bool, time, duration, object, any and list<type>")])
            return .any
        }
    }

    mutating func checkSchema(_ syntax: SchemaSyntax) {
        hasCustomerSchema = syntax.hasCustomerBlock
        var seen: [String: SourceLocation] = [:]
        for field in syntax.customer {
            if let first = seen[field.name.text] {
                error(
                    .duplicateSetting, at: field.name.location, length: field.name.length, "attribute `\(field.name.text)` is declared twice",
                    notes: [.init("first declared here", at: first)])
                continue
            }
            seen[field.name.text] = field.name.location
            if field.name.text == "id" {
                error(
                    .readOnlyAttribute, at: field.name.location, length: field.name.length,
                    "`id` is built in (every customer has a string id); remove it from the schema")
                continue
            }
            schema.customerAttributes[field.name.text] = resolveType(field.type)
        }
        var seenEvents: [String: SourceLocation] = [:]
        for (event, fields) in syntax.events {
            if let first = seenEvents[event.value] {
                error(
                    .duplicateSetting, at: event.location, length: event.length, "event \"\(event.value)\" is declared twice in the schema",
                    notes: [.init("first declared here", at: first)])
                continue
            }
            seenEvents[event.value] = event.location
            var properties: [String: ValueType] = [:]
            for field in fields {
                if properties[field.name.text] != nil {
                    error(.duplicateSetting, at: field.name.location, length: field.name.length, "property `\(field.name.text)` is declared twice")
                }
                properties[field.name.text] = resolveType(field.type)
            }
            schema.events[event.value] = properties
        }
    }

    // MARK: Policy

    mutating func checkTimeZone(_ literal: StringLiteral) -> String? {
        if TimeZone(identifier: literal.value) != nil { return literal.value }
        let (hint, suggestion) = Suggestions.didYouMean(literal.value, in: TimeZone.knownTimeZoneIdentifiers)
        error(
            .unknownTimeZone, at: literal.location, length: literal.length,
            "unknown time zone \"\(literal.value)\"\(hint)", notes: [.init("use an IANA name such as \"Europe/Paris\" or \"America/New_York\"")],
            fixIts: suggestion.map { [.init(location: literal.location, length: literal.length, replacement: "\"\($0)\"")] } ?? []
        )
        return nil
    }

    mutating func resolveChannel(_ name: Name) -> Channel? {
        if let channel = Channel(rawValue: name.text) { return channel }
        unknown(.unknownChannel, "channel", name, candidates: Channel.allCases.map(\.rawValue), notes: [.init("channels are email, sms and webhook")])
        return nil
    }

    mutating func checkPolicy(_ syntax: PolicySyntax) {
        policy.location = syntax.location
        var seen: [String: SourceLocation] = [:]
        var capNames: Set<String> = []
        for setting in syntax.settings {
            let key: String?
            switch setting.kind {
            case .timeZone: key = "time zone"
            case .settleWindow: key = "settle window"
            case .minimumGap: key = "minimum gap"
            case .transactionalCountsTowardCaps: key = "transactional counts toward caps"
            case .globalHoldout: key = "global holdout"
            default: key = nil
            }
            if let key {
                if let first = seen[key] {
                    error(
                        .duplicateSetting, at: setting.location, length: setting.length, "`\(key)` is set twice in the policy",
                        notes: [.init("first set here", at: first)])
                    continue
                }
                seen[key] = setting.location
            }
            switch setting.kind {
            case .timeZone(let literal):
                if let zone = checkTimeZone(literal) { policy.defaultTimeZone = zone }
            case .settleWindow(let duration):
                if duration.seconds > 3600 {
                    error(
                        .valueOutOfRange, at: duration.location, length: duration.length,
                        "the settle window delays every send; keep it at most 1 hour (it is usually seconds or a few minutes)")
                }
                policy.settleWindow = duration.seconds
            case .minimumGap(let duration):
                if duration.seconds <= 0 {
                    error(.valueOutOfRange, at: duration.location, length: duration.length, "the minimum gap must be longer than 0")
                }
                policy.minimumGap = duration.seconds
            case .transactionalCountsTowardCaps:
                policy.transactionalCountsTowardCaps = true
            case .globalHoldout(let share, let location, let length):
                if share <= 0 || share >= 100 {
                    error(
                        .valueOutOfRange, at: location, length: length,
                        "the global holdout is a share of customers above 0% and below 100% (usually 5% or 10%)")
                }
                policy.globalHoldout = share
            case .quietHours(let start, let end, let channelNames):
                if start == end {
                    error(
                        .valueOutOfRange, at: setting.location, length: setting.length,
                        "quiet hours from \(start) to \(end) are empty; give different start and end times")
                }
                var channels: Set<Channel>?
                if !channelNames.isEmpty {
                    channels = Set(channelNames.compactMap { resolveChannel($0) })
                }
                policy.quietHours.append(QuietHours(channels: channels, start: start, end: end, location: setting.location))
            case .cap(let cap):
                if let program = checkCap(cap, journey: nil, names: &capNames) { policy.caps.append(program) }
            }
        }
    }

    /// Lowers a cap; `journey` is the enclosing journey for a journey's own caps.
    mutating func checkCap(_ syntax: CapSyntax, journey: String?, names: inout Set<String>) -> Cap? {
        var channels: Set<Channel> = []
        var category: MessageCategory?
        var scope: JourneyScope = journey.map { .named($0) } ?? .all
        var nameParts: [String] = []
        var valid = true
        for (item, location, length) in syntax.scopes {
            switch item {
            case .all:
                if journey != nil {
                    error(.valueOutOfRange, at: location, length: length, "a journey's own cap counts only that journey's messages; remove `all`")
                    valid = false
                }
                nameParts.append("all")
            case .marketing, .transactional:
                let wanted: MessageCategory = item == .marketing ? .marketing : .transactional
                if let category, category != wanted {
                    error(
                        .valueOutOfRange, at: location, length: length, "a cap counts marketing or transactional messages, not both; write two caps")
                    valid = false
                }
                category = wanted
                nameParts.append(wanted.rawValue)
            case .channel(let name):
                if let channel = resolveChannel(name) {
                    channels.insert(channel)
                    nameParts.append(channel.rawValue)
                } else {
                    valid = false
                }
            case .eachJourney:
                if journey != nil {
                    error(
                        .valueOutOfRange, at: location, length: length, "`each journey` belongs in the policy; inside a journey write `cap N per …`")
                    valid = false
                }
                scope = .each
                nameParts.append("each_journey")
            case .journey(let name):
                if journey != nil {
                    error(
                        .valueOutOfRange, at: location, length: length,
                        "a journey's own cap already applies to that journey; remove `journey \(name.text)`")
                    valid = false
                } else if !journeyNames.contains(name.text) {
                    unknown(.unknownName, "journey", name, candidates: journeyNames)
                    valid = false
                }
                scope = .named(name.text)
                nameParts.append("journey_\(name.text)")
            }
        }
        if nameParts.isEmpty || nameParts == ["all"] { nameParts = [journey ?? "all"] } else if let journey { nameParts.insert(journey, at: 0) }
        var name = nameParts.joined(separator: "_") + "_per_" + syntax.windowName
        if names.contains(name) {
            var suffix = 2
            while names.contains("\(name)_\(suffix)") { suffix += 1 }
            name = "\(name)_\(suffix)"
        }
        names.insert(name)
        if case .rolling(let seconds) = syntax.window, seconds <= 0 {
            error(.valueOutOfRange, at: syntax.location, length: 3, "a cap's window must be longer than 0")
            valid = false
        }
        guard valid else { return nil }
        return Cap(
            name: name, limit: syntax.limit, window: syntax.window, channels: channels.isEmpty ? nil : channels, category: category,
            journey: scope, location: syntax.location
        )
    }

    // MARK: Segments

    mutating func checkSegments() {
        for name in segmentSyntax.keys.sorted() {
            let segment = segmentSyntax[name]!
            guard let condition = segment.condition else { continue }
            let scope = ExpressionScope(description: "a segment condition", allowsEvent: false, eventName: nil)
            let typed = check(condition, in: scope)
            requireBool(typed, condition, what: "a segment condition")
            segments[name] = typed.expression
        }
        // Segments may use other segments, but not in a cycle.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ name: String, _ path: [String], _ checker: inout CatalogChecker) {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let cycle = path.drop { $0 != name } + [name]
                let segment = checker.segmentSyntax[name]!
                checker.error(
                    .segmentCycle, at: segment.name.location, length: segment.name.length,
                    "segment `\(name)` depends on itself: \(cycle.joined(separator: " → "))")
                return
            }
            state[name] = 1
            for dependency in Self.segmentReferences(in: checker.segments[name]).sorted() where checker.segments[dependency] != nil {
                visit(dependency, path + [name], &checker)
            }
            state[name] = 2
        }
        for name in segments.keys.sorted() { visit(name, [], &self) }
    }

    static func segmentReferences(in expression: Expression?) -> Set<String> {
        guard let expression else { return [] }
        var names: Set<String> = []
        expression.visit { if case .inSegment(let name) = $0 { names.insert(name) } }
        return names
    }

    // MARK: Template variables

    mutating func checkTemplateVariables() {
        guard hasCustomerSchema, let messages else { return }
        let known = Set(schema.customerAttributes.keys).union(Self.builtInCustomerFields)
        for name in messages.keys.sorted() {
            let source = messages[name]!
            for file in source.files.keys.sorted() {
                let text = source.files[file]!
                for (line, column, path, length) in Self.customerVariables(in: text) {
                    let root = path.split(separator: ".").first.map(String.init) ?? path
                    guard !known.contains(root) else { continue }
                    let hint = Suggestions.didYouMean(root, in: known).text
                    warning(
                        .templateUnknownVariable, at: SourceLocation(file: source.displayDirectory + "/" + file, line: line, column: column),
                        length: length, "template uses `customer.\(path)`, which the schema does not declare\(hint)",
                        notes: [.init("it renders as empty text")]
                    )
                }
            }
        }
    }

    static let builtInCustomerFields: Set<String> = ["id", "email", "phone", "time_zone", "subscribed"]

    /// `{{customer.x}}`, `{{{customer.x}}}`, `{{#customer.x}}` … with their positions.
    static func customerVariables(in text: String) -> [(line: Int, column: Int, path: String, length: Int)] {
        var results: [(Int, Int, String, Int)] = []
        let scalars = Array(text.unicodeScalars)
        var line = 1
        var lineStart = 0
        var i = 0
        while i < scalars.count {
            if scalars[i] == "\n" {
                line += 1
                lineStart = i + 1
                i += 1
                continue
            }
            if scalars[i] == "{", i + 1 < scalars.count, scalars[i + 1] == "{" {
                var j = i + 2
                while j < scalars.count, ["{", "#", "^", "/", "&", " "].contains(scalars[j]) { j += 1 }
                let prefix = "customer."
                let start = j
                var matches = true
                for (k, c) in prefix.unicodeScalars.enumerated() where start + k >= scalars.count || scalars[start + k] != c {
                    matches = false
                    break
                }
                if matches {
                    var end = start + prefix.unicodeScalars.count
                    var path = ""
                    while end < scalars.count, scalars[end] == "_" || scalars[end] == "." || CharacterSet.alphanumerics.contains(scalars[end]) {
                        path.unicodeScalars.append(scalars[end])
                        end += 1
                    }
                    if !path.isEmpty {
                        results.append((line, start - lineStart + 1, path, end - start))
                    }
                    i = end
                    continue
                }
                i = j
                continue
            }
            i += 1
        }
        return results
    }
}
