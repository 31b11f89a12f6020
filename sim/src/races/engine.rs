//! The step-driven transaction model, in parts: this file holds the state
//! and a transaction's life (begin, commit, abort, the end of a request);
//! `exec.rs` runs statements and the instant instructions; `locks.rs` has the
//! waits, lock queues, wake-ups and deadlocks; `run.rs` runs a schedule and
//! builds what each step shows; `narrate.rs` puts records into words.

mod exec;
mod future;
mod lock_table;
mod locks;
mod narrate;
mod run;
mod savepoint;
mod session;
mod ssi;
mod tables;

pub(super) use future::Names;
pub(super) use narrate::reason_words;
pub use narrate::{instr_short, narrate, stmt_short};
pub use run::{run, run_lenient, runnable_after, Frame, LockView, Prediction, RaceRun, RowView};
pub use ssi::{Dangerous, WriteKind};

use super::*;
use crate::error::SimError;
use lock_table::{ActorId, LockAttempt, LockTable, TxnId, Wait};
use tables::{Actors, Txns};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TxnStatus {
    Active,
    /// Committed as the `seq`-th commit of the run.
    Committed(u32),
    Aborted,
}

#[derive(Clone, Copy, Debug)]
struct Txn {
    owner: Actor,
    status: TxnStatus,
}

/// A version of the key's row.
#[derive(Clone, Copy, Debug)]
struct Row {
    status: KeyStatus,
    response: Option<u16>,
    xmin: TxnId,
    xmax: Option<TxnId>,
    locker: Option<TxnId>,
    /// The savepoint depth of the (sub)transaction that created this version,
    /// replaced it (`xmax_sub`) or locked it (`locker_sub`): a ROLLBACK TO
    /// SAVEPOINT undoes what was done at its depth or deeper (see `savepoint.rs`).
    sub: u8,
    xmax_sub: u8,
    locker_sub: u8,
}

impl Row {
    /// A new version written by transaction `xmin` at savepoint depth `sub`.
    fn new(status: KeyStatus, response: Option<u16>, xmin: TxnId, sub: u8) -> Row {
        Row { status, response, xmin, xmax: None, locker: None, sub, xmax_sub: 0, locker_sub: 0 }
    }
}

#[derive(Clone, Copy, Debug)]
struct OpenTxn {
    no: TxnId,
    isolation: Isolation,
    /// False for a statement run outside BEGIN (autocommit).
    explicit: bool,
    /// Commits seen by the snapshot; taken by the first statement.
    snapshot: Option<u32>,
    failed: bool,
    /// Whether the transaction read the key (SSI keeps a predicate lock on it).
    read_key: bool,
    /// Open savepoints (their ids), innermost last; `depth` of them are in use.
    savepoints: [u8; SAVEPOINTS_MAX],
    depth: u8,
}

/// Most savepoints open at once in one transaction.
const SAVEPOINTS_MAX: usize = 4;

impl OpenTxn {
    /// A transaction that has run nothing yet.
    fn new(no: TxnId, isolation: Isolation, explicit: bool) -> OpenTxn {
        OpenTxn {
            no,
            isolation,
            explicit,
            snapshot: None,
            failed: false,
            read_key: false,
            savepoints: [0; SAVEPOINTS_MAX],
            depth: 0,
        }
    }
}

#[derive(Clone, Debug)]
struct ActorState {
    pc: u16,
    txn: Option<OpenTxn>,
    last: Option<StmtResult>,
    last_row: Option<RowOut>,
    map_hit: Option<u16>,
    /// The snapshot a waiting READ COMMITTED statement keeps across its wait.
    stmt_snapshot: Option<u32>,
    response: Option<Response>,
    attempts: u8,
    stepped: bool,
    /// Whether the statement in flight already ran its SSI scan (a statement
    /// resumed after a wait does not scan the table again).
    scanned: bool,
}

/// The whole model's state; cloned by the explorer at each branch.
#[derive(Clone, Debug)]
pub(super) struct State {
    rows: Vec<Row>,
    txns: Txns,
    commits: u32,
    /// Advisory locks and every wait (row locks are in the rows, as in PostgreSQL).
    locks: LockTable,
    map: Option<u16>,
    actors: Actors,
    charges: u8,
    errors: Vec<(Actor, SqlState)>,
    /// SIREAD locks and rw-conflicts (a table with no index on key, at SERIALIZABLE).
    ssi: ssi::Ssi,
    pub(super) step: u16,
    pub(super) trace: Vec<StepRecord>,
    record_trace: bool,
}

