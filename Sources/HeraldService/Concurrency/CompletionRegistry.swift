import Synchronization

/// Lets an HTTP request wait until the processor has handled an inbox item it enqueued (a profile
/// update or an erasure answers once the change is visible), with a timeout. The request registers
/// the item's id *before* enqueueing it, so a fast processor cannot complete it unseen.
final class CompletionRegistry: Sendable {
    private enum Entry {
        case registered
        case waiting(CheckedContinuation<Bool, Never>)
        case done
    }

    private let entries = Mutex<[String: Entry]>([:])

    func register(_ id: String) {
        entries.withLock { $0[id] = .registered }
    }

    /// Waits until the item `id` is processed; `false` on timeout.
    func wait(for id: String, timeout: Double) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let done = entries.withLock { e -> Bool in
                if case .done = e[id] {
                    e[id] = nil
                    return true
                }
                e[id] = .waiting(continuation)
                return false
            }
            if done {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                self.finish(id, processed: false)
            }
        }
    }

    /// Marks items processed; only registered ids are tracked.
    func complete(_ ids: some Sequence<String>) {
        for id in ids { finish(id, processed: true) }
    }

    func forget(_ id: String) {
        entries.withLock { _ = $0.removeValue(forKey: id) }
    }

    private func finish(_ id: String, processed: Bool) {
        let continuation = entries.withLock { e -> CheckedContinuation<Bool, Never>? in
            switch e[id] {
            case .registered:
                if processed { e[id] = .done }
                return nil
            case .waiting(let continuation):
                e[id] = nil
                return continuation
            case .done, nil:
                return nil
            }
        }
        continuation?.resume(returning: processed)
    }
}
