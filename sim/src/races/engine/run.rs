//! Running a schedule, and what each step shows: the frames the page draws
//! and the predict-first questions.

use super::*;

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
    /// The actor whose UPDATE or ON CONFLICT DO UPDATE, not yet committed,
    /// wrote a newer version of this row: it holds the row's lock until its
    /// transaction ends (docs 13.3.2), so writers and lockers of the row wait.
    pub updated_by: Option<Actor>,
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
    fn frame(&self, a: Actor, instr: Instr, from: usize) -> Frame {
        let owner = |t: TxnId| self.txns[t].owner;
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
                    committed: matches!(self.txns[r.xmin].status, TxnStatus::Committed(_)),
                    replaced: r.xmax.is_some_and(|x| matches!(self.txns[x].status, TxnStatus::Committed(_))),
                    locked_by: r.locker.filter(|&t| self.active(t)).map(owner),
                    updated_by: r.xmax.filter(|&t| self.active(t)).map(owner),
                })
                .collect(),
            advisory_holder: self
                .locks
                .advisory_holder()
                .filter(|&t| self.active(t))
                .map(owner)
                .or(self.locks.session_holder()),
            map_has_key: self.map.is_some(),
            waits: self
                .locks
                .entries()
                .map(|(w, e)| match e.wait {
                    Wait::Txn(_, reason) => LockView { waiter: w.0, on: e.shown_on, reason },
                    Wait::ActorEnd(o) => LockView { waiter: w.0, on: o, reason: WaitReason::ClientTimeout },
                    Wait::Session(h) => LockView { waiter: w.0, on: h, reason: WaitReason::AdvisoryLock },
                })
                .collect(),
            charges: self.charges,
            responses: self.actors.iter().map(|(_, x)| x.response).collect(),
            prediction: None,
        }
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
    let pc = st.actors.get(a).map_or(0, |x| x.pc);
    let before = st.charges;
    st.step(s, a)?;
    let instr = s.programs[ActorId(a).index()].instrs[pc as usize];
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
        let why = if st.actors.get(a).is_some() { st.blocked_reason(a) } else { Some(format!("there is no T{n}")) };
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
#[expect(
    clippy::too_many_lines,
    reason = "the predict-first questions are being reworked elsewhere (issue 26); split then"
)]
fn predict(st: &State, f: &Frame, charges_before: u8) -> Option<Prediction> {
    let me = f.actor;
    let others_started = st.actors.iter().any(|(i, x)| i != me && x.stepped);
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
                    StmtResult::Returned { rows } if rows.is_empty() => 1,
                    StmtResult::Count { n: 0 } => 1,
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
                    StmtResult::Error { state: SqlState::LockNotAvailable } => {
                        options.push("it fails with 55P03: the row is locked");
                        5
                    }
                    StmtResult::Error { state: SqlState::InvalidColumnReference } => {
                        options.push("it fails with 42P10: no unique index decides the conflict");
                        5
                    }
                    StmtResult::Rows { .. }
                    | StmtResult::Returned { .. }
                    | StmtResult::Ok
                    | StmtResult::Count { .. }
                    | StmtResult::Bool { .. } => 0,
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
                Stmt::SelectKey { .. } | Stmt::SelectKeyForNoKeyUpdate { policy: None } => (
                    vec!["it finds the other request's row", "it finds nothing", "it waits for the other transaction"],
                    match result {
                        None => 2,
                        Some(StmtResult::Rows { rows }) if rows.is_empty() => 1,
                        Some(_) => 0,
                    },
                ),
                Stmt::Insert { .. }
                | Stmt::InsertWith { conflict: OnConflict::Raise | OnConflict::DoNothing { .. }, .. } => (
                    vec![
                        "it inserts the row",
                        "it returns no row (nothing inserted)",
                        "it waits for the other transaction",
                        "it fails with an error",
                    ],
                    match result {
                        None => 2,
                        Some(r) if r.row_count() == Some(0) => 1,
                        Some(StmtResult::Error { .. }) => 3,
                        Some(_) => 0,
                    },
                ),
                Stmt::SelectKeyNoWait { .. } | Stmt::SelectKeyForNoKeyUpdate { policy: Some(_) } => (
                    vec![
                        "it locks the other request's row",
                        "it returns nothing",
                        "it fails with 55P03 (lock not available)",
                    ],
                    match result {
                        Some(StmtResult::Rows { rows }) if rows.is_empty() => 1,
                        Some(StmtResult::Error { .. }) => 2,
                        None | Some(_) => 0,
                    },
                ),
                Stmt::InsertOnConflictDoUpdate | Stmt::InsertWith { conflict: OnConflict::DoUpdate, .. } => (
                    vec![
                        "it returns a row (inserted, or the existing one rewritten)",
                        "it waits for the other transaction",
                        "it fails with an error",
                    ],
                    match result {
                        None => 1,
                        Some(StmtResult::Error { .. }) => 2,
                        Some(_) => 0,
                    },
                ),
                Stmt::TryAdvisoryLock => (
                    vec!["it gets the lock (true)", "it returns false at once", "it waits for the other transaction"],
                    match result {
                        Some(StmtResult::Bool { value: false }) => 1,
                        None => 2,
                        Some(_) => 0,
                    },
                ),
                Stmt::AdvisoryLock | Stmt::SessionAdvisoryLock => (
                    vec!["it gets the lock at once", "it waits for the other transaction"],
                    if result.is_none() { 1 } else { 0 },
                ),
                Stmt::Begin { .. }
                | Stmt::SetIsolation { .. }
                | Stmt::Savepoint { .. }
                | Stmt::RollbackToSavepoint { .. }
                | Stmt::ReleaseSavepoint { .. }
                | Stmt::SessionAdvisoryUnlock
                | Stmt::UpdateDone
                | Stmt::Commit
                | Stmt::Rollback => return None,
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
        | RaceRecord::Responded { .. }
        | RaceRecord::SerializationFailure { .. } => None,
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
