//! The texts of the corpus handlers for the SQL forms of issue 28 (RETURNING
//! lists, DO NOTHING by row count, PRIMARY KEY, SET TRANSACTION, FOR NO KEY
//! UPDATE) and of issue 25 (REPEATABLE READ, 42P10, savepoints, session-level advisory locks): each is checked on every
//! schedule against PostgreSQL 15 by `cli/tests/postgres_races.rs`.

/// `do-nothing-row-count`.
pub const DO_NOTHING_ROW_COUNT: &str = "ALTER TABLE idempotency_keys ADD PRIMARY KEY (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT DO NOTHING;
IF COUNT 0 GOTO taken
COMMIT;
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
taken:
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409";

/// `xmax-tells-insert-from-update`.
pub const XMAX_TELLS_INSERT_FROM_UPDATE: &str = "CREATE TABLE idempotency_keys (key text PRIMARY KEY, status text NOT NULL, response int);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING status, response, (xmax = 0) AS inserted;
IF INSERTED GOTO mine
COMMIT;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409
mine:
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201";

/// `returning-lists`.
pub const RETURNING_LISTS: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING key;
IF NO ROW GOTO taken
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING *;
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
taken:
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR NO KEY UPDATE;
COMMIT;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409";

/// `no-key-update-nowait-409`.
pub const NO_KEY_UPDATE_NOWAIT_409: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING;
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR NO KEY UPDATE NOWAIT;
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
RESPOND 409";

/// `repeatable-read-first-updater-wins`.
pub const REPEATABLE_READ_FIRST_UPDATER_WINS: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response, key;
BEGIN;
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
IF ERROR 40001 GOTO lost
CHARGE
COMMIT;
RESPOND 201
lost:
ROLLBACK;
RESPOND 409";

/// `repeatable-read-insert-gets-23505`.
pub const REPEATABLE_READ_INSERT_GETS_23505: &str =
    "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201) RETURNING status;
IF ERROR GOTO failed
CHARGE
COMMIT;
RESPOND 201
seen:
COMMIT;
RESPOND STORED
failed:
ROLLBACK;
RESPOND 409";

/// `repeatable-read-do-nothing-40001`.
pub const REPEATABLE_READ_DO_NOTHING_40001: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT status, response FROM idempotency_keys WHERE key = $1;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT DO NOTHING;
IF ERROR 40001 GOTO failed
IF COUNT 0 GOTO seen
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201
seen:
COMMIT;
RESPOND 409
failed:
ROLLBACK;
RESPOND 409";

/// `on-conflict-without-index-42p10`.
pub const ON_CONFLICT_WITHOUT_INDEX_42P10: &str = "BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF ERROR 42P10 GOTO failed
COMMIT;
RESPOND 201
failed:
SELECT status, response FROM idempotency_keys WHERE key = $1;
ROLLBACK;
RESPOND 500";

/// `do-nothing-without-index-inserts`.
pub const DO_NOTHING_WITHOUT_INDEX_INSERTS: &str = "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT DO NOTHING RETURNING (xmax = 0);
IF INSERTED GOTO mine
RESPOND 409
mine:
CHARGE
RESPOND 201";

/// `savepoint-catches-23505`.
pub const SAVEPOINT_CATCHES_23505: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SAVEPOINT claim;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR 23505 GOTO dup
RELEASE SAVEPOINT claim;
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
RESPOND 201
dup:
ROLLBACK TO SAVEPOINT claim;        -- the transaction is usable again
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409";

/// `rollback-to-releases-locks`.
pub const ROLLBACK_TO_RELEASES_LOCKS: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
LANE T1 (lock, give back)
BEGIN;
SAVEPOINT work;
SELECT pg_advisory_xact_lock(hashtext($1));
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
ROLLBACK TO SAVEPOINT work;
COMMIT;
RESPOND 500
LANE T2 (lock, insert)
BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO failed
CHARGE
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 409";

/// `error-inside-a-savepoint`.
pub const ERROR_INSIDE_A_SAVEPOINT: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
SAVEPOINT claim;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO dup
COMMIT;
CHARGE
RESPOND 201
dup:
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ERROR 25P02 GOTO back
COMMIT;
RESPOND 500
back:
ROLLBACK TO SAVEPOINT claim;
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
RESPOND STORED";

/// `repeatable-read-retries-40001`.
pub const REPEATABLE_READ_RETRIES_40001: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT DO NOTHING;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF STATUS STARTED GOTO mine
COMMIT;
RESPOND STORED
mine:
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
IF ERROR 40001 GOTO again
CHARGE
COMMIT;
RESPOND 201
again:
ROLLBACK;
RETRY 3";

/// `session-lock-outlives-commit`.
pub const SESSION_LOCK_OUTLIVES_COMMIT: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
SELECT pg_advisory_lock(hashtext($1));
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
COMMIT;                                   -- the session lock outlives the COMMIT
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
SELECT pg_advisory_unlock(hashtext($1));
RESPOND 201
seen:
COMMIT;
SELECT pg_advisory_unlock(hashtext($1));
RESPOND STORED";

/// `session-and-transaction-locks`.
pub const SESSION_AND_TRANSACTION_LOCKS: &str = "LANE T1 (session lock)
SELECT pg_advisory_lock(hashtext($1));
BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
ROLLBACK;
CHARGE
SELECT pg_advisory_unlock(hashtext($1));
SELECT pg_advisory_unlock(hashtext($1));
IF NOT LOCKED GOTO twice
RESPOND 201
twice:
RESPOND 500
LANE T2 (transaction lock)
BEGIN;
SELECT pg_try_advisory_xact_lock(hashtext($1));
IF NOT LOCKED GOTO busy
CHARGE
COMMIT;
RESPOND 201
busy:
SELECT pg_advisory_xact_lock(hashtext($1));
COMMIT;
RESPOND 409";
