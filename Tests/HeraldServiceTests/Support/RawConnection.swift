import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the server under test, for clients no HTTP library would make:
/// half-sent heads, bodies that stop, silence. Non-blocking, and waits with `Task.sleep`, so a
/// test holding hundreds of them never blocks the cooperative threads the server also runs on.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private(set) var received: [UInt8] = []
    private(set) var closedByPeer = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: Int) throws {
        // `self.fd` is set last: once every stored property is set, a throwing init runs `deinit`,
        // which would close the descriptor a second time — and by then its number may belong to
        // someone else (an event loop's epoll or timer descriptor: the whole test process stalls).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect: \(message)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends all of `text` (waiting while the socket buffer is full); `false` if the peer closed.
    @discardableResult
    func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
            } else if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                try? await Task.sleep(for: .milliseconds(5))
            } else {
                return false
            }
        }
        return true
    }

    /// Reads what is there without waiting; notes when the peer closed (end of stream or reset).
    func poll() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !closedByPeer {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[0..<count]
            } else if count == 0 {
                closedByPeer = true
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else {
                closedByPeer = true  // ECONNRESET and friends: closed all the same
            }
        }
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Waits until the server closes the connection (or `timeout` seconds pass); `true` if it did.
    func waitUntilClosed(timeout: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            poll()
            if closedByPeer { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits until a whole response head has arrived; returns its status code.
    func waitForStatus(timeout: Double) async -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            poll()
            if let status = statusCode { return status }
            if closedByPeer { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// The status of the response received so far, once its status line is complete.
    var statusCode: Int? {
        let text = self.text
        guard text.hasPrefix("HTTP/1.1 "), text.contains("\r\n") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }
}
