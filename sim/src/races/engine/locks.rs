//! Waits and lock queues: who waits on whom (PostgreSQL's tuple lock versus a
//! wait on a transaction id), first come first served, deadlocks, and who goes
//! on when a transaction ends.

use super::*;

impl State {
    /// `a`'s statement begins to wait for transaction `t`. When that closes a
    /// cycle of waits, PostgreSQL's deadlock check (run by the waiter whose
    /// deadlock_timeout fires first: the one that began waiting first, as
    /// steps here come well within the 1 s default) fails that waiter with 40P01.
    pub(super) fn begin_wait(
        &mut self,
        s: &Scenario,
        a: Actor,
        pc: u16,
        stmt: Stmt,
        t: TxnId,
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
        // ON CONFLICT DO UPDATE waits on the updater's transaction id when the
        // row is being updated, and queues on the tuple lock behind a holder
        // that has only locked it.
        let tuple_lock = reason == WaitReason::RowLock
            && match stmt {
                Stmt::SelectKey { for_update: true }
                | Stmt::SelectKeyForNoKeyUpdate { policy: None }
                | Stmt::UpdateDone => true,
                Stmt::InsertOnConflictDoUpdate | Stmt::InsertWith { conflict: OnConflict::DoUpdate, .. } => {
                    !self.rows.iter().any(|r| r.xmax == Some(t))
                }
                Stmt::SelectKey { for_update: false }
                | Stmt::SelectKeyNoWait { .. }
                | Stmt::SelectKeyForNoKeyUpdate { policy: Some(_) }
                | Stmt::Insert { .. }
                | Stmt::InsertWith { conflict: OnConflict::Raise | OnConflict::DoNothing { .. }, .. }
                | Stmt::SetIsolation { .. }
                | Stmt::Savepoint { .. }
                | Stmt::RollbackToSavepoint { .. }
                | Stmt::ReleaseSavepoint { .. }
                | Stmt::SessionAdvisoryLock
                | Stmt::SessionAdvisoryUnlock
                | Stmt::AdvisoryLock
                | Stmt::TryAdvisoryLock
                | Stmt::Begin { .. }
                | Stmt::Commit
                | Stmt::Rollback => false,
            };
        let on = match (tuple_lock, self.locks.queue_head(t, ActorId(a))) {
            (true, Some(o)) => o.0,
            (true, None) | (false, _) => self.txns[t].owner,
        };
        // A lock's holder is never queued behind itself: the wait is for someone else.
        debug_assert!(self.txns[t].owner != a, "T{} would wait for its own transaction", a + 1);
        debug_assert!(on != a, "T{} would be shown waiting on itself", a + 1);
        let saw_update = tuple_lock && self.rows.iter().any(|r| r.xmax == Some(t));
        self.locks.begin_txn_wait(ActorId(a), t, reason, on, tuple_lock, saw_update);
        self.push(RaceRecord::WaitBegan { actor: a, pc, stmt, on, reason });
        self.deadlock_check(s, a, on)
    }

    /// `a` just began to wait, shown on `on`: when that closes a cycle of
    /// waits, the waiter that began waiting first fails with 40P01.
    pub(super) fn deadlock_check(&mut self, s: &Scenario, a: Actor, on: Actor) -> Result<(), SimError> {
        let mut cycle = vec![a];
        let mut cur = on;
        for _ in 0..self.actors.len() {
            if cur == a {
                let seq = |x: Actor| self.locks.entry(ActorId(x)).map_or(0, |e| e.seq);
                let victim = cycle.iter().copied().min_by_key(|&x| seq(x)).unwrap_or(a);
                let vpc = self.actors[victim].pc;
                let Instr::Sql { stmt: vstmt } = s.programs[ActorId(victim).index()].instrs[vpc as usize] else {
                    return Err(SimError::Internal("a deadlock victim that is not running SQL"));
                };
                self.locks.end_wait(ActorId(victim));
                let result = StmtResult::Error { state: SqlState::DeadlockDetected };
                self.push(RaceRecord::Resumed { actor: victim, pc: vpc, stmt: vstmt, result: result.clone() });
                self.finish_stmt(s, victim, vstmt, result)?;
                return self.settle(s, victim);
            }
            match self.locks.wait_of(ActorId(cur)) {
                Some(Wait::Txn(t2, _)) => {
                    cycle.push(cur);
                    cur = self.txns[t2].owner;
                }
                Some(Wait::Session(h)) => {
                    cycle.push(cur);
                    cur = h;
                }
                Some(Wait::ActorEnd(_)) | None => break,
            }
        }
        Ok(())
    }

