import Foundation

/// One transfer for ``CurlTransport``: an HTTP request or an SMTP submission.
struct TransportRequest: Sendable {
    enum Payload: Sendable {
        /// An HTTP request; `body` is sent as is (set `Content-Type` in `headers`).
        case http(method: String, headers: [(name: String, value: String)], body: [UInt8])
        /// An SMTP submission of one RFC 5322 message (CRLF line ends) to the envelope recipients.
        case smtp(from: String, recipients: [String], message: [UInt8])
    }

    var url: String
    var payload: Payload
    /// The whole transfer, connection included, must finish within this time.
    var timeout: Duration = .seconds(30)
    var connectTimeout: Duration = .seconds(10)
    var username: String?
    var password: Secret?
    var smtpSecurity: SMTPSecurity = .none
    /// A PEM bundle of certificate authorities to trust instead of the system's.
    var caFile: String?
    /// `host:port:address` entries that pin a host name to an address already checked
    /// (`CURLOPT_RESOLVE`), so that the connection goes where the SSRF check said it may.
    var pinnedAddresses: [String] = []
    /// The protocols this transfer may use (`CURLOPT_PROTOCOLS_STR`).
    var allowedProtocols: String = "http,https"
    /// Responses larger than this fail the transfer.
    var maxResponseBytes: Int = 1 << 20
}

/// What came back from a finished transfer.
struct TransportResponse: Sendable {
    /// The HTTP status, or the last SMTP reply code.
    var status: Int
    /// The HTTP response's header lines (`Name: value`, trimmed, each ended by a line feed), or
    /// nothing for SMTP; ``headers`` parses them.
    var headerLines: [UInt8]
    var body: [UInt8]
    /// SMTP server reply lines, in order (empty for HTTP).
    var serverReplies: [String]
    /// The `Retry-After` the server asked for, in seconds, if any.
    var retryAfterSeconds: Int?
    /// The address the connection went to.
    var remoteAddress: String?
    /// How many new connections this transfer opened (0 when it reused one).
    var newConnections: Int

    /// HTTP response headers (names as received, values without leading blanks), in order.
    var headers: [(name: String, value: String)] {
        headerLines.split(separator: 0x0A).compactMap { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            var valueStart = colon + 1
            while valueStart < line.endIndex, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
            return (String(decoding: line[..<colon], as: UTF8.self), String(decoding: line[valueStart...], as: UTF8.self))
        }
    }

    func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// A transfer that did not complete.
struct TransportError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case timeout
        case resolve
        case connect
        case connectionLost
        case tls
        case authentication
        case invalidRequest
        case responseTooLarge
        case cancelled
        case shutdown
        case other
    }

    var kind: Kind
    /// libcurl's result code (0 when the error did not come from libcurl).
    var code: Int
    var message: String
    /// The last reply code the server sent before the failure (SMTP: 550 for a rejected recipient).
    var responseCode: Int?
    /// Reply lines the server sent (SMTP).
    var serverReplies: [String] = []

    var description: String {
        "\(message) (curl \(code)\(responseCode.map { ", reply \($0)" } ?? ""))"
    }
}
