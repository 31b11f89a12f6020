//! Running one statement (visibility, row locks, the unique index) and the
//! instant instructions between steps (BEGIN, branches, retries, answers).

use super::*;

impl State {
    pub(super) fn reply(&self, a: Actor, reply: Reply) -> Response {
        let x = &self.actors[a];
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
    pub(super) fn settle(&mut self, s: &Scenario, a: Actor) -> Result<(), SimError> {
        let prog = &s.programs[ActorId(a).index()];
        for _ in 0..prog.instrs.len() * 4 + 4 {
            if self.actors[a].response.is_some() || self.locks.waits(ActorId(a)) {
                return Ok(());
            }
            let pc = self.actors[a].pc;
            let Some(&instr) = prog.instrs.get(pc as usize) else {
                return Err(SimError::Internal("a program ran past its end without answering"));
            };
            if instr.is_step() {
                return Ok(());
            }
            let x = &mut self.actors[a];
            match instr {
                // PostgreSQL answers a BEGIN inside a transaction with a warning and does nothing.
                Instr::Sql { stmt: Stmt::Begin { .. } } if x.txn.is_some_and(|t| t.explicit) => x.pc += 1,
                Instr::Sql { stmt: Stmt::Begin { isolation } } => {
                    let no = self.txns.begin(a);
                    let x = &mut self.actors[a];
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
                        Cond::NotLocked => matches!(&x.last, Some(StmtResult::Bool { value: false })),
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
                Instr::AwaitUnanswered { actor: o } => match self.actors.get(o).and_then(|y| y.response) {
                    None => {
                        self.locks.await_actor(ActorId(a), o);
                        self.push(RaceRecord::WaitBegan {
                            actor: a,
                            pc,
                            stmt: Stmt::Commit,
                            on: o,
                            reason: WaitReason::ClientTimeout,
                        });
                    }
                    Some(Response::NoResponse) => self.actors[a].pc += 1,
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
    pub(super) fn exec(&mut self, s: &Scenario, a: Actor, stmt: Stmt) -> Exec {
        match stmt {
            Stmt::Begin { .. } => return Exec::Done(StmtResult::Ok),
            Stmt::Commit | Stmt::Rollback => return Exec::Done(StmtResult::Ok),
            Stmt::SelectKey { .. }
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::Insert { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::TryAdvisoryLock
            | Stmt::InsertOnConflictDoUpdate => {}
        }
        // Outside BEGIN, the statement runs in a transaction of its own.
        if self.actors[a].txn.is_none() {
            let no = self.txns.begin(a);
            self.actors[a].txn = Some(OpenTxn {
                no,
                isolation: Isolation::ReadCommitted,
                explicit: false,
                snapshot: None,
                failed: false,
                read_key: false,
            });
        }
        let Some(mut open) = self.actors[a].txn else { return Exec::Done(StmtResult::Ok) };
        if open.failed {
            return Exec::Done(StmtResult::Error { state: SqlState::InFailedTransaction });
        }
        // READ COMMITTED takes a snapshot per statement (kept across a wait);
        // SERIALIZABLE takes one at its first statement.
        let snap = match open.isolation {
            Isolation::ReadCommitted => *self.actors[a].stmt_snapshot.get_or_insert(self.commits),
            Isolation::Serializable => *open.snapshot.get_or_insert(self.commits),
        };
        let me = open.no;
        let result = match stmt {
            Stmt::SelectKey { for_update } => {
                open.read_key = true;
                if for_update {
                    self.lock_for_update(me, snap, open.isolation)
                } else {
                    let rows = self.rows.iter().filter(|r| self.visible(r, me, snap)).map(Self::out).collect();
                    Exec::Done(StmtResult::Rows { rows })
                }
            }
            // Where FOR UPDATE would wait (the row locked or being updated by
            // a live transaction, or a waiter ahead holding its tuple lock),
            // NOWAIT fails at once with 55P03 and SKIP LOCKED leaves the row
            // out, so the answer is the same as for an absent key. Checked on
            // PostgreSQL 15.18 (docs, SELECT, "The Locking Clause"): both
            // against a FOR UPDATE holder, an UPDATE in flight and a queue;
            // a row inserted by a transaction that has not committed is not
            // seen at all, so neither fails nor skips: it returns no row.
            Stmt::SelectKeyNoWait { policy } => {
                open.read_key = true;
                match self.lock_for_update(me, snap, open.isolation) {
                    Exec::Wait(..) => match policy {
                        LockWaitPolicy::Error => Exec::Done(StmtResult::Error { state: SqlState::LockNotAvailable }),
                        LockWaitPolicy::Skip => Exec::Done(StmtResult::Rows { rows: Vec::new() }),
                    },
                    done @ Exec::Done(_) => done,
                }
            }
            Stmt::Insert { status, on_conflict_do_nothing } => {
                self.insert(s, me, snap, &open, status, on_conflict_do_nothing)
            }
            Stmt::UpdateDone => match self.lock_rows(me, snap, open.isolation, WaitReason::RowLock) {
                LockAttempt::Locked(idx) => {
                    for &i in &idx {
                        self.rows[i].xmax = Some(me);
                        let new =
                            Row { status: KeyStatus::Done, response: Some(201), xmin: me, xmax: None, locker: None };
                        self.rows.push(new);
                    }
                    Exec::Done(StmtResult::Count { n: idx.len() as u8 })
                }
                LockAttempt::Wait(t, reason) => Exec::Wait(t, reason),
                LockAttempt::Fails(state) => Exec::Done(StmtResult::Error { state }),
            },
            Stmt::AdvisoryLock => match self.locks.advisory_holder() {
                Some(h) if h != me && self.active(h) => Exec::Wait(h, WaitReason::AdvisoryLock),
                Some(_) | None => {
                    self.locks.take_advisory(me);
                    Exec::Done(StmtResult::Ok)
                }
            },
            // Checked on PostgreSQL 15.18: false at once while another live
            // transaction holds the lock (whether or not others wait for it),
            // true when free or already held by this transaction; outside
            // BEGIN it is released when its statement ends (docs 9.27.10,
            // Advisory Lock Functions).
            Stmt::TryAdvisoryLock => match self.locks.advisory_holder() {
                Some(h) if h != me && self.active(h) => Exec::Done(StmtResult::Bool { value: false }),
                Some(_) | None => {
                    self.locks.take_advisory(me);
                    Exec::Done(StmtResult::Bool { value: true })
                }
            },
            Stmt::InsertOnConflictDoUpdate => self.upsert(me, snap, &open),
            Stmt::Begin { .. } | Stmt::Commit | Stmt::Rollback => Exec::Done(StmtResult::Ok),
        };
        if let Some(t) = self.actors[a].txn.as_mut() {
            t.snapshot = open.snapshot;
            t.read_key |= open.read_key;
        }
        result
    }

    /// SELECT … FOR UPDATE: locks the visible rows (their newest versions)
    /// and returns them, or waits, or fails.
    fn lock_for_update(&mut self, me: TxnId, snap: u32, iso: Isolation) -> Exec {
        match self.lock_rows(me, snap, iso, WaitReason::RowLock) {
            LockAttempt::Locked(idx) => {
                for &i in &idx {
                    self.rows[i].locker = Some(me);
                }
                Exec::Done(StmtResult::Rows { rows: idx.iter().map(|&i| Self::out(&self.rows[i])).collect() })
            }
            LockAttempt::Wait(t, reason) => Exec::Wait(t, reason),
            LockAttempt::Fails(state) => Exec::Done(StmtResult::Error { state }),
        }
    }

    /// ON CONFLICT DO UPDATE, checked on PostgreSQL 15.18 (docs, INSERT, "ON
    /// CONFLICT Clause"). The conflict check waits on the transaction id of
    /// an uncommitted inserter or of an updater in flight (no tuple lock); a
    /// committed conflicting row is then locked like FOR UPDATE (behind a
    /// FOR UPDATE holder it queues on the tuple lock) and rewritten, even when
    /// this snapshot cannot see it at READ COMMITTED; at SERIALIZABLE an
    /// invisible conflicting row is 40001. A row is returned either way.
    fn upsert(&mut self, me: TxnId, snap: u32, open: &OpenTxn) -> Exec {
        let live = |st: &State, r: &Row| {
            !r.xmax.is_some_and(|x| x == me || matches!(st.txns[x].status, TxnStatus::Committed(_)))
        };
        let Some(i) = self.rows.iter().position(|r| live(self, r)) else {
            self.rows.push(Row { status: KeyStatus::Started, response: None, xmin: me, xmax: None, locker: None });
            return Exec::Done(StmtResult::Rows { rows: vec![RowOut { status: KeyStatus::Started, response: None }] });
        };
        let r = self.rows[i];
        if r.xmin != me && self.active(r.xmin) {
            return Exec::Wait(r.xmin, WaitReason::UncommittedKey);
        }
        if let Some(x) = r.xmax.filter(|&x| x != me && self.active(x)) {
            return Exec::Wait(x, WaitReason::RowLock);
        }
        let visible = r.xmin == me || self.committed_before(r.xmin, snap);
        if open.isolation == Isolation::Serializable && !visible {
            return Exec::Done(StmtResult::Error { state: SqlState::SerializationFailure });
        }
        if let Some(h) = r.locker.filter(|&h| h != me && self.active(h)) {
            return Exec::Wait(h, WaitReason::RowLock);
        }
        self.rows[i].xmax = Some(me);
        self.rows.push(Row { status: r.status, response: r.response, xmin: me, xmax: None, locker: None });
        Exec::Done(StmtResult::Rows { rows: vec![Self::out(&r)] })
    }

    fn insert(
        &mut self,
        s: &Scenario,
        me: TxnId,
        snap: u32,
        open: &OpenTxn,
        status: KeyStatus,
        do_nothing: bool,
    ) -> Exec {
        if s.unique_index {
            for r in &self.rows {
                // A version replaced by a committed update no longer holds the key.
                if r.xmax.is_some_and(|x| x != me && matches!(self.txns[x].status, TxnStatus::Committed(_))) {
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
}
