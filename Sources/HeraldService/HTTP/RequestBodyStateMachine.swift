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
///   same deadline. With pipelined requests an answer belongs to the oldest request read in full,
///   so answering one request while the next one's body arrives is not an early answer.
///
/// Pure, as hummingbird's `HTTPConnectionStateHandler.StateMachine`: ``RequestBodyHandler`` passes
/// each event in with the time and performs the returned action.
struct RequestBodyStateMachine: Equatable {
    enum Body: Equatable {
        /// No request body is arriving (hummingbird's idle timeout watches the connection).
        case idle
        /// A request head arrived; its body has not ended.
        case reading(deadline: NIODeadline)
        /// An early answer was sent: the rest of the body is read and discarded, then the connection closes.
        case draining(deadline: NIODeadline)
        case closed
    }

    private(set) var body: Body = .idle
    /// Requests read in full whose answer has not begun (HTTP/1 answers in order, so with
    /// pipelining the next answer belongs to the oldest of these, not to the body arriving now).
    private(set) var completeUnanswered = 0
    /// The answer being written began before its request's body ended: the connection closes after it.
    private(set) var answeringEarly = false
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
        switch body {
        case .idle:
            let deadline = now + bodyTimeout
            body = .reading(deadline: deadline)
            return .forwardAndSchedule(deadline)
        case .reading:
            return .forward  // the decoder never sends a head before the previous end
        case .draining:
            body = .closed
            return .close
        case .closed:
            return .discard
        }
    }

    mutating func bodyPart() -> ReadAction {
        switch body {
        case .idle, .reading: .forward
        case .draining, .closed: .discard
        }
    }

    mutating func end() -> ReadAction {
        switch body {
        case .idle:
            return .forward
        case .reading:
            body = .idle
            // An early answer already began for this request; otherwise it waits for its answer.
            if !answeringEarly { completeUnanswered += 1 }
            return .forwardAndCancel
        case .draining:
            body = .closed
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
        if completeUnanswered > 0 {
            completeUnanswered -= 1
            return .write
        }
        guard case .reading = body else { return .write }
        answeringEarly = true
        return .writeClosing
    }

    enum ResponseEndAction: Equatable {
        case write
        /// Write it, then read and discard the rest of the request body.
        case writeThenDrain
        /// Write it, then close (an early answer whose body ended while it was being written).
        case writeThenClose
    }

    mutating func responseEnd() -> ResponseEndAction {
        guard answeringEarly else { return .write }
        answeringEarly = false
        if case .reading(let deadline) = body {
            body = .draining(deadline: deadline)
            return .writeThenDrain
        }
        body = .closed
        return .writeThenClose
    }

    var isDraining: Bool {
        if case .draining = body { return true }
        return false
    }

    enum DeadlineAction: Equatable {
        case close
        case none
    }

    /// The deadline of the body arriving now passed (the handler cancels it when the body ends).
    mutating func deadlinePassed() -> DeadlineAction {
        switch body {
        case .reading, .draining:
            body = .closed
            return .close
        case .idle, .closed:
            return .none
        }
    }

    mutating func closed() {
        body = .closed
    }
}
