/// A problem found in journey source: a stable identifier, a severity, where it is, what is wrong
/// and how to fix it.
///
/// ```swift
/// let result = JourneyCompiler.compile(sources: ["a.journey": text])
/// for diagnostic in result.diagnostics { print(diagnostic) }
/// // a.journey:4:6: error: unknown attribute `lifetime_valu`; did you mean `lifetime_value`? [E020-unknown-attribute]
/// ```
public struct Diagnostic: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning, note
    }

    /// Extra information attached to a diagnostic, optionally pointing somewhere else.
    public struct Note: Sendable, Hashable, Codable {
        public var message: String
        public var location: SourceLocation?
        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    /// A suggested edit: replace `length` characters at `location` with `replacement`.
    public struct FixIt: Sendable, Hashable, Codable {
        public var location: SourceLocation
        public var length: Int
        public var replacement: String
        public init(location: SourceLocation, length: Int, replacement: String) {
            self.location = location
            self.length = length
            self.replacement = replacement
        }
    }

    public var id: DiagnosticID
    public var severity: Severity
    /// Where the problem is; `nil` for problems with the whole set of files (none is a policy).
    public var location: SourceLocation?
    /// How many characters from `location` the problem spans (for the `^~~~` underline).
    public var length: Int
    public var message: String
    public var notes: [Note]
    public var fixIts: [FixIt]

    public init(
        _ id: DiagnosticID, _ severity: Severity, at location: SourceLocation?, length: Int = 1, _ message: String,
        notes: [Note] = [], fixIts: [FixIt] = []
    ) {
        self.id = id
        self.severity = severity
        self.location = location
        self.length = max(1, length)
        self.message = message
        self.notes = notes
        self.fixIts = fixIts
    }

    public static func error(
        _ id: DiagnosticID, at location: SourceLocation?, length: Int = 1, _ message: String, notes: [Note] = [],
        fixIts: [FixIt] = []
    ) -> Diagnostic {
        Diagnostic(id, .error, at: location, length: length, message, notes: notes, fixIts: fixIts)
    }

    public static func warning(
        _ id: DiagnosticID, at location: SourceLocation?, length: Int = 1, _ message: String, notes: [Note] = [],
        fixIts: [FixIt] = []
    ) -> Diagnostic {
        Diagnostic(id, .warning, at: location, length: length, message, notes: notes, fixIts: fixIts)
    }

    public var isError: Bool { severity == .error }

    /// `path:line:column: error: message [ID]`, the form editors and SwiftPM recognise.
    public var description: String {
        let place = location.map { "\($0): " } ?? ""
        return "\(place)\(severity.rawValue): \(message) [\(id)]"
    }
}

/// A diagnostic's stable identifier, such as `E020-unknown-attribute`: a letter for the severity
/// it usually has, a number that never changes meaning, and a readable slug.
public struct DiagnosticID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

extension DiagnosticID {
    // MARK: Reading and lexing
    public static let unreadableFile: Self = "E000-unreadable-file"
    public static let invalidCharacter: Self = "E001-invalid-character"
    public static let unterminatedString: Self = "E002-unterminated-string"
    public static let tabIndentation: Self = "E003-tab-indentation"
    public static let inconsistentIndentation: Self = "E004-inconsistent-indentation"
    public static let invalidEncoding: Self = "E007-invalid-encoding"
    public static let invalidTime: Self = "E009-invalid-time"
    public static let tooManyErrors: Self = "E013-too-many-errors"

    // MARK: Parsing
    public static let expected: Self = "E005-expected"
    public static let invalidNumber: Self = "E006-invalid-number"
    public static let unexpectedIndent: Self = "E008-unexpected-indent"
    public static let nestingTooDeep: Self = "E010-nesting-too-deep"
    public static let unknownDeclaration: Self = "E011-unknown-declaration"
    public static let unknownStatement: Self = "E012-unknown-statement"
    public static let unknownUnit: Self = "E014-unknown-unit"
    public static let unknownSetting: Self = "E015-unknown-setting"

    // MARK: Names
    public static let unknownAttribute: Self = "E020-unknown-attribute"
    public static let unknownEventProperty: Self = "E021-unknown-event-property"
    public static let unknownSegment: Self = "E022-unknown-segment"
    public static let unknownChannel: Self = "E023-unknown-channel"
    public static let unknownStage: Self = "E024-unknown-stage"
    public static let unknownFunction: Self = "E025-unknown-function"
    public static let unknownMessage: Self = "E026-unknown-message"
    public static let missingTemplate: Self = "E027-missing-template"
    public static let unknownTimeZone: Self = "E028-unknown-time-zone"
    public static let unknownName: Self = "E029-unknown-name"
    public static let duplicateJourney: Self = "E030-duplicate-journey"
    public static let duplicateSegment: Self = "E031-duplicate-segment"
    public static let duplicateLabel: Self = "E032-duplicate-label"
    public static let duplicatePolicy: Self = "E033-duplicate-policy"
    public static let duplicateSetting: Self = "E034-duplicate-setting"
    public static let missingTrigger: Self = "E035-missing-trigger"
    public static let unknownType: Self = "E036-unknown-type"
    public static let duplicateVariant: Self = "E037-duplicate-variant"
    public static let duplicateSchema: Self = "E038-duplicate-schema"
    public static let readOnlyAttribute: Self = "E039-read-only-attribute"

    // MARK: Types and values
    public static let typeMismatch: Self = "E040-type-mismatch"
    public static let conditionNotBool: Self = "E041-condition-not-bool"
    public static let argumentCount: Self = "E042-argument-count"
    public static let invalidRegex: Self = "E043-invalid-regex"
    public static let eventOutsideEventContext: Self = "E044-event-outside-event"
    public static let valueOutOfRange: Self = "E045-value-out-of-range"
    public static let segmentCycle: Self = "E046-segment-cycle"
    public static let unknownLabel: Self = "E047-unknown-step-label"

    // MARK: Flow
    public static let unreachableStep: Self = "E060-unreachable-step"
    public static let branchNeverTaken: Self = "E061-branch-never-taken"
    public static let waitWithoutWayOut: Self = "E062-wait-without-way-out"
    public static let splitWeights: Self = "E063-split-weights"
    public static let transactionalMarketingOption: Self = "E064-transactional-marketing-option"
    public static let invalidFallback: Self = "E065-invalid-fallback"
    public static let settingAfterSteps: Self = "E066-setting-after-steps"
    public static let journeyNeverStarts: Self = "E067-journey-never-starts"
    public static let duplicateWaitEvent: Self = "E068-duplicate-wait-event"
    public static let loopWithoutWait: Self = "E069-loop-without-wait"
    public static let invalidWinnerRule: Self = "E070-invalid-winner-rule"
    public static let invalidSendTime: Self = "E075-invalid-send-time"

    // MARK: Warnings
    public static let marketingWithoutCap: Self = "W100-marketing-without-cap"
    public static let waitBeyondGoal: Self = "W101-wait-beyond-goal-window"
    public static let undeclaredEvent: Self = "W102-undeclared-event"
    public static let templateUnknownVariable: Self = "W103-template-unknown-variable"
    public static let emptyJourney: Self = "W104-empty-journey"
    public static let receivedPreemptedByExit: Self = "W105-received-preempted-by-exit"

    // MARK: Declared migrations
    public static let unknownMigrationStep: Self = "E080-unknown-migration-step"
    public static let migrationStepKind: Self = "E081-migration-step-kind"
    public static let duplicateMigration: Self = "E082-duplicate-migration"
}
