//! The step-driven transaction model, in parts: this file holds the state
//! and a transaction's life (begin, commit, abort, the end of a request);
//! `exec.rs` runs statements and the instant instructions; `locks.rs` has the
//! waits, lock queues, wake-ups and deadlocks; `run.rs` runs a schedule and
//! builds what each step shows; `narrate.rs` puts records into words.

mod exec;
mod future;
mod locks;
mod narrate;
mod run;

pub(super) use future::Names;
pub(super) use narrate::reason_words;
pub use narrate::{instr_short, narrate, stmt_short};
pub use run::{run, run_lenient, runnable_after, Frame, LockView, Prediction, RaceRun, RowView};

use super::*;
use crate::error::SimError;

/// A transaction's number in the run (every BEGIN or autocommit statement makes one).
type TxnNo = u16;

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
    xmin: TxnNo,
    xmax: Option<TxnNo>,
    locker: Option<TxnNo>,
}

#[derive(Clone, Copy, Debug)]
struct OpenTxn {
    no: TxnNo,
    isolation: Isolation,
    /// False for a statement run outside BEGIN (autocommit).
    explicit: bool,
    /// Commits seen by the snapshot; taken by the first statement.
    snapshot: Option<u32>,
    failed: bool,
    /// Whether the transaction read the key (SSI keeps a predicate lock on it).
    read_key: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    Txn(TxnNo, WaitReason),
    ActorEnd(Actor),
}

#[derive(Clone, Debug)]
struct ActorState {
    pc: u16,
    txn: Option<OpenTxn>,
    last: Option<StmtResult>,
    last_row: Option<RowOut>,
    map_hit: Option<u16>,
    wait: Option<Wait>,
    /// The snapshot a waiting READ COMMITTED statement keeps across its wait.
    stmt_snapshot: Option<u32>,
    response: Option<Response>,
    attempts: u8,
    stepped: bool,
    /// When the current wait began (a run-wide counter): lock queues are first come, first served.
    wait_seq: u32,
    /// Whom the wait is shown on: the lock's holder, or the row-lock waiter ahead in the queue.
    wait_on: Actor,
    /// Whether the wait queues on PostgreSQL's tuple lock (a FOR UPDATE or an
    /// UPDATE waiting for a row lock) rather than on a transaction id alone
    /// (an INSERT's unique check waiting for the row's updater).
    tuple_lock: bool,
    /// Whether, when this tuple-lock wait began, the holder had already
    /// updated the row (not only locked it): see `wake_txn_waiters`.
    saw_update: bool,
}

/// The whole model's state; cloned by the explorer at each branch.
#[derive(Clone, Debug)]
pub(super) struct State {
    rows: Vec<Row>,
    txns: Vec<Txn>,
    commits: u32,
    advisory: Option<TxnNo>,
    map: Option<u16>,
    actors: Vec<ActorState>,
    charges: u8,
    errors: Vec<(Actor, SqlState)>,
    waits_begun: u32,
    pub(super) step: u16,
    pub(super) trace: Vec<StepRecord>,
    record_trace: bool,
}

