//! The races lab: two requests with the same Idempotency-Key, each handled in
//! its own database transaction, stepped by a schedule.
//!
//! The engine is a small transaction model with PostgreSQL 15's behaviour for
//! the statements the scenarios use (see `shared/FACTS.md`, checked on 15.18,
//! and `cli/tests/postgres_races.rs`, which replays every schedule on a real
//! server). Handlers are data: each actor runs a [`Program`], a list of
//! [`Instr`] with branches on what a statement returned. The engine is driven
//! by a schedule, not by the event queue: each schedule entry names the actor
//! that takes its next step. A waiting actor cannot step; it resumes, inside
//! the step of the actor that released what it waited for.
//!
//! Every request carries the same key, so the table model has one key: a row
//! is a version of the key's row, with the transaction that created it
//! (`xmin`), the one that replaced it (`xmax`) and the one holding a
//! `FOR UPDATE` lock on it.

mod compiled;
pub mod corpus;
mod engine;
mod explore;
mod handler;
pub mod limits;
mod scenarios;
mod server_words;
mod shipped;
mod stmt;

pub use compiled::{compile, Compiled, CompiledLane};
pub use engine::{
    instr_short, narrate, run, run_lenient, runnable_after, stmt_short, Dangerous, Frame, LockView, Prediction,
    RaceRun, RowView, WriteKind,
};
pub use explore::{
    enumerate_schedules, explore, Exploration, OutcomeClass, EXPLORE_SCHEDULES_MAX, EXPLORE_STATES_MAX,
    SCHEDULES_LISTED_MAX, SIXTEEN_READS, TWO_EIGHT_STATEMENT_TRANSACTIONS,
};
#[cfg(feature = "parser")]
pub use handler::{handler_scenario, parse_handler};
pub use handler::{
    Handler, HandlerError, HANDLER_INSTRS_MAX, HANDLER_LANES_MAX, HANDLER_LANES_MIN, HANDLER_TEXT_MAX,
    RETRY_ATTEMPTS_MAX, TABLE,
};
pub use scenarios::{scenario, Scenario, ScenarioId, SCENARIO_COUNT, SCENARIO_IDS};

use serde::{Deserialize, Serialize};
pub use stmt::{Column, Cond, OnConflict, ReturnedRow, Returning, RowOut, Stmt, StmtResult, RETURNING_COLUMNS_MAX};

/// An actor's index in a scenario, from 0. Shown to learners as T1, T2…
pub type Actor = u8;

/// Most steps one run may take.
pub const STEPS_MAX: usize = 64;
/// Most actors in a scenario.
pub const ACTORS_MAX: usize = 4;

/// The isolation level a transaction runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// PostgreSQL's default: each statement sees what was committed before it began.
    ReadCommitted,
    /// Serializable snapshot isolation: one snapshot for the whole transaction, plus conflict checks.
    Serializable,
    /// One snapshot for the whole transaction; a row another transaction
    /// updated since is 40001 "could not serialize access due to concurrent
    /// update" (the first updater wins, docs 13.2.2). No SSI checks.
    RepeatableRead,
}

impl Isolation {
    /// The level's name in SQL.
    pub fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::Serializable => "SERIALIZABLE",
            Isolation::RepeatableRead => "REPEATABLE READ",
        }
    }

    /// Whether the level keeps one snapshot for the whole transaction (taken
    /// by its first statement) and fails a write on a row a concurrent
    /// transaction changed with 40001, instead of following it (docs 13.2.2, 13.2.3).
    pub fn uses_transaction_snapshot(self) -> bool {
        match self {
            Isolation::ReadCommitted => false,
            Isolation::RepeatableRead | Isolation::Serializable => true,
        }
    }
}

/// The status column of a key's row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// The request claimed the key and is still working.
    Started,
    /// The request finished and stored its response.
    Done,
}

impl KeyStatus {
    /// The SQL literal.
    pub fn sql(self) -> &'static str {
        match self {
            KeyStatus::Started => "started",
            KeyStatus::Done => "done",
        }
    }
}

/// The SQLSTATE codes the model raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlState {
    /// 23505: a unique index already holds the key.
    UniqueViolation,
    /// 40001: the transaction could not be serialized; retry it.
    SerializationFailure,
    /// 25P02: the transaction already failed; only ROLLBACK is accepted.
    InFailedTransaction,
    /// 40P01: the transaction was chosen to break a cycle of lock waits.
    DeadlockDetected,
    /// 55P03: a NOWAIT lock request found the row held by another transaction.
    LockNotAvailable,
    /// 42P10: `ON CONFLICT (key)` names no unique index or constraint (no arbiter).
    InvalidColumnReference,
}

