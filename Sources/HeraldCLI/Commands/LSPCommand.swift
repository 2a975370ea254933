import ArgumentParser
import Foundation
import JourneyLanguageServer

/// `herald lsp`: the journey language server, for editors (docs/editors.md).
struct LSPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Run the journey language server over stdin and stdout (for editors).",
        discussion: """
            Speaks the Language Server Protocol (JSON-RPC with Content-Length framing) on stdin and \
            stdout: diagnostics, completion, hover, go to definition, document symbols, formatting, \
            rename and quick fixes for .journey files. Logs go to stderr. See docs/editors.md for \
            VS Code, Neovim and Helix.
            """
    )

    @Flag(name: .customLong("stdio"), help: "Use stdin and stdout (the default and only transport; accepted for editors that pass it).")
    var stdio = false

    func run() throws {
        let status = LanguageServer.run(input: .standardInput, output: .standardOutput, log: LanguageServer.standardErrorLog)
        throw ExitCode(status)
    }
}
