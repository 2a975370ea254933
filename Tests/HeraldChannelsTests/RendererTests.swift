import Foundation
import JourneyLanguage
import Testing

@testable import HeraldChannels

struct RendererTests {
    static let context = TemplateContext(
        customer: [
            "id": "c42", "first_name": "Ada", "last_name": "O'Hara & <Co>", "email": "ada@example.com", "vip": true,
            "orders": [["sku": "A1"], ["sku": "B2"]],
        ],
        event: ["total": 42, "price": 19.99, "note": "say \"hi\"\nthen leave"],
        journey: ["name": "welcome", "step": "intro"]
    )

    /// Writes one message folder and returns a renderer over it.
    func renderer(_ files: [String: String], name: String = "welcome") throws -> (MessageRenderer, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        for (file, text) in files {
            try directory.write("messages/\(name)/\(file)", text)
        }
        return (MessageRenderer(journeysDirectory: directory.path), directory)
    }

    @Test func rendersEmailEscapingHTMLOnlyInTheHTMLBody() throws {
        let (renderer, directory) = try renderer([
            "subject.mustache": "Hi {{customer.first_name}} {{customer.last_name}}\n",
            "body.html.mustache": "<p>{{customer.last_name}}</p>{{#customer.orders}}<li>{{sku}}</li>{{/customer.orders}}",
            "body.txt.mustache": "{{customer.last_name}} spent {{event.total}} ({{event.price}})",
        ])
        defer { directory.remove() }
        let content = try renderer.render("welcome", for: .email, context: Self.context)
        guard case .email(let email) = content else {
            Issue.record("not an email")
            return
        }
        #expect(email.subject == "Hi Ada O'Hara & <Co>")
        #expect(email.html == "<p>O&#39;Hara &amp; &lt;Co&gt;</p><li>A1</li><li>B2</li>")
        #expect(email.text == "O'Hara & <Co> spent 42 (19.99)")
    }

    @Test(arguments: [
        ("Hi {{customer.frist_name}}", "subject.mustache:1:4: error: missing variable `customer.frist_name`; did you mean `customer.first_name`?"),
        ("Hi\n  {{custmer.first_name}}", "subject.mustache:2:3: error: missing variable `custmer.first_name`; did you mean `customer.first_name`?"),
        (
            "{{event.coupon}}",
            "subject.mustache:1:1: error: missing variable `event.coupon`; add it to the data or guard it with {{#event.coupon}}…{{/event.coupon}}"
        ),
        ("{{#customer.orders}}{{colour}}{{/customer.orders}}", "subject.mustache:1:21: error: missing variable `colour`"),
        ("{{#customer.vip}}{{customer.tier}}{{/customer.vip}}", "subject.mustache:1:18: error: missing variable `customer.tier`"),
    ])
    func reportsMissingVariables(template: String, expected: String) throws {
        let (renderer, directory) = try renderer(["subject.mustache": template, "body.txt.mustache": "x"])
        defer { directory.remove() }
        let error = try #require(throws: TemplateError.self) {
            try renderer.render("welcome", for: .email, context: Self.context)
        }
        #expect(error.code == .missingVariable)
        #expect(error.description.hasSuffix(expected) || error.description.contains(expected), "\(error)")
    }

    @Test(arguments: [
        "{{#event.coupon}}{{event.coupon.code}}{{/event.coupon}}ok",
        "{{^customer.vip}}{{customer.tier}}{{/customer.vip}}ok",
        "{{#customer.nothing}}{{missing}}{{/customer.nothing}}ok",
        "{{! a comment }}ok",
    ])
    func missingVariablesInSectionsThatDoNotRenderAreFine(template: String) throws {
        let (renderer, directory) = try renderer(["sms.mustache": template])
        defer { directory.remove() }
        #expect(try renderer.render("welcome", for: .sms, context: Self.context) == .sms(SMSContent(text: "ok")))
    }

    @Test func webhookPayloadEscapesValuesForJSON() throws {
        let (renderer, directory) = try renderer([
            "webhook.json.mustache": #"{"type": "{{journey.name}}", "note": "{{event.note}}", "total": {{event.total}}}"#
        ])
        defer { directory.remove() }
        guard case .webhook(let webhook) = try renderer.render("welcome", for: .webhook, context: Self.context) else {
            Issue.record("not a webhook")
            return
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(webhook.payload)) as? [String: Any])
        #expect(object["note"] as? String == "say \"hi\"\nthen leave")
        #expect(object["total"] as? Int == 42)
    }

    @Test func invalidWebhookJSONIsAnError() throws {
        let (renderer, directory) = try renderer(["webhook.json.mustache": #"{"total": {{event.total}},}"#])
        defer { directory.remove() }
        let error = try #require(throws: TemplateError.self) { try renderer.render("welcome", for: .webhook, context: Self.context) }
        #expect(error.code == .invalidJSON)
    }

    @Test(arguments: [
        ("{{#customer.vip}}unclosed", TemplateError.Code.syntax, "never closed"),
        ("{{customer.first_name", .syntax, "never closed"),
        ("{{/customer.vip}}", .syntax, "unexpected closing tag"),
        ("   ", .emptyOutput, "rendered empty"),
    ])
    func badTemplatesAreReported(template: String, code: TemplateError.Code, message: String) throws {
        let (renderer, directory) = try renderer(["sms.mustache": template])
        defer { directory.remove() }
        let error = try #require(throws: TemplateError.self) { try renderer.render("welcome", for: .sms, context: Self.context) }
        #expect(error.code == code)
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func unknownMessageSuggestsAName() throws {
        let (renderer, directory) = try renderer(["sms.mustache": "hi"])
        defer { directory.remove() }
        let error = try #require(throws: TemplateError.self) { try renderer.render("welcom", for: .sms, context: Self.context) }
        #expect(error.code == .messageNotFound)
        #expect(error.message.contains("did you mean `welcome`?"))
        let other = try #require(throws: TemplateError.self) { try renderer.render("welcome", for: .email, context: Self.context) }
        #expect(other.code == .channelNotAvailable)
        #expect(try renderer.channels(for: "welcome") == [.sms])
        #expect(throws: TemplateError.self) { try renderer.render("../etc", for: .sms, context: Self.context) }
    }

    @Test(arguments: [
        ("Hello", SMSSegmentCount.Encoding.gsm7, 1, 5),
        (String(repeating: "a", count: 160), .gsm7, 1, 160),
        (String(repeating: "a", count: 161), .gsm7, 2, 161),
        (String(repeating: "€", count: 80), .gsm7, 1, 160),
        (String(repeating: "€", count: 81), .gsm7, 2, 162),
        (String(repeating: "a", count: 306), .gsm7, 2, 306),
        (String(repeating: "a", count: 307), .gsm7, 3, 307),
        ("Привет", .ucs2, 1, 6),
        (String(repeating: "ж", count: 70), .ucs2, 1, 70),
        (String(repeating: "ж", count: 71), .ucs2, 2, 71),
        (String(repeating: "😀", count: 35), .ucs2, 1, 70),
        (String(repeating: "😀", count: 36), .ucs2, 2, 72),
    ])
    func smsSegments(text: String, encoding: SMSSegmentCount.Encoding, segments: Int, units: Int) {
        let count = SMSSegmentCount(text)
        #expect(count.encoding == encoding)
        #expect(count.segments == segments)
        #expect(count.units == units)
    }
}
