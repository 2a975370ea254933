import Foundation

/// What one journey file declares and mentions, with positions: the outline of its journeys,
/// steps, segments, policy and schema, and every name in it that refers to something else (a
/// segment, a message, an event, an attribute, a step label). Built from the parsed syntax, so it
/// exists for files with errors too (as far as they parse). Editors' tools use it: outline,
/// go to definition, rename.
///
/// ```swift
/// let index = JourneySourceIndex(file: "cart.journey", text: text)
/// let segmentUses = index.references.filter { $0.kind == .segment && $0.name == "hesitant_buyers" }
/// ```
public struct JourneySourceIndex: Sendable {
    /// A declaration, with the declarations inside it.
    public struct Symbol: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            case journey, segment, policy, schema, customer, attribute, event, property, step, variant
        }
        public var kind: Kind
        /// The declared name; for a step without a label, the step as written (`send email welcome`).
        public var name: String
        /// A title, a type, or the step's text when it has a label.
        public var detail: String?
        /// Where the declaration starts.
        public var location: SourceLocation
        /// Where its name is written (the label of a step, the keyword when there is no name).
        public var nameLocation: SourceLocation
        public var nameLength: Int
        /// The last line the declaration (with everything inside it) occupies.
        public var lastLine: Int
        public var children: [Symbol]
    }

    /// A name as written in the file: a declaration or a use.
    public struct Reference: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            case journey
            case segment
            /// A message sent on `channel` (`email`, `sms`, `webhook`, as written).
            case message(channel: String)
            /// An event name (the string, without quotes).
            case event
            /// A customer attribute: `customer.lifetime_value` names `lifetime_value`.
            case attribute
            /// An event property, with the event it belongs to where the file says so.
            case property(event: String?)
            /// A step label of `journey`.
            case stepLabel(journey: String)
        }
        public var kind: Kind
        public var name: String
        /// Where the name itself starts (inside quotes for events, after `customer.` for attributes).
        public var location: SourceLocation
        /// Its length in Unicode scalars.
        public var length: Int
        /// Whether this is where the name is declared (a segment's name, a schema field, a label).
        public var isDeclaration: Bool

        /// Whether the reference is on `line` and covers `column` (or touches its end).
        public func contains(line: Int, column: Int) -> Bool {
            location.line == line && column >= location.column && column <= location.column + length
        }
    }

    public var file: String
    public var symbols: [Symbol]
    public var references: [Reference]
    /// Lexing and parsing problems of the file alone.
    public var syntaxDiagnostics: [Diagnostic]

    public init(file: String, text: String) {
        let parsed = Parser.parse(file: file, text: text)
        var builder = Builder(file: file, lines: text.split(separator: "\n", omittingEmptySubsequences: false))
        for declaration in parsed.file.declarations { builder.declaration(declaration) }
        self.file = file
        self.symbols = builder.symbols
        self.references = builder.references
        self.syntaxDiagnostics = parsed.diagnostics
    }

    /// The reference at a position (1-based line, column in Unicode scalars), if any.
    public func reference(line: Int, column: Int) -> Reference? {
        references.first { $0.contains(line: line, column: column) }
    }
}

