import CCurl
import Foundation

/// One transfer's libcurl easy handle, buffers and continuation. Created by the submitting task,
/// then touched only by the event-loop thread.
final class CurlTransfer: @unchecked Sendable {
    let request: TransportRequest
    var continuation: CheckedContinuation<TransportResponse, any Error>?
    var cancelRequested = false
    /// The result, from the moment the transfer finished until its caller is resumed.
    private var outcome: Result<TransportResponse, any Error>?
    private(set) var handle: UnsafeMutableRawPointer?

    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var errorBuffer: UnsafeMutablePointer<CChar>?
    fileprivate var upload: [UInt8] = []
    fileprivate var uploadOffset = 0
    fileprivate var body: [UInt8] = []
    /// The current response's header lines, trimmed, each ended by a line feed: parsed only if
    /// someone asks (``TransportResponse/headers``), which for a 2xx nobody does.
    private(set) var headerLines: [UInt8] = []
    fileprivate var serverReplies: [String] = []
    fileprivate var tooLarge = false

    init(request: TransportRequest) {
        self.request = request
    }

    /// Configures `easy` (new, or reset after an earlier transfer) for this request.
    func start(on easy: UnsafeMutableRawPointer) throws {
        handle = easy
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
        self.errorBuffer = errorBuffer
        let me = Unmanaged.passUnretained(self).toOpaque()

        var status = CURLE_OK
        func set(_ code: CURLcode) {
            if status == CURLE_OK { status = code }
        }
        set(herald_curl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        set(herald_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(herald_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(herald_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeout.milliseconds))
        set(herald_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.milliseconds))
        set(herald_curl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        set(herald_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, request.allowedProtocols))
        // No proxy from the environment: a proxy would bypass the address pinning below.
        set(herald_curl_easy_setopt_string(easy, CURLOPT_PROXY, ""))
        set(herald_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        set(herald_curl_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody))
        set(herald_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        set(herald_curl_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader))
        set(herald_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me))
        if let caFile = request.caFile {
            set(herald_curl_easy_setopt_string(easy, CURLOPT_CAINFO, caFile))
        }
        if let username = request.username {
            set(herald_curl_easy_setopt_string(easy, CURLOPT_USERNAME, username))
        }
        if let password = request.password {
            set(herald_curl_easy_setopt_string(easy, CURLOPT_PASSWORD, password.value))
        }
        if !request.pinnedAddresses.isEmpty {
            set(herald_curl_easy_setopt_slist(easy, CURLOPT_RESOLVE, list(request.pinnedAddresses)))
        }

        switch request.payload {
        case .http(let method, let headerFields, let requestBody):
            var lines = headerFields.map { "\($0.name): \($0.value)" }
            // No `Expect: 100-continue` round trip for bodies over 1 KiB.
            lines.append("Expect:")
            set(herald_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list(lines)))
            switch method {
            case "GET":
                set(herald_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            case "HEAD":
                set(herald_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
            default:
                set(herald_curl_easy_setopt_long(easy, CURLOPT_POST, 1))
                set(herald_curl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count)))
                requestBody.withUnsafeBytes { bytes in
                    // COPYPOSTFIELDS copies, so the Swift array need not outlive this call.
                    set(
                        herald_curl_easy_setopt_pointer(
                            easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)))
                }
                if method != "POST" {
                    set(herald_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
                }
            }
        case .smtp(let from, let recipients, let message):
            upload = message
            set(herald_curl_easy_setopt_string(easy, CURLOPT_MAIL_FROM, "<\(from)>"))
            set(herald_curl_easy_setopt_slist(easy, CURLOPT_MAIL_RCPT, list(recipients.map { "<\($0)>" })))
            set(herald_curl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1))
            set(herald_curl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count)))
            set(herald_curl_easy_setopt_callback(easy, CURLOPT_READFUNCTION, curlReadUpload))
            set(herald_curl_easy_setopt_pointer(easy, CURLOPT_READDATA, me))
            let useSSL: curl_usessl =
                switch request.smtpSecurity {
                case .none: CURLUSESSL_NONE
                case .opportunistic: CURLUSESSL_TRY
                case .required: CURLUSESSL_ALL
                }
            set(herald_curl_easy_setopt_long(easy, CURLOPT_USE_SSL, Int(useSSL.rawValue)))
        }
        if status != CURLE_OK {
            throw TransportError(
                kind: .invalidRequest, code: Int(status.rawValue),
                message: "libcurl refused an option: \(String(cString: curl_easy_strerror(status)))")
        }
    }

    private func list(_ strings: [String]) -> UnsafeMutablePointer<curl_slist>? {
        var head: UnsafeMutablePointer<curl_slist>?
        for string in strings {
            head = curl_slist_append(head, string)
        }
        if let head { lists.append(head) }
        return head
    }

    /// Collects the outcome of a transfer libcurl reported done; returns the easy handle. The
    /// caller is not resumed yet: the loop calls ``resumeCaller()`` once it has read every
    /// transfer that finished in this turn (see `CurlEventLoop.run`).
    func complete(_ result: CURLcode) -> UnsafeMutableRawPointer? {
        guard let easy = handle else { return nil }
        var status = 0
        _ = herald_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        if result != CURLE_OK {
            let detail = errorBuffer.map { String(cString: $0) } ?? ""
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            var kind = TransportError.Kind(result)
            if tooLarge { kind = .responseTooLarge }
            return finish(
                resumingLater: .failure(
                    TransportError(
                        kind: kind, code: Int(result.rawValue), message: message, responseCode: status == 0 ? nil : status,
                        serverReplies: serverReplies)))
        }
        var retryAfter: curl_off_t = 0
        _ = herald_curl_easy_getinfo_off_t(easy, CURLINFO_RETRY_AFTER, &retryAfter)
        var connects = 0
        _ = herald_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        var ip: UnsafeMutablePointer<CChar>?
        _ = herald_curl_easy_getinfo_string(easy, CURLINFO_PRIMARY_IP, &ip)
        let response = TransportResponse(
            status: status,
            headerLines: headerLines,
            body: body,
            serverReplies: serverReplies,
            retryAfterSeconds: retryAfter > 0 ? Int(retryAfter) : nil,
            remoteAddress: ip.map { String(cString: $0) },
            newConnections: connects
        )
        return finish(resumingLater: .success(response))
    }

    /// Releases this transfer's libcurl resources and resumes the waiting task, once. The easy
    /// handle, if any, is handed back for reuse (its connection stays in the multi handle's pool).
    @discardableResult
    func finish(_ result: Result<TransportResponse, any Error>) -> UnsafeMutableRawPointer? {
        let easy = finish(resumingLater: result)
        resumeCaller()
        return easy
    }

    /// Releases this transfer's libcurl resources and keeps `result` for ``resumeCaller()``.
    func finish(resumingLater result: Result<TransportResponse, any Error>) -> UnsafeMutableRawPointer? {
        let easy = handle
        handle = nil
        for list in lists { curl_slist_free_all(list) }
        lists.removeAll()
        errorBuffer?.deallocate()
        errorBuffer = nil
        if outcome == nil { outcome = result }
        return easy
    }

    /// Resumes the waiting task with the outcome kept by `finish`, once.
    func resumeCaller() {
        guard let continuation, let outcome else { return }
        self.continuation = nil
        continuation.resume(with: outcome)
    }

    /// Keeps one header line as libcurl handed it over (SMTP: a server reply).
    func appendHeaderLine(_ line: UnsafeRawBufferPointer) {
        var start = 0
        var end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, line[end - 1] == 0x0d || line[end - 1] == 0x0a || line[end - 1] == 0x20 { end -= 1 }
        guard start < end else { return }
        let trimmed = UnsafeRawBufferPointer(rebasing: line[start..<end])
        if case .smtp = request.payload {
            serverReplies.append(String(decoding: trimmed, as: UTF8.self))
            return
        }
        if trimmed.starts(with: "HTTP/".utf8) {
            headerLines.removeAll(keepingCapacity: true)  // a new response (after 100 Continue, say)
            return
        }
        guard trimmed.contains(UInt8(ascii: ":")) else { return }
        headerLines.append(contentsOf: trimmed)
        headerLines.append(0x0A)
    }
}

private let curlWriteBody: herald_curl_data_callback = { buffer, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    if transfer.body.count + length > transfer.request.maxResponseBytes {
        transfer.tooLarge = true
        return 0
    }
    if let buffer, length > 0 {
        transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
    }
    return length
}

private let curlWriteHeader: herald_curl_data_callback = { buffer, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let length = size * count
    if let buffer, length > 0 {
        transfer.appendHeaderLine(UnsafeRawBufferPointer(start: buffer, count: length))
    }
    return length
}

private let curlReadUpload: herald_curl_data_callback = { buffer, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    guard let buffer else { return 0 }
    let length = min(size * count, transfer.upload.count - transfer.uploadOffset)
    if length > 0 {
        transfer.upload.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress! + transfer.uploadOffset, byteCount: length)
        }
        transfer.uploadOffset += length
    }
    return length
}

extension TransportError.Kind {
    init(_ code: CURLcode) {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: self = .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: self = .resolve
        case CURLE_COULDNT_CONNECT: self = .connect
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY:
            self = .connectionLost
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            self = .tls
        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR: self = .authentication
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT: self = .invalidRequest
        default: self = .other
        }
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 (libcurl reads 0 as "no timeout").
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
