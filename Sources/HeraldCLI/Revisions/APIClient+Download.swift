import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension APIClient {
    /// GETs `path` and hands the body to `write` as it arrives (an export of any size is never held
    /// whole); a failure answer is reported as ``call(_:_:query:body:)`` reports it. Returns the
    /// number of bytes written.
    func download(_ path: String, query: [String: String], write: @escaping @Sendable (Data) -> Void) async throws -> Int {
        var components = URLComponents(url: base.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.timeoutInterval = 300
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let receiver = StreamingReceiver(write: write)
        let session = URLSession(configuration: .ephemeral, delegate: receiver, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<StreamingReceiver.Outcome, Never>) in
            receiver.onFinish(continuation)
            session.dataTask(with: request).resume()
        }
        if let error = outcome.error {
            throw CommandFailure("cannot reach \(base.absoluteString): \(error.localizedDescription)")
        }
        guard (200..<300).contains(outcome.status) else {
            throw Self.failure(status: outcome.status, body: outcome.errorBody)
        }
        return outcome.written
    }
}

/// Receives a streamed answer: the body goes to `write` chunk by chunk when the status is 2xx, and
/// is kept (it is a short JSON error) otherwise.
final class StreamingReceiver: NSObject, URLSessionDataDelegate, Sendable {
    struct Outcome: Sendable {
        var status = 0
        var written = 0
        var errorBody = Data()
        var error: (any Error)?
    }

    private let write: @Sendable (Data) -> Void
    private let state = Mutex<(outcome: Outcome, continuation: CheckedContinuation<Outcome, Never>?)>((Outcome(), nil))

    init(write: @escaping @Sendable (Data) -> Void) { self.write = write }

    func onFinish(_ continuation: CheckedContinuation<Outcome, Never>) { state.withLock { $0.continuation = continuation } }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        state.withLock { $0.outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let success = state.withLock { s -> Bool in
            if (200..<300).contains(s.outcome.status) {
                s.outcome.written += data.count
                return true
            }
            s.outcome.errorBody.append(data)
            return false
        }
        if success { write(data) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let (outcome, continuation) = state.withLock { s in
            s.outcome.error = error
            defer { s.continuation = nil }
            return (s.outcome, s.continuation)
        }
        continuation?.resume(returning: outcome)
    }
}
