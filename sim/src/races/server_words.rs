//! What PostgreSQL answers, in the lab's words: the command tag of each
//! statement (what psql prints), the step narration that depends on it, and
//! how a server check (`idemlab races check --pg`) says what it checked. The
//! page and the CLI both call these, so they say the same thing.

use super::{narrate, Actor, RaceRecord, RaceRun, SqlState, Stmt, StmtResult};

/// Most schedules one server check replays. Past it, the check replays a
/// seeded sample of this many schedules and says so.
pub const PG_SCHEDULES_MAX: usize = 5_000;

/// The command tag PostgreSQL 15 answers `stmt` with when it returned
/// `result`; `txn_failed`: an earlier statement of the transaction failed.
/// None for an error (the server sends an error, not a tag).
pub fn command_tag(stmt: Stmt, result: &StmtResult, txn_failed: bool) -> Option<String> {
    let n = match result {
        StmtResult::Error { .. } => return None,
        StmtResult::Ok | StmtResult::Bool { .. } => 1,
        StmtResult::Count { n } => usize::from(*n),
        StmtResult::Rows { rows } => rows.len(),
        StmtResult::Returned { rows } => rows.len(),
    };
    Some(match stmt {
        Stmt::Begin { .. } => "BEGIN".into(),
        // COMMIT of a failed transaction is not an error: the server rolls it back
        // and answers ROLLBACK (docs, COMMIT; xact.c EndTransactionBlock).
        Stmt::Commit if txn_failed => "ROLLBACK".into(),
        Stmt::Commit => "COMMIT".into(),
        // ROLLBACK TO SAVEPOINT's tag is ROLLBACK too (the server sends the command's first word).
        Stmt::Rollback | Stmt::RollbackToSavepoint { .. } => "ROLLBACK".into(),
        Stmt::Savepoint { .. } => "SAVEPOINT".into(),
        Stmt::ReleaseSavepoint { .. } => "RELEASE".into(),
        Stmt::SetIsolation { .. } => "SET".into(),
        // A lock function returns one row (void, or the boolean).
        Stmt::AdvisoryLock | Stmt::TryAdvisoryLock | Stmt::SessionAdvisoryLock | Stmt::SessionAdvisoryUnlock => {
            "SELECT 1".into()
        }
        Stmt::SelectKey { .. } | Stmt::SelectKeyNoWait { .. } | Stmt::SelectKeyForNoKeyUpdate { .. } => {
            format!("SELECT {n}")
        }
        Stmt::Insert { .. } | Stmt::InsertOnConflictDoUpdate | Stmt::InsertWith { .. } => format!("INSERT 0 {n}"),
        Stmt::UpdateDone => format!("UPDATE {n}"),
    })
}

/// Calls `f` with every record of the run, frame by frame, and whether the
/// record's actor was in a transaction an earlier statement had failed.
fn each_with_failed(run: &RaceRun, mut f: impl FnMut(usize, &RaceRecord, bool)) {
    // (open, failed) per actor.
    let mut txn: Vec<(bool, bool)> = vec![(false, false); run.outcome.responses.len().max(1)];
    // The trace, not the frames: a BEGIN before the first step is in the trace only (step 0).
    for t in &run.trace {
        let r = &t.record;
        let a = r.actor() as usize;
        if a >= txn.len() {
            txn.resize(a + 1, (false, false));
        }
        if let Some(i) = (t.step as usize).checked_sub(1).filter(|i| *i < run.frames.len()) {
            f(i, r, txn[a].1);
        }
        match r {
            RaceRecord::Began { .. } => txn[a] = (true, false),
            RaceRecord::Ran { stmt: Stmt::Commit | Stmt::Rollback, .. }
            | RaceRecord::Resumed { stmt: Stmt::Commit | Stmt::Rollback, .. }
            | RaceRecord::Retrying { .. }
            | RaceRecord::Responded { .. }
            | RaceRecord::Killed { .. } => txn[a] = (false, false),
            // Back to a savepoint set before the error: the transaction works again.
            RaceRecord::Ran { stmt: Stmt::RollbackToSavepoint { .. }, result: StmtResult::Ok, .. }
            | RaceRecord::Resumed { stmt: Stmt::RollbackToSavepoint { .. }, result: StmtResult::Ok, .. } => {
                txn[a].1 = false;
            }
            RaceRecord::Ran { result: StmtResult::Error { .. }, .. }
            | RaceRecord::Resumed { result: StmtResult::Error { .. }, .. } => {
                txn[a].1 = txn[a].0;
            }
            RaceRecord::Ran { .. }
            | RaceRecord::Resumed { .. }
            | RaceRecord::WaitBegan { .. }
            | RaceRecord::Charged { .. }
            | RaceRecord::MapLookedUp { .. }
            | RaceRecord::MapStored { .. }
            | RaceRecord::Crashed { .. }
            | RaceRecord::SerializationFailure { .. } => {}
        }
    }
}

