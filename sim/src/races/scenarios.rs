//! The scenarios: handlers as data, with their SQL and what they teach.

use super::*;
use crate::error::SimError;

crate::choice_enum! {
    /// The shipped scenarios, in teaching order: the values of the scenario
    /// knob (slug, short title for its button).
    pub enum ScenarioId {
        /// 1: SELECT, then INSERT, no unique index.
        SelectThenInsert = ("select-then-insert", "SELECT then INSERT"),
        /// 2: the unique index, charging before the INSERT.
        UniqueChargeFirst = ("unique-charge-first", "Unique index, charge first"),
        /// 3: SELECT ... FOR UPDATE on an absent key.
        ForUpdate = ("for-update", "FOR UPDATE"),
        /// 4: INSERT ... ON CONFLICT DO NOTHING RETURNING, the fix.
        OnConflict = ("on-conflict", "ON CONFLICT (fix)"),
        /// 5: SELECT, then INSERT, at SERIALIZABLE.
        Serializable = ("serializable", "SERIALIZABLE"),
        /// 6: a transaction-level advisory lock on the key's hash.
        AdvisoryLock = ("advisory-lock", "Advisory lock"),
        /// 7: an in-memory key store that a crash empties.
        VolatileStore = ("volatile-store", "Volatile key store"),
        /// 8: a key store that survives the crash.
        DurableStore = ("durable-store", "Durable key store"),
    }
}

impl ScenarioId {
    /// The scenario itself.
    pub fn scenario(self) -> Result<Scenario, SimError> {
        scenario(self.slug()).ok_or(SimError::Internal("a scenario id has no scenario"))
    }
}

/// How many scenarios ship.
pub const SCENARIO_COUNT: usize = ScenarioId::CHOICES.len();

/// The scenario ids (the slugs of [`ScenarioId`]), in teaching order.
pub const SCENARIO_IDS: [&str; SCENARIO_COUNT] = {
    let mut out = [""; SCENARIO_COUNT];
    let mut i = 0;
    while i < SCENARIO_COUNT {
        out[i] = ScenarioId::CHOICES[i].0;
        i += 1;
    }
    out
};

/// A scenario: the table, the handlers and the words around them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    /// Stable id, used in permalinks and the CLI.
    pub id: &'static str,
    /// Its number in the lab.
    pub number: u8,
    /// A short title.
    pub title: &'static str,
    /// What goes wrong, or why it is safe, in two or three sentences.
    pub explanation: &'static str,
    /// The handler text (see [`parse_handler`]): exactly what runs.
    pub sql: &'static str,
    /// Whether the table has a unique index on `key`.
    pub unique_index: bool,
    /// Whether the scenario runs on PostgreSQL (false: the in-memory key store).
    pub is_sql: bool,
    /// Whether the key store survives a crash (scenarios without SQL only).
    pub durable_store: bool,
    /// The scenario shown beside it in side-by-side mode.
    pub twin: &'static str,
    /// One handler per lane.
    pub programs: Vec<Program>,
}

impl Scenario {
    /// Checks the handlers, so a composed one cannot drive the engine off its model.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |reason: String| Err(SimError::InvalidParameter { name: "program", reason });
        if self.programs.is_empty() || self.programs.len() > ACTORS_MAX {
            return bad(format!("a scenario needs 1 to {ACTORS_MAX} handlers"));
        }
        for p in &self.programs {
            if p.instrs.is_empty() || p.instrs.len() > super::HANDLER_INSTRS_MAX {
                return bad(format!("{}: a handler needs 1 to {} instructions", p.name, super::HANDLER_INSTRS_MAX));
            }
            for i in &p.instrs {
                match *i {
                    Instr::JumpIf { to, .. } if to as usize >= p.instrs.len() => {
                        return bad(format!("{}: a branch jumps past the end", p.name));
                    }
                    Instr::AwaitUnanswered { actor } if actor as usize >= self.programs.len() => {
                        return bad(format!("{}: it waits for an actor that does not exist", p.name));
                    }
                    Instr::Sql { .. }
                    | Instr::Charge
                    | Instr::MapGet
                    | Instr::MapPut
                    | Instr::Crash
                    | Instr::AwaitUnanswered { .. }
                    | Instr::JumpIf { .. }
                    | Instr::Retry { .. }
                    | Instr::Respond { .. }
                    | Instr::SendResponse { .. } => {}
                }
            }
            if let Some(why) = self.ssi_refusal() {
                return bad(why);
            }
            let ends = p.instrs.iter().any(|i| {
                matches!(i, Instr::Respond { .. } | Instr::SendResponse { .. } | Instr::Crash | Instr::Retry { .. })
            });
            if !ends {
                return bad(format!("{}: a handler must end by answering", p.name));
            }
        }
        Ok(())
    }

    /// Why this scenario's SERIALIZABLE without a unique index on key is
    /// outside what the SSI model (engine/ssi.rs) has been checked for, if it is.
    pub fn ssi_refusal(&self) -> Option<String> {
        let serializable = |i: &Instr| {
            matches!(
                i,
                Instr::Sql {
                    stmt: Stmt::Begin { isolation: Isolation::Serializable }
                        | Stmt::SetIsolation { isolation: Isolation::Serializable }
                }
            )
        };
        let all = || self.programs.iter().flat_map(|p| p.instrs.iter());
        if self.unique_index || !all().any(serializable) {
            return None;
        }
        if self.programs.len() > SSI_LANES_MAX {
            return Some(SSI_THREE_LANES.into());
        }
        let savepoint = |i: &Instr| matches!(i, Instr::Sql { stmt: Stmt::Savepoint { .. } });
        all().any(savepoint).then(|| SSI_SAVEPOINT.into())
    }

    /// The table definition for `table`.
    pub fn ddl(&self, table: &str) -> Vec<String> {
        let mut v = vec![format!("CREATE TABLE {table} (key text NOT NULL, status text NOT NULL, response int)")];
        if self.unique_index {
            v.push(format!("CREATE UNIQUE INDEX {table}_key ON {table} (key)"));
        }
        v
    }
}

