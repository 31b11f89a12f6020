//! The lanes as PostgreSQL runs them: a lane steps only when the server is
//! not blocking it, and its branches follow the server's results.

use super::*;
use idemlab_sim::races::{Cond, Instr, Reply, Response, Stmt, StmtResult};
use std::sync::mpsc::RecvTimeoutError;
use std::thread;
use worker::{Answer, Job, Worker};

#[derive(Clone, Default)]
pub(super) struct Lane {
    pub(super) pc: u16,
    pub(super) last: Option<StmtResult>,
    pub(super) last_row: Option<RowOut>,
    pub(super) attempts: u8,
    pub(super) response: Option<Response>,
    pub(super) pending: Option<Stmt>,
    pub(super) blockers: Vec<u8>,
    pub(super) in_txn: bool,
    /// When the lane's pending statement was sent.
    pub(super) sent_at: Option<Instant>,
}

pub(super) struct Server<'a> {
    pub(super) s: &'a Scenario,
    /// The learner's text of each lane's statements, by instruction.
    pub(super) texts: &'a [Vec<Option<String>>],
    pub(super) admin: &'a mut Client,
    pub(super) workers: &'a [Worker],
    pub(super) lanes: Vec<Lane>,
    pub(super) charges: u8,
    pub(super) seen: Vec<Seen>,
    /// The server's deadlock_timeout.
    pub(super) deadlock_timeout: Duration,
    /// Whether a lane had been waiting for half of deadlock_timeout or more
    /// when another lane's statement answered or blocked: see `pg::check`.
    pub(super) slow: bool,
}

