import CCurl
import Foundation
import Synchronization

/// All of Herald's network traffic goes through one `CurlTransport`: one libcurl multi handle
/// driven by one event-loop thread, shared by every channel, so connections to each provider are
/// pooled and reused (HTTP keep-alive and SMTP sessions alike).
///
/// Requests are submitted from async code and complete through continuations; no thread waits
/// per request. Bound the number of requests in flight per provider with the channel's
/// concurrency limit; the transport itself accepts any number.
///
/// ```swift
/// let transport = CurlTransport()
/// defer { transport.shutdown() }
/// let channels = try ChannelSet(configuration: config, transport: transport)
/// ```
public final class CurlTransport: Sendable {
    private let loop: CurlEventLoop

    /// Starts the event-loop thread.
    /// - Parameter maxCachedConnections: how many idle connections libcurl keeps open for reuse.
    public init(maxCachedConnections: Int = 512) {
        loop = CurlEventLoop(maxCachedConnections: maxCachedConnections)
    }

    deinit {
        loop.stop()
    }

    /// Fails every transfer in flight with a shutdown error and stops the event-loop thread.
    /// Called automatically when the transport is released.
    public func shutdown() {
        loop.stop()
    }

    /// Performs one transfer. Cancelling the calling task aborts the transfer.
    func execute(_ request: TransportRequest) async throws -> TransportResponse {
        let transfer = CurlTransfer(request: request)
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
final class CurlEventLoop: @unchecked Sendable {
    private struct Shared {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let shared = Mutex(Shared())
    private let stopped = DispatchSemaphore(value: 0)
    // Touched only by the loop thread.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxCachedConnections: Int) {
        CurlGlobal.initialize()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        herald_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxCachedConnections)
        let thread = Thread { [self] in
            run()
        }
        thread.name = "herald-curl"
        thread.start()
    }

    func submit(_ transfer: CurlTransfer) {
        let accepted = shared.withLock { state in
            if state.stopping { return false }
            state.additions.append(transfer)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi)
        } else {
            transfer.finish(.failure(TransportError(kind: .shutdown, code: 0, message: "the transport was shut down")))
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        shared.withLock { $0.cancellations.append(transfer) }
        curl_multi_wakeup(multi)
    }

    func stop() {
        let first = shared.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        if !Thread.current.isHerald {
            stopped.wait()
        }
    }

    private func run() {
        Thread.current.threadDictionary["herald-curl"] = true
        var running: Int32 = 0
        while true {
            let (additions, cancellations, stopping) = shared.withLock { state in
                defer {
                    state.additions.removeAll(keepingCapacity: true)
                    state.cancellations.removeAll(keepingCapacity: true)
                }
                return (state.additions, state.cancellations, state.stopping)
            }
            if stopping {
                let error = TransportError(kind: .shutdown, code: 0, message: "the transport was shut down")
                for transfer in additions { transfer.finish(.failure(error)) }
                for (handle, transfer) in active {
                    curl_multi_remove_handle(multi, handle)
                    transfer.finish(.failure(error))
                }
                active.removeAll()
                curl_multi_cleanup(multi)
                stopped.signal()
                return
            }
            for transfer in additions {
                if transfer.cancelRequested {
                    transfer.finish(.failure(TransportError(kind: .cancelled, code: 0, message: "cancelled")))
                    continue
                }
                do {
                    let handle = try transfer.start()
                    curl_multi_add_handle(multi, handle)
                    active[handle] = transfer
                } catch {
                    transfer.finish(.failure(error))
                }
            }
            for transfer in cancellations {
                if let handle = transfer.handle, active.removeValue(forKey: handle) != nil {
                    curl_multi_remove_handle(multi, handle)
                    transfer.finish(.failure(TransportError(kind: .cancelled, code: 0, message: "cancelled")))
                } else {
                    // Not submitted yet (it will be finished on arrival) or already finished.
                    transfer.cancelRequested = true
                }
            }
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let result = herald_curl_msg_result(message)
                curl_multi_remove_handle(multi, handle)
                if let transfer = active.removeValue(forKey: handle) {
                    transfer.complete(result)
                }
            }
            // Sleeps until a socket is ready, libcurl's next timeout, or `curl_multi_wakeup`.
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}

extension Thread {
    fileprivate var isHerald: Bool { threadDictionary["herald-curl"] != nil }
}

enum CurlGlobal {
    private static let once: Void = {
        _ = herald_curl_global_init_all()
    }()

    static func initialize() {
        _ = once
    }
}