extension JourneySourceIndex {
    /// Walks the syntax tree once, collecting symbols and references.
    fileprivate struct Builder {
        let file: String
        let lines: [Substring]
        var symbols: [Symbol] = []
        var references: [Reference] = []
        /// The deepest line seen while walking the current declaration.
        var lastLine = 0

        init(file: String, lines: [Substring]) {
            self.file = file
            self.lines = lines
        }

        mutating func see(_ location: SourceLocation) { lastLine = max(lastLine, location.line) }

        mutating func add(_ kind: Reference.Kind, _ name: String, at location: SourceLocation, length: Int, declaration: Bool = false) {
            see(location)
            references.append(Reference(kind: kind, name: name, location: location, length: length, isDeclaration: declaration))
        }

        mutating func add(_ kind: Reference.Kind, _ name: Name, declaration: Bool = false) {
            add(kind, name.text, at: name.location, length: name.length, declaration: declaration)
        }

        /// An event name: the reference is the text inside the quotes.
        mutating func add(event literal: StringLiteral, declaration: Bool = false) {
            var location = literal.location
            location.column += 1
            add(.event, literal.value, at: location, length: max(0, literal.length - 2), declaration: declaration)
        }

        /// The text of a line from `column` (1-based, in Unicode scalars) to its end, trimmed.
        func text(line: Int, from column: Int) -> String {
            guard line >= 1, line <= lines.count else { return "" }
            let scalars = lines[line - 1].unicodeScalars
            let start = scalars.index(scalars.startIndex, offsetBy: min(max(0, column - 1), scalars.count))
            var text = String(scalars[start...])
            if let hash = text.firstIndex(of: "#"), !text[..<hash].contains("\"") { text = String(text[..<hash]) }
            return text.trimmingCharacters(in: .whitespaces)
        }

        mutating func declaration(_ declaration: DeclarationSyntax) {
            lastLine = 0
            switch declaration {
            case .journey(let journey): symbols.append(self.journey(journey))
            case .segment(let segment):
                see(segment.location)
                add(.segment, segment.name, declaration: true)
                if let condition = segment.condition { expression(condition, event: nil) }
                symbols.append(
                    Symbol(
                        kind: .segment, name: segment.name.text, detail: segment.title, location: segment.location,
                        nameLocation: segment.name.location,
                        nameLength: segment.name.length, lastLine: lastLine, children: []))
            case .policy(let policy):
                see(policy.location)
                for setting in policy.settings {
                    see(setting.location)
                    if case .cap(let cap) = setting.kind { self.cap(cap) }
                }
                symbols.append(
                    Symbol(
                        kind: .policy, name: "policy", detail: nil, location: policy.location, nameLocation: policy.location, nameLength: 6,
                        lastLine: lastLine, children: []))
            case .schema(let schema):
                see(schema.location)
                var children: [Symbol] = []
                if schema.hasCustomerBlock {
                    var fields: [Symbol] = []
                    for field in schema.customer {
                        add(.attribute, field.name, declaration: true)
                        fields.append(self.field(field, kind: .attribute))
                    }
                    let start = fields.first?.location ?? schema.location
                    children.append(
                        Symbol(
                            kind: .customer, name: "customer", detail: nil, location: start, nameLocation: start, nameLength: 8,
                            lastLine: fields.last?.lastLine ?? start.line, children: fields))
                }
                for (name, fields) in schema.events {
                    add(event: name, declaration: true)
                    var properties: [Symbol] = []
                    for field in fields {
                        add(.property(event: name.value), field.name, declaration: true)
                        properties.append(self.field(field, kind: .property))
                    }
                    children.append(
                        Symbol(
                            kind: .event, name: name.value, detail: nil, location: name.location, nameLocation: name.location,
                            nameLength: name.length, lastLine: properties.last?.lastLine ?? name.location.line, children: properties))
                }
                symbols.append(
                    Symbol(
                        kind: .schema, name: "schema", detail: nil, location: schema.location, nameLocation: schema.location, nameLength: 6,
                        lastLine: lastLine, children: children))
            }
        }

        func field(_ field: FieldSyntax, kind: Symbol.Kind) -> Symbol {
            Symbol(
                kind: kind, name: field.name.text,
                detail: Self.typeText(field.type), location: field.name.location, nameLocation: field.name.location, nameLength: field.name.length,
                lastLine: field.name.location.line, children: [])
        }

        static func typeText(_ type: TypeSyntax) -> String {
            switch type {
            case .named(let name): name.text
            case .list(let element, _): "list<\(typeText(element))>"
            }
        }

        mutating func cap(_ cap: CapSyntax) {
            see(cap.location)
            for scope in cap.scopes {
                if case .journey(let name) = scope.scope { add(.journey, name) }
            }
        }

        mutating func journey(_ journey: JourneySyntax) -> Symbol {
            see(journey.location)
            add(.journey, journey.name, declaration: true)
            var triggerEvent: String?
            for setting in journey.settings {
                see(setting.location)
                switch setting.kind {
                case .trigger(.event(let event, let filter)):
                    triggerEvent = event.value
                    add(event: event)
                    if let filter { expression(filter, event: event.value) }
                case .trigger(.segment(let name)): add(.segment, name)
                case .trigger(.schedule(_, _, let segment)): if let segment { add(.segment, segment) }
                case .trigger(.calendar(let rule, _, let segment)):
                    if case .anniversary(let attribute) = rule { expression(attribute, event: nil) }
                    if let segment { add(.segment, segment) }
                case .exitOnEvent(let event, let filter), .goal(let event, let filter, _, _):
                    add(event: event)
                    if let filter { expression(filter, event: event.value) }
                case .exitWhen(let condition): expression(condition, event: nil)
                case .cap(let cap): self.cap(cap)
                case .stage, .priority, .entry, .timeZone, .migrate: break
                }
            }
            let steps = self.steps(journey.steps, journey: journey.name.text, event: triggerEvent)
            return Symbol(
                kind: .journey, name: journey.name.text, detail: journey.title, location: journey.location, nameLocation: journey.name.location,
                nameLength: journey.name.length, lastLine: lastLine, children: steps)
        }

        mutating func steps(_ steps: [StepSyntax], journey: String, event: String?) -> [Symbol] {
            steps.map { step($0, journey: journey, event: event) }
        }

        mutating func step(_ step: StepSyntax, journey: String, event: String?) -> Symbol {
            let outer = lastLine
            lastLine = step.location.line
            if let label = step.label { add(.stepLabel(journey: journey), label, declaration: true) }
            var children: [Symbol] = []
            switch step.kind {
            case .waitForEvent(let wait):
                add(event: wait.event)
                if let filter = wait.filter { expression(filter, event: wait.event.value) }
                if let location = wait.receivedLocation { see(location) }
                if let location = wait.timeoutLocation { see(location) }
                children += steps(wait.received ?? [], journey: journey, event: wait.event.value)
                children += steps(wait.onTimeout ?? [], journey: journey, event: event)
            case .waitForEvents(let wait):
                for arm in wait.arms {
                    see(arm.location)
                    add(event: arm.event)
                    if let filter = arm.filter { expression(filter, event: arm.event.value) }
                    children += steps(arm.body, journey: journey, event: arm.event.value)
                }
                if let location = wait.timeoutLocation { see(location) }
                children += steps(wait.onTimeout ?? [], journey: journey, event: event)
            case .goTo(let name):
                // A reference to the label: go-to-definition and find-references in editors.
                add(.stepLabel(journey: journey), name, declaration: false)
            case .send(let send):
                add(.message(channel: send.channel.text), send.message)
                for option in send.options { see(option.location) }
            case .branch(let arms, let otherwise, let otherwiseLocation):
                for arm in arms {
                    see(arm.location)
                    expression(arm.condition, event: event)
                    children += steps(arm.body, journey: journey, event: event)
                }
                if let otherwiseLocation { see(otherwiseLocation) }
                children += steps(otherwise ?? [], journey: journey, event: event)
            case .split(_, let variants, _):
                for variant in variants {
                    see(variant.location)
                    let before = lastLine
                    lastLine = variant.location.line
                    let body = steps(variant.body, journey: journey, event: event)
                    children.append(
                        Symbol(
                            kind: .variant, name: variant.name.text, detail: text(line: variant.location.line, from: variant.location.column),
                            location: variant.location, nameLocation: variant.name.location, nameLength: variant.name.length, lastLine: lastLine,
                            children: body))
                    lastLine = max(before, lastLine)
                }
            case .update(let update):
                let parts = update.attribute.text.split(separator: ".", omittingEmptySubsequences: false)
                if parts.count >= 2, parts[0] == "customer" {
                    var location = update.attribute.location
                    location.column += 9
                    add(.attribute, String(parts[1]), at: location, length: parts[1].unicodeScalars.count)
                }
                switch update.operation {
                case .set(let value), .increment(let value): expression(value, event: event)
                case .unset: break
                }
            case .waitUntilTime(let time): expression(time, event: event)
            case .waitDuration, .waitCalendarDays, .waitUntil, .exit, .stage: break
            }
            let written = text(line: step.location.line, from: step.location.column)
            let body = step.label.map { _ in
                written.firstIndex(of: ":").map { written[written.index(after: $0)...].trimmingCharacters(in: .whitespaces) } ?? written
            }
            let symbol = Symbol(
                kind: .step, name: step.label?.text ?? written, detail: body, location: step.location,
                nameLocation: step.label?.location ?? step.location, nameLength: step.label?.length ?? step.length, lastLine: lastLine,
                children: children)
            lastLine = max(outer, lastLine)
            return symbol
        }

        mutating func expression(_ expression: ExpressionSyntax, event: String?) {
            see(expression.location)
            switch expression.kind {
            case .path(let parts):
                guard parts.count >= 2 else { return }
                var location = expression.location
                location.column += parts[0].unicodeScalars.count + 1
                if parts[0] == "customer" {
                    add(.attribute, parts[1], at: location, length: parts[1].unicodeScalars.count)
                } else if parts[0] == "event" {
                    add(.property(event: event), parts[1], at: location, length: parts[1].unicodeScalars.count)
                }
            case .unary(_, let operand), .exists(let operand): self.expression(operand, event: event)
            case .binary(_, let left, let right):
                self.expression(left, event: event)
                self.expression(right, event: event)
            case .call(_, let arguments), .list(let arguments):
                for argument in arguments { self.expression(argument, event: event) }
            case .inSegment(let subject, let name):
                self.expression(subject, event: event)
                add(.segment, name)
            case .count(let name, let filter, _):
                add(event: name)
                if let filter { self.expression(filter, event: name.value) }
            case .last(let name): add(event: name)
            case .behaviour(let name, let filter, _, let times, _):
                add(event: name)
                if let filter { self.expression(filter, event: name.value) }
                self.expression(times, event: event)
            case .number, .string, .bool, .null, .duration, .date, .invalid: break
            }
        }
    }
}
