public import Foundation
public import JourneyEngine
import JourneyLanguage

/// The local development channel: every message becomes a JSON file in a folder
/// (`<folder>/<channel>/<message id>.json`), and every attempt a line in `<folder>/deliveries.ndjson`.
/// Nothing leaves the machine, so `make run` works without any provider account.
public struct FileOutboxDelivery: MessageDelivery {
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    public func deliver(_ message: OutboxMessage, attempt: Int) async -> DeliveryAttempt {
        do {
            let directory = folder.appendingPathComponent(message.channel.rawValue, isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let file = directory.appendingPathComponent(Self.fileName(for: message.id) + ".json")
            // Written atomically: a reader never sees half a message; a retry rewrites the same file.
            try encoder.encode(message).write(to: file, options: .atomic)
            let line = try JSONEncoder().encode(
                ["id": message.id, "customer_id": message.customerID, "channel": message.channel.rawValue,
                 "message": message.message, "attempt": String(attempt)])
            try Self.append(line + Data("\n".utf8), to: folder.appendingPathComponent("deliveries.ndjson"))
            return .delivered(detail: "written to \(file.path)")
        } catch {
            return .transient(reason: "could not write to the outbox folder: \(error)", retryAfter: nil)
        }
    }

    /// Message ids contain `/`; keep file names flat and safe.
    static func fileName(for id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }

    private static func append(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
