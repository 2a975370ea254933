internal import CChildProcess
public import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`, for the tests and benchmarks that run programs
/// (`herald`, Python servers, PostgreSQL's tools, Chromium).
///
/// It has the shape of the part of Foundation's `Process` the tests used, and exists because that
/// `Process.run()` crashes now and then on Linux in Swift 6.3: it lists `/proc/self/fd` to close
/// inherited descriptors and copies each `dirent`'s whole 256-byte name field, reading past the end
/// of glibc's buffer (swift-corelibs-foundation #5472, fixed after 6.3.1). A suite that starts
/// hundreds of processes hit it about once in ten runs. Here the child closes every descriptor
/// above 2 with `posix_spawn_file_actions_addclosefrom_np`, and a dedicated thread waits for it
/// with `waitpid`, so no run loop and no thread of the cooperative pool is involved.
public final class ChildProcess: @unchecked Sendable {
    public typealias TerminationReason = Process.TerminationReason

    public var executableURL: URL?
    public var arguments: [String] = []
    /// The child's whole environment; `nil` inherits this process's.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// `nil` (inherit), a `FileHandle` or a `Pipe` (the child gets its reading end).
    public var standardInput: Any?
    /// `nil` (inherit), a `FileHandle` or a `Pipe` (the child gets its writing end).
    public var standardOutput: Any?
    public var standardError: Any?
    /// Called once, on the waiting thread, when the child has exited.
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private let state = NSCondition()
    private var pid: pid_t = 0
    private var started = false
    private var exitStatus: Int32?

    public init() {}

    /// The child's process id (0 before ``run()``).
    public var processIdentifier: Int32 { state.withLock { pid } }

    /// Started and not yet exited.
    public var isRunning: Bool { state.withLock { started && exitStatus == nil } }

    /// Its exit code, or the signal that ended it. Only meaningful once it has exited.
    public var terminationStatus: Int32 {
        let raw = state.withLock { exitStatus } ?? 0
        return Self.signal(raw) ?? Self.exitCode(raw)
    }

    public var terminationReason: TerminationReason {
        let raw = state.withLock { exitStatus } ?? 0
        return Self.signal(raw) == nil ? .exit : .uncaughtSignal
    }

    /// Starts the child. Throws when it cannot be spawned (a missing executable, for one).
    public func run() throws {
        guard let executableURL else { throw SpawnError(message: "no executable given", code: EINVAL) }
        let path = executableURL.path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, as Foundation's `Process` does: a ^C at the terminal reaches the
        // test runner, which ends its children itself.
        // The child starts with no signal blocked and every signal at its default action: a
        // spawning thread's mask and this process's ignored signals (SIGPIPE, for one) are
        // inherited otherwise, and a `herald serve` that never sees its SIGTERM does not stop.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)

        var parentEndsToClose: [FileHandle] = []
        func wire(_ stream: Any?, to target: Int32, childReads: Bool) throws {
            switch stream {
            case nil: return
            case let pipe as Pipe:
                let childEnd = childReads ? pipe.fileHandleForReading : pipe.fileHandleForWriting
                posix_spawn_file_actions_adddup2(&actions, childEnd.fileDescriptor, target)
                parentEndsToClose.append(childEnd)
            case let handle as FileHandle:
                if handle === FileHandle.nullDevice {
                    posix_spawn_file_actions_addopen(&actions, target, "/dev/null", childReads ? O_RDONLY : O_WRONLY, 0)
                } else {
                    posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
                }
            default:
                throw SpawnError(message: "a standard stream must be a FileHandle or a Pipe, not \(type(of: stream!))", code: EINVAL)
            }
        }
        try wire(standardInput, to: 0, childReads: true)
        try wire(standardOutput, to: 1, childReads: false)
        try wire(standardError, to: 2, childReads: false)
        if let directory = currentDirectoryURL {
            herald_spawn_file_actions_addchdir(&actions, directory.path)
        }
        herald_spawn_file_actions_addclosefrom(&actions, 3)

        let argv = [path] + arguments
        let environment = self.environment ?? ProcessInfo.processInfo.environment
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var spawned: pid_t = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envpPointers in
                posix_spawn(&spawned, path, &actions, &attributes, argvPointers, envpPointers)
            }
        }
        guard status == 0 else {
            throw SpawnError(message: "cannot start \(path): \(String(cString: strerror(status)))", code: status)
        }
        // The child has its own copies of the ends it uses; this process must not keep a pipe's
        // writing end open, or its reader never sees the end of the output.
        for handle in parentEndsToClose { try? handle.close() }
        let child = spawned
        state.withLock {
            pid = child
            started = true
        }
        let thread = Thread { [self] in self.waitForExit(child) }
        thread.name = "ChildProcess \(child)"
        thread.start()
    }

    private func waitForExit(_ child: pid_t) {
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        state.withLock {
            exitStatus = status
            state.broadcast()
        }
        terminationHandler?(self)
    }

    /// SIGTERM.
    public func terminate() { send(SIGTERM) }

    /// SIGINT.
    public func interrupt() { send(SIGINT) }

    /// Sends `signal` to the child if it is still running.
    public func send(_ signal: Int32) {
        state.withLock {
            if started, exitStatus == nil { _ = kill(pid, signal) }
        }
    }

    /// Blocks the calling thread until the child has exited. Prefer ``exited()`` in async code.
    public func waitUntilExit() {
        state.withLock {
            while started && exitStatus == nil { state.wait() }
        }
    }

    /// Waits for the child to exit without holding a thread of the cooperative pool.
    public func exited() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    private static func signal(_ raw: Int32) -> Int32? {
        let signal = raw & 0x7f
        return signal == 0 ? nil : signal
    }

    private static func exitCode(_ raw: Int32) -> Int32 { (raw >> 8) & 0xff }

    public struct SpawnError: Error, CustomStringConvertible {
        public var message: String
        public var code: Int32
        public var description: String { message }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
