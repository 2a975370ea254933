public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LanguageServer {
    /// Serves one editor over a pair of streams (stdin and stdout for `herald lsp`) until the
    /// `exit` notification or the end of the input. Only protocol messages are written to
    /// `output`; `log` gets everything else.
    ///
    /// - Returns: the exit status: 0 after `shutdown` then `exit`, 1 otherwise (as the protocol says).
    public static func run(input: FileHandle, output: FileHandle, log: @escaping @Sendable (String) -> Void) -> Int32 {
        // A closed output pipe must not kill the process with SIGPIPE: the write fails instead.
        signal(SIGPIPE, SIG_IGN)
        var server = LanguageServer(log: log)
        var framer = MessageFramer()
        while true {
            let data = input.availableData
            if data.isEmpty {
                log("input closed")
                return server.exitCode ?? (server.lifecycle == .shuttingDown ? 0 : 1)
            }
            framer.append(data)
            var frames: [MessageFramer.Frame] = []
            while let frame = framer.next() { frames.append(frame) }
            for (number, frame) in frames.enumerated() {
                // A burst of edits that arrived together is checked once, after the last of them.
                for message in server.handle(frame, deferDiagnostics: number < frames.count - 1) {
                    do {
                        try output.write(contentsOf: MessageFramer.frame(message.encoded()))
                    } catch {
                        log("cannot write to the client: \(error)")
                        return 1
                    }
                }
                if let code = server.exitCode { return code }
            }
        }
    }

    /// A logger writing one line per message to stderr.
    public static let standardErrorLog: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("herald lsp: \(message)\n".utf8))
    }
}
