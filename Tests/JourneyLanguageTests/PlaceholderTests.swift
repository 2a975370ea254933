import Testing
@testable import JourneyLanguage

@Test func placeholder() { #expect(Bool(true)) }
