//! A corpus handler with a crash: the engine runs it, `--pg` cannot (a crash
//! has no server counterpart there).

/// Preset 4's claim, with a crash: attempt 1 claims the key and the server
/// dies before the UPDATE to done, so the retry finds the key `started` and
/// answers 409, and so would every later retry: the stuck key that only a lock
/// which expires recovers (the Keys lab's lock timeout). Not checked by
/// `--pg`: a crash has no server counterpart there.
pub const STUCK_KEY: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
LANE T1 (attempt 1)
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
SEND 201
LANE Server
CRASH
LANE T3 (retry)
AWAIT T1
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken
CHARGE
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
taken:
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409";
