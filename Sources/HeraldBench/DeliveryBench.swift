#if HERALD_BENCH_DELIVERY
import ChildProcess
import Foundation
import JourneyLanguage
import HeraldChannels

/// 5. Delivery: webhooks through MessageDispatcher (libcurl, signed, SSRF-checked) to a loopback
/// nginx answering 200, against wrk driving the same nginx in the same run; SMTP messages per
/// second to the loopback aiosmtpd test server over reused connections, against Python's smtplib
/// sending the same messages over one connection.
enum DeliveryBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        do {
            try await webhooks(options, into: &table)
        } catch {
            table.notRun("delivery: webhooks via MessageDispatcher", reason: "failed: \(error)")
        }
        do {
            try await smtp(options, into: &table)
        } catch {
            table.notRun("delivery: SMTP via MessageDispatcher", reason: "failed: \(error)")
        }
    }

    // MARK: Webhooks

    static func webhooks(_ options: BenchOptions, into table: inout ResultTable) async throws {
        guard let nginx = BenchProcesses.which("nginx") else { throw BenchError("nginx not installed (apt-get install -y nginx-light)") }
        guard let wrk = BenchProcesses.which("wrk") else { throw BenchError("wrk not installed (apt-get install -y wrk)") }
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-nginx-\(getpid())").path
        try await BenchProcesses.withNginx(nginx, directory: prefix, answering: "ok") { base in
            try await webhooks(options, url: base + "/hook", wrk: wrk, scratch: prefix, into: &table)
        }
    }

    /// Rounds of each side, alternated (wrk, Herald, wrk, Herald, …): one run of either moved
    /// between 30 % and 66 % of the other on this shared machine, so the row is the median.
    static let rounds = 5

    /// Herald's webhook rate against wrk's, both to the receiver at `url`: the medians of `rounds`
    /// alternated runs of each.
    static func webhooks(
        _ options: BenchOptions, url: String, wrk: String, scratch prefix: String, into table: inout ResultTable
    ) async throws {
        // Reference: wrk, 2 threads, 64 connections, POSTing a payload of the same size.
        let payload = Array(#"{"type":"cart.reminder","customer":"c1","message":"cart_reminder","at":"2026-03-02T10:00:00Z"}"#.utf8)
        let script = prefix + "/post.lua"
        try """
        wrk.method = "POST"
        wrk.body = '\(String(decoding: payload, as: UTF8.self))'
        wrk.headers["Content-Type"] = "application/json"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        func wrkRun() throws -> Double {
            let wrkOutput = try BenchProcesses.run(wrk, ["-t2", "-c64", "-d3s", "-s", script, url])
            guard let line = wrkOutput.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
                let wrkRate = Double(line.split(separator: " ").last ?? "")
            else { throw BenchError("could not read wrk's rate from: \(wrkOutput)") }
            return wrkRate
        }

        // Herald: the webhook adapter (Standard Webhooks signature, address check) through the
        // dispatcher, 64 messages in flight, connections reused by the shared curl transport.
        guard let loopback = IPNetwork("127.0.0.0/8") else { throw BenchError("IPNetwork parse") }
        let secret = try WebhookSecret(Secret("whsec_" + Data((0..<32).map { UInt8($0) }).base64EncodedString()))
        let transport = CurlTransport()
        let channel = WebhookChannel(
            endpoint: WebhookChannel.Endpoint(url: url, secrets: [secret], addressPolicy: AddressPolicy(allowedNetworks: [loopback])),
            transport: transport)
        let inFlight = 64
        let dispatcher = MessageDispatcher(
            channels: [.webhook: channel], limits: [.webhook: ChannelLimits(maxConcurrency: inFlight)], transport: transport)
        let n = options.webhooks
        var wrkRates: [Double] = []
        var rates: [Double] = []
        for round in 0..<rounds {
            wrkRates.append(try wrkRun())
            @Sendable func message(_ i: Int) -> OutgoingMessage {
                OutgoingMessage(
                    idempotencyKey: "bench-\(round)-\(i)", category: .marketing, recipient: Recipient(customerID: "c\(i)"),
                    content: .webhook(WebhookContent(payload: payload)), messageName: "cart_reminder")
            }
            let (delivered, rate) = await drive(dispatcher, count: n, inFlight: inFlight, message: message)
            guard delivered == n else { throw BenchError("only \(delivered) of \(n) webhooks delivered") }
            rates.append(rate)
            print(
                String(
                    format: "  webhooks round %d: wrk %.0f req/s, Herald %.0f deliveries/s (%.3f)", round + 1, wrkRates[round], rate,
                    rate / wrkRates[round]))
        }
        let rate = median(rates)
        let wrkRate = median(wrkRates)
        table.add(
            "delivery: webhooks via MessageDispatcher (\(n), 64 in flight), median of \(rounds)", rate, "deliveries/s",
            reference: ("wrk -t2 -c64 3 s, same nginx, median of \(rounds) alternated", wrkRate), target: "≥ 70 % of wrk", met: rate >= 0.7 * wrkRate)
    }

    // MARK: SMTP

    static func smtp(_ options: BenchOptions, into table: inout ResultTable) async throws {
        let serverScript = "Tests/HeraldChannelsTests/Servers/smtp_server.py"
        guard FileManager.default.fileExists(atPath: serverScript) else { throw BenchError("\(serverScript) not found (run from the package root)") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("herald-bench-smtp-\(getpid()).jsonl").path
        let server = ChildProcess()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", serverScript, "--out", out]
        let pipe = Pipe()
        server.standardOutput = pipe
        // The test server exits when its standard input closes: hold a pipe open for it.
        let input = Pipe()
        server.standardInput = input
        try server.run()
        defer {
            try? input.fileHandleForWriting.close()
            server.terminate()
            server.waitUntilExit()
        }
        // "READY <port>"
        var ready = ""
        while !ready.contains("\n") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { throw BenchError("the SMTP test server exited") }
            ready += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = Int(ready.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") else {
            throw BenchError("unexpected SMTP server output: \(ready)")
        }
        let n = options.smtpMessages

        // Reference: Python's smtplib, one connection, the same number of small messages.
        func smtplibRun() throws -> Double {
            let reference = try BenchProcesses.run(
                "/usr/bin/env",
                [
                    "python3", "-c",
                    """
                    import smtplib, time
                    s = smtplib.SMTP("127.0.0.1", \(port))
                    msg = "From: bench@example.com\\r\\nTo: c@example.com\\r\\nSubject: Your cart\\r\\nMessage-ID: <m{}@example.com>\\r\\nDate: Mon, 02 Mar 2026 10:00:00 +0000\\r\\nMIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=utf-8\\r\\n\\r\\nYou left something in your cart.\\r\\n"
                    t = time.perf_counter()
                    for i in range(\(n)):
                        s.sendmail("bench@example.com", ["c%d@example.com" % i], msg.format(i))
                    print(\(n) / (time.perf_counter() - t))
                    s.quit()
                    """,
                ])
            guard let referenceRate = Double(reference.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw BenchError("unexpected smtplib output: \(reference)")
            }
            return referenceRate
        }

        let transport = CurlTransport()
        let settings = EmailSettings(from: try EmailAddress(address: "bench@example.com"))
        let channel = SMTPEmailChannel(
            settings: settings, server: SMTPEmailChannel.Server(url: "smtp://127.0.0.1:\(port)", security: .none), transport: transport)
        let inFlight = 4
        let dispatcher = MessageDispatcher(
            channels: [.email: channel], limits: [.email: ChannelLimits(maxConcurrency: inFlight)], transport: transport)
        // Three alternated rounds of each (smtplib, Herald, …); the medians make the row.
        var referenceRates: [Double] = []
        var rates: [Double] = []
        for round in 0..<3 {
            referenceRates.append(try smtplibRun())
            @Sendable func message(_ i: Int) -> OutgoingMessage {
                OutgoingMessage(
                    idempotencyKey: "smtp-\(round)-\(i)", category: .transactional,
                    recipient: Recipient(customerID: "c\(i)", email: "c\(i)@example.com"),
                    content: .email(EmailContent(subject: "Your cart", html: nil, text: "You left something in your cart.")),
                    messageName: "cart_reminder")
            }
            let (delivered, rate) = await drive(dispatcher, count: n, inFlight: inFlight, message: message)
            guard delivered == n else { throw BenchError("only \(delivered) of \(n) SMTP messages accepted") }
            rates.append(rate)
            print(String(format: "  SMTP round %d: smtplib %.0f, Herald %.0f messages/s", round + 1, referenceRates[round], rate))
        }
        let rate = median(rates)
        let referenceRate = median(referenceRates)
        table.add(
            "delivery: SMTP via MessageDispatcher (\(n), 4 in flight), median of 3", rate, "messages/s",
            reference: ("smtplib, 1 connection, same server, median of 3 alternated", referenceRate), target: "≥ smtplib",
            met: rate >= referenceRate)
    }

    /// Attempts messages 0..<n through `dispatcher`, `inFlight` at a time (after one warm-up
    /// message, -1, that resolves and connects); returns how many were delivered and the rate.
    static func drive(
        _ dispatcher: MessageDispatcher, count n: Int, inFlight: Int, message: @escaping @Sendable (Int) -> OutgoingMessage
    ) async -> (delivered: Int, rate: Double) {
        _ = await dispatcher.attempt(message(-1))
        let started = ContinuousClock.now
        let delivered = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<inFlight {
                group.addTask {
                    var ok = 0
                    for i in stride(from: worker, to: n, by: inFlight) {
                        if case .delivered = await dispatcher.attempt(message(i)) { ok += 1 }
                    }
                    return ok
                }
            }
            var total = 0
            for await ok in group { total += ok }
            return total
        }
        return (delivered, Double(n) / seconds(since: started))
    }
}
#else
/// Built without HeraldChannels (see Package.swift): the delivery benchmark reports itself not run.
enum DeliveryBench {
    static func run(_ options: BenchOptions, into table: inout ResultTable) async throws {
        table.notRun(
            "delivery: webhooks vs wrk, SMTP",
            reason: "not built: herald-bench is built without HeraldChannels (swift-crypto's release build); see Package.swift")
    }
}
#endif
