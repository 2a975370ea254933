import JourneyLanguage

/// One accepted input as the input log keeps it: a profile update, an event or an erasure, with
/// the time the store accepted it. The stores write it in the transaction that accepts the inbox
/// row, so the log holds exactly what was acknowledged; an erasure replaces the customer's earlier
/// entries with one erasure entry, logged under ``erasedCustomerID(_:)``. `herald export` and `GET /v1/inputs/export` read it (the
/// NDJSON format is in docs/service.md, "Input log").
public struct InputLogEntry: Sendable, Hashable {
    /// The inbox sequence the input was accepted at (orders entries accepted at the same time).
    public var sequence: Int64
    public var acceptedAt: Double
    public var customerID: String
    /// `.profile`, `.event` or `.erase` (delivery outcomes are the service's own and not logged).
    public var payload: InboxPayload

    public init(sequence: Int64, acceptedAt: Double, customerID: String, payload: InboxPayload) {
        self.sequence = sequence
        self.acceptedAt = acceptedAt
        self.customerID = customerID
        self.payload = payload
    }

    /// Whether an inbox payload of this kind goes into the input log.
    public static func logs(_ payload: InboxPayload) -> Bool {
        switch payload {
        case .profile, .event, .erase: true
        case .deliveryOutcome: false
        }
    }

    /// The customer id an erasure entry is logged under: `erased-` and the SHA-256 (hex) of the
    /// erased id. The id itself leaves the store with the customer (docs/service.md, "Erasure");
    /// whoever knows it can still check that, and when, it was erased.
    public static func erasedCustomerID(_ customerID: String) -> String {
        "erased-" + SHA256.hex(customerID)
    }

    /// Where a page of the log ends: entries strictly after it come next.
    public var position: InputLogPosition { InputLogPosition(acceptedAt: acceptedAt, sequence: sequence) }
}

/// A position in the input log's `(accepted time, sequence)` order, for keyset paging.
public struct InputLogPosition: Sendable, Hashable {
    public var acceptedAt: Double
    public var sequence: Int64

    public init(acceptedAt: Double, sequence: Int64) {
        self.acceptedAt = acceptedAt
        self.sequence = sequence
    }
}
