import Testing
@testable import HeraldSimulation

@Test func placeholder() { #expect(Bool(true)) }