impl SqlState {
    /// The five-character code.
    pub fn code(self) -> &'static str {
        match self {
            SqlState::UniqueViolation => "23505",
            SqlState::SerializationFailure => "40001",
            SqlState::InFailedTransaction => "25P02",
            SqlState::DeadlockDetected => "40P01",
            SqlState::LockNotAvailable => "55P03",
            SqlState::InvalidColumnReference => "42P10",
        }
    }
}

/// What a row lock does instead of waiting when another transaction holds
/// the row (PostgreSQL's `LockWaitPolicy`; docs, SELECT, "The Locking Clause").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockWaitPolicy {
    /// NOWAIT: fail at once with 55P03 lock_not_available.
    Error,
    /// SKIP LOCKED: leave the locked row out of the result.
    Skip,
}

/// What the handler answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// 201 Created: this request did the work.
    Created,
    /// 409 Conflict: another request with this key is still in progress.
    Conflict,
    /// The stored response of the request that did the work.
    ReplayStored,
    /// 500: an unexpected error.
    ServerError,
}

/// One instruction of a handler. Statements, charges, lookups and crashes are
/// steps (a schedule entry runs one); branches, BEGIN, retries and the reply
/// are instant and run right after the step before them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Instr {
    /// Run a SQL statement.
    Sql { stmt: Stmt },
    /// Call the payment provider: one charge on the ledger.
    Charge,
    /// Look the key up in the server's in-memory map.
    MapGet,
    /// Store the key and its response in the in-memory map.
    MapPut,
    /// The server process crashes: the in-memory map is lost and requests in flight die.
    Crash,
    /// Wait until `actor` has ended; if it answered the client, there is nothing to retry.
    AwaitUnanswered { actor: Actor },
    /// Jump to `to` when `cond` holds.
    JumpIf { cond: Cond, to: u16 },
    /// Start the handler again after a 40001, up to `attempts_max` attempts; then answer 500.
    Retry { attempts_max: u8 },
    /// Answer the client (instant) and end.
    Respond { reply: Reply },
    /// Send the answer over the network as a step of its own (a crash can come before it) and end.
    SendResponse { reply: Reply },
}

impl Instr {
    /// Whether a schedule entry is needed to run this instruction.
    pub fn is_step(self) -> bool {
        match self {
            Instr::Sql { stmt: Stmt::Begin { .. } | Stmt::SetIsolation { .. } } => false,
            Instr::Sql { .. }
            | Instr::Charge
            | Instr::MapGet
            | Instr::MapPut
            | Instr::Crash
            | Instr::SendResponse { .. } => true,
            Instr::AwaitUnanswered { .. } | Instr::JumpIf { .. } | Instr::Retry { .. } | Instr::Respond { .. } => false,
        }
    }
}

/// A handler: its name on the lane and its instructions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Program {
    /// Lane label, e.g. "T1 (request A)".
    pub name: &'static str,
    /// The instructions.
    pub instrs: Vec<Instr>,
}

/// What a client got back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(tag = "response", rename_all = "snake_case")]
pub enum Response {
    /// 201, from the request that did the work.
    Created,
    /// 409, the key is in progress elsewhere.
    Conflict,
    /// The stored response, replayed.
    Replayed { code: u16 },
    /// 500.
    ServerError,
    /// The request died in a crash; the client got nothing.
    NoResponse,
    /// The first attempt was answered, so this retry was never sent.
    NotSent,
    /// The lane is not a request (the server's crash): it answers no one.
    NotARequest,
}

impl Response {
    /// A short label: "201", "409", "replay 201", "500", "none", "not sent".
    pub fn label(self) -> String {
        match self {
            Response::Created => "201".into(),
            Response::Conflict => "409".into(),
            Response::Replayed { code } => format!("replay {code}"),
            Response::ServerError => "500".into(),
            Response::NoResponse => "no response".into(),
            Response::NotSent => "not sent".into(),
            Response::NotARequest => "-".into(),
        }
    }
}

/// Why an actor waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// The unique index holds the same key, inserted by a transaction that has not ended.
    UncommittedKey,
    /// The row is locked (FOR UPDATE or being updated) by a transaction that has not ended.
    RowLock,
    /// Another transaction holds the advisory lock on the key.
    AdvisoryLock,
    /// The client waits for its first attempt to time out before retrying.
    ClientTimeout,
}

