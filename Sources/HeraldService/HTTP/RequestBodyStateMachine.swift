import NIOCore

/// What the server does with a request body that arrives too slowly or is no longer wanted.
///
/// - A body must arrive in full within `bodyTimeout` of its request head; otherwise the
///   connection closes (a client trickling a byte a minute cannot hold a connection forever).
/// - A response sent before its request's body has arrived in full (a 413 for an oversized body,
///   a 401 before the body is read) says `Connection: close`, and the rest of the body is then
///   read and thrown away until it ends, and only then is the connection closed. A client that
///   sends its whole body before reading (Python's urllib) so finishes sending and reads the
///   answer at once, instead of blocking on a full socket buffer; closing with unread data would
///   make the kernel reset the connection and lose the answer. The discarding is bounded by the
///   same deadline.
///
/// Pure, as hummingbird's `HTTPConnectionStateHandler.StateMachine`: ``RequestBodyHandler`` passes
/// each event in with the time and performs the returned action.
struct RequestBodyStateMachine: Equatable {
    enum State: Equatable {
        /// Between requests (hummingbird's idle timeout watches the connection).
        case idle
        /// A request head arrived; its body has not ended.
        case reading(deadline: NIODeadline)
        /// A response began before the body ended: when it ends, the rest of the body is discarded.
        case answeredEarly(deadline: NIODeadline)
        /// The response is sent; the rest of the body is read and discarded, then the connection closes.
        case draining(deadline: NIODeadline)
        case closed
    }

    private(set) var state: State = .idle
    let bodyTimeout: TimeAmount

    init(bodyTimeout: TimeAmount) {
        self.bodyTimeout = bodyTimeout
    }

    enum ReadAction: Equatable {
        /// Pass the part on.
        case forward
        /// Pass the head on and close the connection at this deadline unless the body ends first.
        case forwardAndSchedule(NIODeadline)
        /// Pass the end on; the deadline no longer applies.
        case forwardAndCancel
        /// Drop the part (nobody reads it any more) and keep reading.
        case discard
        /// The discarded body ended: close the connection.
        case close
    }

    mutating func head(now: NIODeadline) -> ReadAction {
        switch state {
        case .idle:
            let deadline = now + bodyTimeout
            state = .reading(deadline: deadline)
            return .forwardAndSchedule(deadline)
        case .reading, .answeredEarly:
            return .forward  // the decoder never sends a head before the previous end
        case .draining:
            return .close
        case .closed:
            return .discard
        }
    }

    mutating func body() -> ReadAction {
        switch state {
        case .idle, .reading, .answeredEarly: .forward
        case .draining, .closed: .discard
        }
    }

    mutating func end() -> ReadAction {
        switch state {
        case .idle:
            return .forward
        case .reading, .answeredEarly:
            state = .idle
            return .forwardAndCancel
        case .draining:
            state = .closed
            return .close
        case .closed:
            return .discard
        }
    }

    enum ResponseHeadAction: Equatable {
        case write
        /// Write it with `Connection: close`: the connection ends after this response.
        case writeClosing
    }

    mutating func responseHead() -> ResponseHeadAction {
        guard case .reading(let deadline) = state else { return .write }
        state = .answeredEarly(deadline: deadline)
        return .writeClosing
    }

    enum ResponseEndAction: Equatable {
        case write
        /// Write it, then read and discard the rest of the request body.
        case writeThenDrain
    }

    mutating func responseEnd() -> ResponseEndAction {
        guard case .answeredEarly(let deadline) = state else { return .write }
        state = .draining(deadline: deadline)
        return .writeThenDrain
    }

    var isDraining: Bool {
        if case .draining = state { return true }
        return false
    }

    enum DeadlineAction: Equatable {
        case close
        case none
    }

    /// The deadline of the current request passed (the handler cancels it when the body ends).
    mutating func deadlinePassed() -> DeadlineAction {
        switch state {
        case .reading, .answeredEarly, .draining:
            state = .closed
            return .close
        case .idle, .closed:
            return .none
        }
    }

    mutating func closed() {
        state = .closed
    }
}
