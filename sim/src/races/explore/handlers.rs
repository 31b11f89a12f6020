//! Handlers that size the explorer: the benchmarks (`benches/races.rs`, the
//! browser test `tests/web_races.rs`) and the tests explore them in 3 lanes.

/// Each of the three lanes runs two transactions of 8 statements (BEGIN and
/// COMMIT included): 16 statements and 17 steps a lane, 51 of the 64 a run
/// may take. Every lane claims the key, charges and finishes, so there is
/// nothing to branch on; what it measures is the interleavings.
pub const TWO_EIGHT_STATEMENT_TRANSACTIONS: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
CHARGE
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;
RESPOND 201";

/// Sixteen reads a lane and nothing that waits: no lock ever orders two
/// lanes, so every interleaving is a schedule (51! / (17!)^3, about 3.4 × 10^22
/// in 3 lanes). The largest schedule count a 3-lane handler of 16 statements
/// can have.
pub const SIXTEEN_READS: &str = "SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
SELECT status, response FROM idempotency_keys WHERE key = $1;
CHARGE
RESPOND 201";
