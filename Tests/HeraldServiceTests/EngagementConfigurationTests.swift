import Foundation
import HTTPTypes
import HeraldService
import HeraldTestSupport
import Testing
import Yams

/// The `engagement` configuration section: read from YAML, refused with a clear message when it
/// cannot work, and endpoints whose key is missing answer 404 naming the setting.
struct EngagementConfigurationTests {
    @Test func theSectionIsReadFromYAML() throws {
        let yaml = """
            engagement:
              public_url: https://herald.example.com
              link_secret: 0123456789abcdef0123
              click_tracking: true
              mailgun_signing_key: key-1
              twilio_auth_token: tok-1
              timestamp_tolerance_seconds: 60
            """
        let configuration = try YAMLDecoder().decode(ServiceConfiguration.self, from: yaml)
        try configuration.validate()
        #expect(configuration.engagement.publicURL == "https://herald.example.com")
        #expect(configuration.engagement.clickTracking)
        #expect(configuration.engagement.mailgunSigningKey == "key-1" && configuration.engagement.twilioAuthToken == "tok-1")
        #expect(configuration.engagement.timestampToleranceSeconds == 60)
        #expect(!ServiceConfiguration().engagement.clickTracking, "click tracking is off by default")
    }

    @Test(arguments: [
        ("link_secret: short\n  public_url: https://h.example", "at least 16 characters"),
        ("link_secret: 0123456789abcdef0123", "engagement.public_url must be set"),
        ("click_tracking: true\n  public_url: https://h.example", "needs engagement.link_secret"),
        ("timestamp_tolerance_seconds: 0", "must be positive"),
    ])
    func aSectionThatCannotWorkIsRefused(section: String, message: String) throws {
        let configuration = try YAMLDecoder().decode(ServiceConfiguration.self, from: "engagement:\n  \(section)\n")
        let error = #expect(throws: ServiceConfiguration.Invalid.self) { try configuration.validate() }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test func endpointsWithoutTheirKeyAnswer404NamingTheSetting() async throws {
        try await TestServer.withServer { port, _ in
            let mailgun = try await HTTPCall.send(port: port, .post, "/v1/providers/mailgun", body: "{}", apiKey: nil)
            #expect(mailgun.status == 404 && mailgun.body.contains("engagement.mailgun_signing_key"), "\(mailgun.body)")
            let twilio = try await HTTPCall.send(port: port, .post, "/v1/providers/twilio", body: "", apiKey: nil)
            #expect(twilio.status == 404 && twilio.body.contains("engagement.twilio_auth_token"), "\(twilio.body)")
            let link = try await HTTPCall.send(port: port, .get, "/c/abc.def", apiKey: nil)
            #expect(link.status == 404 && link.headers[.location] == nil, "\(link.body)")
        }
    }
}
