import Synchronization

/// A wake-up call for a background loop: `notify()` from anywhere, `wait(timeout:)` in the loop.
/// A notification that arrives while nobody waits is remembered once.
final class Signal: Sendable {
    private struct State {
        var pending = false
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        var nextID = 0
    }

    private let state = Mutex(State())

    init() {}

    func notify() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter.continuation
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when notified, after `timeout` seconds, or on cancellation — whichever comes first.
    func wait(timeout: Double) async {
        if state.withLock({ s in
            defer { s.pending = false }
            return s.pending
        }) {
            return
        }
        if timeout <= 0 { return }
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    s.waiter = (id, continuation)
                    return false
                }
                if resumeNow {
                    continuation.resume()
                    return
                }
                Task { [weak self] in
                    try? await Task.sleep(for: .milliseconds(Int64(min(timeout, 86_400) * 1000)))
                    self?.fire(id)
                }
            }
        } onCancel: {
            fire(nil)
        }
    }

    /// Resumes the waiter with this id (any waiter when `nil`).
    private func fire(_ id: Int?) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let waiter = s.waiter, id == nil || waiter.id == id else { return nil }
            s.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