/// One thing that happened. `actor` is the actor it happened to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RaceRecord {
    /// A transaction began (BEGIN runs with the actor's next statement).
    Began { actor: Actor, isolation: Isolation },
    /// A statement finished at once with this result.
    Ran { actor: Actor, pc: u16, stmt: Stmt, result: StmtResult },
    /// A statement began to wait for what `on` holds.
    WaitBegan { actor: Actor, pc: u16, stmt: Stmt, on: Actor, reason: WaitReason },
    /// A waiting statement went on because what it waited for ended, with this result.
    Resumed { actor: Actor, pc: u16, stmt: Stmt, result: StmtResult },
    /// The payment provider charged the card; `total` counts every charge so far.
    Charged { actor: Actor, total: u8 },
    /// The in-memory map lookup found the key (`hit`) or not.
    MapLookedUp { actor: Actor, hit: bool },
    /// The key and response were stored in the in-memory map.
    MapStored { actor: Actor },
    /// The server crashed; `keys_lost`: the in-memory map is empty now (a durable store keeps it).
    Crashed { actor: Actor, keys_lost: bool },
    /// A request in flight died in the crash.
    Killed { actor: Actor },
    /// The handler starts over after a serialization failure.
    Retrying { actor: Actor, attempt: u8 },
    /// The client got its answer.
    Responded { actor: Actor, response: Response },
    /// Why SSI failed the statement just recorded with 40001: the dangerous
    /// structure of read-write conflicts it found (a table with no index on key).
    SerializationFailure { actor: Actor, why: Dangerous },
}

impl RaceRecord {
    /// The actor the record is about.
    pub fn actor(&self) -> Actor {
        match self {
            RaceRecord::Began { actor, .. }
            | RaceRecord::Ran { actor, .. }
            | RaceRecord::WaitBegan { actor, .. }
            | RaceRecord::Resumed { actor, .. }
            | RaceRecord::Charged { actor, .. }
            | RaceRecord::MapLookedUp { actor, .. }
            | RaceRecord::MapStored { actor }
            | RaceRecord::Crashed { actor, .. }
            | RaceRecord::Killed { actor }
            | RaceRecord::Retrying { actor, .. }
            | RaceRecord::Responded { actor, .. }
            | RaceRecord::SerializationFailure { actor, .. } => *actor,
        }
    }
}

/// A record and the step (1-based schedule position) it happened in; 0 is before the first step.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StepRecord {
    /// The step.
    pub step: u16,
    /// What happened.
    pub record: RaceRecord,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RaceOutcome {
    /// Charges at the payment provider; more than one is a double charge.
    pub charges: u8,
    /// Each actor's answer, once it has one.
    pub responses: Vec<Option<Response>>,
    /// Errors raised, by actor, in order.
    pub errors: Vec<(Actor, SqlState)>,
    /// The committed rows at the end.
    pub final_rows: Vec<RowOut>,
    /// Whether every actor finished.
    pub finished: bool,
}

impl RaceOutcome {
    /// Whether the one payment was charged more than once.
    pub fn double_charge(&self) -> bool {
        self.charges > 1
    }

    /// A one-line description that two runs share exactly when they end the same way.
    pub fn class_label(&self) -> String {
        let mut s = format!("{} charge{}", self.charges, if self.charges == 1 { "" } else { "s" });
        for (i, r) in self.responses.iter().enumerate() {
            if *r == Some(Response::NotARequest) {
                continue;
            }
            s.push_str(&format!(" · T{} {}", i + 1, r.map_or("unanswered".into(), Response::label)));
        }
        if !self.errors.is_empty() {
            let codes: Vec<&str> = self.errors.iter().map(|(_, e)| e.code()).collect();
            s.push_str(&format!(" · errors {}", codes.join(", ")));
        }
        // The in-memory scenarios have no table; saying "0 rows" there would mislead.
        if !self.final_rows.is_empty() {
            s.push_str(&format!(
                " · {} row{}",
                self.final_rows.len(),
                if self.final_rows.len() == 1 { "" } else { "s" }
            ));
        }
        if !self.finished {
            s.push_str(" · unfinished");
        }
        s
    }
}

#[cfg(all(test, feature = "parser"))]
mod handler_tests;
#[cfg(test)]
mod queue_tests;
#[cfg(all(test, feature = "parser"))]
mod shipped_tests;
#[cfg(all(test, feature = "parser"))]
mod ssi_tests;
#[cfg(test)]
mod tests;

mod explain;
mod lab;
mod params;
mod presets;

pub use explain::why;
pub use lab::{decisive_step, run_explored, run_schedule, scenario_of, RacesLab, RacesRun};
pub use params::{join as join_schedule, schedule_words, Mode, RacesParams};
pub use server_words::{
    command_tag, frame_narration, frame_tags, server_check_hint, server_check_words, sqlstate_tip, thousands,
    CheckCount, PG_SCHEDULES_MAX,
};
