//! Handlers that reach PostgreSQL behaviour the eight scenarios never
//! exercise (issue 12, point 3). Each `MODELLED` handler must agree with a
//! real PostgreSQL 15 on every schedule the server allows
//! (`cli/tests/postgres_races.rs`); each `REFUSED` one is refused with the
//! reason given, so it is never modelled wrongly; each `RACY` one runs, and is
//! refused at the step where PostgreSQL itself decides by a race between its
//! waiters (checked with fewer lanes, where there is no race).

mod crash;
mod forms;
mod ssi;
pub use crash::*;
pub use forms::*;
pub use ssi::*;

/// A corpus handler the engine models: name, the behaviour it exercises, lanes, text.
pub type CorpusEntry = (&'static str, &'static str, u8, &'static str);

/// Handlers the engine models, checked against PostgreSQL.
pub const MODELLED: &[CorpusEntry] = &[
    ("ssi-select-then-insert", SSI_SELECT_THEN_INSERT_WHY, 2, SSI_SELECT_THEN_INSERT),
    ("ssi-retry-on-40001", SSI_RETRY_WHY, 2, SSI_RETRY),
    ("ssi-insert-then-update", SSI_INSERT_THEN_UPDATE_WHY, 2, SSI_INSERT_THEN_UPDATE),
    ("ssi-read-after-write", SSI_READ_AFTER_WRITE_WHY, 2, SSI_READ_AFTER_WRITE),
    ("ssi-read-only-lane", SSI_READ_ONLY_LANE_WHY, 2, SSI_READ_ONLY_LANE),
    (
        "three-waiters",
        "three transactions waiting on the same key",
        3,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken
COMMIT;
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
taken:
COMMIT;
RESPOND 409",
    ),
    (
        "rollback-after-claim",
        "a transaction that rolls back after its claim while another waits: the waiter gets the key (with 3 lanes the model refuses: which waiter wins is PostgreSQL's race)",
        2,
        ROLLBACK_AFTER_CLAIM,
    ),
    (
        "error-then-select",
        "an error aborts the transaction at once: the SELECT after a caught 23505 gets 25P02",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR 23505 GOTO dup
COMMIT;
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
dup:
SELECT status, response FROM idempotency_keys WHERE key = $1;   -- 25P02, not the row
ROLLBACK;
RESPOND 409",
    ),
    (
        "locks-go-at-the-error",
        "an error releases the transaction's locks at once, not at ROLLBACK: the next waiter goes on",
        3,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO failed
CHARGE
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 500",
    ),
    (
        "update-blocks-insert",
        "an UPDATE in flight blocks another transaction's INSERT … ON CONFLICT on that key",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
LANE T1 (claim, finish)
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken
BEGIN;
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
CHARGE
COMMIT;
RESPOND 201
taken:
RESPOND 409
LANE T2 (retry)
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken
CHARGE
RESPOND 201
taken:
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409",
    ),
    (
        "deadlock",
        "two transactions that each hold what the other wants: one ends in 40P01",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
LANE T1 (row, then lock)
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR GOTO failed
SELECT pg_advisory_xact_lock(hashtext($1));
IF ERROR 40P01 GOTO failed
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 500
LANE T2 (lock, then row)
BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR GOTO failed
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 500",
    ),
    (
        "for-update-queue",
        "row locks are granted first come, first served: FOR UPDATE readers and the claimant's UPDATE queue on the row's tuple lock, each behind the waiter ahead of it",
        3,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO look
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
look:
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;
IF STATUS STARTED GOTO busy
COMMIT;
RESPOND STORED
busy:
COMMIT;
RESPOND 409",
    ),
    (
        "inserts-wait-for-the-updater",
        "two INSERT … ON CONFLICT wait for an UPDATE in flight on the transaction id alone: both wait on the updater, in no queue",
        3,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken
BEGIN;
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
CHARGE
COMMIT;
RESPOND 201
taken:
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409",
    ),
    (
        "lock-then-update-queue",
        "the claimant holds the row with FOR UPDATE and updates it; with 2 lanes the waiter gets the updated row (3 lanes are refused: see RACY)",
        2,
        LOCK_THEN_UPDATE_QUEUE,
    ),
    (
        "nowait-answers-409",
        "FOR UPDATE NOWAIT: a request that finds the row held fails at once with 55P03 and answers 409 instead of queuing",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE NOWAIT;
IF ERROR 55P03 GOTO busy
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201
busy:
ROLLBACK;
RESPOND 409",
    ),
    (
        "skip-locked-answers-409",
        "FOR UPDATE SKIP LOCKED: a request that finds the row held gets no row and answers 409 (an absent key looks the same)",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE SKIP LOCKED;
IF NO ROW GOTO busy
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201
busy:
COMMIT;
RESPOND 409",
    ),
    (
        "try-advisory-answers-409",
        "pg_try_advisory_xact_lock returns false at once while another transaction holds the lock: the handler answers 409 instead of waiting",
        3,
        "BEGIN;
SELECT pg_try_advisory_xact_lock(hashtext($1));
IF NOT LOCKED GOTO busy
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;
RESPOND 201
seen:
COMMIT;
RESPOND STORED
busy:
ROLLBACK;
RESPOND 409",
    ),
    (
        "do-update-claim-waits",
        "ON CONFLICT DO UPDATE … RETURNING inside the request's transaction: the second waits for the first inserter, then gets its committed row back",
        2,
        DO_UPDATE_CLAIM_WAITS,
    ),
    (
        "do-update-waits-behind-for-update",
        "ON CONFLICT DO UPDATE on a row another transaction holds FOR UPDATE queues on the row's lock until that transaction ends",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
LANE T1 (claim and hold)
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;
CHARGE
COMMIT;
RESPOND 201
LANE T2 (upsert)
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING status, response;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409",
    ),
    (
        "do-update-returns-either",
        "ON CONFLICT DO UPDATE … RETURNING returns the row whether it inserted it or not: a claim that reads 'started' may be the other request's, and both charge",
        2,
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING status, response;
IF STATUS STARTED GOTO mine
RESPOND STORED
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201",
    ),
    (
        "advisory-outside-a-transaction",
        "an advisory transaction lock outside BEGIN is released when its statement ends: it protects nothing",
        2,
        "SELECT pg_advisory_xact_lock(hashtext($1));
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
RESPOND 201
seen:
RESPOND STORED",
    ),
    (
        "do-nothing-row-count",
        "ON CONFLICT DO NOTHING without a target or RETURNING: the command tag's row count (INSERT 0 1 or INSERT 0 0) tells the handler whether it inserted; the key is a PRIMARY KEY added by ALTER TABLE",
        2,
        DO_NOTHING_ROW_COUNT,
    ),
    (
        "xmax-tells-insert-from-update",
        "ON CONFLICT DO UPDATE … RETURNING (xmax = 0) AS inserted: true for the row this statement inserted, false for the existing row it rewrote and locked; the table is created with PRIMARY KEY",
        2,
        XMAX_TELLS_INSERT_FROM_UPDATE,
    ),
    (
        "returning-lists",
        "RETURNING key and RETURNING *: any list of the table's columns, compared column by column with the server; FOR NO KEY UPDATE queues like FOR UPDATE",
        2,
        RETURNING_LISTS,
    ),
    (
        "no-key-update-nowait-409",
        "FOR NO KEY UPDATE NOWAIT: a request that finds the row held fails at once with 55P03 and answers 409",
        2,
        NO_KEY_UPDATE_NOWAIT_409,
    ),
    (
        "repeatable-read-first-updater-wins",
        "REPEATABLE READ set by SET TRANSACTION: the snapshot is the first query's, and an UPDATE of a row another transaction updated since fails with 40001 (could not serialize access due to concurrent update)",
        2,
        REPEATABLE_READ_FIRST_UPDATER_WINS,
    ),
    (
        "repeatable-read-insert-gets-23505",
        "REPEATABLE READ, SELECT then INSERT with a unique index: the second INSERT waits and then fails with 23505, not 40001 (no SSI at this level)",
        2,
        REPEATABLE_READ_INSERT_GETS_23505,
    ),
    (
        "repeatable-read-do-nothing-40001",
        "REPEATABLE READ, ON CONFLICT DO NOTHING meeting a key committed after its snapshot: 40001, since it cannot skip a row it does not see",
        2,
        REPEATABLE_READ_DO_NOTHING_40001,
    ),
    (
        "on-conflict-without-index-42p10",
        "ON CONFLICT (key) on a table with no unique index: PostgreSQL fails the statement with 42P10, which aborts the transaction (the SELECT after it gets 25P02)",
        2,
        ON_CONFLICT_WITHOUT_INDEX_42P10,
    ),
    (
        "do-nothing-without-index-inserts",
        "ON CONFLICT DO NOTHING without a target on a table with no unique index: nothing can conflict, so every request inserts, and RETURNING (xmax = 0) says so",
        2,
        DO_NOTHING_WITHOUT_INDEX_INSERTS,
    ),
    (
        "savepoint-catches-23505",
        "catch 23505 with a savepoint and replay the stored response: ROLLBACK TO SAVEPOINT leaves the transaction usable, so the SELECT after it reads the committed row (without the savepoint it gets 25P02)",
        2,
        SAVEPOINT_CATCHES_23505,
    ),
    (
        "rollback-to-releases-locks",
        "ROLLBACK TO SAVEPOINT undoes the row written since the savepoint and releases the advisory lock taken since: the waiter goes on at once, before the COMMIT",
        2,
        ROLLBACK_TO_RELEASES_LOCKS,
    ),
    (
        "error-inside-a-savepoint",
        "an error inside a savepoint aborts only the subtransaction: the next SELECT still gets 25P02, ROLLBACK TO SAVEPOINT ends that, and the advisory lock taken before the savepoint is kept throughout",
        2,
        ERROR_INSIDE_A_SAVEPOINT,
    ),
    (
        "repeatable-read-retries-40001",
        "REPEATABLE READ with a retry on 40001: the request that loses the first-updater-wins race rolls back and runs again, and its new snapshot sees the winner's stored response",
        2,
        REPEATABLE_READ_RETRIES_40001,
    ),
    (
        "session-lock-outlives-commit",
        "pg_advisory_lock is a session-level lock: it is held across the COMMIT until pg_advisory_unlock, so the next request waits for the whole claim, charge and update",
        3,
        SESSION_LOCK_OUTLIVES_COMMIT,
    ),
    (
        "session-and-transaction-locks",
        "a session-level and a transaction-level advisory lock on one key: another session's pg_try_advisory_xact_lock gets false and pg_advisory_xact_lock waits, the holder's own session does not; a second pg_advisory_unlock returns false",
        2,
        SESSION_AND_TRANSACTION_LOCKS,
    ),
];

/// Handlers the engine refuses while running them, because PostgreSQL itself
/// decides by a race inside the server: name, lanes, a phrase of the reason,
/// text. Each runs with fewer lanes (it is in `MODELLED` or checked at 2 lanes
/// by the tests).
pub const RACY: &[(&str, u8, &str, &str)] = &[
    ("rollback-after-claim", 3, "which of them inserts first is a race inside PostgreSQL", ROLLBACK_AFTER_CLAIM),
    (
        "do-update-claim-waits",
        3,
        "both go after the row when it ends: which locks it first is a race",
        DO_UPDATE_CLAIM_WAITS,
    ),
    (
        "lock-then-update-queue",
        3,
        "which waiter locks the new version first is a race inside PostgreSQL",
        LOCK_THEN_UPDATE_QUEUE,
    ),
];

/// The claimant holds the row with FOR UPDATE, charges, then updates it. With
/// 3 lanes a waiter can queue while the row is only locked and another behind
/// it; when the claimant commits, the two race for the new version inside the
/// server (see `engine::State::wake_txn_waiters`). With 2 lanes it agrees with
/// PostgreSQL on every schedule (checked by the PostgreSQL suite).
pub const LOCK_THEN_UPDATE_QUEUE: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201";

/// Claims with ON CONFLICT DO UPDATE inside the request's transaction
/// (`do-update-claim-waits`).
pub const DO_UPDATE_CLAIM_WAITS: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING status, response;
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201";

/// Rolls back after its claim and charge (`rollback-after-claim`).
pub const ROLLBACK_AFTER_CLAIM: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken
CHARGE
ROLLBACK;                 -- gives the key back after charging: the next waiter charges again
RESPOND 500
taken:
COMMIT;
RESPOND 409";

/// Handlers refused with a reason: name, a word the reason contains, text.
pub const REFUSED: &[(&str, &str, &str)] = &[
    (
        "nowait-other-form",
        "NOWAIT and SKIP LOCKED are modelled on SELECT status, response",
        "BEGIN;\nSELECT status FROM idempotency_keys WHERE key = $1 FOR UPDATE NOWAIT;\nCOMMIT;\nRESPOND 201",
    ),
    ("try-advisory-other-form", "pg_try_advisory_xact_lock is modelled as", "BEGIN;\nSELECT pg_try_advisory_xact_lock(42);\nCOMMIT;\nRESPOND 201"),
    ("session-advisory-other-key", "session-level advisory locks are modelled as", "SELECT pg_advisory_lock(42);\nRESPOND 201"),
    ("other-key", "$1", "BEGIN;\nSELECT pg_advisory_xact_lock(hashtext('other'));\nCOMMIT;\nRESPOND 201"),
    (
        "do-update",
        "DO UPDATE",
        "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = 'started' RETURNING status, response;\nRESPOND 201",
    ),
    (
        "serializable-without-index-savepoint",
        "not modelled with SAVEPOINT",
        "BEGIN ISOLATION LEVEL SERIALIZABLE;\nSAVEPOINT s;\nSELECT status, response FROM idempotency_keys WHERE key = $1;\nCOMMIT;\nRESPOND 201",
    ),
];

/// The explorer's benchmark: run in 3 lanes, each request runs 8 SQL statements
/// on its main path (plus 2 BEGINs); native and browser BENCH lines time it.
pub const BENCH_HANDLER: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
COMMIT;
CHARGE
BEGIN;
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
RESPOND 201
seen:
COMMIT;
RESPOND STORED";
