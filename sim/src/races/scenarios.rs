//! The scenarios: handlers as data, with their SQL and what they teach.

use super::*;
use crate::error::SimError;

/// The scenario ids, in teaching order.
pub const SCENARIO_IDS: [&str; 8] = [
    "select-then-insert",
    "unique-charge-first",
    "for-update",
    "on-conflict",
    "serializable",
    "advisory-lock",
    "volatile-store",
    "durable-store",
];

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
    /// The handler's SQL (and app steps as comments), verbatim.
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
            if p.instrs.is_empty() || p.instrs.len() > 64 {
                return bad(format!("{}: a handler needs 1 to 64 instructions", p.name));
            }
            for i in &p.instrs {
                match *i {
                    Instr::JumpIf { to, .. } if to as usize >= p.instrs.len() => {
                        return bad(format!("{}: a branch jumps past the end", p.name));
                    }
                    Instr::AwaitUnanswered { actor } if actor as usize >= self.programs.len() => {
                        return bad(format!("{}: it waits for an actor that does not exist", p.name));
                    }
                    // Commit-time SSI failures are not modelled, and without a unique
                    // index two SERIALIZABLE inserts fail only at COMMIT.
                    Instr::Sql { stmt: Stmt::Begin { isolation: Isolation::Serializable } } if !self.unique_index => {
                        return bad("this model runs SERIALIZABLE only on a table with a unique index on key".into());
                    }
                    Instr::Sql { stmt: Stmt::Insert { on_conflict_do_nothing: true, .. } } if !self.unique_index => {
                        return bad("ON CONFLICT (key) needs a unique index on key".into());
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
            let ends = p.instrs.iter().any(|i| {
                matches!(i, Instr::Respond { .. } | Instr::SendResponse { .. } | Instr::Crash | Instr::Retry { .. })
            });
            if !ends {
                return bad(format!("{}: a handler must end by answering", p.name));
            }
        }
        Ok(())
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

fn sql(stmt: Stmt) -> Instr {
    Instr::Sql { stmt }
}
const BEGIN_RC: Instr = Instr::Sql { stmt: Stmt::Begin { isolation: Isolation::ReadCommitted } };
const COMMIT: Instr = Instr::Sql { stmt: Stmt::Commit };
const ROLLBACK: Instr = Instr::Sql { stmt: Stmt::Rollback };

/// SELECT the key; if absent, charge, INSERT, COMMIT. Used by scenarios 1 to 3.
fn check_then_insert(name: &'static str, for_update: bool) -> Program {
    Program {
        name,
        instrs: vec![
            BEGIN_RC,
            sql(Stmt::SelectKey { for_update }),
            Instr::JumpIf { cond: Cond::NoRow, to: 5 },
            COMMIT,
            Instr::Respond { reply: Reply::ReplayStored },
            Instr::Charge,
            sql(Stmt::Insert { status: KeyStatus::Done, on_conflict_do_nothing: false }),
            Instr::JumpIf { cond: Cond::Failed, to: 10 },
            COMMIT,
            Instr::Respond { reply: Reply::Created },
            ROLLBACK,
            Instr::Respond { reply: Reply::ServerError },
        ],
    }
}

fn on_conflict(name: &'static str) -> Program {
    Program {
        name,
        instrs: vec![
            BEGIN_RC,
            sql(Stmt::Insert { status: KeyStatus::Started, on_conflict_do_nothing: true }),
            Instr::JumpIf { cond: Cond::NoRow, to: 7 },
            COMMIT,
            Instr::Charge,
            sql(Stmt::UpdateDone),
            Instr::Respond { reply: Reply::Created },
            sql(Stmt::SelectKey { for_update: false }),
            COMMIT,
            Instr::JumpIf { cond: Cond::StatusStarted, to: 11 },
            Instr::Respond { reply: Reply::ReplayStored },
            Instr::Respond { reply: Reply::Conflict },
        ],
    }
}

fn serializable(name: &'static str) -> Program {
    Program {
        name,
        instrs: vec![
            sql(Stmt::Begin { isolation: Isolation::Serializable }),
            sql(Stmt::SelectKey { for_update: false }),
            Instr::JumpIf { cond: Cond::NoRow, to: 7 },
            COMMIT,
            Instr::JumpIf { cond: Cond::StatusStarted, to: 6 },
            Instr::Respond { reply: Reply::ReplayStored },
            Instr::Respond { reply: Reply::Conflict },
            sql(Stmt::Insert { status: KeyStatus::Started, on_conflict_do_nothing: false }),
            Instr::JumpIf { cond: Cond::Failed, to: 13 },
            COMMIT,
            Instr::Charge,
            sql(Stmt::UpdateDone),
            Instr::Respond { reply: Reply::Created },
            ROLLBACK,
            Instr::Retry { attempts_max: 3 },
        ],
    }
}

fn advisory(name: &'static str) -> Program {
    Program {
        name,
        instrs: vec![
            BEGIN_RC,
            sql(Stmt::AdvisoryLock),
            sql(Stmt::SelectKey { for_update: false }),
            Instr::JumpIf { cond: Cond::NoRow, to: 6 },
            COMMIT,
            Instr::Respond { reply: Reply::ReplayStored },
            Instr::Charge,
            sql(Stmt::Insert { status: KeyStatus::Done, on_conflict_do_nothing: false }),
            COMMIT,
            Instr::Respond { reply: Reply::Created },
        ],
    }
}

fn memory_handler(name: &'static str, retry: bool) -> Program {
    let mut instrs = Vec::new();
    if retry {
        instrs.push(Instr::AwaitUnanswered { actor: 0 });
    }
    let o = instrs.len() as u16;
    instrs.extend([
        Instr::MapGet,
        Instr::JumpIf { cond: Cond::MapHit, to: o + 5 },
        Instr::Charge,
        Instr::MapPut,
        Instr::SendResponse { reply: Reply::Created },
        Instr::SendResponse { reply: Reply::ReplayStored },
    ]);
    Program { name, instrs }
}

const SQL_CHECK_THEN_INSERT: &str = "-- handler for POST /payments with Idempotency-Key $1
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
-- a row: COMMIT and replay its stored response
-- no row:
--   charge the card at the payment provider
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;   -- respond 201
-- on an error: ROLLBACK; respond 500";

const SQL_FOR_UPDATE: &str = "BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;
-- a row: COMMIT and replay its stored response
-- no row:
--   charge the card at the payment provider
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;   -- respond 201
-- on an error: ROLLBACK; respond 500";

const SQL_ON_CONFLICT: &str = "BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;
-- a row came back: this request owns the key
COMMIT;
--   charge the card at the payment provider
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
--   respond 201
-- no row came back: another request owns the key
SELECT status, response FROM idempotency_keys WHERE key = $1;
COMMIT;   -- 'started': respond 409; 'done': replay the stored response";

const SQL_SERIALIZABLE: &str = "BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
-- a row: COMMIT; 'started': respond 409, 'done': replay it
-- no row:
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);
COMMIT;
--   charge the card at the payment provider
UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;
--   respond 201
-- on 40001: ROLLBACK; and run the whole transaction again (at most 3 attempts)";

const SQL_ADVISORY: &str = "BEGIN;
SELECT pg_advisory_xact_lock(hashtext($1));
SELECT status, response FROM idempotency_keys WHERE key = $1;
-- a row: COMMIT and replay its stored response
-- no row:
--   charge the card at the payment provider
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;   -- releases the advisory lock; respond 201";

const CODE_VOLATILE: &str = "// not SQL: the keys live in the server's memory
if let Some(stored) = keys.get(key) { return stored.clone(); }
charge_card()?;                     // the payment provider
keys.insert(key, Response::Created); // a HashMap: lost on a crash
send(Response::Created);            // a crash before this: no answer, the client retries";

const CODE_DURABLE: &str = "// the same handler, with the map on disk: a crash no longer empties it
if let Some(stored) = keys.get(key) { return stored.clone(); }
charge_card()?;
keys.insert(key, Response::Created); // durable: survives the crash
send(Response::Created);";

/// The scenario with this id.
pub fn scenario(id: &str) -> Option<Scenario> {
    let two = |f: &dyn Fn(&'static str) -> Program| vec![f("T1 (request A)"), f("T2 (request B)")];
    let s = match id {
        "select-then-insert" => Scenario {
            id: "select-then-insert",
            number: 1,
            title: "SELECT, then INSERT, no unique index",
            explanation: "Both requests SELECT the key before either has inserted it, so both see nothing, both charge the card and both insert. Nothing in the database says the key must be unique, so both inserts succeed: a double charge, and two rows for one key.",
            sql: SQL_CHECK_THEN_INSERT,
            unique_index: false,
            is_sql: true,
            durable_store: false,
            twin: "on-conflict",
            programs: two(&|n| check_then_insert(n, false)),
        },
        "unique-charge-first" => Scenario {
            id: "unique-charge-first",
            number: 2,
            title: "SELECT, then INSERT, with a unique index, charging first",
            explanation: "The unique index stops the second row, but too late: the second request charged before its INSERT. Its INSERT waits while the first transaction is open, then fails with 23505 when it commits, and the client gets a 500. A double charge plus an error.",
            sql: SQL_CHECK_THEN_INSERT,
            unique_index: true,
            is_sql: true,
            durable_store: false,
            twin: "on-conflict",
            programs: two(&|n| check_then_insert(n, false)),
        },
        "for-update" => Scenario {
            id: "for-update",
            number: 3,
            title: "SELECT … FOR UPDATE, then INSERT: the lock that locks nothing",
            explanation: "FOR UPDATE locks only the rows it returns. On an absent key it returns nothing, locks nothing and blocks nobody, so both requests pass the check, both charge and both insert, exactly as without it.",
            sql: SQL_FOR_UPDATE,
            unique_index: false,
            is_sql: true,
            durable_store: false,
            twin: "on-conflict",
            programs: two(&|n| check_then_insert(n, true)),
        },
        "on-conflict" => Scenario {
            id: "on-conflict",
            number: 4,
            title: "INSERT … ON CONFLICT DO NOTHING RETURNING (the fix)",
            explanation: "The claim and the check are one atomic statement. The second INSERT waits while the first is uncommitted, then returns no row, so only the request that got a row back charges: exactly one charge. The loser SELECTs the row: 409 while the winner is still working, the stored response once it has finished.",
            sql: SQL_ON_CONFLICT,
            unique_index: true,
            is_sql: true,
            durable_store: false,
            twin: "select-then-insert",
            programs: two(&on_conflict),
        },
        "serializable" => Scenario {
            id: "serializable",
            number: 5,
            title: "SELECT, then INSERT, at SERIALIZABLE",
            explanation: "When both SELECTs run before either commits, PostgreSQL sees that no serial order explains what they read, and fails one transaction with 40001 (when its INSERT runs, or when the INSERT it waited on commits). The charge comes after COMMIT, so the failed transaction charged nothing; retrying it is safe, and the retry finds the key. PostgreSQL does not retry for you: the handler does.",
            sql: SQL_SERIALIZABLE,
            unique_index: true,
            is_sql: true,
            durable_store: false,
            twin: "select-then-insert",
            programs: two(&serializable),
        },
        "advisory-lock" => Scenario {
            id: "advisory-lock",
            number: 6,
            title: "An advisory transaction lock on the key",
            explanation: "pg_advisory_xact_lock serialises the requests that share the key: the second waits until the first transaction ends, and its SELECT (a new statement, so a new snapshot at READ COMMITTED) then sees the committed row and replays it. Safe, at the price of holding a lock while the card is charged.",
            sql: SQL_ADVISORY,
            unique_index: false,
            is_sql: true,
            durable_store: false,
            twin: "select-then-insert",
            programs: two(&advisory),
        },
        "volatile-store" => Scenario {
            id: "volatile-store",
            number: 7,
            title: "A volatile key store loses its keys in a crash",
            explanation: "The server remembers keys in memory. If it crashes after the charge and before the client has its answer, the client retries; the restarted server has forgotten the key and charges again. A lost key is a double charge.",
            sql: CODE_VOLATILE,
            unique_index: false,
            is_sql: false,
            durable_store: false,
            twin: "durable-store",
            programs: vec![memory_handler("T1 (attempt 1)", false), Program { name: "Server", instrs: vec![Instr::Crash] }, memory_handler("T3 (retry)", true)],
        },
        "durable-store" => Scenario {
            id: "durable-store",
            number: 8,
            title: "The same handler with a durable key store",
            explanation: "With the keys on disk, a retry after the key was stored replays the answer. A crash between the charge and storing the key still charges twice: durability is not enough when the key is written after the charge. Claim it first, as in scenario 4.",
            sql: CODE_DURABLE,
            unique_index: false,
            is_sql: false,
            durable_store: true,
            twin: "volatile-store",
            programs: vec![memory_handler("T1 (attempt 1)", false), Program { name: "Server", instrs: vec![Instr::Crash] }, memory_handler("T3 (retry)", true)],
        },
        _ => return None,
    };
    Some(s)
}
