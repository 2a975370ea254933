import Foundation
import Synchronization

/// The console's signed-in sessions, kept in memory (a restart signs everyone out): a random
/// session token in an HttpOnly, SameSite=Strict cookie, and a per-session CSRF token that every
/// state-changing form sends back. Sessions expire `lifetime` seconds after sign-in.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        var csrf: String
        var expires: Double
    }

    static let cookieName = "herald_console"
    let lifetime: Double
    private let sessions = Mutex<[String: Session]>([:])

    init(lifetime: Double = 8 * 3_600) { self.lifetime = lifetime }

    /// Starts a session; returns its token and CSRF token.
    func start(now: Double) -> (token: String, csrf: String) {
        let token = Self.randomToken()
        let csrf = Self.randomToken()
        sessions.withLock { table in
            table = table.filter { $0.value.expires > now }  // forget the expired ones
            table[token] = Session(csrf: csrf, expires: now + lifetime)
        }
        return (token, csrf)
    }

    /// The live session for `token`, if any.
    func session(_ token: String?, now: Double) -> Session? {
        guard let token, !token.isEmpty else { return nil }
        return sessions.withLock { table in
            guard let session = table[token] else { return nil }
            if session.expires <= now {
                table[token] = nil
                return nil
            }
            return session
        }
    }

    func end(_ token: String) { _ = sessions.withLock { $0.removeValue(forKey: token) } }

    /// 32 random bytes, hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The `Set-Cookie` value for a session (or, with `token` nil, one that clears it).
    func cookie(_ token: String?) -> String {
        let value = token ?? ""
        let age = token == nil ? 0 : Int(lifetime)
        return "\(Self.cookieName)=\(value); Path=/console; HttpOnly; SameSite=Strict; Max-Age=\(age)"
    }
}
