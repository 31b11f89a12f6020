//! The step-driven transaction model.

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

/// A row as the table panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RowView {
    /// The status column.
    pub status: KeyStatus,
    /// The response column.
    pub response: Option<u16>,
    /// The actor whose transaction wrote this version.
    pub written_by: Actor,
    /// Whether that transaction committed.
    pub committed: bool,
    /// Whether a committed later version replaced this one (kept for older snapshots).
    pub replaced: bool,
    /// The actor holding a FOR UPDATE lock on it, if any.
    pub locked_by: Option<Actor>,
}

/// A lock or wait as the lock panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct LockView {
    /// Who waits.
    pub waiter: Actor,
    /// For whom.
    pub on: Actor,
    /// Why.
    pub reason: WaitReason,
}

/// A question to ask before a decisive step, and its answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Prediction {
    /// The question.
    pub question: String,
    /// The choices.
    pub options: Vec<&'static str>,
    /// The index of the right choice.
    pub answer: usize,
}

/// The state after one step, for the UI.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Frame {
    /// The step, from 1.
    pub step: u16,
    /// Who stepped.
    pub actor: Actor,
    /// The instruction it ran.
    pub instr: Instr,
    /// The records of this step.
    pub records: Vec<RaceRecord>,
    /// Every row version that exists (rolled-back ones are gone).
    pub rows: Vec<RowView>,
    /// Who holds the advisory lock.
    pub advisory_holder: Option<Actor>,
    /// Whether the in-memory map holds the key.
    pub map_has_key: bool,
    /// Who waits for whom.
    pub waits: Vec<LockView>,
    /// Charges so far.
    pub charges: u8,
    /// Responses so far.
    pub responses: Vec<Option<Response>>,
    /// A predict-first question when this step decides the outcome.
    pub prediction: Option<Prediction>,
}