/// What running a statement came to.
enum Exec {
    /// It answered.
    Done(StmtResult),
    /// It waits for this transaction to end.
    Wait(TxnId, WaitReason),
    /// It waits for this actor's session to give up its session-level advisory lock.
    WaitSession(Actor),
}

/// What a statement's end ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// The transaction: its locks are all gone.
    Whole,
    /// The innermost subtransaction (an error inside a savepoint): the rest still holds.
    Subtransaction,
}

impl State {
    pub(super) fn new(s: &Scenario, record_trace: bool) -> Result<State, SimError> {
        s.validate()?;
        let actor = ActorState {
            pc: 0,
            txn: None,
            last: None,
            last_row: None,
            map_hit: None,
            stmt_snapshot: None,
            response: None,
            attempts: 1,
            stepped: false,
            scanned: false,
        };
        let mut st = State {
            rows: Vec::new(),
            txns: Txns(Vec::new()),
            commits: 0,
            locks: LockTable::new(s.programs.len()),
            map: None,
            actors: Actors(vec![actor; s.programs.len()]),
            charges: 0,
            errors: Vec::new(),
            ssi: ssi::Ssi::default(),
            step: 0,
            trace: Vec::new(),
            record_trace,
        };
        for a in 0..s.programs.len() {
            st.settle(s, a as Actor)?;
        }
        Ok(st)
    }

    fn push(&mut self, record: RaceRecord) {
        if self.record_trace {
            self.trace.push(StepRecord { step: self.step, record });
        }
    }

    pub(super) fn done(&self, a: Actor) -> bool {
        self.actors[a].response.is_some()
    }

