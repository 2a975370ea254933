import JourneyLanguage

/// One deployment of a journey set, as the store keeps it: every start-up load, reload and restore
/// whose content differs from the current revision is a new, numbered revision.
///
/// The revision with the highest number is the current one; a cluster's nodes deploy it (see
/// docs/changing-journeys.md). A restore copies an earlier revision's files into a new revision,
/// so the history only grows.
public struct JourneyRevision: Sendable, Hashable, Codable {
    /// 1, 2, 3, … in the order the revisions were recorded.
    public var number: Int64
    /// SHA-256 (lower-case hex) over the journey set's files: see ``JourneyRevision/contentHash(of:)``.
    public var contentHash: String
    /// When it was recorded (seconds since the Unix epoch).
    public var createdAt: Double
    /// What the deployer said about it (`herald revisions restore --note`, the reload body).
    public var note: String?
    /// Where it came from: `startup`, `reload` (the API), `sighup`, `restore` (of an earlier revision).
    public var source: String
    /// The number of the revision a restore copied, or `nil`.
    public var restoredFrom: Int64?
    /// The journey set's files, by path relative to the journeys directory (`welcome.journey`,
    /// `messages/welcome_email/subject.mustache`). Empty in listings.
    public var files: [RevisionFile]

    public init(
        number: Int64, contentHash: String, createdAt: Double, note: String?, source: String, restoredFrom: Int64? = nil,
        files: [RevisionFile]
    ) {
        self.number = number
        self.contentHash = contentHash
        self.createdAt = createdAt
        self.note = note
        self.source = source
        self.restoredFrom = restoredFrom
        self.files = files
    }
}

/// One source file of a revision.
public struct RevisionFile: Sendable, Hashable, Codable {
    /// Relative to the journeys directory, with `/` separators.
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }
}

/// A revision to record: its files and how it came about (the store numbers and dates it).
public struct RevisionDraft: Sendable, Hashable {
    public var files: [RevisionFile]
    public var contentHash: String
    public var note: String?
    public var source: String
    public var restoredFrom: Int64?

    public init(files: [RevisionFile], note: String?, source: String, restoredFrom: Int64? = nil) {
        self.files = files.sorted { $0.path < $1.path }
        self.contentHash = JourneyRevision.contentHash(of: files)
        self.note = note
        self.source = source
        self.restoredFrom = restoredFrom
    }
}

/// What recording a revision did.
public struct RevisionRecording: Sendable, Hashable {
    /// The current revision after the call (without its files).
    public var revision: JourneyRevision
    /// `false` when the content equalled the current revision's, which then stays current.
    public var created: Bool

    public init(revision: JourneyRevision, created: Bool) {
        self.revision = revision
        self.created = created
    }
}

extension JourneyRevision {
    /// The content hash of a journey set: SHA-256 over the files sorted by path, each as its path,
    /// a NUL byte, its length in bytes as decimal digits, a NUL byte and its bytes. The same files
    /// give the same hash in any order; renaming a file or moving bytes between files changes it.
    public static func contentHash(of files: [RevisionFile]) -> String {
        var hash = SHA256()
        for file in files.sorted(by: { $0.path < $1.path }) {
            let bytes = Array(file.contents.utf8)
            hash.update(Array(file.path.utf8) + [0] + Array(String(bytes.count).utf8) + [0])
            hash.update(bytes)
        }
        return hash.finalize().map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// This revision without its files (as listings show it).
    public var summary: JourneyRevision {
        var copy = self
        copy.files = []
        return copy
    }
}
