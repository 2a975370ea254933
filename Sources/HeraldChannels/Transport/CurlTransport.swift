import CCurl
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// All of Herald's network traffic goes through one `CurlTransport`, shared by every channel:
/// one libcurl multi handle per event-loop thread (one thread per core by default), so
/// connections to each provider are pooled and reused (HTTP keep-alive and SMTP sessions alike).
///
/// A request goes to the loop with the fewest transfers in flight (the first one on a tie), so
/// sequential requests stay on one loop and reuse its connections, and concurrent ones spread
/// over every core.
///
/// Requests are submitted from async code and complete through continuations; no thread waits
/// per request. Bound the number of requests in flight per provider with the channel's
/// concurrency limit; the transport itself accepts any number.
///
/// ```swift
/// let transport = CurlTransport()
/// defer { transport.shutdown() }
/// let dispatcher = MessageDispatcher(configuration: config, transport: transport)
/// ```
public final class CurlTransport: Sendable {
    private let loops: [CurlEventLoop]

    /// Starts the event-loop threads.
    /// - Parameters:
    ///   - maxCachedConnections: how many idle connections libcurl keeps open for reuse (in all,
    ///     shared out among the loops).
    ///   - eventLoops: how many event-loop threads (each with its own multi handle and
    ///     connection pool); by default one per core.
    public init(maxCachedConnections: Int = 512, eventLoops: Int? = nil) {
        let count = max(1, eventLoops ?? ProcessInfo.processInfo.activeProcessorCount)
        loops = (0..<count).map { _ in CurlEventLoop(maxCachedConnections: max(1, maxCachedConnections / count)) }
    }

    deinit {
        for loop in loops { loop.stop() }
    }

    /// Fails every transfer in flight with a shutdown error and stops the event-loop threads.
    /// Called automatically when the transport is released.
    public func shutdown() {
        for loop in loops { loop.stop() }
    }

    /// The loop with the fewest transfers in flight; the first one on a tie.
    private func leastLoaded() -> CurlEventLoop {
        var chosen = loops[0]
        var load = chosen.inFlight.load(ordering: .relaxed)
        for loop in loops.dropFirst() where load > 0 {
            let other = loop.inFlight.load(ordering: .relaxed)
            if other < load { (chosen, load) = (loop, other) }
        }
        return chosen
    }