    /// Actors that may take the next step, in order.
    pub(super) fn runnable(&self) -> impl Iterator<Item = Actor> + '_ {
        self.actors.iter().filter(|(a, x)| x.response.is_none() && !self.locks.waits(ActorId(*a))).map(|(a, _)| a)
    }

    pub(super) fn all_done(&self) -> bool {
        self.actors.iter().all(|(_, x)| x.response.is_some())
    }

    /// Why `a` cannot step, in words, or None when it can.
    pub(super) fn blocked_reason(&self, a: Actor) -> Option<String> {
        let x = self.actors.get(a)?;
        if let Some(r) = x.response {
            return Some(format!("T{} has already finished ({})", a + 1, r.label()));
        }
        match self.locks.wait_of(ActorId(a)) {
            None => None,
            Some(Wait::Txn(t, reason)) => {
                Some(format!("T{} is waiting for T{} ({})", a + 1, self.txns[t].owner + 1, reason_words(reason)))
            }
            Some(Wait::ActorEnd(o)) => Some(format!("T{} is waiting for T{} to end", a + 1, o + 1)),
            Some(Wait::Session(h)) => Some(format!(
                "T{} is waiting for T{} (the session-level advisory lock on the key is held)",
                a + 1,
                h + 1
            )),
        }
    }

    fn committed_before(&self, t: TxnId, snap: u32) -> bool {
        matches!(self.txns[t].status, TxnStatus::Committed(seq) if seq < snap)
    }

    fn active(&self, t: TxnId) -> bool {
        self.txns[t].status == TxnStatus::Active
    }

    fn visible(&self, r: &Row, me: TxnId, snap: u32) -> bool {
        let created = r.xmin == me || self.committed_before(r.xmin, snap);
        let deleted = r.xmax.is_some_and(|x| x == me || self.committed_before(x, snap));
        created && !deleted
    }

    fn out(r: &Row) -> RowOut {
        RowOut { status: r.status, response: r.response }
    }

    /// Runs one step of `a`: its current instruction, then its instant ones.
    pub(super) fn step(&mut self, s: &Scenario, a: Actor) -> Result<(), SimError> {
        if self.actors.get(a).is_none() {
            return Err(SimError::InvalidParameter {
                name: "schedule",
                reason: format!("there is no T{} in this scenario; it has {} actors", a + 1, self.actors.len()),
            });
        }
        if let Some(why) = self.blocked_reason(a) {
            return Err(SimError::InvalidParameter { name: "schedule", reason: why });
        }
        if self.step as usize >= STEPS_MAX {
            return Err(SimError::EventBudgetExceeded { events_max: STEPS_MAX as u64 });
        }
        self.step += 1;
        let prog = &s.programs[ActorId(a).index()];
        let pc = self.actors[a].pc;
        let instr = prog.instrs[pc as usize];
        self.actors[a].stepped = true;
        match instr {
            Instr::Sql {
                stmt: stmt @ (Stmt::Savepoint { .. } | Stmt::RollbackToSavepoint { .. } | Stmt::ReleaseSavepoint { .. }),
            } => {
                let (result, undone) = self.savepoint_stmt(a, stmt)?;
                self.push(RaceRecord::Ran { actor: a, pc, stmt, result: result.clone() });
                self.finish_stmt(s, a, stmt, result)?;
                if let Some(t) = undone {
                    self.wake_partial(s, t)?;
                }
            }
            Instr::Sql { stmt } => {
                self.actors[a].stmt_snapshot = None;
                self.actors[a].scanned = false;
                match self.exec(s, a, stmt) {
                    Exec::Done(result) => {
                        self.push(RaceRecord::Ran { actor: a, pc, stmt, result: result.clone() });
                        self.finish_stmt(s, a, stmt, result)?;
                    }
                    Exec::Wait(t, reason) => {
                        self.begin_wait(s, a, pc, stmt, t, reason)?;
                        return Ok(());
                    }
                    Exec::WaitSession(h) => {
                        self.begin_session_wait(s, a, pc, stmt, h)?;
                        return Ok(());
                    }
                }
            }
            Instr::Charge => {
                self.charges = self.charges.saturating_add(1);
                let total = self.charges;
                self.push(RaceRecord::Charged { actor: a, total });
                self.actors[a].pc += 1;
            }
            Instr::MapGet => {
                let hit = self.map;
                self.actors[a].map_hit = hit;
                self.push(RaceRecord::MapLookedUp { actor: a, hit: hit.is_some() });
                self.actors[a].pc += 1;
            }
            Instr::MapPut => {
                self.map = Some(201);
                self.push(RaceRecord::MapStored { actor: a });
                self.actors[a].pc += 1;
            }
            Instr::Crash => {
                if !s.durable_store {
                    self.map = None;
                }
                self.push(RaceRecord::Crashed { actor: a, keys_lost: !s.durable_store });
                self.end_actor(s, a, Response::NotARequest, false)?;
                // Requests in flight die with the process; ones not yet arrived are untouched.
                for o in ActorId::all(self.actors.len()).map(|o| o.0) {
                    let x = &self.actors[o];
                    if o != a && x.stepped && x.response.is_none() {
                        self.push(RaceRecord::Killed { actor: o });
                        self.end_actor(s, o, Response::NoResponse, true)?;
                    }
                }
                self.wake_actor_waiters(s)?;
                return Ok(());
            }
            Instr::SendResponse { reply } => {
                let r = self.reply(a, reply);
                self.end_actor(s, a, r, true)?;
                self.wake_actor_waiters(s)?;
                return Ok(());
            }
            Instr::AwaitUnanswered { .. } | Instr::JumpIf { .. } | Instr::Retry { .. } | Instr::Respond { .. } => {
                return Err(SimError::Internal("an instant instruction was left to step"));
            }
        }
        self.settle(s, a)
    }

    /// Records a statement's result and moves past it.
    fn finish_stmt(&mut self, s: &Scenario, a: Actor, stmt: Stmt, result: StmtResult) -> Result<(), SimError> {
        if let Some(why) = self.ssi.failure.take() {
            debug_assert!(
                result == StmtResult::Error { state: SqlState::SerializationFailure },
                "an SSI structure is recorded only with the 40001 it explains"
            );
            self.push(RaceRecord::SerializationFailure { actor: a, why });
        }
        let x = &mut self.actors[a];
        x.pc += 1;
        x.stmt_snapshot = None;
        x.scanned = false;
        if result.rows_returned().is_some() {
            x.last_row = result.first_row();
        }
        if let StmtResult::Error { state } = result {
            self.errors.push((a, state));
        }
        let ended = self.end_statement_txn(a, stmt, &result);
        let unlocked = stmt == Stmt::SessionAdvisoryUnlock && self.locks.session_holder() != Some(a);
        self.actors[a].last = Some(result);
        if unlocked {
            self.wake_session_waiters(s, a)?;
        }
        match ended {
            Some((t, Ended::Whole)) => self.wake_txn_waiters(s, t)?,
            Some((t, Ended::Subtransaction)) => self.wake_partial(s, t)?,
            None => {}
        }
        Ok(())
    }

    /// Ends the actor's transaction when the statement ends it (COMMIT,
    /// ROLLBACK, an autocommit statement, or an error, which inside a
    /// savepoint ends only the innermost subtransaction); returns what ended.
    fn end_statement_txn(&mut self, a: Actor, stmt: Stmt, result: &StmtResult) -> Option<(TxnId, Ended)> {
        let open = self.actors[a].txn?;
        let commit = match stmt {
            // A COMMIT that SSI fails (40001) rolls back.
            Stmt::Commit => !open.failed && !matches!(result, StmtResult::Error { .. }),
            Stmt::Rollback => false,
            Stmt::Begin { .. }
            | Stmt::SetIsolation { .. }
            | Stmt::Savepoint { .. }
            | Stmt::RollbackToSavepoint { .. }
            | Stmt::ReleaseSavepoint { .. } => return None,
            Stmt::SelectKey { .. }
            | Stmt::SelectKeyForNoKeyUpdate { .. }
            | Stmt::InsertWith { .. }
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::Insert { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::TryAdvisoryLock
            | Stmt::SessionAdvisoryLock
            | Stmt::SessionAdvisoryUnlock
            | Stmt::InsertOnConflictDoUpdate => {
                if open.explicit {
                    // An error aborts the transaction at once: its rows die and its
                    // locks go now, not at the ROLLBACK; later statements get 25P02.
                    if matches!(result, StmtResult::Error { .. }) && !open.failed {
                        if let Some(t) = self.actors[a].txn.as_mut() {
                            t.failed = true;
                        }
                        if open.depth > 0 {
                            self.undo_sub(open.no, open.depth);
                            return Some((open.no, Ended::Subtransaction));
                        }
                        self.abort_txn(open.no);
                        return Some((open.no, Ended::Whole));
                    }
                    return None;
                }
                !matches!(result, StmtResult::Error { .. })
            }
        };
        self.actors[a].txn = None;
        let t = open.no;
        if commit {
            self.txns[t].status = TxnStatus::Committed(self.commits);
            self.commits += 1;
            for r in &mut self.rows {
                if r.locker == Some(t) {
                    r.locker = None;
                }
            }
        } else {
            self.abort_txn(t);
        }
        self.locks.release_txn(t);
        Some((t, Ended::Whole))
    }

    /// Rolls transaction `t` back: its rows die and its locks are released.
    fn abort_txn(&mut self, t: TxnId) {
        self.txns[t].status = TxnStatus::Aborted;
        self.ssi.abort(t);
        self.rows.retain(|r| r.xmin != t);
        for r in &mut self.rows {
            if r.xmax == Some(t) {
                r.xmax = None;
            }
            if r.locker == Some(t) {
                r.locker = None;
            }
        }
        self.locks.release_txn(t);
    }

    fn end_actor(&mut self, s: &Scenario, a: Actor, response: Response, record: bool) -> Result<(), SimError> {
        let x = &mut self.actors[a];
        x.response = Some(response);
        self.locks.end_wait(ActorId(a));
        if self.locks.session_holder() == Some(a) {
            if let Some(w) = self.locks.session_waiters(a).first() {
                return Err(self.leak(a, w.0));
            }
        }
        let open = x.txn.take();
        if record {
            self.push(RaceRecord::Responded { actor: a, response });
        }
        // A dead request's transaction is rolled back by the server, and whoever waited on it goes on.
        if let Some(open) = open {
            self.abort_txn(open.no);
            self.wake_txn_waiters(s, open.no)?;
        }
        Ok(())
    }

    /// The committed rows seen by a fresh snapshot.
    fn final_rows(&self) -> Vec<RowOut> {
        self.rows
            .iter()
            .filter(|r| {
                self.visible(r, TxnId::OBSERVER, u32::MAX)
                    && matches!(self.txns[r.xmin].status, TxnStatus::Committed(_))
            })
            .map(Self::out)
            .collect()
    }

    pub(super) fn outcome(&self) -> RaceOutcome {
        RaceOutcome {
            charges: self.charges,
            responses: self.actors.iter().map(|(_, x)| x.response).collect(),
            errors: self.errors.clone(),
            final_rows: self.final_rows(),
            finished: self.all_done(),
        }
    }
}
