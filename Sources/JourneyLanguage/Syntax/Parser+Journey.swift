extension Parser {
    enum JourneyItem {
        case setting(JourneySetting)
        case step(StepSyntax)
    }

    static let journeySettingKeywords = ["stage", "priority", "trigger", "entry", "exit", "goal", "cap", "time"]
    static let stepKeywords = ["wait", "send", "if", "split", "set", "increment", "unset", "exit", "stage", "step", "go"]
    /// How other languages spell `else if`.
    static let elseIfMisspellings = ["elif", "elsif", "elseif"]

    mutating func parseJourney() throws -> JourneySyntax {
        let keyword = advance()
        let name = try expectSimpleName("a journey name")
        var title: String?
        if case .string(let value) = current.kind {
            title = value
            advance()
        }
        try expectNewline()
        var journey = JourneySyntax(name: name, title: title, location: location(keyword), settings: [], steps: [])
        let errorsBefore = diagnostics.count
        let items = parseBlock { parser -> JourneyItem? in try parser.parseJourneyItem() } ?? []
        journey.hasSyntaxErrors = diagnostics.count > errorsBefore
        for item in items {
            switch item {
            case .setting(var setting):
                if !journey.steps.isEmpty, case .stage(let stage) = setting.kind {
                    // A `stage` line among the steps changes the stage of the steps after it.
                    journey.steps.append(StepSyntax(label: nil, kind: .stage(stage), location: setting.location, length: setting.length))
                    continue
                }
                setting.afterSteps = !journey.steps.isEmpty
                journey.settings.append(setting)
            case .step(let step):
                journey.steps.append(step)
            }
        }
        return journey
    }

    mutating func parseJourneyItem() throws -> JourneyItem {
        let start = current
        guard start.kind == .identifier else { return .step(try parseStep()) }
        let kind: JourneySetting.Kind
        switch start.text {
        case "stage":
            advance()
            kind = .stage(try expectSimpleName("a lifecycle stage (\(Stage.allCases.map(\.rawValue).joined(separator: ", ")))"))
        case "priority":
            advance()
            guard case .number(let value) = current.kind else { try expected("a priority number (0 to 100)") }
            advance()
            kind = .priority(value)
        case "trigger":
            kind = .trigger(try parseTrigger())
        case "entry":
            kind = .entry(try parseEntry())
        case "exit" where peek().isWord("on") || peek().isWord("when"):
            advance()
            if current.isWord("on") {
                advance()
                try expectWord("event", "after `exit on`")
                let event = try expectString("an event name")
                var filter: ExpressionSyntax?
                if current.isWord("where") {
                    advance()
                    filter = try parseExpression()
                }
                kind = .exitOnEvent(event, filter: filter)
            } else {
                advance()
                kind = .exitWhen(try parseExpression())
            }
        case "goal":
            advance()
            try expectWord("event", "after `goal`")
            let event = try expectString("an event name")
            var filter: ExpressionSyntax?
            if current.isWord("where") {
                advance()
                filter = try parseExpression()
            }
            try expectWord("within", "and the goal's window (`within 3 days`)")
            let within = try parseDuration()
            var exitOnGoal = false
            if current.isWord("then") {
                advance()
                try expectWord("exit", "after `then`")
                exitOnGoal = true
            }
            kind = .goal(event: event, filter: filter, within: within, exitOnGoal: exitOnGoal)
        case "cap":
            kind = .cap(try parseCap())
        case "time" where peek().isWord("zone"):
            advance()
            advance()
            kind = .timeZone(try expectString("an IANA time zone name such as \"Europe/Paris\""))
        case "migrate":
            kind = .migrate(try parseMigrationRule())
        default:
            return .step(try parseStep())
        }
        let length = span(from: start)
        try expectNewline()
        return .setting(JourneySetting(kind: kind, location: location(start), length: length, afterSteps: false))
    }

    /// `migrate from OLD to NEW [keep deadline | restart]`, `migrate from OLD exit`,
    /// `migrate others stay|exit`.
    mutating func parseMigrationRule() throws -> MigrationRuleSyntax {
        advance()
        if current.isWord("others") {
            advance()
            if current.isWord("stay") || current.isWord("exit") {
                return .others(exit: advance().text == "exit")
            }
            try expected("`stay` or `exit` after `migrate others` (what happens to customers at steps no rule names)")
        }
        try expectWord("from", "after `migrate` (`migrate from wait_1_hour to wait_2_hours keep deadline`)")
        let from = try expectSimpleName("the label of a step of the live version")
        if current.isWord("exit") {
            advance()
            return .exit(from: from)
        }
        try expectWord("to", "or `exit` after `migrate from \(from.text)`")
        let to = try expectSimpleName("the label of a step of this version")
        var keepDeadline = true
        if current.isWord("keep") {
            advance()
            try expectWord("deadline", "after `keep`")
        } else if current.isWord("restart") {
            advance()
            keepDeadline = false
        }
        return .move(from: from, to: to, keepDeadline: keepDeadline)
    }

    mutating func parseTrigger() throws -> TriggerSyntax {
        advance()
        if current.isWord("on") {
            advance()
            if current.isWord("event") {
                advance()
                let event = try expectString("an event name")
                var filter: ExpressionSyntax?
                if current.isWord("where") {
                    advance()
                    filter = try parseExpression()
                }
                return .event(event, filter: filter)
            }
            if current.isWord("segment") {
                advance()
                return .segment(try expectSimpleName("a segment name"))
            }
            if current.isWord("anniversary") {
                // `trigger on anniversary of customer.birthday at 09:00`
                advance()
                try expectWord("of", "after `anniversary` (`on anniversary of customer.birthday at 09:00`)")
                let attribute = try parseExpression()
                let (time, segment) = try parseScheduleTail()
                return .calendar(.anniversary(attribute), at: time, segment: segment)
            }
            if current.kind == .identifier, let suggestion = Suggestions.closest(to: current.text, in: ["event", "segment"]) {
                // `trigger on evnt "x"`
                try fail(
                    at: current,
                    "expected `event \"name\"` or `segment name` after `trigger on`, found \(current.display); did you mean `\(suggestion)`?",
                    fixIts: [.init(location: location(current), length: current.length, replacement: suggestion)])
            }
            try expected("`event \"name\"` or `segment name` after `trigger on`")
        }
        if current.isWord("every"), peek().isWord("month") {
            // `every month on day 1 | on the last day | on the first monday at 09:00`
            advance()
            advance()
            try expectWord("on", "after `every month` (`on day 1`, `on the last day`, `on the first monday`)")
            if current.isWord("the") { advance() }
            let day: MonthDay
            if current.isWord("day") {
                advance()
                guard case .number(let n) = current.kind, n == n.rounded(), (1...31).contains(n) else {
                    try expected("a day of the month from 1 to 31")
                }
                advance()
                day = .day(Int(n))
            } else if let ordinal = Self.ordinals[current.text], current.kind == .identifier {
                advance()
                if ordinal == -1, current.isWord("day") {
                    advance()
                    day = .lastDay
                } else {
                    guard let weekday = Self.weekdayNames[current.text], current.kind == .identifier else {
                        try expected("a weekday after `\(peek(-1).text)` (`the first monday`\(ordinal == -1 ? ", `the last day`" : ""))")
                    }
                    advance()
                    day = .weekday(weekday, ordinal: ordinal)
                }
            } else {
                try expected("`day N`, `the last day` or `the first|second|third|fourth|last <weekday>` after `every month on`")
            }
            let (time, segment) = try parseScheduleTail()
            return .calendar(.monthly(day), at: time, segment: segment)
        }
        if current.isWord("every"), case .number(let n) = peek().kind {
            // `every 2 weeks on monday at 09:00`
            advance()
            let count = advance()
            guard n == n.rounded(), (1...52).contains(n) else {
                try fail(.valueOutOfRange, at: count, "a week interval is a whole number from 1 to 52")
            }
            guard current.isWord("weeks") || current.isWord("week") else { try expected("`weeks` after `every \(count.text)`") }
            advance()
            try expectWord("on", "and the weekdays (`every 2 weeks on monday at 09:00`)")
            let weekdays = try parseWeekdays()
            let (time, segment) = try parseScheduleTail()
            return .calendar(.everyWeeks(Int(n), weekdays: weekdays), at: time, segment: segment)
        }
        if current.isWord("every") {
            advance()
            var weekdays: Set<Weekday>?
            if current.isWord("day") {
                advance()
            } else {
                weekdays = try parseWeekdays()
            }
            try expectWord("at", "and a time of day (`at 09:00`)")
            let time = try expectTime()
            var segment: Name?
            if current.isWord("for") {
                advance()
                try expectWord("segment", "after `for`")
                segment = try expectSimpleName("a segment name")
            }
            return .schedule(weekdays: weekdays, at: time, segment: segment)
        }
        try expected("`on event`, `on segment` or `every` after `trigger`")
    }

    static let ordinals = ["first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1]

    static func isTimeOfDay(_ token: Token) -> Bool {
        if case .timeOfDay = token.kind { return true }
        return false
    }

    /// `at 09:00 [for segment NAME]` after a schedule's days.
    mutating func parseScheduleTail() throws -> (LocalTime, Name?) {
        try expectWord("at", "and a time of day (`at 09:00`)")
        let time = try expectTime()
        var segment: Name?
        if current.isWord("for") {
            advance()
            try expectWord("segment", "after `for`")
            segment = try expectSimpleName("a segment name")
        }
        return (time, segment)
    }

    mutating func parseEntry() throws -> EntryRule {
        advance()
        if current.isWord("once") {
            advance()
            if current.isWord("per") {
                advance()
                return .oncePer(seconds: try parseDuration().seconds)
            }
            return .onceEver
        }
        if current.isWord("one") {
            advance()
            try expectWord("at")
            try expectWord("a")
            try expectWord("time")
            return .oneAtATime
        }
        if current.isWord("always") {
            advance()
            return .always
        }
        try expected("`once`, `once per <duration>`, `one at a time` or `always` after `entry`")
    }

    // MARK: Steps

    mutating func parseSteps() -> [StepSyntax]? {
        parseBlock { parser -> StepSyntax? in try parser.parseStep() }
    }

    /// An indented block of steps that must be there (reports and returns `[]` when missing).
    mutating func requireSteps(after keyword: Token) -> [StepSyntax] {
        if let steps = parseSteps() { return steps }
        report(at: current, "expected an indented block of steps under `\(keyword.text)`")
        return []
    }

    mutating func parseStep() throws -> StepSyntax {
        var label: Name?
        let first = current
        let firstIndex = position
        if first.isWord("step") {
            advance()
            label = try expectSimpleName("a step label")
            try expectSymbol(":", "after the step label")
        }
        let start = current
        guard start.kind == .identifier else {
            try expected("a step (wait, send, if, split, set, increment, unset, exit)")
        }
        let kind: StepKindSyntax
        switch start.text {
        case "wait":
            kind = try parseWait()
        case "send":
            var send = try parseSend()
            try expectNewline()
            // `variant NAME N%` lines under the send: versions of one message.
            if let variants = parseBlock({ parser -> VariantSyntax? in
                guard parser.current.isWord("variant") || parser.current.isWord("control") else {
                    try parser.fail(at: parser.current, "expected `variant NAME PERCENT%` under `send`, found \(parser.current.display)")
                }
                return try parser.parseVariant()
            }) {
                send.variants = variants
            }
            kind = .send(send)
        case "if":
            kind = try parseIf()
        case "split":
            advance()
            let name: StringLiteral
            if current.kind == .identifier {
                let token = advance()
                name = StringLiteral(value: token.text, location: location(token), length: token.length)
            } else {
                name = try expectString("the split's name")
            }
            try expectNewline()
            var winner: WinnerRuleSyntax?
            let variants = parseBlock { parser -> VariantSyntax? in
                if parser.current.isWord("winner") {
                    let rule = try parser.parseWinnerRule()
                    if winner != nil {
                        parser.diagnostics.append(.error(.invalidWinnerRule, at: rule.location, length: 6, "a split has at most one winner rule"))
                    } else {
                        winner = rule
                    }
                    return nil
                }
                return try parser.parseVariant()
            }
            if variants == nil { report(at: current, "expected indented `variant NAME PERCENT%` lines under `split`") }
            kind = .split(name: name, variants: variants ?? [], winner: winner)
        case "set", "increment", "unset":
            kind = .update(try parseUpdate())
            try expectNewline()
        case "exit":
            advance()
            if current.isWord("on") || current.isWord("when") {
                try fail(
                    .settingAfterSteps, at: start,
                    "exit criteria (`exit \(current.text) …`) belong with the journey's settings, before its first step"
                )
            }
            var reason: String?
            if case .string(let value) = current.kind {
                reason = value
                advance()
            }
            kind = .exit(reason: reason)
            try expectNewline()
        case "stage":
            advance()
            kind = .stage(try expectSimpleName("a lifecycle stage"))
            try expectNewline()
        case "else":
            try fail(at: start, "`else` without a matching `if` at the same indentation")
        case "elif", "elsif", "elseif":
            try fail(
                .unknownStatement, at: start, "`\(start.text)` is not a keyword; write `else if` (after an `if` at the same indentation)",
                fixIts: [.init(location: location(start), length: start.length, replacement: "else if")])
        case "go":
            advance()
            _ = try expectWord("to", "after `go` (write `go to LABEL`)")
            let target = try expectSimpleName("the label of the step to continue at")
            if let label {
                report(
                    at: first, "a `go to` step cannot carry a label (`step \(label.text):`); label the step it goes to instead")
            }
            kind = .goTo(target)
            try expectNewline()
        case "received", "timeout":
            try fail(at: start, "`\(start.text) ->` belongs under a `wait for event … up to …` step")
        case "on":
            try fail(at: start, "`on event \"…\" ->` belongs under a `wait for events up to …` step")
        default:
            let candidates = label == nil ? Self.stepKeywords + Self.journeySettingKeywords : Self.stepKeywords
            let (hint, suggestion) = Suggestions.didYouMean(start.text, in: Set(candidates))
            if let suggestion, !Self.stepKeywords.contains(suggestion) {
                // `prority 50`: a misspelt setting, not a step.
                try fail(
                    .unknownSetting, at: start, "unknown setting \(start.display)\(hint)",
                    notes: [.init("journey settings are stage, priority, trigger, entry, exit on/when, goal, cap and time zone")],
                    fixIts: [.init(location: location(start), length: start.length, replacement: suggestion)])
            }
            try fail(
                .unknownStatement, at: start, "unknown step \(start.display)\(hint)",
                notes: [.init("steps are wait, send, if, split, set, increment, unset, exit and stage")],
                fixIts: suggestion.map { [.init(location: location(start), length: start.length, replacement: $0)] } ?? []
            )
        }
        return StepSyntax(label: label, kind: kind, location: location(first), length: lineLength(from: firstIndex))
    }

    /// The width of the first line of the construct starting at token `index`.
    func lineLength(from index: Int) -> Int {
        let first = tokens[index]
        var last = first
        var i = index
        while i < tokens.count, !tokens[i].isLayout, tokens[i].line == first.line {
            last = tokens[i]
            i += 1
        }
        return max(1, last.column + last.length - first.column)
    }

    mutating func parseWait() throws -> StepKindSyntax {
        let waitToken = advance()
        if current.isWord("until") {
            advance()
            if current.kind != .identifier || !["weekdays", "weekday"].contains(current.text), !Self.isTimeOfDay(current) {
                // `wait until customer.trial_ends_at - 3 days`: an instant from an expression.
                let expression = try parseExpression()
                try expectNewline()
                return .waitUntilTime(expression)
            }
            let time = try expectTime()
            var weekdays: Set<Weekday>?
            if current.isWord("on") {
                advance()
                weekdays = try parseWeekdays()
            }
            try expectNewline()
            return .waitUntil(time, weekdays: weekdays)
        }
        if current.isWord("for") {
            advance()
            if !current.isWord("event"), case .number = current.kind {
                try fail(at: peek(-1), "write a plain delay as `wait \(current.text) …` (without `for`); `wait for` waits for an event")
            }
            if current.isWord("events") {
                return try parseWaitForEvents(wait: waitToken)
            }
            try expectWord("event", "after `wait for`")
            let event = try expectString("an event name")
            var wait = WaitForEventSyntax(event: event)
            if current.isWord("where") {
                advance()
                wait.filter = try parseExpression()
            }
            if current.isWord("up") {
                advance()
                try expectWord("to", "after `up`")
                wait.timeout = try parseDuration()
            } else if current.isWord("for") || current.isWord("within") {
                try fail(at: current, "write the timeout as `up to <duration>`")
            }
            try expectNewline()
            if let arms = parseBlock({ parser -> (Token, [StepSyntax])? in
                let arm = parser.current
                guard arm.isWord("received") || arm.isWord("timeout") else {
                    try parser.fail(at: arm, "expected `received ->` or `timeout ->` under `wait for event`, found \(arm.display)")
                }
                parser.advance()
                try parser.expectSymbol("->", "after `\(arm.text)`")
                if parser.current.kind == .newline {
                    parser.advance()
                    return (arm, parser.requireSteps(after: arm))
                }
                // An inline step: `received -> exit "clicked"`.
                return (arm, [try parser.parseStep()])
            }) {
                for (arm, steps) in arms {
                    if arm.text == "received" {
                        if wait.received != nil {
                            diagnostics.append(
                                .error(.duplicateSetting, at: location(arm), length: arm.length, "`received ->` appears twice in one wait"))
                        }
                        wait.received = steps
                        wait.receivedLocation = location(arm)
                    } else {
                        if wait.onTimeout != nil {
                            diagnostics.append(
                                .error(.duplicateSetting, at: location(arm), length: arm.length, "`timeout ->` appears twice in one wait"))
                        }
                        wait.onTimeout = steps
                        wait.timeoutLocation = location(arm)
                    }
                }
            }
            return .waitForEvent(wait)
        }
        if case .timeOfDay = current.kind {
            try fail(at: current, "write `wait until \(current.text)` to wait for a time of day")
        }
        if case .number(let amount) = current.kind, peek().isWord("calendar") {
            // `wait 7 calendar days`: whole local days, keeping the time of day.
            let start = advance()
            advance()  // calendar
            let unit = current
            guard unit.isWord("day") || unit.isWord("days") || unit.isWord("week") || unit.isWord("weeks") else {
                try fail(
                    .unknownUnit, at: unit, "a calendar wait counts days or weeks (`wait 7 calendar days`), found \(unit.display)",
                    notes: [.init("for hours or minutes, write a fixed wait (`wait 3 hours`)")])
            }
            advance()
            let perUnit = unit.text.hasPrefix("week") ? 7.0 : 1.0
            guard amount >= 1, amount == amount.rounded(), amount * perUnit <= 3_660 else {
                try fail(.valueOutOfRange, at: start, "a calendar wait is a whole number of days or weeks, from 1 day to 10 years")
            }
            let days = amount * perUnit
            let text = "\(start.text) calendar \(unit.text.hasPrefix("week") ? "week" : "day")\(amount == 1 ? "" : "s")"
            try expectNewline()
            return .waitCalendarDays(DurationLiteral(seconds: days * 86_400, text: text, location: location(start), length: span(from: start)))
        }
        let duration = try parseDuration()
        try expectNewline()
        return .waitDuration(duration)
    }

    /// `wait for events up to DURATION` and its block of `on event "…" [where …] ->` arms, with an
    /// optional `timeout ->` arm.
    mutating func parseWaitForEvents(wait waitToken: Token) throws -> StepKindSyntax {
        advance()  // events
        var wait = WaitForEventsSyntax(arms: [])
        if current.isWord("up") {
            advance()
            try expectWord("to", "after `up`")
            wait.timeout = try parseDuration()
        } else if current.isWord("for") || current.isWord("within") {
            try fail(at: current, "write the timeout as `up to <duration>`")
        } else if case .string = current.kind {
            try fail(
                at: current, "list the events as arms under the wait, one per line: `on event \(current.text) ->`",
                notes: [.init("`wait for events up to 3 days`, then indented `on event \"…\" ->` and `timeout ->` arms")])
        }
        try expectNewline()
        let arms = parseBlock { parser -> (Token, EventArmSyntax?, [StepSyntax])? in
            let arm = parser.current
            let armIndex = parser.position
            var syntax: EventArmSyntax?
            if arm.isWord("timeout") {
                parser.advance()
            } else if arm.isWord("on") {
                parser.advance()
                try parser.expectWord("event", "after `on` (write `on event \"name\" ->`)")
                let event = try parser.expectString("an event name")
                var filter: ExpressionSyntax?
                if parser.current.isWord("where") {
                    parser.advance()
                    filter = try parser.parseExpression()
                }
                syntax = EventArmSyntax(
                    event: event, filter: filter, body: [], location: parser.location(arm), length: parser.lineLength(from: armIndex))
            } else if arm.isWord("received") {
                try parser.fail(
                    at: arm, "`wait for events` has one arm per event: write `on event \"…\" ->` instead of `received ->`")
            } else {
                try parser.fail(at: arm, "expected `on event \"…\" ->` or `timeout ->` under `wait for events`, found \(arm.display)")
            }
            try parser.expectSymbol("->", "after `\(arm.text == "on" ? "on event \"…\"" : arm.text)`")
            if parser.current.kind == .newline {
                parser.advance()
                return (arm, syntax, parser.requireSteps(after: arm))
            }
            // An inline step: `on event "unsubscribed" -> exit "unsubscribed"`.
            return (arm, syntax, [try parser.parseStep()])
        }
        for (arm, syntax, steps) in arms ?? [] {
            if var syntax {
                if wait.onTimeout != nil {
                    diagnostics.append(
                        .error(.expected, at: syntax.location, length: arm.length, "`timeout ->` comes after every `on event` arm of the wait"))
                }
                syntax.body = steps
                wait.arms.append(syntax)
            } else {
                if wait.onTimeout != nil {
                    diagnostics.append(.error(.duplicateSetting, at: location(arm), length: arm.length, "`timeout ->` appears twice in one wait"))
                }
                wait.onTimeout = steps
                wait.timeoutLocation = location(arm)
            }
        }
        // Without a block, or with a block of only `timeout ->` (a block whose arms failed to parse
        // has said so already).
        if wait.arms.isEmpty, arms == nil || wait.onTimeout != nil {
            report(
                at: waitToken, "`wait for events` needs at least one `on event \"…\" ->` arm in the block under it",
                notes: [.init("to wait for one event, write `wait for event \"…\" up to …`")])
        }
        return .waitForEvents(wait)
    }

    mutating func parseSend() throws -> SendSyntax {
        advance()
        let channel = try expectSimpleName("a channel (email, sms or webhook)")
        let message = try expectSimpleName("a message name")
        var send = SendSyntax(channel: channel, message: message, options: [])
        while current.kind != .newline && current.kind != .end && current.kind != .dedent {
            let start = current
            let option: SendSyntax.Option
            switch start.kind == .identifier ? start.text : "" {
            case "transactional":
                advance()
                option = .transactional
            case "marketing":
                advance()
                option = .marketing
            case "topic":
                advance()
                option = .topic(try expectString("a topic name"))
            case "fallback":
                advance()
                option = .fallback(try expectSimpleName("a fallback channel"))
            case "when":
                advance()
                try expectWord("capped", "after `when`")
                if current.isWord("skip") {
                    advance()
                    option = .whenCapped(.skip)
                } else if current.isWord("defer") {
                    advance()
                    try expectWord("up", "after `defer` (`defer up to 1 day`)")
                    try expectWord("to", "after `defer up`")
                    option = .whenCapped(.deferUpTo(seconds: try parseDuration().seconds))
                } else if current.isWord("fallback") {
                    advance()
                    option = .whenCapped(.fallback)
                } else {
                    try expected("`skip`, `defer up to <duration>` or `fallback` after `when capped`")
                }
            case "in":
                advance()
                try expectWord("quiet", "after `in`")
                try expectWord("hours", "after `in quiet`")
                if current.isWord("skip") {
                    advance()
                    option = .inQuietHours(.skip)
                } else if current.isWord("defer") {
                    advance()
                    option = .inQuietHours(.deferUntilEnd)
                } else {
                    try expected("`skip` or `defer` after `in quiet hours`")
                }
            case "at":
                advance()
                try expectWord("best", "after `at` (`at best time within 24 hours`)")
                try expectWord("time", "after `at best`")
                try expectWord("within", "after `at best time` (`at best time within 24 hours`)")
                let window = try parseDuration()
                var defaultTime: LocalTime?
                if current.isWord("default") {
                    advance()
                    defaultTime = try expectTime()
                }
                option = .bestTime(window: window, defaultTime: defaultTime)
            default:
                var hint = ""
                if start.kind == .identifier {
                    hint = Suggestions.didYouMean(start.text, in: ["transactional", "marketing", "topic", "fallback", "when", "in", "at"]).text
                }
                try fail(
                    at: start, "unexpected \(start.display) in send\(hint)",
                    notes: [
                        .init(
                            "a send takes: transactional, topic \"name\", fallback CHANNEL, when capped …, in quiet hours …, at best time within …")
                    ]
                )
            }
            send.options.append((option, location(start), span(from: start)))
        }
        return send
    }

    mutating func parseIf() throws -> StepKindSyntax {
        let keyword = advance()
        var arms: [BranchArmSyntax] = []
        let condition = try parseExpression()
        try expectNewline()
        arms.append(BranchArmSyntax(condition: condition, body: requireSteps(after: keyword), location: location(keyword)))
        var otherwise: [StepSyntax]?
        var otherwiseLocation: SourceLocation?
        while current.isWord("else") || Self.elseIfMisspellings.contains(where: current.isWord) {
            let elseToken = advance()
            let misspelt = elseToken.text != "else"
            if misspelt {
                // Read it as the `else if` it means, so that the arms after it still parse.
                report(
                    .unknownStatement, at: elseToken, "`\(elseToken.text)` is not a keyword; write `else if`",
                    fixIts: [.init(location: location(elseToken), length: elseToken.length, replacement: "else if")])
            }
            if misspelt || current.isWord("if") {
                if !misspelt { advance() }
                do {
                    let condition = try parseExpression()
                    try expectNewline()
                    arms.append(BranchArmSyntax(condition: condition, body: requireSteps(after: elseToken), location: location(elseToken)))
                } catch {
                    skipLine()
                }
                continue
            }
            do {
                try expectNewline()
            } catch {
                skipLine()
                break
            }
            otherwise = requireSteps(after: elseToken)
            otherwiseLocation = location(elseToken)
            break
        }
        return .branch(arms, otherwise: otherwise, otherwiseLocation: otherwiseLocation)
    }

    /// `winner after DURATION by conversion min N per variant`.
    mutating func parseWinnerRule() throws -> WinnerRuleSyntax {
        let start = advance()
        try expectWord("after", "in `winner after 14 days by conversion min 500 per variant`")
        let after = try parseDuration()
        try expectWord("by", "in `winner after \(after.text) by conversion min 500 per variant`")
        let metric = try expectSimpleName("what the variants compete on (`conversion`)")
        try expectWord("min", "in `winner after \(after.text) by \(metric.text) min 500 per variant`")
        let minimumToken = current
        guard case .number(let minimum) = minimumToken.kind else {
            try expected("the smallest number of customers per variant (`min 500 per variant`)")
        }
        advance()
        try expectWord("per", "in `min \(minimumToken.text) per variant`")
        try expectWord("variant", "in `min \(minimumToken.text) per variant`")
        try expectNewline()
        return WinnerRuleSyntax(
            after: after, metric: metric, minimum: minimum, minimumLocation: location(minimumToken), minimumLength: minimumToken.length,
            location: location(start))
    }

    mutating func parseVariant() throws -> VariantSyntax {
        let start = current
        let name: Name
        let isControl: Bool
        if start.isWord("control") {
            advance()
            name = Name(text: "control", location: location(start), length: start.length)
            isControl = true
        } else if start.isWord("variant") {
            advance()
            if case .string(let value) = current.kind {
                let token = advance()
                name = Name(text: value, location: location(token), length: token.length)
            } else {
                name = try expectSimpleName("a variant name")
            }
            isControl = false
        } else {
            try fail(at: start, "expected `variant NAME PERCENT%` or `control PERCENT%` in a split, found \(start.display)")
        }
        let weightToken = current
        let weight: Double
        switch weightToken.kind {
        case .percent(let value):
            weight = value
            advance()
        case .number:
            try fail(
                at: weightToken, "write the weight as a percentage: `\(weightToken.text)%`",
                fixIts: [.init(location: location(weightToken), length: weightToken.length, replacement: "\(weightToken.text)%")]
            )

        default:
            try expected("the variant's weight as a percentage (`45%`)")
        }
        try expectNewline()
        var body: [StepSyntax] = []
        if let steps = parseSteps() {
            if isControl, let first = steps.first {
                diagnostics.append(
                    .error(.expected, at: first.location, "the control group receives nothing: it has no steps and continues after the split"))
            } else {
                body = steps
            }
        }
        return VariantSyntax(
            name: name, weight: weight, weightLocation: location(weightToken), isControl: isControl, body: body, location: location(start))
    }

    mutating func parseUpdate() throws -> UpdateSyntax {
        let keyword = advance()
        let attribute = try expectName("an attribute such as `customer.vip`")
        switch keyword.text {
        case "set":
            if current.isWord("to") {
                try fail(
                    at: current, "write `set \(attribute.text) = <value>`",
                    fixIts: [.init(location: location(current), length: current.length, replacement: "=")])
            }
            try expectSymbol("=", "after `set \(attribute.text)`")
            return UpdateSyntax(attribute: attribute, operation: .set(try parseExpression()))
        case "increment":
            if current.isWord("by") {
                advance()
                return UpdateSyntax(attribute: attribute, operation: .increment(try parseExpression()))
            }
            let one = ExpressionSyntax(kind: .number(1), location: attribute.location, length: attribute.length)
            return UpdateSyntax(attribute: attribute, operation: .increment(one))
        default:
            return UpdateSyntax(attribute: attribute, operation: .unset)
        }
    }
}
