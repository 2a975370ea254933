/// A journey's declared in-flight migration (`migrate …` lines): how customers waiting in the
/// live version move to this version when it is deployed. Without one, waiting customers finish
/// on the version they entered with.
///
/// ```
/// migrate from wait_1_hour to wait_2_hours keep deadline
/// migrate from wait_for_email_clicked exit
/// migrate others stay
/// ```
public struct JourneyMigration: Sendable, Hashable, Codable {
    public struct Rule: Sendable, Hashable, Codable {
        public enum Target: Sendable, Hashable, Codable {
            /// Move to the step labelled `step`; a moved wait keeps its deadline or restarts.
            case step(String, keepDeadline: Bool)
            /// Leave the journey.
            case exit
        }
        /// The label of the live version's step.
        public var from: String
        public var target: Target
        public var location: SourceLocation

        public init(from: String, target: Target, location: SourceLocation) {
            self.from = from
            self.target = target
            self.location = location
        }
    }

    /// What happens to customers at a step no rule names.
    public enum Others: String, Sendable, Hashable, Codable {
        /// They finish on their version (`migrate others stay`).
        case stay
        /// They leave the journey (`migrate others exit`).
        case exit
    }

    public var rules: [Rule]
    /// `nil`: no `migrate others` line, so an occupied step no rule names refuses the deployment.
    public var others: Others?
    /// The first `migrate` line.
    public var location: SourceLocation

    public init(rules: [Rule], others: Others?, location: SourceLocation) {
        self.rules = rules
        self.others = others
        self.location = location
    }

    /// The rule for customers waiting at the live step `label`, if any.
    public func rule(from label: String) -> Rule? { rules.first { $0.from == label } }
}