    /// Performs one transfer. Cancelling the calling task aborts the transfer.
    func execute(_ request: TransportRequest) async throws -> TransportResponse {
        let transfer = CurlTransfer(request: request)
        let loop = leastLoaded()
        loop.inFlight.add(1, ordering: .relaxed)
        defer { loop.inFlight.subtract(1, ordering: .relaxed) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}

/// The thread that owns the multi handle. Other threads only append to `shared` and wake it.
///
/// The loop drives libcurl with `curl_multi_socket_action` over epoll: libcurl says which sockets
/// to watch (the socket callback) and when its next timeout is (the timer callback), and each
/// readiness event touches only its own transfer — `curl_multi_perform` would walk every transfer
/// and poll each one's socket on every wake-up.
final class CurlEventLoop: @unchecked Sendable {
    private struct Shared {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
        /// A wakeup was sent and the loop has not drained since: later submissions need none.
        var wakeupPending = false
        /// The loop has ended and closed its descriptors: nothing may write to `wakeup` any more
        /// (its number may already belong to another file of the process).
        var closed = false
    }

    private let multi: UnsafeMutableRawPointer
    private let shared = Mutex(Shared())
    /// Transfers submitted to this loop and not yet returned to their callers (for choosing a loop).
    let inFlight = Atomic<Int>(0)
    private let stopped = DispatchSemaphore(value: 0)
    // Touched only by the loop thread.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Easy handles of finished transfers, reset and ready for the next ones.
    private var idle: [UnsafeMutableRawPointer] = []
    private let maxIdle = 1024
    private let epoll: Int32
    /// Written to wake the loop (new transfers, cancellations, stop).
    private let wakeup: Int32
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` handled (set by its timer callback).
    fileprivate var timerDeadline: ContinuousClock.Instant?

    init(maxCachedConnections: Int) {
        CurlGlobal.initialize()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard epoll >= 0, wakeup >= 0 else { fatalError("epoll_create1 or eventfd failed: \(String(cString: strerror(errno)))") }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event)
        herald_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxCachedConnections)
        // The loop lives as long as its thread, which runs until `stop`: unretained is safe.
        let me = Unmanaged.passUnretained(self).toOpaque()
        herald_curl_multi_setopt_socket_callback(multi, curlSocketCallback)
        herald_curl_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        herald_curl_multi_setopt_timer_callback(multi, curlTimerCallback)
        herald_curl_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        let thread = Thread { [self] in
            run()
        }
        thread.name = "herald-curl"
        thread.start()
    }

    func submit(_ transfer: CurlTransfer) {
        let (accepted, needsWakeup) = shared.withLock { state in
            if state.stopping { return (false, false) }
            state.additions.append(transfer)
            defer { state.wakeupPending = true }
            return (true, !state.wakeupPending)
        }
        if needsWakeup {
            wake()
        }
        if !accepted {
            transfer.finish(.failure(TransportError(kind: .shutdown, code: 0, message: "the transport was shut down")))
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        let open = shared.withLock { state in
            if !state.closed { state.cancellations.append(transfer) }
            return !state.closed
        }
        if open { wake() }
    }

    func stop() {
        let first = shared.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        wake()
        if !isLoopThread {
            stopped.wait()
        }
    }

    private func run() {
        Thread.current.threadDictionary["herald-curl"] = ObjectIdentifier(self)
        var running: Int32 = 0
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var finished: [CurlTransfer] = []
        while true {
            let (additions, cancellations, stopping) = shared.withLock { state in
                defer {
                    state.additions.removeAll(keepingCapacity: true)
                    state.cancellations.removeAll(keepingCapacity: true)
                    state.wakeupPending = false
                }
                return (state.additions, state.cancellations, state.stopping)
            }
            if stopping {
                let error = TransportError(kind: .shutdown, code: 0, message: "the transport was shut down")
                for transfer in additions { transfer.finish(.failure(error)) }
                for (handle, transfer) in active {
                    curl_multi_remove_handle(multi, handle)
                    transfer.finish(.failure(error))
                    curl_easy_cleanup(handle)
                }
                active.removeAll()
                for handle in idle { curl_easy_cleanup(handle) }
                idle.removeAll()
                curl_multi_cleanup(multi)
                shared.withLock { state in
                    state.closed = true
                    close(epoll)
                    close(wakeup)
                }
                stopped.signal()
                return
            }
            for transfer in additions {
                if transfer.cancelRequested {
                    transfer.finish(.failure(TransportError(kind: .cancelled, code: 0, message: "cancelled")))
                    continue
                }
                guard let handle = idle.popLast() ?? curl_easy_init() else {
                    transfer.finish(.failure(TransportError(kind: .other, code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_easy_init failed")))
                    continue
                }
                do {
                    try transfer.start(on: handle)
                    curl_multi_add_handle(multi, handle)
                    active[handle] = transfer
                } catch {
                    recycle(transfer.finish(.failure(error)))
                }
            }
            for transfer in cancellations {
                if let handle = transfer.handle, active.removeValue(forKey: handle) != nil {
                    curl_multi_remove_handle(multi, handle)
                    recycle(transfer.finish(.failure(TransportError(kind: .cancelled, code: 0, message: "cancelled"))))
                } else {
                    // Not submitted yet (it will be finished on arrival) or already finished.
                    transfer.cancelRequested = true
                }
            }
            // Sleeps until a socket is ready, libcurl's next timeout, or a wake-up.
            var timeout: Int32 = 1000
            if let deadline = timerDeadline {
                let (seconds, attoseconds) = ContinuousClock.now.duration(to: deadline).components
                let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeout = Int32(clamping: max(0, min(1000, milliseconds)))
            }
            let count = epoll_wait(epoll, &events, Int32(events.count), timeout)
            if count > 0 {
                for k in 0..<Int(count) {
                    let fd = events[k].data.fd
                    if fd == wakeup {
                        var value: eventfd_t = 0
                        _ = eventfd_read(wakeup, &value)
                        continue
                    }
                    let flags = events[k].events
                    var action: Int32 = 0
                    if flags & EPOLLIN.rawValue != 0 { action |= CURL_CSELECT_IN }
                    if flags & EPOLLOUT.rawValue != 0 { action |= CURL_CSELECT_OUT }
                    if flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { action |= CURL_CSELECT_ERR }
                    curl_multi_socket_action(multi, fd, action, &running)
                }
            }
            if let deadline = timerDeadline, deadline <= ContinuousClock.now {
                timerDeadline = nil
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
            }
            // Every transfer that finished in this turn is read and its handle recycled before any
            // caller is resumed: resumed together, the callers' tasks reach the executor as one
            // burst, which wakes an idle executor thread once rather than once per transfer.
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let result = herald_curl_msg_result(message)
                curl_multi_remove_handle(multi, handle)
                if let transfer = active.removeValue(forKey: handle) {
                    recycle(transfer.complete(result))
                    finished.append(transfer)
                }
            }
            for transfer in finished { transfer.resumeCaller() }
            finished.removeAll(keepingCapacity: true)
        }
    }
}

extension CurlEventLoop {
    /// Wakes the loop, unless it has closed its descriptors (checked under the lock the loop
    /// closes them under, so a late wake-up never writes to a reused descriptor number).
    fileprivate func wake() {
        shared.withLock { state in
            if !state.closed { _ = eventfd_write(wakeup, 1) }
        }
    }

    /// libcurl's socket callback: watch `socket` for what it asks, or stop watching it.
    fileprivate func watch(_ socket: Int32, _ what: Int32) {
        if what == CURL_POLL_REMOVE {
            _ = epoll_ctl(epoll, EPOLL_CTL_DEL, socket, nil)
            return
        }
        var event = epoll_event()
        event.events = (what & CURL_POLL_IN != 0 ? EPOLLIN.rawValue : 0) | (what & CURL_POLL_OUT != 0 ? EPOLLOUT.rawValue : 0)
        event.data.fd = socket
        if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) != 0, errno == ENOENT {
            _ = epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event)
        }
    }

    /// Resets a finished transfer's easy handle for reuse, or frees it when enough are idle.
    fileprivate func recycle(_ handle: UnsafeMutableRawPointer?) {
        guard let handle else { return }
        if idle.count < maxIdle {
            curl_easy_reset(handle)
            idle.append(handle)
        } else {
            curl_easy_cleanup(handle)
        }
    }
}

extension CurlEventLoop {
    /// Whether this is the loop's own thread (which must not wait for itself to stop).
    fileprivate var isLoopThread: Bool {
        (Thread.current.threadDictionary["herald-curl"] as? ObjectIdentifier) == ObjectIdentifier(self)
    }
}

private let curlSocketCallback: curl_socket_callback = { _, socket, what, userp, _ in
    Unmanaged<CurlEventLoop>.fromOpaque(userp!).takeUnretainedValue().watch(socket, what)
    return 0
}

private let curlTimerCallback: curl_multi_timer_callback = { _, milliseconds, userp in
    let loop = Unmanaged<CurlEventLoop>.fromOpaque(userp!).takeUnretainedValue()
    loop.timerDeadline = milliseconds < 0 ? nil : ContinuousClock.now.advanced(by: .milliseconds(milliseconds))
    return 0
}

enum CurlGlobal {
    private static let once: Void = {
        _ = herald_curl_global_init_all()
    }()

    static func initialize() {
        _ = once
    }
}
