import Foundation
import JourneyEngine
import JourneyLanguage
import Testing

/// Every backend counts the instances waiting at each step (what `herald plan` reports) exactly as
/// the engine left them in the aggregates it committed, across pages of customers.
extension StoreConformanceTests {
    static let stepsJourney = """
        journey steps "steps"
          trigger on event "go"
          entry always

          wait for event "first" up to 30 days
          wait for event "second" up to 30 days
          wait 30 days
          exit "done"
        """

    @Test(arguments: StoreBackend.available)
    func waitingInstancesAreCountedPerJourneyVersionAndStep(_ backend: StoreBackend) async throws {
        let compilation = JourneyCompiler.compile(sources: ["steps.journey": Self.stepsJourney])
        let catalog = try #require(compilation.catalog, "\(compilation.diagnostics)")
        let engine = JourneyEngine(catalog: catalog)
        try await Self.withStore(backend) { store, ownership, _ in
            let counting = try #require(store as? any WaitingInstanceCounting)
            #expect(try await counting.waitingInstances().isEmpty)
            // 2,100 customers (more than one page): a third at each of the three waits, and every
            // tenth finished (exited, not waiting).
            var commits: [CustomerCommit] = []
            var expected: [String: Int] = [:]
            for n in 0..<2_100 {
                let id = String(format: "c%05d", n)
                var state = CustomerState(profile: CustomerProfile(id: id))
                var names = ["go"]
                if n % 3 >= 1 { names.append("first") }
                if n % 3 == 2 { names.append("second") }
                for (k, name) in names.enumerated() {
                    _ = engine.handle(
                        .event(CustomerEvent(id: "\(id)-\(k)", customerID: id, name: name, timestamp: 1_000)), state: &state, now: 1_000)
                }
                if n % 10 == 0 { _ = engine.handle(.wake, state: &state, now: 1_000 + 100 * 86_400) }
                for instance in state.instances where instance.isActive { expected[instance.step, default: 0] += 1 }
                commits.append(
                    CustomerCommit(
                        customerID: id, at: 1_000, lease: Self.lease(ownership, id), expectedVersion: 0,
                        change: .save(state, nextWakeAt: state.nextWakeAt)))
            }
            for start in stride(from: 0, to: commits.count, by: 500) {
                try await store.commit(Array(commits[start..<min(start + 500, commits.count)]))
            }
            let counted = try await counting.waitingInstances()
            #expect(expected.count == 3 && expected.values.reduce(0, +) == 2_100 - 210)
            #expect(Set(counted.map(\.journey)) == ["steps"])
            #expect(Set(counted.map(\.version)) == [catalog.journeys[0].version])
            #expect(Dictionary(uniqueKeysWithValues: counted.map { ($0.step, $0.count) }) == expected)
        }
    }
}
