import ArgumentParser
import Foundation
import HeraldSQLite
import HeraldService
import JourneyEngine
import JourneyLanguage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where `herald revisions` and `herald export` read: the SQLite database in a data directory, or
/// a running server's API (with the key in `HERALD_API_KEY`).
struct HeraldTargetOptions: ParsableArguments {
    @Option(help: "The data directory of a SQLite-backed Herald (default: data).", completion: .directory)
    var data: String?

    @Option(help: "A running Herald's URL (such as http://127.0.0.1:8080); the API key is read from HERALD_API_KEY.")
    var server: String?

    func validate() throws {
        if data != nil && server != nil { throw ValidationError("give --data or --server, not both") }
    }

    /// Opens the target.
    func open(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HeraldTarget {
        if let server {
            guard let url = URL(string: server.hasSuffix("/") ? String(server.dropLast()) : server), let scheme = url.scheme,
                ["http", "https"].contains(scheme), url.host != nil
            else {
                throw ValidationError("--server: expected a URL such as http://127.0.0.1:8080, not `\(server)`")
            }
            return .server(APIClient(base: url, key: environment["HERALD_API_KEY"]))
        }
        let directory = data ?? "data"
        let path = (directory as NSString).appendingPathComponent("herald.sqlite")
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(
                "no Herald database in \(directory) (\(path) does not exist): give the data directory `herald serve` uses with --data, or a running server with --server"
            )
        }
        do {
            return .store(try SQLiteJourneyStore(SQLiteConfiguration(path: path)))
        } catch {
            throw CommandFailure("cannot open the database \(path): \(error)")
        }
    }
}

enum HeraldTarget {
    case store(any JourneyStore)
    case server(APIClient)
}

/// A failure the command reports on standard error before exiting with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The few API calls the CLI makes, with `Authorization: Bearer $HERALD_API_KEY`.
struct APIClient: Sendable {
    var base: URL
    var key: String?

    /// The response body of a successful call; a problem (a refused key, an unknown revision, a
    /// server that does not answer) as a ``CommandFailure`` with the server's message.
    func call(_ method: String, _ path: String, query: [String: String] = [:], body: Value? = nil) async throws -> Data {
        var components = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.timeoutInterval = 300
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONEncoder().encode(body)
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CommandFailure("cannot reach \(base.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw Self.failure(status: status, body: data) }
        return data
    }

    /// A failure answer as the user reads it: the status, the server's message and details.
    static func failure(status: Int, body data: Data) -> CommandFailure {
        var message = "the server answered \(status)"
        if case .object(let fields)? = try? JSONValueParser.parse(Array(data)), case .object(let error)? = fields["error"] {
            if case .string(let text)? = error["message"] { message += ": \(text)" }
            if case .list(let details)? = error["details"] {
                for case .object(let detail) in details {
                    if case .string(let file)? = detail["file"], case .string(let text)? = detail["message"] {
                        let line = detail["line"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 0
                        message += "\n  \(file):\(line): \(text)"
                    } else if case .string(let path)? = detail["path"], case .string(let text)? = detail["message"] {
                        message += "\n  \(path): \(text)"
                    }
                }
            }
        }
        if status == 401 { message += " (set HERALD_API_KEY to one of the server's API keys)" }
        return CommandFailure(message)
    }
}

extension ParsableCommand {
    /// Runs `body`, printing a ``CommandFailure`` to standard error and exiting with status 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
