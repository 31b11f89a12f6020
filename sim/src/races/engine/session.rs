//! Session-level advisory locks (`pg_advisory_lock` / `pg_advisory_unlock`,
//! docs 13.3.5 and 9.27.10). One lock tag per key: a session-level holder
//! and a transaction-level holder of another session conflict both ways;
//! one session may hold both, and may take the session lock again (each
//! unlock gives one back). The lock outlives COMMIT and ROLLBACK (a
//! ROLLBACK TO SAVEPOINT does not release it either), and the request's
//! answer too: the pooled connection keeps it. A request that then waits for
//! it would wait for ever, and the model refuses the run there, naming the leak.

use super::*;

impl State {
    /// `pg_advisory_lock` for `a`, whose transaction is `me`.
    pub(super) fn session_lock(&mut self, a: Actor, me: TxnId) -> Exec {
        if let Some(h) = self.locks.advisory_holder().filter(|&h| h != me && self.active(h)) {
            if self.txns[h].owner != a {
                return Exec::Wait(h, WaitReason::AdvisoryLock);
            }
        }
        match self.locks.session_holder() {
            Some(h) if h != a => Exec::WaitSession(h),
            Some(_) | None => {
                self.locks.take_session(a);
                Exec::Done(StmtResult::Ok)
            }
        }
    }

    /// `a`'s statement begins to wait for the session lock `h` holds.
    pub(super) fn begin_session_wait(
        &mut self,
        s: &Scenario,
        a: Actor,
        pc: u16,
        stmt: Stmt,
        h: Actor,
    ) -> Result<(), SimError> {
        if self.done(h) {
            return Err(self.leak(h, a));
        }
        self.locks.begin_session_wait(ActorId(a), h);
        self.push(RaceRecord::WaitBegan { actor: a, pc, stmt, on: h, reason: WaitReason::AdvisoryLock });
        self.deadlock_check(s, a, h)
    }

    /// The refusal when `waiter` would wait for ever on the lock `holder` leaked.
    pub(super) fn leak(&self, holder: Actor, waiter: Actor) -> SimError {
        SimError::InvalidParameter {
            name: "program",
            reason: format!(
                "T{} answered still holding the session-level advisory lock (pg_advisory_lock without pg_advisory_unlock): its pooled connection keeps it, so T{} waits for it for ever; the model stops here",
                holder + 1,
                waiter + 1
            ),
        }
    }

    /// After `pg_advisory_unlock` by `h`, or `h`'s answer: each statement
    /// waiting for `h`'s session lock looks again, first come first.
    pub(super) fn wake_session_waiters(&mut self, s: &Scenario, h: Actor) -> Result<(), SimError> {
        for w in self.locks.session_waiters(h) {
            if self.locks.wait_of(w) != Some(Wait::Session(h)) {
                continue;
            }
            if self.locks.session_holder() == Some(h) && self.done(h) {
                return Err(self.leak(h, w.0));
            }
            let pc = self.actors[w.0].pc;
            let Instr::Sql { stmt } = s.programs[w.index()].instrs[pc as usize] else {
                return Err(SimError::Internal("a session-lock wait on an instruction that is not SQL"));
            };
            self.locks.end_wait(w);
            match self.exec(s, w.0, stmt) {
                Exec::Done(result) => {
                    self.push(RaceRecord::Resumed { actor: w.0, pc, stmt, result: result.clone() });
                    self.finish_stmt(s, w.0, stmt, result)?;
                    self.settle(s, w.0)?;
                }
                Exec::Wait(t2, r2) => self.begin_wait(s, w.0, pc, stmt, t2, r2)?,
                Exec::WaitSession(h2) if h2 == h => {
                    self.locks.begin_session_wait(w, h);
                }
                Exec::WaitSession(h2) => self.begin_session_wait(s, w.0, pc, stmt, h2)?,
            }
        }
        Ok(())
    }
}
