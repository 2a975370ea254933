import JourneyEngine
import Logging
import PostgresNIO

/// The versioned schema. Migrations run in order, each in its own transaction, under an advisory
/// lock so that nodes starting together migrate once. Never edit a shipped migration: add one.
enum PostgresMigrations {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// The advisory lock key that serialises migrations (an arbitrary constant: "herald" in ASCII).
    static let lockKey: Int64 = 0x6865_7261_6c64

    static let all: [Migration] = [
        Migration(
            version: 1, name: "inbox, customers, outbox, dead letters, journeys, shard leases",
            statements: [
                // The durable inbox. `event_id` is the idempotency key; `payload` is cleared once
                // the row is processed, and processed rows are pruned after the retention window.
                """
                CREATE TABLE inbox (
                    seq BIGSERIAL PRIMARY KEY,
                    event_id TEXT NOT NULL UNIQUE,
                    customer_id TEXT NOT NULL,
                    shard INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    payload BYTEA,
                    accepted_at DOUBLE PRECISION NOT NULL,
                    processed_at DOUBLE PRECISION
                )
                """,
                "CREATE INDEX inbox_pending ON inbox (seq) WHERE processed_at IS NULL",
                "CREATE INDEX inbox_accepted ON inbox (accepted_at)",
                // One row per customer: the engine's aggregate and the durable timer index.
                """
                CREATE TABLE customers (
                    id TEXT PRIMARY KEY,
                    shard INTEGER NOT NULL,
                    version BIGINT NOT NULL,
                    state BYTEA NOT NULL,
                    next_wake_at DOUBLE PRECISION,
                    updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX customers_wake ON customers (next_wake_at, id) WHERE next_wake_at IS NOT NULL",
                // The transactional outbox. status: 0 pending, 1 delivered, 2 dead.
                """
                CREATE TABLE outbox (
                    id TEXT PRIMARY KEY,
                    customer_id TEXT NOT NULL,
                    shard INTEGER NOT NULL,
                    message BYTEA NOT NULL,
                    status SMALLINT NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DOUBLE PRECISION NOT NULL,
                    lease_until DOUBLE PRECISION,
                    lease_token BIGINT NOT NULL DEFAULT 0,
                    claimed_by TEXT,
                    created_at DOUBLE PRECISION NOT NULL,
                    finished_at DOUBLE PRECISION,
                    last_error TEXT
                )
                """,
                "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 0",
                "CREATE INDEX outbox_customer ON outbox (customer_id)",
                "CREATE INDEX outbox_finished ON outbox (finished_at) WHERE status = 1",
                """
                CREATE TABLE dead_letters (
                    seq BIGSERIAL PRIMARY KEY,
                    message_id TEXT NOT NULL,
                    customer_id TEXT NOT NULL,
                    message BYTEA NOT NULL,
                    attempts INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX dead_letters_customer ON dead_letters (customer_id)",
                """
                CREATE TABLE customer_log (
                    seq BIGSERIAL PRIMARY KEY,
                    customer_id TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL,
                    entry BYTEA NOT NULL
                )
                """,
                "CREATE INDEX customer_log_customer ON customer_log (customer_id, seq)",
                """
                CREATE TABLE journey_versions (
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    program BYTEA NOT NULL,
                    deployed_at DOUBLE PRECISION NOT NULL,
                    PRIMARY KEY (name, version)
                )
                """,
                "CREATE TABLE journey_controls (name TEXT PRIMARY KEY, paused BOOLEAN NOT NULL)",
                """
                CREATE TABLE journey_counters (
                    journey TEXT NOT NULL,
                    version TEXT NOT NULL,
                    step TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    count BIGINT NOT NULL,
                    PRIMARY KEY (journey, version, step, metric)
                )
                """,
                // One row per logical shard: who owns it, under which epoch, until when. The epoch
                // increases whenever the shard changes hands; every commit checks it.
                """
                CREATE TABLE shard_leases (
                    shard INTEGER PRIMARY KEY,
                    owner TEXT NOT NULL DEFAULT '',
                    epoch BIGINT NOT NULL DEFAULT 0,
                    expires_at DOUBLE PRECISION NOT NULL DEFAULT 0
                )
                """,
                "INSERT INTO shard_leases (shard) SELECT generate_series(0, \(CustomerShard.count - 1))",
                // Live nodes (their heartbeat), for the fair share when rebalancing.
                """
                CREATE TABLE cluster_nodes (
                    node TEXT PRIMARY KEY,
                    started_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL
                )
                """,
                // Writes refused by the fencing check, for operators and tests.
                """
                CREATE TABLE fenced_writes (
                    seq BIGSERIAL PRIMARY KEY,
                    node TEXT NOT NULL,
                    shard INTEGER NOT NULL,
                    epoch BIGINT NOT NULL,
                    operation TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL
                )
                """,
            ]),
        Migration(
            version: 2, name: "journey revisions, input log",
            statements: [
                // Every deployment of the journey set whose content differs from the one before:
                // the highest number is the current revision, which every node deploys.
                """
                CREATE TABLE journey_revisions (
                    number BIGINT PRIMARY KEY,
                    content_hash TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    note TEXT,
                    source TEXT NOT NULL,
                    restored_from BIGINT,
                    files BYTEA NOT NULL
                )
                """,
                // The accepted inputs, written in the statement that accepts their inbox rows.
                """
                CREATE TABLE input_log (
                    seq BIGINT PRIMARY KEY,
                    customer_id TEXT NOT NULL,
                    accepted_at DOUBLE PRECISION NOT NULL,
                    payload BYTEA NOT NULL
                )
                """,
                "CREATE INDEX input_log_accepted ON input_log (accepted_at, seq)",
                "CREATE INDEX input_log_customer ON input_log (customer_id)",
            ]),
        Migration(
            version: 3, name: "dead letters remember a retry",
            statements: [
                // When an operator put the dead letter's message back in the outbox (NULL: never).
                "ALTER TABLE dead_letters ADD COLUMN retried_at DOUBLE PRECISION"
            ]),
        Migration(
            version: 4, name: "a counter of open dead letters",
            statements: [
                // The dead letters not yet retried, kept in journey_counters (journey, version and
                // step empty, metric `dead_letters`) by a trigger, so the console reads a counter
                // instead of counting rows; delivery, retry, discard, erasure and pruning all count.
                """
                INSERT INTO journey_counters (journey, version, step, metric, count)
                SELECT '', '', '', 'dead_letters', count(*) FROM dead_letters WHERE retried_at IS NULL HAVING count(*) > 0
                """,
                """
                CREATE FUNCTION herald_count_dead_letters() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE change BIGINT := 0;
                BEGIN
                    IF TG_OP = 'INSERT' AND NEW.retried_at IS NULL THEN change := 1;
                    ELSIF TG_OP = 'UPDATE' AND OLD.retried_at IS NULL AND NEW.retried_at IS NOT NULL THEN change := -1;
                    ELSIF TG_OP = 'DELETE' AND OLD.retried_at IS NULL THEN change := -1;
                    END IF;
                    IF change <> 0 THEN
                        INSERT INTO journey_counters (journey, version, step, metric, count) VALUES ('', '', '', 'dead_letters', change)
                        ON CONFLICT (journey, version, step, metric) DO UPDATE SET count = journey_counters.count + EXCLUDED.count;
                    END IF;
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER dead_letters_counted AFTER INSERT OR UPDATE OF retried_at OR DELETE ON dead_letters
                FOR EACH ROW EXECUTE FUNCTION herald_count_dead_letters()
                """,
            ]),
        Migration(
            version: 5, name: "split winners",
            statements: [
                // The decided winner of a split with a winner rule: one per journey and split, the
                // first recorded stays (every node adopts it).
                """
                CREATE TABLE split_winners (
                    journey TEXT NOT NULL,
                    split TEXT NOT NULL,
                    variant TEXT NOT NULL,
                    since DOUBLE PRECISION NOT NULL,
                    evidence TEXT NOT NULL,
                    PRIMARY KEY (journey, split)
                )
                """
            ]),
    ]

    /// Applies the migrations not yet applied. Safe to call from several nodes at once.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            // Waiting for another node's migration, or running a long one, is not the bounded
            // request traffic the session limits are for.
            try await connection.query("SET statement_timeout = 0", logger: logger)
            try await connection.query("SET lock_timeout = 0", logger: logger)
            do {
                try await migrateLocked(connection, logger: logger)
            } catch {
                _ = try? await connection.query("RESET statement_timeout", logger: logger)
                _ = try? await connection.query("RESET lock_timeout", logger: logger)
                throw error
            }
            try await connection.query("RESET statement_timeout", logger: logger)
            try await connection.query("RESET lock_timeout", logger: logger)
        }
    }

    /// Takes the migration lock, applies what is missing and gives the lock back.
    private static func migrateLocked(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS herald_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM herald_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            for migration in all where !applied.contains(migration.version) {
                logger.notice("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                try await connection.query("BEGIN", logger: logger)
                do {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO herald_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
    }
}