/// The command tag of every statement that answered, per frame: `(actor, tag)`.
pub fn frame_tags(run: &RaceRun) -> Vec<Vec<(Actor, String)>> {
    let mut out = vec![Vec::new(); run.frames.len()];
    each_with_failed(run, |i, r, failed| match r {
        RaceRecord::Ran { actor, stmt, result, .. } | RaceRecord::Resumed { actor, stmt, result, .. } => {
            if let Some(tag) = command_tag(*stmt, result, failed) {
                out[i].push((*actor, tag));
            }
        }
        RaceRecord::Began { .. }
        | RaceRecord::WaitBegan { .. }
        | RaceRecord::Charged { .. }
        | RaceRecord::MapLookedUp { .. }
        | RaceRecord::MapStored { .. }
        | RaceRecord::Crashed { .. }
        | RaceRecord::Killed { .. }
        | RaceRecord::Retrying { .. }
        | RaceRecord::Responded { .. }
        | RaceRecord::SerializationFailure { .. } => {}
    });
    out
}

/// Every frame's records in words (see [`narrate`]), where a COMMIT of a
/// failed transaction says that the server answered ROLLBACK.
pub fn frame_narration(run: &RaceRun) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); run.frames.len()];
    each_with_failed(run, |i, r, failed| {
        let line = match r {
            RaceRecord::Ran { actor, stmt: Stmt::Commit, result: StmtResult::Ok, .. } if failed => format!(
                "T{} COMMIT → ROLLBACK: an earlier statement failed, so the server rolls the transaction back instead of committing it",
                actor + 1
            ),
            other => narrate(other),
        };
        out[i].push(line);
    });
    out
}

/// What an error code means on PostgreSQL 15, for the legend's tooltips.
pub fn sqlstate_tip(state: SqlState) -> &'static str {
    match state {
        SqlState::UniqueViolation => "unique_violation: the unique index already holds this key from a committed transaction, so this INSERT is refused (PostgreSQL 15 docs, INSERT).",
        SqlState::SerializationFailure => "serialization_failure, whose meaning depends on the isolation level. At SERIALIZABLE: no serial order of the transactions explains what each read and wrote, so PostgreSQL aborts one (docs 13.2.3). At REPEATABLE READ: \"could not serialize access due to concurrent update\", the row this transaction went to change or lock was changed by a transaction that committed after its snapshot: the first updater wins (docs 13.2.2). Either way the application retries the whole transaction.",
        SqlState::InFailedTransaction => "in_failed_sql_transaction: an earlier statement failed, so the transaction is aborted and every statement fails with 25P02, except ROLLBACK (or ROLLBACK TO SAVEPOINT) and COMMIT, which does not fail: it rolls the transaction back and answers ROLLBACK.",
        SqlState::DeadlockDetected => "deadlock_detected: two transactions each waited for a lock the other held. A waiting backend checks for a cycle once its wait has lasted deadlock_timeout (1 s by default), and the one whose check finds it aborts itself (docs 13.3.4). The lab picks the transaction that began waiting first: the one whose check fires first when the cycle closes within deadlock_timeout.",
        SqlState::InvalidColumnReference => "invalid_column_reference: ON CONFLICT (key) names a conflict target, and the table has no unique index or constraint on key to match it, so PostgreSQL refuses the statement (docs, INSERT, ON CONFLICT Clause).",
        SqlState::LockNotAvailable => "lock_not_available: FOR UPDATE NOWAIT found the row held by another transaction (a lock or an update in flight) and failed at once instead of waiting; the transaction is aborted (docs, SELECT, The Locking Clause).",
    }
}

/// The page's sentence on the server check, with its cap: the same words as `race check --help`.
pub fn server_check_hint() -> String {
    let cap = thousands(PG_SCHEDULES_MAX);
    format!(
        "idemlab races check FILE --pg CONNINFO runs each statement of this text as written on a real PostgreSQL 15 and compares every step with the engine: every schedule the server allows, up to {cap}; past that, a seeded sample of {cap} chosen to cover the engine's transitions. It says what it checked, e.g. \"{}\".",
        server_check_words(CheckCount { checked: PG_SCHEDULES_MAX, total: Some(14_016), disagreeing: 0, sampled: true })
    )
}

