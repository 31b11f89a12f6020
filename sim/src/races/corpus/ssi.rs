//! SERIALIZABLE on a table with no index on key: the handlers SSI decides
//! (engine/ssi.rs), each checked against PostgreSQL 15 on every schedule.

/// The textbook race: both SELECTs find nothing, both INSERTs go through, and
/// SSI fails one transaction (at its COMMIT, or at its INSERT when the other
/// has already committed).
pub const SSI_SELECT_THEN_INSERT: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF NO ROW GOTO fresh
COMMIT;
RESPOND STORED
fresh:
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO failed
COMMIT;
IF ERROR 40001 GOTO lost
RESPOND 201
failed:
ROLLBACK;
RESPOND 500
lost:
RESPOND 500";

/// What the behaviour column says about [`SSI_SELECT_THEN_INSERT`].
pub const SSI_SELECT_THEN_INSERT_WHY: &str = "SERIALIZABLE without an index: both SELECTs find no row and both INSERTs go through; SSI fails the second COMMIT with 40001, or the second INSERT when the first transaction has already committed (the charge comes first, so the card is charged twice)";

/// The course's answer: the whole transaction retried on 40001, the charge after COMMIT.
pub const SSI_RETRY: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR 40001 GOTO again
COMMIT;
IF ERROR 40001 GOTO redo
CHARGE
RESPOND 201
seen:
COMMIT;
RESPOND STORED
again:
ROLLBACK;
redo:
RETRY 3";

/// What the behaviour column says about [`SSI_RETRY`].
pub const SSI_RETRY_WHY: &str = "SERIALIZABLE without an index, retried on 40001 as a course shows it: the failed transaction starts again, its new snapshot sees the committed row, and it replays the stored answer: one charge";

/// A claim written, then updated in the same transaction: the UPDATE's scan
/// meets the other's uncommitted row.
pub const SSI_INSERT_THEN_UPDATE: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR GOTO failed
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
IF ERROR GOTO failed
COMMIT;
IF ERROR 40001 GOTO lost
RESPOND 201
seen:
COMMIT;
RESPOND STORED
failed:
ROLLBACK;
RESPOND 500
lost:
RESPOND 500";

/// What the behaviour column says about [`SSI_INSERT_THEN_UPDATE`].
pub const SSI_INSERT_THEN_UPDATE_WHY: &str = "SERIALIZABLE without an index, with an UPDATE after the INSERT: the UPDATE reads the table too, and 40001 comes at the INSERT, the UPDATE or COMMIT, wherever PostgreSQL's check first finds the cycle";

/// A read after the write: a transaction marked to fail when the other
/// committed fails at that read, not at its COMMIT.
pub const SSI_READ_AFTER_WRITE: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR GOTO failed
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ERROR GOTO failed
COMMIT;
IF ERROR 40001 GOTO lost
RESPOND 201
seen:
COMMIT;
RESPOND STORED
failed:
ROLLBACK;
RESPOND 500
lost:
RESPOND 500";

/// What the behaviour column says about [`SSI_READ_AFTER_WRITE`].
pub const SSI_READ_AFTER_WRITE_WHY: &str = "SERIALIZABLE without an index, reading again after its INSERT: when the other transaction commits first it marks this one to fail, and the 40001 comes at this SELECT, before COMMIT";

/// A read-only lane beside a writer: reads alone make no cycle.
pub const SSI_READ_ONLY_LANE: &str = "LANE reader
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
IF ERROR 40001 GOTO lost
RESPOND STORED
lost:
RESPOND 500
LANE writer
BEGIN ISOLATION LEVEL SERIALIZABLE;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
COMMIT;
IF ERROR 40001 GOTO lost
RESPOND 201
lost:
RESPOND 500";

/// What the behaviour column says about [`SSI_READ_ONLY_LANE`].
pub const SSI_READ_ONLY_LANE_WHY: &str = "SERIALIZABLE without an index, a lane that only reads beside one that inserts and then updates: a reader's conflicts alone never close a cycle, so neither fails";