/// Most lanes a handler with SERIALIZABLE and no unique index on key may run in.
pub const SSI_LANES_MAX: usize = 2;

/// The refusal of SERIALIZABLE without a unique index in three or more lanes.
pub const SSI_THREE_LANES: &str = "SERIALIZABLE without a unique index or primary key on key is modelled in 2 lanes, not more: whether a committed transaction's read still conflicts with a later write is decided by PostgreSQL from the oldest transaction still running (the writer's snapshot xmin), which a third lane can hold back, and the model decides it from the order of commits, which agrees only with 2 lanes; run it in 2 lanes, or add a unique index or primary key on key";

/// The refusal of SERIALIZABLE without a unique index together with savepoints.
pub const SSI_SAVEPOINT: &str = "SERIALIZABLE without a unique index or primary key on key is not modelled with SAVEPOINT: PostgreSQL keeps a subtransaction's read locks and read-write conflicts after ROLLBACK TO SAVEPOINT, and the model has not been checked against the server there; drop the savepoint, or add a unique index or primary key on key";

/// SELECT the key; if absent, charge, INSERT, COMMIT (scenarios 1 and 2; 2 adds the index).
const CHECK_THEN_INSERT: &str = "-- POST /payments with Idempotency-Key $1: every request runs this handler
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF NO ROW GOTO fresh
COMMIT;
RESPOND STORED            -- the key is there: replay its stored response
fresh:
CHARGE                    -- the payment provider charges the card
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO failed
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 500";

const UNIQUE_CHECK_THEN_INSERT: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
-- POST /payments with Idempotency-Key $1: every request runs this handler
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF NO ROW GOTO fresh
COMMIT;
RESPOND STORED            -- the key is there: replay its stored response
fresh:
CHARGE                    -- the payment provider charges the card
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO failed      -- 23505: the other request's row got there first
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 500";

const FOR_UPDATE: &str = "BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;
IF NO ROW GOTO fresh      -- no row came back, so no row was locked
COMMIT;
RESPOND STORED
fresh:
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO failed
COMMIT;
RESPOND 201
failed:
ROLLBACK;
RESPOND 500";

const ON_CONFLICT: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
IF NO ROW GOTO taken      -- no row came back: another request owns the key
COMMIT;                   -- a row came back: this request owns the key
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

const SERIALIZABLE: &str = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF NO ROW GOTO claim
COMMIT;
IF STATUS STARTED GOTO busy
RESPOND STORED
busy:
RESPOND 409
claim:
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
IF ERROR GOTO failed      -- 40001
COMMIT;
CHARGE                    -- after COMMIT: a failed attempt charged nothing
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
RESPOND 201
failed:
ROLLBACK;
RETRY 3                   -- run the whole handler again, at most 3 attempts, then 500";

const ADVISORY: &str = "BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF NO ROW GOTO fresh
COMMIT;                   -- releases the advisory lock
RESPOND STORED
fresh:
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;                   -- releases the advisory lock
RESPOND 201";

/// The in-memory key map: attempt 1, the server's crash, and the client's retry.
const VOLATILE: &str = "-- not SQL: the keys live in a map in the server's memory
LANE T1 (attempt 1)
MAP GET
IF MAP HIT GOTO replay
CHARGE
MAP PUT
SEND 201                  -- a crash before this: no answer, the client retries
replay:
SEND STORED
LANE Server
CRASH                     -- the process dies: the map is lost
LANE T3 (retry)
AWAIT T1                  -- the client retries only if attempt 1 got no answer
MAP GET
IF MAP HIT GOTO replay
CHARGE
MAP PUT
SEND 201
replay:
SEND STORED";

