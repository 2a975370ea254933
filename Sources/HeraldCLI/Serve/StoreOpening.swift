import Foundation
import HeraldPostgres
import HeraldSQLite
import HeraldService
import JourneyEngine
import Logging

/// The store `herald serve` runs on, chosen by `storage.backend`, and how the node holds its shards
/// on it. A third store is one more case here and in ``StorageConfiguration``.
struct OpenedStore: Sendable {
    var store: any JourneyStore
    var leasing: ShardLeasing

    /// Opens the configured store.
    static func open(_ configuration: ServeConfiguration, environment: [String: String], logger: Logger) async throws -> OpenedStore {
        switch configuration.storage.backend {
        case .sqlite:
            return OpenedStore(store: try openSQLite(configuration), leasing: .singleNode)
        case .postgres:
            let connection = try configuration.storage.postgres.connection(environment: environment)
            let store = try await PostgresJourneyStore.open(connection, logger: logger)
            logger.notice(
                "storage: PostgreSQL",
                metadata: [
                    "database": "\(connection.host):\(connection.port)/\(connection.database)",
                    "lease_seconds": "\(connection.leaseSeconds)", "renew_seconds": "\(connection.renewSeconds)",
                ])
            return OpenedStore(
                store: store,
                leasing: ShardLeasing(
                    leaseDuration: store.configuration.leaseSeconds,
                    renewal: .init(
                        interval: store.configuration.renewSeconds,
                        release: { owner in try await store.releaseShards(owner: owner) })))
        }
    }

    /// The SQLite database in the data directory, which this process then holds alone.
    static func openSQLite(_ configuration: ServeConfiguration) throws -> SQLiteJourneyStore {
        let directory = URL(fileURLWithPath: configuration.data, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw StartFailure("cannot create the data directory \(directory.path): \(Self.reason(error))")
        }
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw StartFailure("the data directory \(directory.path) is not writable: give this user write access or choose another with --data")
        }
        try DataDirectoryLock.acquire(directory.appendingPathComponent("herald.lock").path)
        let path = directory.appendingPathComponent("herald.sqlite").path
        do {
            return try SQLiteJourneyStore(
                SQLiteConfiguration(
                    path: path, durability: configuration.storage.durability, maxGroupSize: configuration.storage.maxGroupSize))
        } catch {
            throw StartFailure("cannot open the database \(path): \(Self.reason(error))")
        }
    }

    /// The plain reason of a file system or database error (`not a directory`).
    static func reason(_ error: any Error) -> String {
        var ns = error as NSError
        while let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error { ns = underlying as NSError }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))).lowercased() }
        return "\(error)"
    }
}

/// One `herald serve` per data directory: an exclusive `flock` held for the life of the process
/// (released by the kernel even after `kill -9`).
enum DataDirectoryLock {
    nonisolated(unsafe) private static var held: [String: Int32] = [:]
    private static let lock = NSLock()

    static func acquire(_ path: String) throws {
        try lock.withLock {
            if held[path] != nil { throw StartFailure("another herald process is using \(path)") }
            let fd = open(path, O_RDWR | O_CREAT, 0o644)
            guard fd >= 0 else {
                throw StartFailure("cannot create the lock file \(path): \(String(cString: strerror(errno)).lowercased())")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                close(fd)
                throw StartFailure(
                    "the data directory is in use: another herald process holds \(path) (stop it, or choose another directory with --data)")
            }
            held[path] = fd
        }
    }
}

/// Why `herald serve` could not start, in one line.
struct StartFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
