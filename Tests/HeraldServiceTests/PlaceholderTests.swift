import Testing
@testable import HeraldService

@Test func placeholder() { #expect(Bool(true)) }
