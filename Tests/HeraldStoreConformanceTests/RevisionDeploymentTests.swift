import Foundation
import HeraldPostgres
import HeraldService
import HeraldTestSupport
import JourneyEngine
import JourneyLanguage
import Testing

/// The journey registry on every store: reloads and restores record revisions, and a second node
/// on the same store deploys the current revision from the store (what housekeeping does).
@Suite struct RevisionDeploymentTests {
    static func journeys(_ step: String) -> JourneyFixture {
        JourneyFixture(
            journeys: [
                "policy": "policy\n  time zone \"UTC\"\n",
                "welcome": JourneyFixture.journey("welcome", on: "signed_up", steps: [step]),
            ],
            webhooks: ["hello": #"{"customer": "{{customer.id}}"}"#])
    }

    static func withDirectories(_ body: (URL, URL) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("herald-revisions-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try await body(root.appendingPathComponent("a"), root.appendingPathComponent("b"))
    }

    @Test(arguments: StoreBackend.available)
    func aSecondNodeDeploysTheRevisionAnotherNodeRecorded(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, subject in
            try await Self.withDirectories { a, b in
                try Self.journeys("send webhook hello transactional").write(to: a)
                try Self.journeys("send webhook hello transactional").write(to: b)
                // Node B has its own connection to the same database (the memory store is shared as is).
                let storeB = try await subject.reopen?() ?? store
                defer { (storeB as? PostgresJourneyStore)?.close() }
                let nodeA = JourneyRegistry(directory: a.path, store: store, clock: .system)
                let nodeB = JourneyRegistry(directory: b.path, store: storeB, clock: .system)
                let startA = try await nodeA.reload(source: "startup")
                let startB = try await nodeB.reload(source: "startup")
                #expect(startA.revisionCreated && startA.revision?.number == 1)
                #expect(!startB.revisionCreated && startB.revision?.number == 1, "the same files on both nodes are one revision")
                #expect(try await nodeB.refreshRevision() == nil)

                // Node A deploys a change; node B picks it up from the store, not from its directory.
                try Self.journeys("exit \"changed\"").write(to: a)
                let changed = try await nodeA.reload(note: "exit at once")
                #expect(changed.revisionCreated && changed.revision?.number == 2)
                let picked = try await nodeB.refreshRevision()
                #expect(picked?.number == 2)
                #expect(nodeB.current?.revision?.number == 2)
                #expect(nodeB.current?.catalog.journey(named: "welcome")?.version == nodeA.current?.catalog.journey(named: "welcome")?.version)
                #expect(try await nodeB.refreshRevision() == nil, "deployed once")

                // A restore on B (a rollback to revision 1) reaches A the same way.
                let restored = try await nodeB.restore(1, note: "roll back")
                #expect(restored.revisionCreated && restored.revision?.number == 3 && restored.revision?.restoredFrom == 1)
                #expect(restored.journeys.first { $0.name == "welcome" }?.status == "changed")
                #expect(try await nodeA.refreshRevision()?.number == 3)
                #expect(nodeA.current?.catalog.journey(named: "welcome")?.version == startA.journeys.first { $0.name == "welcome" }?.version)
                let listed = try await store.revisions(before: nil, limit: 10)
                #expect(listed.map(\.source) == ["restore", "reload", "startup"])
                #expect(listed[1].note == "exit at once" && listed[0].note == "roll back")
            }
        }
    }

    @Test(arguments: StoreBackend.available)
    func restoringARevisionThatNoLongerChecksIsRefusedAndChangesNothing(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, _ in
            try await Self.withDirectories { a, _ in
                try Self.journeys("send webhook hello transactional").write(to: a)
                let node = JourneyRegistry(directory: a.path, store: store, clock: .system)
                try await node.reload(source: "startup")
                // A revision whose files this build refuses (as an older Herald might have stored).
                let broken = try await store.recordRevision(
                    RevisionDraft(
                        files: [
                            RevisionFile(
                                path: "welcome.journey", contents: "journey welcome \"w\"\n  trigger on event \"x\"\n  send carrier_pigeon hi\n")
                        ],
                        note: nil, source: "reload"),
                    at: 2_000)
                await #expect(throws: JourneyRegistry.Refused.self) { try await node.restore(broken.revision.number) }
                do {
                    try await node.restore(broken.revision.number)
                } catch let refused as JourneyRegistry.Refused {
                    #expect(refused.diagnostics.first?.file == "revision 2/welcome.journey", "\(refused.diagnostics)")
                }
                await #expect(throws: JourneyRegistry.Refused.self) { try await node.refreshRevision() }
                await #expect(throws: JourneyRegistry.UnknownRevision.self) { try await node.restore(99) }
                #expect(node.current?.revision?.number == 1)
                #expect(try await store.currentRevisionNumber() == 2, "nothing was recorded")
            }
        }
    }
}
