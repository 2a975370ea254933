import NIOCore
import Testing

@testable import HeraldService

/// The rules for slow and unwanted request bodies, driven event by event with explicit times.
struct RequestBodyStateMachineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    @Test func aBodyThatEndsInTimeCancelsItsDeadlineAndKeepsTheConnection() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(60))
        #expect(machine.head(now: start) == .forwardAndSchedule(start + .seconds(60)))
        #expect(machine.bodyPart() == .forward)
        #expect(machine.end() == .forwardAndCancel)
        #expect(machine.responseHead() == .write)
        #expect(machine.responseEnd() == .write)
        #expect(machine.body == .idle)
        #expect(machine.deadlinePassed() == .none, "a stale timer closes nothing")
    }

    @Test func aBodyStillArrivingAtTheDeadlineClosesTheConnection() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(5))
        _ = machine.head(now: start)
        #expect(machine.bodyPart() == .forward)
        #expect(machine.deadlinePassed() == .close)
        #expect(machine.body == .closed)
        #expect(machine.bodyPart() == .discard)
    }

    @Test func anEarlyAnswerClosesAfterTheRestOfTheBodyIsReadAndDropped() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(60))
        _ = machine.head(now: start)
        #expect(machine.responseHead() == .writeClosing, "the 413 says Connection: close")
        #expect(machine.bodyPart() == .forward, "parts read before the answer ends still go up")
        #expect(machine.responseEnd() == .writeThenDrain)
        #expect(machine.isDraining)
        #expect(machine.bodyPart() == .discard)
        #expect(machine.bodyPart() == .discard)
        #expect(machine.end() == .close)
        #expect(machine.body == .closed)
    }

    @Test func anEarlyAnswerWhoseBodyEndsWhileItIsWrittenClosesAfterIt() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(60))
        _ = machine.head(now: start)
        #expect(machine.responseHead() == .writeClosing)
        #expect(machine.end() == .forwardAndCancel)
        #expect(machine.responseEnd() == .writeThenClose, "it said Connection: close, so it closes")
    }

    @Test func drainingIsBoundedByTheBodyDeadline() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(60))
        _ = machine.head(now: start)
        _ = machine.responseHead()
        _ = machine.responseEnd()
        #expect(machine.deadlinePassed() == .close)
    }

    @Test func anAnswerAfterTheWholeBodyKeepsTheConnection() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(60))
        _ = machine.head(now: start)
        _ = machine.end()
        #expect(machine.responseHead() == .write)
        #expect(machine.responseEnd() == .write)
        #expect(machine.head(now: start + .seconds(1)) == .forwardAndSchedule(start + .seconds(61)), "the next request gets its own deadline")
    }

    @Test func pipelinedRequestsAreAnsweredInOrderNotMistakenForEarlyAnswers() {
        var machine = RequestBodyStateMachine(bodyTimeout: .seconds(60))
        // Request 1 arrives whole, request 2's head and part of its body arrive before answer 1.
        _ = machine.head(now: start)
        _ = machine.end()
        #expect(machine.head(now: start) == .forwardAndSchedule(start + .seconds(60)))
        #expect(machine.bodyPart() == .forward)
        #expect(machine.responseHead() == .write, "answer 1 belongs to request 1, which was read in full")
        #expect(machine.responseEnd() == .write)
        #expect(machine.end() == .forwardAndCancel)
        #expect(machine.responseHead() == .write)
        #expect(machine.responseEnd() == .write)
        #expect(machine.body == .idle)
    }
}
