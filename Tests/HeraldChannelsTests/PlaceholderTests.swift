import Testing
@testable import HeraldChannels

@Test func placeholder() { #expect(Bool(true)) }
