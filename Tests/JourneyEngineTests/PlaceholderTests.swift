import Testing
@testable import JourneyEngine

@Test func placeholder() { #expect(Bool(true)) }