    /// Resumes, in actor order, every statement that waited for transaction `t`.
    pub(super) fn wake_txn_waiters(&mut self, s: &Scenario, t: TxnId) -> Result<(), SimError> {
        let queue: Vec<Actor> = self.locks.waiters_on(t).into_iter().map(|w| w.0).collect();
        let wait_of = |st: &State, w: Actor| st.locks.entry(ActorId(w));
        // Several INSERTs waiting on the key of a transaction that rolled back
        // all wake at once, and which one inserts first is a race inside the
        // server (checked on PostgreSQL 15: either can win). The model does not
        // guess: it refuses the run.
        let key_waiters = queue
            .iter()
            .filter(|&&w| wait_of(self, w).is_some_and(|e| matches!(e.wait, Wait::Txn(_, WaitReason::UncommittedKey))))
            .count();
        if key_waiters > 1 && self.txns[t].status == TxnStatus::Aborted {
            return Err(SimError::InvalidParameter {
                name: "program",
                reason: format!(
                    "T{} rolled back while {key_waiters} requests waited for its key: which of them inserts first is a race inside PostgreSQL (either can win), so the model does not run this; use 2 lanes, or commit instead of rolling back",
                    self.txns[t].owner + 1
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
                wait_of(self, w).is_some_and(|e| e.tuple_lock && matches!(e.wait, Wait::Txn(_, WaitReason::RowLock)))
            })
            .collect();
        let updated = self.rows.iter().any(|r| r.xmax == Some(t));
        if let [first, second, ..] = tuple_waiters[..] {
            if updated
                && matches!(self.txns[t].status, TxnStatus::Committed(_))
                && !wait_of(self, first).is_some_and(|e| e.saw_update)
            {
                return Err(SimError::InvalidParameter {
                    name: "program",
                    reason: format!(
                        "T{} updated the row it had locked while T{} and T{} waited for it, and committed: which waiter locks the new version first is a race inside PostgreSQL (usually the first, sometimes the second), so the model does not run this; use 2 lanes, or update the row only where no other request waits for it",
                        self.txns[t].owner + 1,
                        first + 1,
                        second + 1
                    ),
                });
            }
        }
        // An ON CONFLICT DO UPDATE that waited on a transaction id starts over
        // when that transaction ends and goes after the row like a new
        // statement; when another waiter also goes after the row (to lock or
        // rewrite it), which one gets it first is a race inside the server
        // (checked on PostgreSQL 15.18 with two DO UPDATEs waiting for an
        // UPDATE in flight: of 10 replays the first waiter won 9, the second 1).
        let is_upsert = |w: Actor| {
            let pc = self.actors[w].pc as usize;
            matches!(
                s.programs[ActorId(w).index()].instrs.get(pc),
                Some(Instr::Sql {
                    stmt: Stmt::InsertOnConflictDoUpdate | Stmt::InsertWith { conflict: OnConflict::DoUpdate, .. }
                })
            )
        };
        let upsert_xid_waiters: Vec<Actor> = queue
            .iter()
            .copied()
            .filter(|&w| is_upsert(w) && !wait_of(self, w).is_some_and(|e| e.tuple_lock))
            .collect();
        if let Some(&u) = upsert_xid_waiters.first() {
            let others: Vec<Actor> =
                tuple_waiters.iter().chain(&upsert_xid_waiters).copied().filter(|&w| w != u).collect();
            if let Some(&o) = others.first() {
                return Err(SimError::InvalidParameter {
                    name: "program",
                    reason: format!(
                        "T{}'s ON CONFLICT DO UPDATE and T{} both wait for T{} and both go after the row when it ends: which locks it first is a race inside PostgreSQL, so the model does not run this; use 2 lanes",
                        u + 1,
                        o + 1,
                        self.txns[t].owner + 1
                    ),
                });
            }
        }
        for w in queue {
            // An earlier waiter's resumption (a deadlock, a rollback) may have moved this one.
            if !matches!(self.locks.wait_of(ActorId(w)), Some(Wait::Txn(on, _)) if on == t) {
                continue;
            }
            self.locks.end_wait(ActorId(w));
            let pc = self.actors[w].pc;
            let Instr::Sql { stmt } = s.programs[ActorId(w).index()].instrs[pc as usize] else {
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
                Exec::WaitSession(h) => self.begin_session_wait(s, w, pc, stmt, h)?,
            }
        }
        Ok(())
    }

    pub(super) fn wake_actor_waiters(&mut self, s: &Scenario) -> Result<(), SimError> {
        for w in ActorId::all(self.actors.len()).map(|w| w.0) {
            let Some(Wait::ActorEnd(o)) = self.locks.wait_of(ActorId(w)) else { continue };
            if self.done(o) {
                self.locks.end_wait(ActorId(w));
                self.settle(s, w)?;
            }
        }
        Ok(())
    }

    /// Finds the visible rows and makes sure no other live transaction holds
    /// them; at READ COMMITTED a row replaced by a committed update is
    /// followed to its new version, at SERIALIZABLE that is a 40001.
    pub(super) fn lock_rows(&self, me: TxnId, snap: u32, iso: Isolation, reason: WaitReason) -> LockAttempt {
        let mut out = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if !self.visible(r, me, snap) {
                continue;
            }
            let mut cur = i;
            for _ in 0..self.rows.len() + 1 {
                let row = &self.rows[cur];
                if let Some(h) = row.locker.filter(|&h| h != me && self.active(h)) {
                    return LockAttempt::Wait(h, reason);
                }
                match row.xmax {
                    Some(x) if x != me && self.active(x) => return LockAttempt::Wait(x, reason),
                    Some(x) if x != me && matches!(self.txns[x].status, TxnStatus::Committed(_)) => {
                        if iso.uses_transaction_snapshot() {
                            return LockAttempt::Fails(SqlState::SerializationFailure);
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
        LockAttempt::Locked(out)
    }
}
