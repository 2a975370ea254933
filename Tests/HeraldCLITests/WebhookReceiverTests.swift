import Foundation
import HeraldTestSupport
import Testing

/// The test receiver's own check, on the example of the Standard Webhooks specification's
/// reference libraries: it must accept that signature and refuse every way of getting it wrong
/// (the crash, cluster and send-test tests count on it).
struct WebhookReceiverTests {
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp = "1614265330"
    static let body = Array(#"{"test": 2432232314}"#.utf8)
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    static let now = 1_614_265_330.0 + 10

    @Test func theSpecificationsExampleVerifies() {
        let receiver = WebhookReceiver()
        #expect(receiver.problem(id: Self.id, timestamp: Self.timestamp, signature: Self.signature, body: Self.body, now: Self.now) == nil)
        // Among several signatures (secret rotation), one match is enough.
        let rotated = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + Self.signature
        #expect(receiver.problem(id: Self.id, timestamp: Self.timestamp, signature: rotated, body: Self.body, now: Self.now) == nil)
    }

    @Test(
        arguments: [
            ("tampered body", id, timestamp, signature, Array(#"{"test": 2432232315}"#.utf8), now),
            ("another id", "msg_other", timestamp, signature, body, now),
            ("another timestamp", id, "1614265331", signature, body, now),
            ("stale timestamp", id, timestamp, signature, body, now + 301),
            ("no v1 signature", id, timestamp, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body, now),
            ("prefix only", id, timestamp, "v1,", body, now),
            ("not base64", id, timestamp, "v1,!!!", body, now),
        ] as [(String, String, String, String, [UInt8], Double)])
    func wrongSignaturesAreRefused(what: String, id: String, timestamp: String, signature: String, body: [UInt8], now: Double) {
        let problem = WebhookReceiver().problem(id: id, timestamp: timestamp, signature: signature, body: body, now: now)
        #expect(problem != nil, "\(what) was accepted")
    }

    @Test func missingHeadersAreRefused() {
        let receiver = WebhookReceiver()
        #expect(receiver.problem(id: nil, timestamp: Self.timestamp, signature: Self.signature, body: Self.body, now: Self.now) != nil)
        #expect(receiver.problem(id: Self.id, timestamp: nil, signature: Self.signature, body: Self.body, now: Self.now) != nil)
        #expect(receiver.problem(id: Self.id, timestamp: Self.timestamp, signature: nil, body: Self.body, now: Self.now) != nil)
    }

    @Test func anotherSecretDoesNotVerify() {
        let receiver = WebhookReceiver(secret: "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=")
        #expect(receiver.problem(id: Self.id, timestamp: Self.timestamp, signature: Self.signature, body: Self.body, now: Self.now) != nil)
    }
}
