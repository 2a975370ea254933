import Testing

@testable import HeraldChannels

struct AddressPolicyTests {
    @Test(arguments: [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:7f00:1::", "ff02::1",
    ])
    func nonPublicAddressesAreRefused(address: String) throws {
        let ip = try #require(IPAddress(address))
        #expect(AddressPolicy.publicOnly.refusal(ip) != nil)
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
    func publicAddressesPass(address: String) throws {
        let ip = try #require(IPAddress(address))
        #expect(AddressPolicy.publicOnly.refusal(ip) == nil)
    }

    @Test func allowedNetworksLetPrivateAddressesThrough() throws {
        let policy = AddressPolicy(allowedNetworks: [try #require(IPNetwork("127.0.0.0/8")), try #require(IPNetwork("::1/128"))])
        #expect(policy.refusal(try #require(IPAddress("127.0.0.1"))) == nil)
        #expect(policy.refusal(try #require(IPAddress("::ffff:127.0.0.1"))) == nil)
        #expect(policy.refusal(try #require(IPAddress("::1"))) == nil)
        #expect(policy.refusal(try #require(IPAddress("10.0.0.1"))) != nil)
    }

    @Test(arguments: ["10.0.0.0/33", "nonsense", "::1/129", "1.2.3/8"])
    func invalidNetworks(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/hook", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback address (embedded in ::ffff:127.0.0.1)"),
        ("http://localhost:8080/hook", "`localhost` resolves to"),
        ("http://2130706433/hook", "`2130706433` resolves to 127.0.0.1"),
        ("ftp://example.com/hook", "is not an http or https URL"),
        ("file:///etc/passwd", "is not an http or https URL"),
    ])
    func guardRefusesURLs(url: String, reason: String) async throws {
        let guardian = AddressGuard(policy: .publicOnly)
        let result = await guardian.check(url)
        guard case .failure(.permanent(let message)) = result else {
            Issue.record("expected a refusal for \(url), got \(result)")
            return
        }
        #expect(message.contains(reason), "\(message)")
    }

    @Test func guardPinsTheCheckedAddress() async throws {
        let guardian = AddressGuard(
            policy: AddressPolicy(allowedNetworks: [try #require(IPNetwork("127.0.0.0/8")), try #require(IPNetwork("::1/128"))]))
        let target = try await guardian.check("http://LOCALHOST:8080/x").get()
        #expect(target.host == "localhost")
        #expect(target.pin == "localhost:8080:\(target.address.isIPv4 ? target.address.description : "[\(target.address)]")")
        let literal = try await guardian.check("https://127.0.0.1/x").get()
        #expect(literal.pin == nil)
        #expect(literal.port == 443)
    }
}

struct PhoneNumberTests {
    @Test(arguments: [
        ("+14155550123", "+14155550123"), ("+44 20 7946 0958", "+442079460958"), ("+1 (415) 555-0123", "+14155550123"),
        ("+33.1.23.45.67.89", "+33123456789"),
    ])
    func valid(text: String, e164: String) throws {
        #expect(try PhoneNumber(text).e164 == e164)
    }

    @Test(arguments: ["4155550123", "+", "+0123456", "+1", "+1234567890123456", "+1415555abcd", "00 44 20 7946 0958", ""])
    func invalid(text: String) {
        #expect(throws: PhoneNumber.Invalid.self) { try PhoneNumber(text) }
    }
}
