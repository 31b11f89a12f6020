//! Savepoints: subtransactions inside one transaction (docs, SAVEPOINT,
//! ROLLBACK TO SAVEPOINT, RELEASE SAVEPOINT; xact.c's subtransaction states).
//!
//! The model keeps one transaction id per transaction and tags what each
//! (sub)transaction did with its savepoint depth (a row version's `sub`,
//! `xmax_sub`, `locker_sub`; the advisory lock's depth). PostgreSQL gives a
//! subtransaction its own xid instead; what others can observe is the same:
//! - ROLLBACK TO SAVEPOINT undoes the rows written since the savepoint and
//!   releases the row locks and advisory locks taken since (checked on
//!   PostgreSQL 15.18 with pg_locks); the savepoint stays, and an aborted
//!   transaction is usable again;
//! - an error inside a savepoint aborts only the innermost subtransaction:
//!   what it did is undone at the error, and every statement but ROLLBACK TO
//!   (or ROLLBACK) gets 25P02 until then;
//! - RELEASE SAVEPOINT keeps everything, now the enclosing level's.

use super::*;

impl State {
    /// Runs SAVEPOINT, RELEASE SAVEPOINT or ROLLBACK TO SAVEPOINT for `a`;
    /// returns the result and, after a ROLLBACK TO, the transaction whose
    /// waiters must look again at what it still holds.
    pub(super) fn savepoint_stmt(&mut self, a: Actor, stmt: Stmt) -> Result<(StmtResult, Option<TxnId>), SimError> {
        let refuse = |why: String| -> Result<(StmtResult, Option<TxnId>), SimError> {
            Err(SimError::InvalidParameter { name: "program", reason: format!("T{}: {why}", a + 1) })
        };
        let Some(mut open) = self.actors[a].txn.filter(|t| t.explicit) else {
            return refuse(format!(
                "{} outside a transaction block: PostgreSQL fails it with 25P01, an error the model does not raise; put it after BEGIN",
                stmt_short(stmt)
            ));
        };
        let failed = StmtResult::Error { state: SqlState::InFailedTransaction };
        let find = |open: &OpenTxn, id: u8| open.savepoints[..open.depth as usize].iter().rposition(|&s| s == id);
        let no_such =
            "the savepoint is not open on this path: PostgreSQL fails it with 3B001, an error the model does not raise";
        let out = match stmt {
            Stmt::Savepoint { .. } | Stmt::ReleaseSavepoint { .. } if open.failed => (failed, None),
            Stmt::Savepoint { id } => {
                let Some(slot) = open.savepoints.get_mut(open.depth as usize) else {
                    return refuse(format!("more than {SAVEPOINTS_MAX} savepoints open at once"));
                };
                *slot = id;
                open.depth += 1;
                (StmtResult::Ok, None)
            }
            Stmt::ReleaseSavepoint { id } => {
                let Some(k) = find(&open, id) else { return refuse(no_such.into()) };
                self.merge_sub(open.no, k as u8);
                open.depth = k as u8;
                (StmtResult::Ok, None)
            }
            Stmt::RollbackToSavepoint { id } => {
                let Some(k) = find(&open, id) else { return refuse(no_such.into()) };
                self.undo_sub(open.no, k as u8 + 1);
                open.depth = k as u8 + 1;
                open.failed = false;
                (StmtResult::Ok, Some(open.no))
            }
            Stmt::Begin { .. }
            | Stmt::SelectKey { .. }
            | Stmt::Insert { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::Commit
            | Stmt::Rollback
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::TryAdvisoryLock
            | Stmt::InsertOnConflictDoUpdate
            | Stmt::InsertWith { .. }
            | Stmt::SelectKeyForNoKeyUpdate { .. }
            | Stmt::SessionAdvisoryLock
            | Stmt::SessionAdvisoryUnlock
            | Stmt::SetIsolation { .. } => {
                return Err(SimError::Internal("savepoint_stmt runs savepoint statements only"))
            }
        };
        self.actors[a].txn = Some(open);
        Ok(out)
    }

    /// Undoes what transaction `t` did at savepoint depth `from` or deeper.
    pub(super) fn undo_sub(&mut self, t: TxnId, from: u8) {
        debug_assert!(from >= 1, "depth 0 is the transaction itself: undoing it is a rollback");
        self.rows.retain(|r| !(r.xmin == t && r.sub >= from));
        for r in &mut self.rows {
            if r.xmax == Some(t) && r.xmax_sub >= from {
                r.xmax = None;
            }
            if r.locker == Some(t) && r.locker_sub >= from {
                r.locker = None;
            }
        }
        self.locks.release_sub(t, from);
    }

    /// What transaction `t` did deeper than depth `to` now belongs to depth `to`.
    fn merge_sub(&mut self, t: TxnId, to: u8) {
        for r in &mut self.rows {
            if r.xmin == t {
                r.sub = r.sub.min(to);
            }
            if r.xmax == Some(t) {
                r.xmax_sub = r.xmax_sub.min(to);
            }
            if r.locker == Some(t) {
                r.locker_sub = r.locker_sub.min(to);
            }
        }
        self.locks.merge_sub(t, to);
    }

    /// After part of transaction `t` was undone, each statement waiting for
    /// `t` looks again: one still blocked by what `t` holds keeps its wait
    /// (and its place in the queue), the others go on.
    pub(super) fn wake_partial(&mut self, s: &Scenario, t: TxnId) -> Result<(), SimError> {
        let queue = self.locks.waiters_on(t);
        let key_waiters = queue
            .iter()
            .filter(|&&w| matches!(self.locks.wait_of(w), Some(Wait::Txn(_, WaitReason::UncommittedKey))))
            .count();
        if key_waiters > 1 && !self.rows.iter().any(|r| r.xmin == t) {
            return Err(SimError::InvalidParameter {
                name: "program",
                reason: format!(
                    "T{} rolled back to a savepoint while {key_waiters} requests waited for the key it had inserted: which of them inserts first is a race inside PostgreSQL (either can win), so the model does not run this; use 2 lanes",
                    self.txns[t].owner + 1
                ),
            });
        }
        for w in queue {
            let Some(entry) = self.locks.entry(w) else { continue };
            let Wait::Txn(on, reason) = entry.wait else { continue };
            if on != t {
                continue;
            }
            let pc = self.actors[w.0].pc;
            let Instr::Sql { stmt } = s.programs[w.index()].instrs[pc as usize] else {
                return Err(SimError::Internal("a transaction wait on an instruction that is not SQL"));
            };
            self.locks.end_wait(w);
            match self.exec(s, w.0, stmt) {
                Exec::Wait(t2, r2) if t2 == t && r2 == reason => self.locks.restore(w, entry),
                Exec::Wait(t2, r2) => self.begin_wait(s, w.0, pc, stmt, t2, r2)?,
                Exec::WaitSession(h) => self.begin_session_wait(s, w.0, pc, stmt, h)?,
                Exec::Done(result) => {
                    self.push(RaceRecord::Resumed { actor: w.0, pc, stmt, result: result.clone() });
                    self.finish_stmt(s, w.0, stmt, result)?;
                    self.settle(s, w.0)?;
                }
            }
        }
        Ok(())
    }
}
