import Synchronization

/// A bounded multi-producer, single-consumer queue: producers wait while it is full (back-pressure
/// from the processors to the inbox reader and the timer scheduler), the consumer takes what is
/// there in batches.
final class WorkQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var consumer: CheckedContinuation<Void, Never>?
        var producers: [CheckedContinuation<Void, Never>] = []
        var closed = false
        var count: Int { items.count - head }
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { state.withLock { $0.count } }

    /// Appends, waiting while the queue is full. Returns `false` once the queue is closed.
    @discardableResult
    func push(_ element: Element) async -> Bool {
        while true {
            let outcome = state.withLock { s -> (done: Bool, accepted: Bool, consumer: CheckedContinuation<Void, Never>?) in
                if s.closed { return (true, false, nil) }
                guard s.count < capacity else { return (false, false, nil) }
                s.items.append(element)
                let consumer = s.consumer
                s.consumer = nil
                return (true, true, consumer)
            }
            if outcome.done {
                outcome.consumer?.resume()
                return outcome.accepted
            }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.closed || s.count < capacity { return true }
                    s.producers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Takes up to `max` elements, waiting until at least one is there. Returns `[]` once closed
    /// and drained.
    func take(max: Int) async -> [Element] {
        while true {
            let (batch, producers, closed) = state.withLock { s -> ([Element], [CheckedContinuation<Void, Never>], Bool) in
                let n = Swift.min(max, s.count)
                let batch = Array(s.items[s.head..<(s.head + n)])
                s.head += n
                if s.head > 1024 && s.head * 2 > s.items.count {
                    s.items.removeFirst(s.head)
                    s.head = 0
                }
                let producers = n > 0 ? s.producers : []
                if n > 0 { s.producers = [] }
                return (batch, producers, s.closed)
            }
            for producer in producers { producer.resume() }
            if !batch.isEmpty || closed { return batch }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.count > 0 || s.closed { return true }
                    s.consumer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Wakes everyone; later pushes are refused and `take` returns what is left, then `[]`.
    func close() {
        let (consumer, producers) = state.withLock { s in
            s.closed = true
            defer {
                s.consumer = nil
                s.producers = []
            }
            return (s.consumer, s.producers)
        }
        consumer?.resume()
        for producer in producers { producer.resume() }
    }
}