/// What a server check covered, for [`server_check_words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckCount {
    /// Schedules replayed on the server.
    pub checked: usize,
    /// Schedules of the handler (the engine's count), when known.
    pub total: Option<usize>,
    /// Replays in which the server and the engine differed.
    pub disagreeing: usize,
    /// Whether the replays were a seeded sample (the handler has more schedules than the cap).
    pub sampled: bool,
}

/// `12,345`: a count with thousands separators.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One sentence saying what a server check checked and what it found:
/// "checked 5,000 of 14,016 schedules, no disagreement". "Disagree" appears
/// only when a replay differed.
pub fn server_check_words(c: CheckCount) -> String {
    let plural = |n: usize| if n == 1 { "schedule" } else { "schedules" };
    let what = match c.total {
        Some(t) if t == c.checked => format!("checked all {} {}", thousands(t), plural(t)),
        Some(t) => format!("checked {} of {} {}", thousands(c.checked), thousands(t), plural(t)),
        None => format!("checked {} {}", thousands(c.checked), plural(c.checked)),
    };
    let how = if c.sampled { " (a seeded sample)" } else { "" };
    if c.disagreeing == 0 {
        format!("{what}{how} on PostgreSQL, no disagreement")
    } else {
        format!(
            "{what}{how} on PostgreSQL: the server and the engine disagree on {} {}",
            thousands(c.disagreeing),
            plural(c.disagreeing)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_at_the_cap_says_how_many_of_how_many_without_crying_wolf() {
        let c = CheckCount { checked: 5_000, total: Some(14_016), disagreeing: 0, sampled: true };
        let w = server_check_words(c);
        assert!(w.starts_with("checked 5,000 of 14,016 schedules"), "{w}");
        assert!(w.contains("no disagreement") && !w.contains("disagree on"), "{w}");
        let all = server_check_words(CheckCount { checked: 42, total: Some(42), disagreeing: 0, sampled: false });
        assert_eq!(all, "checked all 42 schedules on PostgreSQL, no disagreement");
        let bad = server_check_words(CheckCount { checked: 42, total: Some(42), disagreeing: 1, sampled: false });
        assert!(bad.ends_with("disagree on 1 schedule"), "{bad}");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[cfg(feature = "parser")]
    #[test]
    fn commit_of_a_failed_transaction_answers_rollback() {
        // The 23505 is ignored: the handler COMMITs the failed transaction.
        let text = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;
RESPOND 201";
        let s = super::super::handler_scenario(text, 2).unwrap();
        // T1 inserts, T2's insert waits, T1 commits: T2's insert fails, then T2 commits.
        let run = super::super::run(&s, &[1, 2, 1, 2]).unwrap();
        let tags = frame_tags(&run);
        let words = frame_narration(&run);
        assert_eq!(tags[3], vec![(1, "ROLLBACK".to_string())], "{words:?}");
        assert!(words[3][0].starts_with("T2 COMMIT → ROLLBACK"), "{words:?}");
        assert_eq!(tags[2], vec![(0, "COMMIT".to_string())], "{words:?}");
    }

    #[cfg(feature = "parser")]
    #[test]
    fn rolling_back_to_a_savepoint_set_before_the_error_lets_commit_commit() {
        let text = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SAVEPOINT claim;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR GOTO taken
RELEASE SAVEPOINT claim;
COMMIT;
RESPOND 201
taken:
ROLLBACK TO SAVEPOINT claim;
COMMIT;
RESPOND 409";
        let s = super::super::handler_scenario(text, 2).unwrap();
        // T1 saves and inserts; T2 saves, its insert waits; T1 releases and commits;
        // T2's insert fails with 23505, T2 rolls back to its savepoint and commits.
        let run = super::super::run(&s, &[1, 1, 2, 2, 1, 1, 2, 2]).unwrap();
        let tags: Vec<String> = frame_tags(&run).into_iter().flatten().map(|(_, t)| t).collect();
        assert_eq!(
            tags,
            ["SAVEPOINT", "INSERT 0 1", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK", "COMMIT"],
            "{:?}",
            frame_narration(&run)
        );
        assert_eq!(
            command_tag(
                Stmt::SetIsolation { isolation: super::super::Isolation::RepeatableRead },
                &StmtResult::Ok,
                false
            )
            .as_deref(),
            Some("SET")
        );
    }
}
