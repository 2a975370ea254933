import GRDB

/// The versioned schema. Never edit a shipped migration: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: inbox, customers, outbox, dead letters, journeys") { db in
            // The durable inbox. `event_id` is the idempotency key; `payload` is cleared once the
            // row is processed (the aggregate holds what the engine keeps), and processed rows are
            // pruned after the retention window, which is also how long a repeated id is recognised.
            try db.execute(
                sql: """
                    CREATE TABLE inbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        event_id TEXT NOT NULL UNIQUE,
                        customer_id TEXT NOT NULL,
                        shard INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        payload BLOB,
                        accepted_at REAL NOT NULL,
                        processed_at REAL
                    );
                    CREATE INDEX inbox_pending ON inbox(seq) WHERE processed_at IS NULL;

                    -- One row per customer: the engine's aggregate and the durable timer index.
                    CREATE TABLE customers (
                        id TEXT PRIMARY KEY NOT NULL,
                        shard INTEGER NOT NULL,
                        version INTEGER NOT NULL,
                        state BLOB NOT NULL,
                        next_wake_at REAL,
                        updated_at REAL NOT NULL
                    );
                    CREATE INDEX customers_wake ON customers(next_wake_at, id) WHERE next_wake_at IS NOT NULL;

                    -- The transactional outbox. status: 0 pending, 1 delivered, 2 dead.
                    CREATE TABLE outbox (
                        id TEXT PRIMARY KEY NOT NULL,
                        customer_id TEXT NOT NULL,
                        shard INTEGER NOT NULL,
                        message BLOB NOT NULL,
                        status INTEGER NOT NULL DEFAULT 0,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        lease_until REAL,
                        lease_token INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        finished_at REAL,
                        last_error TEXT
                    );
                    CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 0;
                    CREATE INDEX outbox_customer ON outbox(customer_id);
                    CREATE INDEX outbox_finished ON outbox(finished_at) WHERE status = 1;

                    CREATE TABLE dead_letters (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        message_id TEXT NOT NULL,
                        customer_id TEXT NOT NULL,
                        message BLOB NOT NULL,
                        attempts INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        at REAL NOT NULL
                    );
                    CREATE INDEX dead_letters_customer ON dead_letters(customer_id);

                    CREATE TABLE customer_log (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        customer_id TEXT NOT NULL,
                        at REAL NOT NULL,
                        entry BLOB NOT NULL
                    );
                    CREATE INDEX customer_log_customer ON customer_log(customer_id, seq);

                    CREATE TABLE journey_versions (
                        name TEXT NOT NULL,
                        version TEXT NOT NULL,
                        program BLOB NOT NULL,
                        deployed_at REAL NOT NULL,
                        PRIMARY KEY (name, version)
                    );
                    CREATE TABLE journey_controls (
                        name TEXT PRIMARY KEY NOT NULL,
                        paused INTEGER NOT NULL
                    );
                    CREATE TABLE journey_counters (
                        journey TEXT NOT NULL,
                        version TEXT NOT NULL,
                        step TEXT NOT NULL,
                        metric TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (journey, version, step, metric)
                    );

                    -- The single node's lease: its epoch fences commits from an older process.
                    CREATE TABLE node_lease (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        owner TEXT NOT NULL,
                        epoch INTEGER NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: journey revisions, input log") { db in
            // Every deployment of the journey set whose content differs from the one before:
            // the highest number is the current revision. `files` is the JSON of its source files.
            try db.execute(
                sql: """
                    CREATE TABLE journey_revisions (
                        number INTEGER PRIMARY KEY,
                        content_hash TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        note TEXT,
                        source TEXT NOT NULL,
                        restored_from INTEGER,
                        files BLOB NOT NULL
                    );

                    -- The accepted inputs (profile updates, events, erasures), written with their inbox
                    -- row: `seq` is the inbox sequence, `payload` the inbox payload's encoding.
                    CREATE TABLE input_log (
                        seq INTEGER PRIMARY KEY,
                        customer_id TEXT NOT NULL,
                        accepted_at REAL NOT NULL,
                        payload BLOB NOT NULL
                    );
                    CREATE INDEX input_log_accepted ON input_log(accepted_at, seq);
                    CREATE INDEX input_log_customer ON input_log(customer_id);
                    """)
        }
        migrator.registerMigration("v3: dead letters remember a retry") { db in
            // When an operator put the dead letter's message back in the outbox (NULL: never).
            try db.execute(sql: "ALTER TABLE dead_letters ADD COLUMN retried_at REAL")
        }
        migrator.registerMigration("v4: a counter of open dead letters") { db in
            // The dead letters not yet retried, kept in journey_counters (journey, version and step
            // empty, metric `dead_letters`) by triggers, so the console reads a counter instead of
            // counting rows; every path that writes, retries or deletes one (delivery, retry,
            // discard, erasure, pruning) is covered.
            let bump = { (change: String) in
                """
                INSERT OR IGNORE INTO journey_counters (journey, version, step, metric, count) VALUES ('', '', '', 'dead_letters', 0);
                UPDATE journey_counters SET count = count \(change) WHERE journey = '' AND version = '' AND step = '' AND metric = 'dead_letters';
                """
            }
            try db.execute(
                sql: """
                    INSERT INTO journey_counters (journey, version, step, metric, count)
                    SELECT '', '', '', 'dead_letters', count(*) FROM dead_letters WHERE retried_at IS NULL HAVING count(*) > 0;
                    CREATE TRIGGER dead_letters_counted_insert AFTER INSERT ON dead_letters WHEN NEW.retried_at IS NULL
                    BEGIN \(bump("+ 1")) END;
                    CREATE TRIGGER dead_letters_counted_retry AFTER UPDATE OF retried_at ON dead_letters
                    WHEN OLD.retried_at IS NULL AND NEW.retried_at IS NOT NULL
                    BEGIN \(bump("- 1")) END;
                    CREATE TRIGGER dead_letters_counted_delete AFTER DELETE ON dead_letters WHEN OLD.retried_at IS NULL
                    BEGIN \(bump("- 1")) END;
                    """)
        }
        migrator.registerMigration("v5: split winners") { db in
            // The decided winner of a split with a winner rule: one per journey and split, the
            // first recorded stays (every node adopts it).
            try db.execute(
                sql: """
                    CREATE TABLE split_winners (
                        journey TEXT NOT NULL,
                        split TEXT NOT NULL,
                        variant TEXT NOT NULL,
                        since REAL NOT NULL,
                        evidence TEXT NOT NULL,
                        PRIMARY KEY (journey, split)
                    )
                    """)
        }
        return migrator
    }
}
