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
                    x.txn = Some(OpenTxn::new(no, isolation, true));
                    x.pc += 1;
                    self.push(RaceRecord::Began { actor: a, isolation });
                }
                Instr::Sql { stmt: Stmt::SetIsolation { isolation } } => {
                    // The parser puts SET TRANSACTION right after BEGIN; a BEGIN
                    // ignored inside an open transaction (a RETRY that did not end
                    // it) leaves it after the first query, where PostgreSQL fails
                    // it with 25001, an error the model does not raise.
                    match x.txn.as_mut() {
                        Some(t) if t.explicit && t.snapshot.is_none() && !t.failed => t.isolation = isolation,
                        Some(_) | None => {
                            return Err(SimError::InvalidParameter {
                                name: "program",
                                reason: format!(
                                    "T{}: SET TRANSACTION runs after its transaction's first query (a BEGIN inside an open transaction is ignored): PostgreSQL fails it with 25001, which the model does not raise; end the transaction before RETRY",
                                    a + 1
                                ),
                            })
                        }
                    }
                    x.pc += 1;
                }
                Instr::JumpIf { cond, to } => {
                    let holds = cond.holds(x.last.as_ref(), x.last_row, x.map_hit.is_some());
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
            Stmt::Commit => return self.commit_check(a),
            Stmt::Rollback | Stmt::SetIsolation { .. } => return Exec::Done(StmtResult::Ok),
            // Run by `savepoint_stmt`; they never wait, so no wake-up re-runs them here.
            Stmt::Savepoint { .. } | Stmt::RollbackToSavepoint { .. } | Stmt::ReleaseSavepoint { .. } => {
                debug_assert!(false, "savepoint statements run in savepoint_stmt");
                return Exec::Done(StmtResult::Ok);
            }
            Stmt::SelectKey { .. }
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::SelectKeyForNoKeyUpdate { .. }
            | Stmt::Insert { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::TryAdvisoryLock
            | Stmt::InsertOnConflictDoUpdate
            | Stmt::InsertWith { .. }
            | Stmt::SessionAdvisoryLock
            | Stmt::SessionAdvisoryUnlock => {}
        }
        // Outside BEGIN, the statement runs in a transaction of its own.
        if self.actors[a].txn.is_none() {
            let no = self.txns.begin(a);
            self.actors[a].txn = Some(OpenTxn::new(no, Isolation::ReadCommitted, false));
        }
        let Some(mut open) = self.actors[a].txn else { return Exec::Done(StmtResult::Ok) };
        if open.failed {
            return Exec::Done(StmtResult::Error { state: SqlState::InFailedTransaction });
        }
        // ON CONFLICT (key) needs an arbiter: without a unique index on key,
        // parse analysis fails with 42P10 before anything is read or locked.
        let arbiter = stmt
            .insert_parts()
            .is_some_and(|(_, c, _, _)| matches!(c, OnConflict::DoNothing { target: true } | OnConflict::DoUpdate));
        if arbiter && !s.unique_index {
            return Exec::Done(StmtResult::Error { state: SqlState::InvalidColumnReference });
        }
        // READ COMMITTED takes a snapshot per statement (kept across a wait);
        // SERIALIZABLE takes one at its first statement.
        let snap = match open.isolation {
            Isolation::ReadCommitted => *self.actors[a].stmt_snapshot.get_or_insert(self.commits),
            Isolation::Serializable | Isolation::RepeatableRead => *open.snapshot.get_or_insert(self.commits),
        };
        let me = open.no;
        if let Some(failed) = self.ssi_before(s, a, stmt, &open, snap) {
            return failed;
        }
        let result = match stmt {
            Stmt::SelectKeyForNoKeyUpdate { policy: None } => {
                open.read_key = true;
                self.lock_for_update(me, snap, open.isolation, open.depth)
            }
            Stmt::SelectKey { for_update } => {
                open.read_key = true;
                if for_update {
                    self.lock_for_update(me, snap, open.isolation, open.depth)
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
            Stmt::SelectKeyNoWait { policy } | Stmt::SelectKeyForNoKeyUpdate { policy: Some(policy) } => {
                open.read_key = true;
                match self.lock_for_update(me, snap, open.isolation, open.depth) {
                    Exec::Wait(..) | Exec::WaitSession(_) => match policy {
                        LockWaitPolicy::Error => Exec::Done(StmtResult::Error { state: SqlState::LockNotAvailable }),
                        LockWaitPolicy::Skip => Exec::Done(StmtResult::Rows { rows: Vec::new() }),
                    },
                    done @ Exec::Done(_) => done,
                }
            }
            Stmt::Insert { .. } | Stmt::InsertOnConflictDoUpdate | Stmt::InsertWith { .. } => {
                self.insert_stmt(s, me, snap, &open, stmt)
            }
            Stmt::UpdateDone => match self.lock_rows(me, snap, open.isolation, WaitReason::RowLock) {
                LockAttempt::Locked(idx) => match self.ssi_update(a, &open, &idx) {
                    Some(failed) => failed,
                    None => self.update_rows(me, open.depth, &idx),
                },
                LockAttempt::Wait(t, reason) => Exec::Wait(t, reason),
                LockAttempt::Fails(state) => Exec::Done(StmtResult::Error { state }),
            },
            Stmt::AdvisoryLock => self.advisory_lock(a, me, open.depth),
            Stmt::TryAdvisoryLock => self.try_advisory_lock(a, me, open.depth),
            Stmt::SessionAdvisoryLock => self.session_lock(a, me),
            Stmt::SessionAdvisoryUnlock => Exec::Done(StmtResult::Bool { value: self.locks.unlock_session(a) }),
            Stmt::Begin { .. }
            | Stmt::Commit
            | Stmt::Rollback
            | Stmt::SetIsolation { .. }
            | Stmt::Savepoint { .. }
            | Stmt::RollbackToSavepoint { .. }
            | Stmt::ReleaseSavepoint { .. } => Exec::Done(StmtResult::Ok),
        };
        if let Some(t) = self.actors[a].txn.as_mut() {
            t.snapshot = open.snapshot;
            t.read_key |= open.read_key;
        }
        result
    }

    /// UPDATE … SET status = 'done', response = 201: each locked row gets a
    /// new version written by `me`, and the old one is replaced.
    fn update_rows(&mut self, me: TxnId, depth: u8, idx: &[usize]) -> Exec {
        for &i in idx {
            self.rows[i].xmax = Some(me);
            self.rows[i].xmax_sub = depth;
            let new = Row::new(KeyStatus::Done, Some(201), me, depth);
            self.rows.push(new);
        }
        Exec::Done(StmtResult::Count { n: idx.len() as u8 })
    }

    /// `pg_advisory_xact_lock`: waits while another live transaction, or
    /// another session, holds the lock.
    fn advisory_lock(&mut self, a: Actor, me: TxnId, depth: u8) -> Exec {
        match self.locks.advisory_holder() {
            Some(h) if h != me && self.active(h) => Exec::Wait(h, WaitReason::AdvisoryLock),
            _ if self.locks.session_holder().is_some_and(|h| h != a) => {
                Exec::WaitSession(self.locks.session_holder().unwrap_or(a))
            }
            Some(_) | None => {
                self.locks.take_advisory(me, depth);
                Exec::Done(StmtResult::Ok)
            }
        }
    }

    /// `pg_try_advisory_xact_lock`. Checked on PostgreSQL 15.18: false at once
    /// while another live transaction holds the lock (whether or not others
    /// wait for it), true when free or already held by this transaction;
    /// outside BEGIN it is released when its statement ends (docs 9.27.10,
    /// Advisory Lock Functions).
    fn try_advisory_lock(&mut self, a: Actor, me: TxnId, depth: u8) -> Exec {
        match self.locks.advisory_holder() {
            Some(h) if h != me && self.active(h) => Exec::Done(StmtResult::Bool { value: false }),
            _ if self.locks.session_holder().is_some_and(|h| h != a) => Exec::Done(StmtResult::Bool { value: false }),
            Some(_) | None => {
                self.locks.take_advisory(me, depth);
                Exec::Done(StmtResult::Bool { value: true })
            }
        }
    }

    /// SELECT … FOR UPDATE: locks the visible rows (their newest versions)
    /// and returns them, or waits, or fails.
    fn lock_for_update(&mut self, me: TxnId, snap: u32, iso: Isolation, depth: u8) -> Exec {
        match self.lock_rows(me, snap, iso, WaitReason::RowLock) {
            LockAttempt::Locked(idx) => {
                for &i in &idx {
                    // A row this transaction already locks keeps the depth it was locked at.
                    if self.rows[i].locker != Some(me) {
                        self.rows[i].locker_sub = depth;
                    }
                    self.rows[i].locker = Some(me);
                }
                Exec::Done(StmtResult::Rows { rows: idx.iter().map(|&i| Self::out(&self.rows[i])).collect() })
            }
            LockAttempt::Wait(t, reason) => Exec::Wait(t, reason),
            LockAttempt::Fails(state) => Exec::Done(StmtResult::Error { state }),
        }
    }

    /// Any INSERT form: the row goes in, or the conflict is skipped, raised
    /// or rewritten, and the result is shaped as the statement returns it
    /// (a row count without RETURNING; the older forms return `Rows`).
    fn insert_stmt(&mut self, s: &Scenario, me: TxnId, snap: u32, open: &OpenTxn, stmt: Stmt) -> Exec {
        let Some((status, conflict, returning, rows_form)) = stmt.insert_parts() else {
            debug_assert!(false, "insert_stmt runs INSERTs only");
            return Exec::Done(StmtResult::Ok);
        };
        let wrote = match conflict {
            OnConflict::DoUpdate => self.upsert(me, snap, open, status),
            OnConflict::Raise => self.insert(s, me, snap, open, status, false),
            OnConflict::DoNothing { .. } => self.insert(s, me, snap, open, status, true),
        };
        let (row, inserted) = match wrote {
            Wrote::Row { row, inserted } => (Some(row), inserted),
            Wrote::Skipped => (None, false),
            Wrote::Not(e) => return e,
        };
        let result = if returning.is_empty() {
            StmtResult::Count { n: u8::from(row.is_some()) }
        } else if rows_form {
            StmtResult::Rows { rows: row.into_iter().collect() }
        } else {
            StmtResult::Returned { rows: row.into_iter().map(|r| returning.project(r, inserted)).collect() }
        };
        Exec::Done(result)
    }

    /// ON CONFLICT DO UPDATE, checked on PostgreSQL 15.18 (docs, INSERT, "ON
    /// CONFLICT Clause"). The conflict check waits on the transaction id of
    /// an uncommitted inserter or of an updater in flight (no tuple lock); a
    /// committed conflicting row is then locked like FOR UPDATE (behind a
    /// FOR UPDATE holder it queues on the tuple lock) and rewritten, even when
    /// this snapshot cannot see it at READ COMMITTED; at SERIALIZABLE an
    /// invisible conflicting row is 40001. A row is returned either way.
    fn upsert(&mut self, me: TxnId, snap: u32, open: &OpenTxn, status: KeyStatus) -> Wrote {
        let live = |st: &State, r: &Row| {
            !r.xmax.is_some_and(|x| x == me || matches!(st.txns[x].status, TxnStatus::Committed(_)))
        };
        let Some(i) = self.rows.iter().position(|r| live(self, r)) else {
            let response = (status == KeyStatus::Done).then_some(201);
            self.rows.push(Row::new(status, response, me, open.depth));
            return Wrote::Row { row: RowOut { status, response }, inserted: true };
        };
        let r = self.rows[i];
        if r.xmin != me && self.active(r.xmin) {
            return Wrote::Not(Exec::Wait(r.xmin, WaitReason::UncommittedKey));
        }
        if let Some(x) = r.xmax.filter(|&x| x != me && self.active(x)) {
            return Wrote::Not(Exec::Wait(x, WaitReason::RowLock));
        }
        let visible = r.xmin == me || self.committed_before(r.xmin, snap);
        if open.isolation.uses_transaction_snapshot() && !visible {
            return Wrote::Not(Exec::Done(StmtResult::Error { state: SqlState::SerializationFailure }));
        }
        if let Some(h) = r.locker.filter(|&h| h != me && self.active(h)) {
            return Wrote::Not(Exec::Wait(h, WaitReason::RowLock));
        }
        self.rows[i].xmax = Some(me);
        self.rows[i].xmax_sub = open.depth;
        self.rows.push(Row::new(r.status, r.response, me, open.depth));
        // PostgreSQL's (xmax = 0) is false here, even for a row this transaction
        // inserted itself: the new version's xmax carries its lock (checked on 15.18).
        Wrote::Row { row: Self::out(&r), inserted: false }
    }

    fn insert(
        &mut self,
        s: &Scenario,
        me: TxnId,
        snap: u32,
        open: &OpenTxn,
        status: KeyStatus,
        do_nothing: bool,
    ) -> Wrote {
        if s.unique_index {
            for r in &self.rows {
                // A version replaced by a committed update no longer holds the key.
                if r.xmax.is_some_and(|x| x != me && matches!(self.txns[x].status, TxnStatus::Committed(_))) {
                    continue;
                }
                if r.xmin != me && self.active(r.xmin) {
                    return Wrote::Not(Exec::Wait(r.xmin, WaitReason::UncommittedKey));
                }
                // An UPDATE in flight on the committed row: the unique check waits for it too.
                if let Some(x) = r.xmax.filter(|&x| x != me && self.active(x)) {
                    return Wrote::Not(Exec::Wait(x, WaitReason::RowLock));
                }
                let visible = r.xmin == me || self.committed_before(r.xmin, snap);
                let serializable = open.isolation == Isolation::Serializable;
                // At REPEATABLE READ and SERIALIZABLE, ON CONFLICT meeting a
                // conflicting row this snapshot cannot see is 40001 (it cannot
                // skip what it does not see); at SERIALIZABLE a plain INSERT is
                // 40001 too when the transaction read the key first (SSI); at
                // REPEATABLE READ a plain INSERT gets 23505.
                let xact_snapshot = open.isolation.uses_transaction_snapshot();
                if !visible && ((xact_snapshot && do_nothing) || (serializable && open.read_key)) {
                    return Wrote::Not(Exec::Done(StmtResult::Error { state: SqlState::SerializationFailure }));
                }
                return if do_nothing {
                    Wrote::Skipped
                } else {
                    Wrote::Not(Exec::Done(StmtResult::Error { state: SqlState::UniqueViolation }))
                };
            }
        }
        // heap_insert checks the table's SIREAD locks before it writes.
        if let Err(why) = self.ssi.conflict_in(me, WriteKind::Inserted) {
            return Wrote::Not(self.ssi_fails(why));
        }
        let response = (status == KeyStatus::Done).then_some(201);
        self.rows.push(Row::new(status, response, me, open.depth));
        Wrote::Row { row: RowOut { status, response }, inserted: true }
    }
}

/// What an INSERT did to the table.
enum Wrote {
    /// It wrote this row: inserted it, or (DO UPDATE) rewrote the existing one.
    Row { row: RowOut, inserted: bool },
    /// DO NOTHING met the key: no row.
    Skipped,
    /// It waits, or failed.
    Not(Exec),
}
