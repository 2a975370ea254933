import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Enforces ``RequestBodyStateMachine`` on one HTTP/1 connection: sits after the HTTP codec, sees
/// request parts coming in and response parts going out.
final class RequestBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var machine: RequestBodyStateMachine
    private var deadlineTask: Scheduled<Void>?
    /// The current body's deadline, armed at the end of the read that brought its head only if
    /// the body has not ended by then (most requests arrive whole in one read and need no timer).
    private var pendingDeadline: NIODeadline?
    private let logger: Logger

    init(bodyTimeout: TimeAmount, logger: Logger) {
        self.machine = RequestBodyStateMachine(bodyTimeout: bodyTimeout)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        let action: RequestBodyStateMachine.ReadAction
        switch part {
        case .head: action = machine.head(now: .now())
        case .body: action = machine.bodyPart()
        case .end: action = machine.end()
        }
        switch action {
        case .forward:
            context.fireChannelRead(data)
        case .forwardAndSchedule(let deadline):
            cancelDeadline()
            pendingDeadline = deadline
            context.fireChannelRead(data)
        case .forwardAndCancel:
            cancelDeadline()
            context.fireChannelRead(data)
        case .discard:
            break
        case .close:
            cancelDeadline()
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let deadline = pendingDeadline {
            pendingDeadline = nil
            schedule(context, deadline)
        }
        // Nobody above reads a discarded body, so ask for more here.
        if machine.isDraining { context.read() }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response):
            if machine.responseHead() == .writeClosing {
                response.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(response)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .body:
            context.write(data, promise: promise)
        case .end:
            switch machine.responseEnd() {
            case .write:
                context.write(data, promise: promise)
            case .writeThenDrain:
                context.write(data, promise: promise)
                context.flush()
                context.read()
            case .writeThenClose:
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(data, promise: written)
                written.futureResult.assumeIsolated().whenComplete { result in
                    promise?.completeWith(result)
                    context.close(promise: nil)
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        cancelDeadline()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    private func schedule(_ context: ChannelHandlerContext, _ deadline: NIODeadline) {
        cancelDeadline()
        deadlineTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.deadlineTask = nil
            if self.machine.deadlinePassed() == .close {
                self.logger.debug("closing a connection whose request body did not arrive in time")
                context.close(promise: nil)
            }
        }
    }

    private func cancelDeadline() {
        pendingDeadline = nil
        deadlineTask?.cancel()
        deadlineTask = nil
    }
}

@available(*, unavailable)
extension RequestBodyHandler: Sendable {}