const DURABLE: &str = "STORE DURABLE             -- the same handler, with the map on disk: a crash keeps it
LANE T1 (attempt 1)
MAP GET
IF MAP HIT GOTO replay
CHARGE
MAP PUT
SEND 201
replay:
SEND STORED
LANE Server
CRASH
LANE T3 (retry)
AWAIT T1
MAP GET
IF MAP HIT GOTO replay
CHARGE
MAP PUT
SEND 201
replay:
SEND STORED";

/// The scenario with this id.
pub fn scenario(id: &str) -> Option<Scenario> {
    let (number, title, explanation, sql, twin) = words(id)?;
    // The text is what runs: `shipped.rs` is generated from it by the parser,
    // and a test fails when the two differ, so the page runs the text it
    // shows without carrying the parser.
    let c = super::shipped::SHIPPED.iter().find(|c| c.id == id)?;
    Some(Scenario {
        id: c.id,
        number,
        title,
        explanation,
        sql,
        unique_index: c.unique_index,
        is_sql: c.is_sql,
        durable_store: c.durable_store,
        twin,
        programs: c.lanes.iter().map(|(name, instrs)| Program { name, instrs: instrs.to_vec() }).collect(),
    })
}

/// A scenario's number, title, explanation, handler text and twin.
type Words = (u8, &'static str, &'static str, &'static str, &'static str);

/// The words of scenario `id`: everything but its compiled handler.
pub(super) fn words(id: &str) -> Option<Words> {
    Some(match id {
        "select-then-insert" => (
            1,
            "SELECT, then INSERT, no unique index",
            "Both requests SELECT the key before either has inserted it, so both see nothing, both charge the card and both insert. Nothing in the database says the key must be unique, so both inserts succeed: a double charge, and two rows for one key.",
            CHECK_THEN_INSERT,
            "on-conflict",
        ),
        "unique-charge-first" => (
            2,
            "SELECT, then INSERT, with a unique index, charging first",
            "The unique index stops the second row, but too late: the second request charged before its INSERT. Its INSERT waits while the first transaction is open, then fails with 23505 when it commits, and the client gets a 500. A double charge plus an error.",
            UNIQUE_CHECK_THEN_INSERT,
            "on-conflict",
        ),
        "for-update" => (
            3,
            "SELECT … FOR UPDATE, then INSERT: the lock that locks nothing",
            "FOR UPDATE locks only the rows it returns. On an absent key it returns nothing, locks nothing and blocks nobody, so both requests pass the check, both charge and both insert, exactly as without it.",
            FOR_UPDATE,
            "on-conflict",
        ),
        "on-conflict" => (
            4,
            "INSERT … ON CONFLICT DO NOTHING RETURNING (the fix)",
            "The claim and the check are one atomic statement. The second INSERT waits while the first is uncommitted, then returns no row, so only the request that got a row back charges: exactly one charge. The loser SELECTs the row: 409 while the winner is still working, the stored response once it has finished. A crash between CHARGE and the UPDATE to done leaves the key started for ever, and every retry gets 409: recovering it takes a lock that expires (Brandur Leach's locked_at and timeout), which the Keys lab models.",
            ON_CONFLICT,
            "select-then-insert",
        ),
        "serializable" => (
            5,
            "SELECT, then INSERT, at SERIALIZABLE",
            "When both SELECTs run before either commits, PostgreSQL sees that no serial order explains what they read, and fails one transaction with 40001 (when its INSERT runs, or when the INSERT it waited on commits). The charge comes after COMMIT, so the failed transaction charged nothing; retrying it is safe, and the retry finds the key. PostgreSQL does not retry for you: the handler does.",
            SERIALIZABLE,
            "select-then-insert",
        ),
        "advisory-lock" => (
            6,
            "An advisory transaction lock on the key",
            "pg_advisory_xact_lock serialises the requests that share the key: the second waits until the first transaction ends, and its SELECT (a new statement, so a new snapshot at READ COMMITTED) then sees the committed row and replays it. Safe, at the price of holding a lock while the card is charged.",
            ADVISORY,
            "select-then-insert",
        ),
        "volatile-store" => (
            7,
            "A volatile key store loses its keys in a crash",
            "The server remembers keys in memory. If it crashes after the charge and before the client has its answer, the client retries; the restarted server has forgotten the key and charges again. A lost key is a double charge.",
            VOLATILE,
            "durable-store",
        ),
        "durable-store" => (
            8,
            "The same handler with a durable key store",
            "With the keys on disk, a retry after the key was stored replays the answer. A crash between the charge and storing the key still charges twice: durability is not enough when the key is written after the charge. Claim it first, as in scenario 4, and recover a claim a crash left behind, as the Keys lab's lock timeout does.",
            DURABLE,
            "volatile-store",
        ),
        _ => return None,
    })
}