impl Server<'_> {
    pub(super) fn send(&self, lane: u8, stmt: Option<Stmt>, text: String) -> Result<(), String> {
        self.workers[lane as usize].to.send(Job { stmt, text }).map_err(|_| "a lane's connection died".to_string())
    }

    /// The learner's text of lane `a`'s instruction `pc`.
    fn text(&self, a: u8, pc: u16) -> Result<String, String> {
        self.texts
            .get(a as usize)
            .and_then(|l| l.get(pc as usize))
            .cloned()
            .flatten()
            .ok_or_else(|| format!("T{}: no statement text at instruction {}", a + 1, pc + 1))
    }

    pub(super) fn blocking(&mut self, lane: u8) -> Result<Vec<u8>, String> {
        let pid = self.workers[lane as usize].pid;
        let pids: Vec<i32> =
            self.admin.query_one("SELECT pg_blocking_pids($1)", &[&pid]).map_err(|e| e.to_string())?.get(0);
        Ok(self.workers.iter().enumerate().filter(|(_, w)| pids.contains(&w.pid)).map(|(i, _)| i as u8).collect())
    }

    /// Waits until the lane's statement answers (Some) or the server blocks it (None).
    pub(super) fn answer_or_block(&mut self, lane: u8) -> Result<Option<Answer>, String> {
        let start = Instant::now();
        loop {
            match self.workers[lane as usize].from.recv_timeout(Duration::from_micros(500)) {
                Ok(r) => return r.map(Some),
                Err(RecvTimeoutError::Disconnected) => return Err("a lane's connection died".into()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            let on = self.blocking(lane)?;
            if !on.is_empty() {
                // A blocked statement may still have answered meanwhile.
                if let Ok(r) = self.workers[lane as usize].from.try_recv() {
                    return r.map(Some);
                }
                self.lanes[lane as usize].blockers = on;
                return Ok(None);
            }
            if start.elapsed() > ANSWER_TIMEOUT {
                return Err(format!("T{}'s statement neither answered nor blocked in {ANSWER_TIMEOUT:?}", lane + 1));
            }
        }
    }

    pub(super) fn sync(&mut self, lane: u8, stmt: Option<Stmt>, sql: String) -> Result<Answer, String> {
        self.send(lane, stmt, sql)?;
        match self.answer_or_block(lane)? {
            Some(r) => Ok(r),
            None => Err(format!(
                "T{}: {} blocked",
                lane + 1,
                stmt.map_or("ROLLBACK".into(), |s| races::stmt_short(s).to_string())
            )),
        }
    }

    /// Runs the lane's instant instructions, as the engine does.
    pub(super) fn settle(&mut self, a: u8) -> Result<(), String> {
        let prog = &self.s.programs[a as usize];
        for _ in 0..prog.instrs.len() * 4 + 4 {
            let x = &self.lanes[a as usize];
            if x.response.is_some() || x.pending.is_some() {
                return Ok(());
            }
            let pc = x.pc;
            let Some(&instr) = prog.instrs.get(pc as usize) else { return Err("a handler ran past its end".into()) };
            match instr {
                Instr::Sql { stmt: stmt @ (Stmt::Begin { .. } | Stmt::SetIsolation { .. }) } => {
                    let text = self.text(a, pc)?;
                    let r = self.sync(a, Some(stmt), text)?.result;
                    let x = &mut self.lanes[a as usize];
                    if r != StmtResult::Ok {
                        return Err(format!("T{}: BEGIN answered {}", a + 1, res(&r)));
                    }
                    x.in_txn = true;
                    x.pc += 1;
                }
                Instr::JumpIf { cond, to } => {
                    let x = &mut self.lanes[a as usize];
                    if cond == Cond::MapHit {
                        return Err("MAP lines have no PostgreSQL counterpart".into());
                    }
                    let holds = cond.holds(x.last.as_ref(), x.last_row, false);
                    x.pc = if holds { to } else { pc + 1 };
                }
                Instr::Retry { attempts_max } => {
                    let x = &mut self.lanes[a as usize];
                    if x.attempts < attempts_max {
                        x.attempts += 1;
                        x.pc = 0;
                        x.last = None;
                        x.last_row = None;
                    } else {
                        self.end(a, Response::ServerError)?;
                    }
                }
                Instr::Respond { reply } => {
                    let x = &self.lanes[a as usize];
                    let r = match reply {
                        Reply::Created => Response::Created,
                        Reply::Conflict => Response::Conflict,
                        Reply::ServerError => Response::ServerError,
                        Reply::ReplayStored => {
                            Response::Replayed { code: x.last_row.and_then(|r| r.response).unwrap_or(500) }
                        }
                    };
                    self.end(a, r)?;
                }
                Instr::Sql { .. } | Instr::Charge => return Ok(()),
                Instr::MapGet
                | Instr::MapPut
                | Instr::Crash
                | Instr::AwaitUnanswered { .. }
                | Instr::SendResponse { .. } => {
                    return Err("MAP, CRASH, AWAIT and SEND lines have no PostgreSQL counterpart".into())
                }
            }
        }
        Err("a handler looped through instant lines".into())
    }

    /// The lane answers; a transaction it left open is rolled back, as a connection pool would.
    pub(super) fn end(&mut self, a: u8, r: Response) -> Result<(), String> {
        self.lanes[a as usize].response = Some(r);
        self.seen.push(Seen::Answered { lane: a, response: r.label() });
        if self.lanes[a as usize].in_txn {
            self.lanes[a as usize].in_txn = false;
            self.sync(a, None, "ROLLBACK".into())?;
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, a: u8, stmt: Stmt, r: StmtResult) {
        let x = &mut self.lanes[a as usize];
        x.pc += 1;
        x.pending = None;
        x.blockers.clear();
        if r.rows_returned().is_some() {
            x.last_row = r.first_row();
        }
        if matches!(stmt, Stmt::Commit | Stmt::Rollback) {
            x.in_txn = false;
        }
        x.last = Some(r);
    }

    pub(super) fn runnable(&self) -> Vec<u8> {
        (0..self.lanes.len() as u8)
            .filter(|&a| self.lanes[a as usize].response.is_none() && self.lanes[a as usize].pending.is_none())
            .collect()
    }

    /// Before a step that closes a cycle of waits: lets every waiting lane
    /// wait a quarter of deadlock_timeout first. PostgreSQL runs its deadlock
    /// check in the waiter whose deadlock_timeout fires first, and that waiter
    /// is the victim; the engine picks the waiter that began waiting first.
    /// Steps a few milliseconds apart leave that order to the machine's
    /// scheduler (on a loaded machine the later waiter's check sometimes ran
    /// first: 3 of 6 runs of the deadlock handler disagreed on one schedule
    /// each); a quarter of a second apart, the first waiter's check runs first.
    pub(super) fn space_out_the_cycle(&self) {
        let gap = self.deadlock_timeout / 4;
        let youngest = self.lanes.iter().filter(|l| l.pending.is_some()).filter_map(|l| l.sent_at).max();
        if let Some(t) = youngest {
            if let Some(rest) = gap.checked_sub(t.elapsed()) {
                thread::sleep(rest);
            }
        }
    }

    /// One step of lane `a`, then whatever the server lets the waiting lanes do.
    pub(super) fn step(&mut self, a: u8) -> Result<(), String> {
        let pc = self.lanes[a as usize].pc;
        match self.s.programs[a as usize].instrs[pc as usize] {
            Instr::Charge => {
                self.charges = self.charges.saturating_add(1);
                self.lanes[a as usize].pc += 1;
                self.settle(a)?;
            }
            Instr::Sql { stmt } => {
                let sent = Instant::now();
                self.send(a, Some(stmt), self.text(a, pc)?)?;
                let answer = self.answer_or_block(a)?;
                if self
                    .lanes
                    .iter()
                    .any(|l| l.pending.is_some() && l.sent_at.is_some_and(|t| t.elapsed() >= self.deadlock_timeout / 2))
                {
                    self.slow = true;
                }
                self.lanes[a as usize].sent_at = Some(sent);
                match answer {
                    Some(r) => {
                        self.seen.push(Seen::Ran { lane: a, result: said(&r.result, r.tag.as_deref()) });
                        self.apply(a, stmt, r.result);
                        self.settle(a)?;
                    }
                    None => self.lanes[a as usize].pending = Some(stmt),
                }
            }
            other => return Err(format!("T{}: {} is not a step the server runs", a + 1, races::instr_short(other))),
        }
        self.drain()
    }

    /// Lets every waiting lane go on until each has answered or is blocked
    /// again; a cycle of waits is left to the server's deadlock check.
    pub(super) fn drain(&mut self) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let mut moved = false;
            for w in 0..self.lanes.len() as u8 {
                let Some(stmt) = self.lanes[w as usize].pending else { continue };
                // None: the server still blocks it.
                if let Some(r) = self.answer_or_block(w)? {
                    self.seen.push(Seen::Resumed { lane: w, result: said(&r.result, r.tag.as_deref()) });
                    self.apply(w, stmt, r.result);
                    self.settle(w)?;
                    moved = true;
                }
            }
            if moved {
                continue;
            }
            let blocked: Vec<u8> =
                (0..self.lanes.len() as u8).filter(|&w| self.lanes[w as usize].pending.is_some()).collect();
            let cycle = blocked.iter().any(|&w| reaches(&self.lanes, w, w));
            // A lane whose statement just failed is in an aborted transaction,
            // and PostgreSQL releases its locks only after it has sent the
            // error (the error report comes before the abort's cleanup), so a
            // wait on it is about to end. Read as it stands, a loaded machine
            // once saw T1 still waiting on the deadlock's victim. Look again,
            // for a bounded time, before recording who waits on whom.
            let on_aborted = blocked.iter().any(|&w| {
                self.lanes[w as usize].blockers.iter().any(|&b| {
                    let l = &self.lanes[b as usize];
                    l.in_txn && l.pending.is_none() && matches!(l.last, Some(StmtResult::Error { .. }))
                })
            });
            if !cycle && on_aborted && start.elapsed() < ABORTED_LOCKS_WAIT {
                thread::sleep(Duration::from_millis(2));
                continue;
            }
            if !cycle {
                // Who waits on whom once the step is over.
                for w in blocked {
                    let on = self.lanes[w as usize].blockers.clone();
                    self.seen.push(Seen::Waits { lane: w, on });
                }
                return Ok(());
            }
            if start.elapsed() > ANSWER_TIMEOUT {
                return Err("a cycle of waits that the server did not break".into());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

pub(super) fn reaches(lanes: &[Lane], from: u8, target: u8) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<u8> = lanes[from as usize].blockers.clone();
    while let Some(x) = todo.pop() {
        if x == target {
            return true;
        }
        if seen.insert(x) && lanes[x as usize].pending.is_some() {
            todo.extend(lanes[x as usize].blockers.iter().copied());
        }
    }
    false
}
