import Foundation
import HeraldPostgres
import JourneyEngine
import JourneyLanguage
import Testing

/// Revisions and the input log on every backend (memory, SQLite, PostgreSQL).
@Suite struct RevisionStoreTests {
    static func files(_ welcome: String = "journey welcome") -> [RevisionFile] {
        [
            RevisionFile(path: "welcome.journey", contents: welcome),
            RevisionFile(path: "messages/hello/sms.mustache", contents: "Hi {{first_name}}"),
        ]
    }

    @Test(arguments: StoreBackend.available)
    func deployingNewContentNumbersRevisionsAndTheSameContentAddsNone(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, _ in
            #expect(try await store.currentRevisionNumber() == nil)
            #expect(try await store.revisions(before: nil, limit: 10).isEmpty)

            let first = try await store.recordRevision(RevisionDraft(files: Self.files(), note: nil, source: "startup"), at: 1_000)
            #expect(first.created && first.revision.number == 1)
            // The same files in another order are the same content: no new revision.
            let same = try await store.recordRevision(
                RevisionDraft(files: Self.files().reversed(), note: "again", source: "reload"), at: 2_000)
            #expect(!same.created)
            #expect(same.revision.number == 1 && same.revision.createdAt == 1_000 && same.revision.note == nil)

            let second = try await store.recordRevision(
                RevisionDraft(files: Self.files("journey welcome2"), note: "copy change", source: "reload"), at: 3_000)
            #expect(second.created && second.revision.number == 2)
            let restored = try await store.recordRevision(
                RevisionDraft(files: Self.files(), note: nil, source: "restore", restoredFrom: 1), at: 4_000)
            #expect(restored.created && restored.revision.number == 3)
            #expect(restored.revision.contentHash == first.revision.contentHash)

            #expect(try await store.currentRevisionNumber() == 3)
            let listed = try await store.revisions(before: nil, limit: 10)
            #expect(listed.map(\.number) == [3, 2, 1])
            #expect(listed.allSatisfy { $0.files.isEmpty })
            #expect(listed[0].restoredFrom == 1 && listed[0].source == "restore")
            #expect(listed[1].note == "copy change")
            #expect(try await store.revisions(before: 3, limit: 1).map(\.number) == [2])

            let stored = try #require(try await store.revision(2))
            #expect(stored.files == Self.files("journey welcome2").sorted { $0.path < $1.path })
            #expect(stored.createdAt == 3_000 && stored.source == "reload")
            #expect(try await store.revision(4) == nil)
        }
    }

    @Test(arguments: StoreBackend.durable)
    func revisionsSurviveAReopen(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, subject in
            _ = try await store.recordRevision(RevisionDraft(files: Self.files(), note: "first", source: "startup"), at: 1_000)
            let reopen = try #require(subject.reopen)
            let reopened = try await reopen()
            defer { (reopened as? PostgresJourneyStore)?.close() }
            #expect(try await reopened.currentRevisionNumber() == 1)
            #expect(try await reopened.revision(1)?.files.count == 2)
        }
    }

    @Test func theContentHashIsStableOverOrderAndSeesEveryByte() {
        let a = RevisionFile(path: "a.journey", contents: "ab")
        let b = RevisionFile(path: "b.journey", contents: "c")
        #expect(JourneyRevision.contentHash(of: [a, b]) == JourneyRevision.contentHash(of: [b, a]))
        // Moving a byte from one file to the next changes the hash (lengths are part of it).
        let moved = [RevisionFile(path: "a.journey", contents: "a"), RevisionFile(path: "b.journey", contents: "bc")]
        #expect(JourneyRevision.contentHash(of: [a, b]) != JourneyRevision.contentHash(of: moved))
        #expect(JourneyRevision.contentHash(of: [a]) != JourneyRevision.contentHash(of: [RevisionFile(path: "c.journey", contents: "ab")]))
        #expect(JourneyRevision.contentHash(of: []).count == 64)
    }

    // MARK: Input log

    static func profile(_ id: String, customer: String, at: Double) -> InboxItem {
        InboxItem(
            id: id, customerID: customer, payload: .profile(CustomerProfile(id: customer, email: "\(customer)@example.com")),
            acceptedAt: at)
    }

    @Test(arguments: StoreBackend.available)
    func theInputLogKeepsWhatWasAcceptedInOrder(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, _ in
            _ = try await store.enqueue([
                StoreConformanceTests.event("e1", customer: "c1", at: 1_000), Self.profile("p1", customer: "c2", at: 1_000),
            ])
            // A duplicate is acknowledged but not logged again; a delivery outcome is not an input.
            _ = try await store.enqueue([StoreConformanceTests.event("e1", customer: "c1", at: 1_500)])
            _ = try await store.enqueue([
                InboxItem(
                    id: "d1", customerID: "c1", payload: .deliveryOutcome(messageID: "m1", delivered: true, detail: ""), acceptedAt: 1_600)
            ])
            _ = try await store.enqueue([StoreConformanceTests.event("e2", customer: "c1", at: 2_000)])

            let all = try await store.inputLog(since: nil, until: nil, after: nil, limit: 100)
            #expect(all.map(\.acceptedAt) == [1_000, 1_000, 2_000])
            #expect(all.map(\.customerID) == ["c1", "c2", "c1"])
            #expect(all[0].sequence < all[1].sequence)
            guard case .event(let event) = all[0].payload else {
                Issue.record("expected an event")
                return
            }
            #expect(event.id == "e1")
            guard case .profile(let profile) = all[1].payload else {
                Issue.record("expected a profile")
                return
            }
            #expect(profile.email == "c2@example.com")

            // [since, until) and keyset paging.
            #expect(try await store.inputLog(since: 1_000, until: 2_000, after: nil, limit: 100).count == 2)
            #expect(try await store.inputLog(since: 1_001, until: nil, after: nil, limit: 100).map(\.acceptedAt) == [2_000])
            let page = try await store.inputLog(since: nil, until: nil, after: nil, limit: 1)
            let next = try await store.inputLog(since: nil, until: nil, after: page[0].position, limit: 2)
            #expect(next.map(\.customerID) == ["c2", "c1"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func anErasureLeavesOnlyItsOwnEntryForThatCustomer(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, _ in
            _ = try await store.enqueue([
                StoreConformanceTests.event("e1", customer: "c1", at: 1_000), Self.profile("p1", customer: "c1", at: 1_000),
                StoreConformanceTests.event("e2", customer: "c2", at: 1_000),
            ])
            // Erasure in a batch after an earlier input of the same batch: that input goes too.
            _ = try await store.enqueue([
                StoreConformanceTests.event("e3", customer: "c1", at: 2_000),
                InboxItem(id: "x1", customerID: "c1", payload: .erase, acceptedAt: 2_000),
            ])
            let log = try await store.inputLog(since: nil, until: nil, after: nil, limit: 100)
            // The erasure is logged under a pseudonym: the id leaves the store with the customer.
            #expect(log.map(\.customerID) == ["c2", InputLogEntry.erasedCustomerID("c1")])
            #expect(InputLogEntry.erasedCustomerID("c1") == "erased-" + SHA256.hex("c1"))
            #expect(log.last?.payload == .erase)
            // Inputs accepted after the erasure are logged again.
            _ = try await store.enqueue([StoreConformanceTests.event("e4", customer: "c1", at: 3_000)])
            #expect(try await store.inputLog(since: nil, until: nil, after: nil, limit: 100).count == 3)
        }
    }

    @Test(arguments: StoreBackend.available)
    func retentionPrunesTheInputLog(_ backend: StoreBackend) async throws {
        try await StoreConformanceTests.withStore(backend) { store, _, _ in
            _ = try await store.enqueue([
                StoreConformanceTests.event("e1", customer: "c1", at: 1_000), StoreConformanceTests.event("e2", customer: "c1", at: 50_000),
            ])
            let report = try await store.prune(RetentionPolicy(inputs: 10_000), now: 55_000)
            #expect(report.inputs == 1)
            #expect(try await store.inputLog(since: nil, until: nil, after: nil, limit: 100).map(\.acceptedAt) == [50_000])
        }
    }
}