enum Exec {
    Done(StmtResult),
    Wait(TxnNo, WaitReason),
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
            wait: None,
            stmt_snapshot: None,
            response: None,
            attempts: 1,
            stepped: false,
            wait_seq: 0,
            wait_on: 0,
            tuple_lock: false,
            saw_update: false,
        };
        let mut st = State {
            rows: Vec::new(),
            txns: Vec::new(),
            commits: 0,
            advisory: None,
            map: None,
            actors: vec![actor; s.programs.len()],
            charges: 0,
            errors: Vec::new(),
            waits_begun: 0,
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
        self.actors[a as usize].response.is_some()
    }

    /// Actors that may take the next step, in order.
    pub(super) fn runnable(&self) -> impl Iterator<Item = Actor> + '_ {
        self.actors
            .iter()
            .enumerate()
            .filter(|(_, x)| x.response.is_none() && x.wait.is_none())
            .map(|(i, _)| i as Actor)
    }

    pub(super) fn all_done(&self) -> bool {
        self.actors.iter().all(|x| x.response.is_some())
    }

    /// Why `a` cannot step, in words, or None when it can.
    pub(super) fn blocked_reason(&self, a: Actor) -> Option<String> {
        let x = self.actors.get(a as usize)?;
        if let Some(r) = x.response {
            return Some(format!("T{} has already finished ({})", a + 1, r.label()));
        }
        match x.wait {
            None => None,
            Some(Wait::Txn(t, reason)) => Some(format!(
                "T{} is waiting for T{} ({})",
                a + 1,
                self.txns[t as usize].owner + 1,
                reason_words(reason)
            )),
            Some(Wait::ActorEnd(o)) => Some(format!("T{} is waiting for T{} to end", a + 1, o + 1)),
        }
    }

    fn committed_before(&self, t: TxnNo, snap: u32) -> bool {
        matches!(self.txns[t as usize].status, TxnStatus::Committed(seq) if seq < snap)
    }

    fn active(&self, t: TxnNo) -> bool {
        self.txns[t as usize].status == TxnStatus::Active
    }

    fn visible(&self, r: &Row, me: TxnNo, snap: u32) -> bool {
        let created = r.xmin == me || self.committed_before(r.xmin, snap);
        let deleted = r.xmax.is_some_and(|x| x == me || self.committed_before(x, snap));
        created && !deleted
    }

    fn out(r: &Row) -> RowOut {
        RowOut { status: r.status, response: r.response }
    }

    /// Runs one step of `a`: its current instruction, then its instant ones.
    pub(super) fn step(&mut self, s: &Scenario, a: Actor) -> Result<(), SimError> {
        if a as usize >= self.actors.len() {
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
        let prog = &s.programs[a as usize];
        let pc = self.actors[a as usize].pc;
        let instr = prog.instrs[pc as usize];
        self.actors[a as usize].stepped = true;
        match instr {
            Instr::Sql { stmt } => {
                self.actors[a as usize].stmt_snapshot = None;
                match self.exec(s, a, stmt) {
                    Exec::Done(result) => {
                        self.push(RaceRecord::Ran { actor: a, pc, stmt, result: result.clone() });
                        self.finish_stmt(s, a, stmt, result)?;
                    }
                    Exec::Wait(t, reason) => {
                        self.begin_wait(s, a, pc, stmt, t, reason)?;
                        return Ok(());
                    }
                }
            }
            Instr::Charge => {
                self.charges = self.charges.saturating_add(1);
                let total = self.charges;
                self.push(RaceRecord::Charged { actor: a, total });
                self.actors[a as usize].pc += 1;
            }
            Instr::MapGet => {
                let hit = self.map;
                self.actors[a as usize].map_hit = hit;
                self.push(RaceRecord::MapLookedUp { actor: a, hit: hit.is_some() });
                self.actors[a as usize].pc += 1;
            }
            Instr::MapPut => {
                self.map = Some(201);
                self.push(RaceRecord::MapStored { actor: a });
                self.actors[a as usize].pc += 1;
            }
            Instr::Crash => {
                if !s.durable_store {
                    self.map = None;
                }
                self.push(RaceRecord::Crashed { actor: a, keys_lost: !s.durable_store });
                self.end_actor(s, a, Response::NotARequest, false)?;
                // Requests in flight die with the process; ones not yet arrived are untouched.
                for o in 0..self.actors.len() as Actor {
                    let x = &self.actors[o as usize];
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
        let x = &mut self.actors[a as usize];
        x.pc += 1;
        x.stmt_snapshot = None;
        if let StmtResult::Rows { rows } = &result {
            x.last_row = rows.first().copied();
        }
        if let StmtResult::Error { state } = result {
            self.errors.push((a, state));
        }
        let ended = self.end_statement_txn(a, stmt, &result);
        self.actors[a as usize].last = Some(result);
        if let Some(t) = ended {
            self.wake_txn_waiters(s, t)?;
        }
        Ok(())
    }

    /// Ends the actor's transaction when the statement ends it (COMMIT,
    /// ROLLBACK, or an autocommit statement); returns the ended transaction.
    fn end_statement_txn(&mut self, a: Actor, stmt: Stmt, result: &StmtResult) -> Option<TxnNo> {
        let open = self.actors[a as usize].txn?;
        let commit = match stmt {
            Stmt::Commit => !open.failed,
            Stmt::Rollback => false,
            Stmt::Begin { .. } => return None,
            Stmt::SelectKey { .. }
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::Insert { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::TryAdvisoryLock
            | Stmt::InsertOnConflictDoUpdate => {
                if open.explicit {
                    // An error aborts the transaction at once: its rows die and its
                    // locks go now, not at the ROLLBACK; later statements get 25P02.
                    if matches!(result, StmtResult::Error { .. }) && !open.failed {
                        if let Some(t) = self.actors[a as usize].txn.as_mut() {
                            t.failed = true;
                        }
                        self.abort_txn(open.no);
                        return Some(open.no);
                    }
                    return None;
                }
                !matches!(result, StmtResult::Error { .. })
            }
        };
        self.actors[a as usize].txn = None;
        let t = open.no;
        if commit {
            self.txns[t as usize].status = TxnStatus::Committed(self.commits);
            self.commits += 1;
            for r in &mut self.rows {
                if r.locker == Some(t) {
                    r.locker = None;
                }
            }
        } else {
            self.abort_txn(t);
        }
        if self.advisory == Some(t) {
            self.advisory = None;
        }
        Some(t)
    }

    /// Rolls transaction `t` back: its rows die and its locks are released.
    fn abort_txn(&mut self, t: TxnNo) {
        self.txns[t as usize].status = TxnStatus::Aborted;
        self.rows.retain(|r| r.xmin != t);
        for r in &mut self.rows {
            if r.xmax == Some(t) {
                r.xmax = None;
            }
            if r.locker == Some(t) {
                r.locker = None;
            }
        }
        if self.advisory == Some(t) {
            self.advisory = None;
        }
    }

    fn end_actor(&mut self, s: &Scenario, a: Actor, response: Response, record: bool) -> Result<(), SimError> {
        let x = &mut self.actors[a as usize];
        x.response = Some(response);
        x.wait = None;
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
                self.visible(r, TxnNo::MAX, u32::MAX)
                    && matches!(self.txns[r.xmin as usize].status, TxnStatus::Committed(_))
            })
            .map(Self::out)
            .collect()
    }

    pub(super) fn outcome(&self) -> RaceOutcome {
        RaceOutcome {
            charges: self.charges,
            responses: self.actors.iter().map(|x| x.response).collect(),
            errors: self.errors.clone(),
            final_rows: self.final_rows(),
            finished: self.all_done(),
        }
    }
}