/// A finished run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct RaceRun {
    /// The scenario's id.
    pub scenario: &'static str,
    /// The schedule that ran, 1-based actor numbers.
    pub schedule: Vec<u8>,
    /// Everything that happened.
    pub trace: Vec<StepRecord>,
    /// The state after each step.
    pub frames: Vec<Frame>,
    /// How it ended.
    pub outcome: RaceOutcome,
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
            Stmt::SelectKey { .. } | Stmt::Insert { .. } | Stmt::UpdateDone | Stmt::AdvisoryLock => {
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

    /// `a`'s statement begins to wait for transaction `t`. When that closes a
    /// cycle of waits, PostgreSQL's deadlock check (run by the waiter whose
    /// deadlock_timeout fires first: the one that began waiting first, as
    /// steps here come well within the 1 s default) fails that waiter with 40P01.
    fn begin_wait(
        &mut self,
        s: &Scenario,
        a: Actor,
        pc: u16,
        stmt: Stmt,
        t: TxnNo,
        reason: WaitReason,
    ) -> Result<(), SimError> {
        // Two kinds of row wait, checked on PostgreSQL 15.18 with pg_blocking_pids
        // (heapam.c's heap_lock_tuple and heap_update; docs 13.3.2, "Row-Level Locks").
        // A FOR UPDATE or an UPDATE that finds the row locked or updated by a
        // live transaction first takes the row's tuple lock, then waits for
        // that transaction; a later one waits for the tuple lock, behind the
        // first waiter, and pg_blocking_pids names that waiter, not the
        // holder. An INSERT whose unique check meets a row being updated waits
        // for the updater's transaction id alone, takes no tuple lock and
        // joins no queue: pg_blocking_pids names the updater for every such
        // INSERT, however many tuple-lock waiters are ahead.
        let tuple_lock = reason == WaitReason::RowLock
            && matches!(stmt, Stmt::SelectKey { for_update: true } | Stmt::UpdateDone);
        let ahead = (0..self.actors.len() as Actor)
            .filter(|&o| {
                let y = &self.actors[o as usize];
                o != a && y.tuple_lock && matches!(y.wait, Some(Wait::Txn(t2, WaitReason::RowLock)) if t2 == t)
            })
            .min_by_key(|&o| self.actors[o as usize].wait_seq);
        let on = match (tuple_lock, ahead) {
            (true, Some(o)) => o,
            (true, None) | (false, _) => self.txns[t as usize].owner,
        };
        self.actors[a as usize].tuple_lock = tuple_lock;
        self.actors[a as usize].saw_update = tuple_lock && self.rows.iter().any(|r| r.xmax == Some(t));
        self.actors[a as usize].wait_on = on;
        self.waits_begun += 1;
        self.actors[a as usize].wait = Some(Wait::Txn(t, reason));
        self.actors[a as usize].wait_seq = self.waits_begun;
        self.push(RaceRecord::WaitBegan { actor: a, pc, stmt, on, reason });
        let mut cycle = vec![a];
        let mut cur = on;
        for _ in 0..self.actors.len() {
            if cur == a {
                let victim = cycle.iter().copied().min_by_key(|&x| self.actors[x as usize].wait_seq).unwrap_or(a);
                let vpc = self.actors[victim as usize].pc;
                let Instr::Sql { stmt: vstmt } = s.programs[victim as usize].instrs[vpc as usize] else {
                    return Err(SimError::Internal("a deadlock victim that is not running SQL"));
                };
                self.actors[victim as usize].wait = None;
                let result = StmtResult::Error { state: SqlState::DeadlockDetected };
                self.push(RaceRecord::Resumed { actor: victim, pc: vpc, stmt: vstmt, result: result.clone() });
                self.finish_stmt(s, victim, vstmt, result)?;
                return self.settle(s, victim);
            }
            match self.actors[cur as usize].wait {
                Some(Wait::Txn(t2, _)) => {
                    cycle.push(cur);
                    cur = self.txns[t2 as usize].owner;
                }
                Some(Wait::ActorEnd(_)) | None => break,
            }
        }
        Ok(())
    }

    /// Resumes, in actor order, every statement that waited for transaction `t`.
    fn wake_txn_waiters(&mut self, s: &Scenario, t: TxnNo) -> Result<(), SimError> {
        let mut queue: Vec<Actor> = (0..self.actors.len() as Actor)
            .filter(|&w| matches!(self.actors[w as usize].wait, Some(Wait::Txn(on, _)) if on == t))
            .collect();
        queue.sort_by_key(|&w| self.actors[w as usize].wait_seq);
        // Several INSERTs waiting on the key of a transaction that rolled back
        // all wake at once, and which one inserts first is a race inside the
        // server (checked on PostgreSQL 15: either can win). The model does not
        // guess: it refuses the run.
        let key_waiters = queue
            .iter()
            .filter(|&&w| matches!(self.actors[w as usize].wait, Some(Wait::Txn(_, WaitReason::UncommittedKey))))
            .count();
        if key_waiters > 1 && self.txns[t as usize].status == TxnStatus::Aborted {
            return Err(SimError::InvalidParameter {
                name: "program",
                reason: format!(
                    "T{} rolled back while {key_waiters} requests waited for its key: which of them inserts first is a race inside PostgreSQL (either can win), so the model does not run this; use 2 lanes, or commit instead of rolling back",
                    self.txns[t as usize].owner + 1
                ),
            });
        }
        // The holder had locked the row, the first tuple-lock waiter queued
        // while the row was only locked, then the holder updated it and
        // committed. That waiter wakes, finds the row replaced, lets go of the
        // tuple lock and goes after the new version; the waiter behind it,
        // woken by that release, goes after the same version. Which one locks
        // it first is a race inside the server (heapam.c: heap_lock_tuple
        // re-reads the row, returns TM_Updated and releases the tuple lock;
        // heapam_tuple_lock then follows the update chain). Checked on
        // PostgreSQL 15.18 with pg_blocking_pids: of 40 replays (the second
        // waiter queued before or after the update), the first waiter won 37
        // and the second 3. When the first waiter had queued after the update,
        // it locks the new version (heap_lock_updated_tuple) before releasing
        // the tuple lock: 12 replays of 12, no race. Nor is there one with a
        // single waiter, when the holder only locked, or after a rollback (the
        // first waiter gets the old version).
        let tuple_waiters: Vec<Actor> = queue
            .iter()
            .copied()
            .filter(|&w| {
                self.actors[w as usize].tuple_lock
                    && matches!(self.actors[w as usize].wait, Some(Wait::Txn(_, WaitReason::RowLock)))
            })
            .collect();
        let updated = self.rows.iter().any(|r| r.xmax == Some(t));
        if let [first, second, ..] = tuple_waiters[..] {
            if updated
                && matches!(self.txns[t as usize].status, TxnStatus::Committed(_))
                && !self.actors[first as usize].saw_update
            {
                return Err(SimError::InvalidParameter {
                    name: "program",
                    reason: format!(
                        "T{} updated the row it had locked while T{} and T{} waited for it, and committed: which waiter locks the new version first is a race inside PostgreSQL (usually the first, sometimes the second), so the model does not run this; use 2 lanes, or update the row only where no other request waits for it",
                        self.txns[t as usize].owner + 1,
                        first + 1,
                        second + 1
                    ),
                });
            }
        }
        for w in queue {
            // An earlier waiter's resumption (a deadlock, a rollback) may have moved this one.
            if !matches!(self.actors[w as usize].wait, Some(Wait::Txn(on, _)) if on == t) {
                continue;
            }
            self.actors[w as usize].wait = None;
            let pc = self.actors[w as usize].pc;
            let Instr::Sql { stmt } = s.programs[w as usize].instrs[pc as usize] else {
                return Err(SimError::Internal("a transaction wait on an instruction that is not SQL"));
            };
            match self.exec(s, w, stmt) {
                Exec::Done(result) => {
                    self.push(RaceRecord::Resumed { actor: w, pc, stmt, result: result.clone() });
                    self.finish_stmt(s, w, stmt, result)?;
                    self.settle(s, w)?;
                }
                Exec::Wait(t2, reason) => {
                    // Waiting again, for someone else: the trace shows the new wait.
                    self.begin_wait(s, w, pc, stmt, t2, reason)?;
                }
            }
        }
        Ok(())
    }

    fn wake_actor_waiters(&mut self, s: &Scenario) -> Result<(), SimError> {
        for w in 0..self.actors.len() as Actor {
            let Some(Wait::ActorEnd(o)) = self.actors[w as usize].wait else { continue };
            if self.done(o) {
                self.actors[w as usize].wait = None;
                self.settle(s, w)?;
            }
        }
        Ok(())
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

    fn reply(&self, a: Actor, reply: Reply) -> Response {
        let x = &self.actors[a as usize];
        match reply {
            Reply::Created => Response::Created,
            Reply::Conflict => Response::Conflict,
            Reply::ServerError => Response::ServerError,
            Reply::ReplayStored => {
                let code = x.map_hit.or(x.last_row.and_then(|r| r.response)).unwrap_or(500);
                Response::Replayed { code }
            }
        }
    }

    /// Runs `a`'s instant instructions until its next step, a wait, or its end.
    fn settle(&mut self, s: &Scenario, a: Actor) -> Result<(), SimError> {
        let prog = &s.programs[a as usize];
        for _ in 0..prog.instrs.len() * 4 + 4 {
            if self.actors[a as usize].response.is_some() || self.actors[a as usize].wait.is_some() {
                return Ok(());
            }
            let pc = self.actors[a as usize].pc;
            let Some(&instr) = prog.instrs.get(pc as usize) else {
                return Err(SimError::Internal("a program ran past its end without answering"));
            };
            if instr.is_step() {
                return Ok(());
            }
            let x = &mut self.actors[a as usize];
            match instr {
                // PostgreSQL answers a BEGIN inside a transaction with a warning and does nothing.
                Instr::Sql { stmt: Stmt::Begin { .. } } if x.txn.is_some_and(|t| t.explicit) => x.pc += 1,
                Instr::Sql { stmt: Stmt::Begin { isolation } } => {
                    let no = self.txns.len() as TxnNo;
                    self.txns.push(Txn { owner: a, status: TxnStatus::Active });
                    x.txn =
                        Some(OpenTxn { no, isolation, explicit: true, snapshot: None, failed: false, read_key: false });
                    x.pc += 1;
                    self.push(RaceRecord::Began { actor: a, isolation });
                }
                Instr::JumpIf { cond, to } => {
                    let holds = match cond {
                        Cond::NoRow => matches!(&x.last, Some(StmtResult::Rows { rows }) if rows.is_empty()),
                        Cond::Row => matches!(&x.last, Some(StmtResult::Rows { rows }) if !rows.is_empty()),
                        Cond::ErrorCode(want) => matches!(&x.last, Some(StmtResult::Error { state }) if *state == want),
                        Cond::Failed => matches!(&x.last, Some(StmtResult::Error { .. })),
                        Cond::StatusStarted => x.last_row.is_some_and(|r| r.status == KeyStatus::Started),
                        Cond::MapHit => x.map_hit.is_some(),
                    };
                    x.pc = if holds { to } else { pc + 1 };
                }
                Instr::Retry { attempts_max } => {
                    if x.attempts < attempts_max {
                        x.attempts += 1;
                        x.pc = 0;
                        x.last = None;
                        x.last_row = None;
                        let attempt = x.attempts;
                        self.push(RaceRecord::Retrying { actor: a, attempt });
                    } else {
                        self.end_actor(s, a, Response::ServerError, true)?;
                    }
                }
                Instr::Respond { reply } => {
                    let r = self.reply(a, reply);
                    self.end_actor(s, a, r, true)?;
                }
                Instr::AwaitUnanswered { actor: o } => match self.actors.get(o as usize).and_then(|y| y.response) {
                    None => {
                        self.actors[a as usize].wait = Some(Wait::ActorEnd(o));
                        self.push(RaceRecord::WaitBegan {
                            actor: a,
                            pc,
                            stmt: Stmt::Commit,
                            on: o,
                            reason: WaitReason::ClientTimeout,
                        });
                    }
                    Some(Response::NoResponse) => self.actors[a as usize].pc += 1,
                    Some(_) => self.end_actor(s, a, Response::NotSent, true)?,
                },
                Instr::Sql { .. }
                | Instr::Charge
                | Instr::MapGet
                | Instr::MapPut
                | Instr::Crash
                | Instr::SendResponse { .. } => {
                    return Err(SimError::Internal("a step was treated as instant"));
                }
            }
        }
        Err(SimError::Internal("a program looped through instant instructions"))
    }

    /// Runs (or re-runs after a wait) one statement for `a`.
    fn exec(&mut self, s: &Scenario, a: Actor, stmt: Stmt) -> Exec {
        match stmt {
            Stmt::Begin { .. } => return Exec::Done(StmtResult::Ok),
            Stmt::Commit | Stmt::Rollback => return Exec::Done(StmtResult::Ok),
            Stmt::SelectKey { .. } | Stmt::Insert { .. } | Stmt::UpdateDone | Stmt::AdvisoryLock => {}
        }
        // Outside BEGIN, the statement runs in a transaction of its own.
        if self.actors[a as usize].txn.is_none() {
            let no = self.txns.len() as TxnNo;
            self.txns.push(Txn { owner: a, status: TxnStatus::Active });
            self.actors[a as usize].txn = Some(OpenTxn {
                no,
                isolation: Isolation::ReadCommitted,
                explicit: false,
                snapshot: None,
                failed: false,
                read_key: false,
            });
        }
        let Some(mut open) = self.actors[a as usize].txn else { return Exec::Done(StmtResult::Ok) };
        if open.failed {
            return Exec::Done(StmtResult::Error { state: SqlState::InFailedTransaction });
        }
        // READ COMMITTED takes a snapshot per statement (kept across a wait);
        // SERIALIZABLE takes one at its first statement.
        let snap = match open.isolation {
            Isolation::ReadCommitted => *self.actors[a as usize].stmt_snapshot.get_or_insert(self.commits),
            Isolation::Serializable => *open.snapshot.get_or_insert(self.commits),
        };
        let me = open.no;
        let result = match stmt {
            Stmt::SelectKey { for_update } => {
                open.read_key = true;
                if for_update {
                    match self.lock_rows(me, snap, open.isolation, WaitReason::RowLock) {
                        Ok(idx) => {
                            for &i in &idx {
                                self.rows[i].locker = Some(me);
                            }
                            Exec::Done(StmtResult::Rows {
                                rows: idx.iter().map(|&i| Self::out(&self.rows[i])).collect(),
                            })
                        }
                        Err(e) => e,
                    }
                } else {
                    let rows = self.rows.iter().filter(|r| self.visible(r, me, snap)).map(Self::out).collect();
                    Exec::Done(StmtResult::Rows { rows })
                }
            }
            Stmt::Insert { status, on_conflict_do_nothing } => {
                self.insert(s, me, snap, &open, status, on_conflict_do_nothing)
            }
            Stmt::UpdateDone => match self.lock_rows(me, snap, open.isolation, WaitReason::RowLock) {
                Ok(idx) => {
                    for &i in &idx {
                        self.rows[i].xmax = Some(me);
                        let new =
                            Row { status: KeyStatus::Done, response: Some(201), xmin: me, xmax: None, locker: None };
                        self.rows.push(new);
                    }
                    Exec::Done(StmtResult::Count { n: idx.len() as u8 })
                }
                Err(e) => e,
            },
            Stmt::AdvisoryLock => match self.advisory {
                Some(h) if h != me && self.active(h) => Exec::Wait(h, WaitReason::AdvisoryLock),
                Some(_) | None => {
                    self.advisory = Some(me);
                    Exec::Done(StmtResult::Ok)
                }
            },
            Stmt::Begin { .. } | Stmt::Commit | Stmt::Rollback => Exec::Done(StmtResult::Ok),
        };
        if let Some(t) = self.actors[a as usize].txn.as_mut() {
            t.snapshot = open.snapshot;
            t.read_key |= open.read_key;
        }
        result
    }

    /// Finds the visible rows and makes sure no other live transaction holds
    /// them; at READ COMMITTED a row replaced by a committed update is
    /// followed to its new version, at SERIALIZABLE that is a 40001.
    fn lock_rows(&self, me: TxnNo, snap: u32, iso: Isolation, reason: WaitReason) -> Result<Vec<usize>, Exec> {
        let mut out = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if !self.visible(r, me, snap) {
                continue;
            }
            let mut cur = i;
            for _ in 0..self.rows.len() + 1 {
                let row = &self.rows[cur];
                if let Some(h) = row.locker.filter(|&h| h != me && self.active(h)) {
                    return Err(Exec::Wait(h, reason));
                }
                match row.xmax {
                    Some(x) if x != me && self.active(x) => return Err(Exec::Wait(x, reason)),
                    Some(x) if x != me && matches!(self.txns[x as usize].status, TxnStatus::Committed(_)) => {
                        if iso == Isolation::Serializable {
                            return Err(Exec::Done(StmtResult::Error { state: SqlState::SerializationFailure }));
                        }
                        match self.rows.iter().position(|n| n.xmin == x) {
                            Some(n) => cur = n,
                            None => break,
                        }
                    }
                    Some(_) | None => {
                        out.push(cur);
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    fn insert(
        &mut self,
        s: &Scenario,
        me: TxnNo,
        snap: u32,
        open: &OpenTxn,
        status: KeyStatus,
        do_nothing: bool,
    ) -> Exec {
        if s.unique_index {
            for r in &self.rows {
                // A version replaced by a committed update no longer holds the key.
                if r.xmax.is_some_and(|x| x != me && matches!(self.txns[x as usize].status, TxnStatus::Committed(_))) {
                    continue;
                }
                if r.xmin != me && self.active(r.xmin) {
                    return Exec::Wait(r.xmin, WaitReason::UncommittedKey);
                }
                // An UPDATE in flight on the committed row: the unique check waits for it too.
                if let Some(x) = r.xmax.filter(|&x| x != me && self.active(x)) {
                    return Exec::Wait(x, WaitReason::RowLock);
                }
                let visible = r.xmin == me || self.committed_before(r.xmin, snap);
                let serializable = open.isolation == Isolation::Serializable;
                // At SERIALIZABLE a conflicting row this snapshot cannot see is a
                // serialization failure: for ON CONFLICT always, for a plain
                // INSERT when the transaction read the key first (SSI).
                if serializable && !visible && (do_nothing || open.read_key) {
                    return Exec::Done(StmtResult::Error { state: SqlState::SerializationFailure });
                }
                return if do_nothing {
                    Exec::Done(StmtResult::Rows { rows: Vec::new() })
                } else {
                    Exec::Done(StmtResult::Error { state: SqlState::UniqueViolation })
                };
            }
        }
        let response = (status == KeyStatus::Done).then_some(201);
        self.rows.push(Row { status, response, xmin: me, xmax: None, locker: None });
        let out = RowOut { status, response };
        if do_nothing {
            Exec::Done(StmtResult::Rows { rows: vec![out] })
        } else {
            Exec::Done(StmtResult::Count { n: 1 })
        }
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

    fn frame(&self, a: Actor, instr: Instr, from: usize) -> Frame {
        let owner = |t: TxnNo| self.txns[t as usize].owner;
        Frame {
            step: self.step,
            actor: a,
            instr,
            records: self.trace[from..].iter().map(|r| r.record.clone()).collect(),
            rows: self
                .rows
                .iter()
                .map(|r| RowView {
                    status: r.status,
                    response: r.response,
                    written_by: owner(r.xmin),
                    committed: matches!(self.txns[r.xmin as usize].status, TxnStatus::Committed(_)),
                    replaced: r.xmax.is_some_and(|x| matches!(self.txns[x as usize].status, TxnStatus::Committed(_))),
                    locked_by: r.locker.filter(|&t| self.active(t)).map(owner),
                })
                .collect(),
            advisory_holder: self.advisory.filter(|&t| self.active(t)).map(owner),
            map_has_key: self.map.is_some(),
            waits: self
                .actors
                .iter()
                .enumerate()
                .filter_map(|(i, x)| match x.wait? {
                    Wait::Txn(_, reason) => Some(LockView { waiter: i as Actor, on: x.wait_on, reason }),
                    Wait::ActorEnd(o) => {
                        Some(LockView { waiter: i as Actor, on: o, reason: WaitReason::ClientTimeout })
                    }
                })
                .collect(),
            charges: self.charges,
            responses: self.actors.iter().map(|x| x.response).collect(),
            prediction: None,
        }
    }
}

pub(super) fn reason_words(r: WaitReason) -> &'static str {
    match r {
        WaitReason::UncommittedKey => "its INSERT found the same key inserted by a transaction that has not ended",
        WaitReason::RowLock => "the row is locked by a transaction that has not ended",
        WaitReason::AdvisoryLock => "the advisory lock on the key is held",
        WaitReason::ClientTimeout => "the client retries only after its first attempt times out",
    }
}

/// Runs `schedule` (1-based actor numbers) strictly: an entry naming an actor
/// that cannot step is an error saying why. A schedule that stops before every
/// actor has finished gives an unfinished outcome.
pub fn run(s: &Scenario, schedule: &[u8]) -> Result<RaceRun, SimError> {
    if schedule.len() > STEPS_MAX {
        return Err(SimError::InvalidParameter {
            name: "schedule",
            reason: format!("has {} steps; at most {STEPS_MAX}", schedule.len()),
        });
    }
    let mut st = State::new(s, true)?;
    let mut frames = Vec::new();
    for (i, &n) in schedule.iter().enumerate() {
        let a = n.checked_sub(1).ok_or_else(|| SimError::InvalidParameter {
            name: "schedule",
            reason: format!("entry {} is 0; actors are numbered from 1", i + 1),
        })?;
        one_step(s, &mut st, a, &mut frames).map_err(|e| match e {
            SimError::InvalidParameter { name, reason } => {
                SimError::InvalidParameter { name, reason: format!("entry {} names T{n}, but {reason}", i + 1) }
            }
            other => other,
        })?;
    }
    Ok(RaceRun { scenario: s.id, schedule: schedule.to_vec(), outcome: st.outcome(), trace: st.trace, frames })
}

fn one_step(s: &Scenario, st: &mut State, a: Actor, frames: &mut Vec<Frame>) -> Result<(), SimError> {
    let from = st.trace.len();
    let pc = st.actors.get(a as usize).map_or(0, |x| x.pc);
    let before = st.charges;
    st.step(s, a)?;
    let instr = s.programs[a as usize].instrs[pc as usize];
    let mut f = st.frame(a, instr, from);
    f.prediction = predict(st, &f, before);
    frames.push(f);
    Ok(())
}

/// Runs `schedule` leniently: entries naming an actor that cannot step are
/// skipped with a note, and the run is completed by letting the lowest-numbered
/// runnable actor go. Used to drive two scenarios with one schedule.
pub fn run_lenient(s: &Scenario, schedule: &[u8]) -> Result<(RaceRun, Vec<String>), SimError> {
    let mut st = State::new(s, true)?;
    let mut frames = Vec::new();
    let mut notes = Vec::new();
    let mut ran = Vec::new();
    for (i, &n) in schedule.iter().enumerate() {
        if st.all_done() || ran.len() >= STEPS_MAX {
            notes.push(format!("entries from {} on were not needed: every transaction had finished", i + 1));
            break;
        }
        let a = n.wrapping_sub(1);
        let why = if (a as usize) < st.actors.len() { st.blocked_reason(a) } else { Some(format!("there is no T{n}")) };
        if let Some(why) = why {
            notes.push(format!("entry {} skipped: {why}", i + 1));
            continue;
        }
        one_step(s, &mut st, a, &mut frames)?;
        ran.push(n);
    }
    while !st.all_done() {
        let Some(a) = st.runnable().next() else {
            return Err(SimError::Internal(
                "every unfinished transaction is waiting: a deadlock the model does not resolve",
            ));
        };
        if ran.len() >= STEPS_MAX {
            return Err(SimError::EventBudgetExceeded { events_max: STEPS_MAX as u64 });
        }
        one_step(s, &mut st, a, &mut frames)?;
        ran.push(a + 1);
    }
    Ok((RaceRun { scenario: s.id, schedule: ran, outcome: st.outcome(), trace: st.trace, frames }, notes))
}

/// The predict-first question for a step, when the step decides something:
/// a wait begins, an error is raised, a wait ends, a second charge, or a check
/// that runs after the other request has already started.
fn predict(st: &State, f: &Frame, charges_before: u8) -> Option<Prediction> {
    let me = f.actor;
    let others_started = st.actors.iter().enumerate().any(|(i, x)| i as Actor != me && x.stepped);
    let t = |a: Actor| format!("T{}", a + 1);
    for r in &f.records {
        if let RaceRecord::Resumed { actor, stmt, result, .. } = r {
            if *actor != me {
                let mut options = vec![
                    "it inserts or returns its row",
                    "it returns nothing",
                    "it fails with 23505",
                    "it fails with 40001",
                    "it keeps waiting",
                ];
                // Each error is offered under its own code: a 25P02 is never presented as a 40001.
                let answer = match result {
                    StmtResult::Rows { rows } if rows.is_empty() => 1,
                    StmtResult::Error { state: SqlState::UniqueViolation } => 2,
                    StmtResult::Error { state: SqlState::SerializationFailure } => 3,
                    StmtResult::Error { state: SqlState::InFailedTransaction } => {
                        options.push("it fails with 25P02: its transaction had already failed");
                        5
                    }
                    StmtResult::Error { state: SqlState::DeadlockDetected } => {
                        options.push("it fails with 40P01: PostgreSQL breaks a deadlock");
                        5
                    }
                    StmtResult::Rows { .. } | StmtResult::Ok | StmtResult::Count { .. } => 0,
                };
                return Some(Prediction {
                    question: format!(
                        "{} is waiting in {}. What happens to it when {} runs {}?",
                        t(*actor),
                        stmt_short(*stmt),
                        t(me),
                        instr_short(f.instr)
                    ),
                    options,
                    answer,
                });
            }
        }
    }
    let mine = f.records.iter().find(|r| r.actor() == me)?;
    match mine {
        RaceRecord::Charged { total, .. } if *total > 1 && charges_before >= 1 => Some(Prediction {
            question: format!("{} calls the payment provider. How many charges will the ledger show?", t(me)),
            options: vec!["still 1: the provider sees it is the same payment", "2: the card is charged twice"],
            answer: 1,
        }),
        RaceRecord::WaitBegan { stmt, .. } | RaceRecord::Ran { stmt, .. } if others_started => {
            let result = if let RaceRecord::Ran { result, .. } = mine { Some(result) } else { None };
            let (options, answer): (Vec<&'static str>, usize) = match stmt {
                Stmt::SelectKey { .. } => (
                    vec!["it finds the other request's row", "it finds nothing", "it waits for the other transaction"],
                    match result {
                        None => 2,
                        Some(StmtResult::Rows { rows }) if rows.is_empty() => 1,
                        Some(_) => 0,
                    },
                ),
                Stmt::Insert { .. } => (
                    vec![
                        "it inserts the row",
                        "it returns no row (nothing inserted)",
                        "it waits for the other transaction",
                        "it fails with an error",
                    ],
                    match result {
                        None => 2,
                        Some(StmtResult::Rows { rows }) if rows.is_empty() => 1,
                        Some(StmtResult::Error { .. }) => 3,
                        Some(_) => 0,
                    },
                ),
                Stmt::AdvisoryLock => (
                    vec!["it gets the lock at once", "it waits for the other transaction"],
                    if result.is_none() { 1 } else { 0 },
                ),
                Stmt::Begin { .. } | Stmt::UpdateDone | Stmt::Commit | Stmt::Rollback => return None,
            };
            Some(Prediction {
                question: format!("{} runs {}. What will it do?", t(me), stmt_short(*stmt)),
                options,
                answer,
            })
        }
        RaceRecord::MapLookedUp { hit, .. } if others_started => Some(Prediction {
            question: format!("{} looks the key up in the in-memory map. What does it find?", t(me)),
            options: vec!["the key, with the stored response", "nothing"],
            answer: if *hit { 0 } else { 1 },
        }),
        RaceRecord::Began { .. }
        | RaceRecord::Ran { .. }
        | RaceRecord::WaitBegan { .. }
        | RaceRecord::Resumed { .. }
        | RaceRecord::Charged { .. }
        | RaceRecord::MapLookedUp { .. }
        | RaceRecord::MapStored { .. }
        | RaceRecord::Crashed { .. }
        | RaceRecord::Killed { .. }
        | RaceRecord::Retrying { .. }
        | RaceRecord::Responded { .. } => None,
    }
}

/// A short name of a statement: "INSERT … ON CONFLICT DO NOTHING".
pub fn stmt_short(s: Stmt) -> &'static str {
    match s {
        Stmt::Begin { .. } => "BEGIN",
        Stmt::SelectKey { for_update: false } => "SELECT",
        Stmt::SelectKey { for_update: true } => "SELECT … FOR UPDATE",
        Stmt::Insert { on_conflict_do_nothing: false, .. } => "INSERT",
        Stmt::Insert { on_conflict_do_nothing: true, .. } => "INSERT … ON CONFLICT DO NOTHING",
        Stmt::UpdateDone => "UPDATE",
        Stmt::AdvisoryLock => "pg_advisory_xact_lock",
        Stmt::Commit => "COMMIT",
        Stmt::Rollback => "ROLLBACK",
    }
}

/// A short name of an instruction for lane blocks.
pub fn instr_short(i: Instr) -> &'static str {
    match i {
        Instr::Sql { stmt } => stmt_short(stmt),
        Instr::Charge => "charge card",
        Instr::MapGet => "map lookup",
        Instr::MapPut => "map store",
        Instr::Crash => "crash",
        Instr::AwaitUnanswered { .. } => "await timeout",
        Instr::JumpIf { .. } => "branch",
        Instr::Retry { .. } => "retry",
        Instr::Respond { .. } => "respond",
        Instr::SendResponse { .. } => "send response",
    }
}

/// One sentence about a record, for the narration line and the event log.
pub fn narrate(r: &RaceRecord) -> String {
    let t = |a: &Actor| format!("T{}", a + 1);
    let res = |r: &StmtResult| match r {
        StmtResult::Ok => "done".to_string(),
        StmtResult::Count { n } => format!("{n} row{} written", if *n == 1 { "" } else { "s" }),
        StmtResult::Rows { rows } if rows.is_empty() => "no row".to_string(),
        StmtResult::Rows { rows } => {
            format!("{} row{} (status {})", rows.len(), if rows.len() == 1 { "" } else { "s" }, rows[0].status.sql())
        }
        StmtResult::Error { state } => format!("ERROR {}", state.code()),
    };
    match r {
        RaceRecord::Began { actor, isolation } => format!(
            "{} BEGIN{}",
            t(actor),
            if *isolation == Isolation::Serializable { " ISOLATION LEVEL SERIALIZABLE" } else { "" }
        ),
        RaceRecord::Ran { actor, stmt, result, .. } => format!("{} {} → {}", t(actor), stmt_short(*stmt), res(result)),
        RaceRecord::WaitBegan { actor, stmt, on, reason, .. } => match reason {
            WaitReason::ClientTimeout => format!("{}: the client waits for {} to end before retrying", t(actor), t(on)),
            WaitReason::UncommittedKey | WaitReason::RowLock | WaitReason::AdvisoryLock => {
                format!("{} {} waits for {}: {}", t(actor), stmt_short(*stmt), t(on), reason_words(*reason))
            }
        },
        RaceRecord::Resumed { actor, stmt, result, .. } => {
            format!("{}'s {} stops waiting → {}", t(actor), stmt_short(*stmt), res(result))
        }
        RaceRecord::Charged { actor, total } => format!(
            "{} charges the card: the ledger has {total} charge{}{}",
            t(actor),
            if *total == 1 { "" } else { "s" },
            if *total > 1 { " (double charge!)" } else { "" }
        ),
        RaceRecord::MapLookedUp { actor, hit } => {
            format!("{} looks the key up in memory: {}", t(actor), if *hit { "found" } else { "not found" })
        }
        RaceRecord::MapStored { actor } => format!("{} stores the key in memory", t(actor)),
        RaceRecord::Crashed { keys_lost: true, .. } => {
            "The server crashes: the in-memory key store is gone".to_string()
        }
        RaceRecord::Crashed { keys_lost: false, .. } => {
            "The server crashes: requests in flight die; the durable key store keeps its keys".to_string()
        }
        RaceRecord::Killed { actor } => format!("{} dies with the server; its client gets no answer", t(actor)),
        RaceRecord::Retrying { actor, attempt } => {
            format!("{} retries the whole transaction (attempt {attempt})", t(actor))
        }
        RaceRecord::Responded { actor, response: Response::NoResponse } => {
            format!("{} never answers its client", t(actor))
        }
        RaceRecord::Responded { actor, response: Response::NotSent } => {
            format!("{}: the first attempt was answered, so the client sends no retry", t(actor))
        }
        RaceRecord::Responded { actor, response } => format!("{} answers: {}", t(actor), response.label()),
    }
}

/// The actors that may take the next step after `prefix` (1-based numbers),
/// or an error when the prefix itself is not a valid schedule.
pub fn runnable_after(s: &Scenario, prefix: &[u8]) -> Result<Vec<u8>, SimError> {
    let mut st = State::new(s, false)?;
    for &n in prefix {
        st.step(s, n.wrapping_sub(1))?;
    }
    Ok(st.runnable().map(|a| a + 1).collect())
}
