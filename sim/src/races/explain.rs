//! Why a decisive step came out as it did, in one sentence with its source:
//! the feedback after a prediction says what happened and why.

use super::{Actor, Frame, Isolation, LockWaitPolicy, RaceRecord, RaceRun, SqlState, Stmt, StmtResult, WaitReason};

fn t(a: u8) -> String {
    format!("T{}", a + 1)
}

/// Why step `step` (from 1) of `run` did what it did, when it is a step a
/// prediction asks about.
pub fn why(run: &RaceRun, step: usize) -> Option<String> {
    let f = run.frames.get(step.checked_sub(1)?)?;
    let before: &[super::RowView] = match step.checked_sub(2).and_then(|i| run.frames.get(i)) {
        Some(prev) => &prev.rows,
        None => &[],
    };
    // The isolation level of each actor's transaction at this step (from its last BEGIN).
    let iso = |a: Actor| {
        run.trace
            .iter()
            .filter(|t| t.step <= f.step)
            .rev()
            .find_map(|t| {
                if let RaceRecord::Began { actor, isolation } = t.record {
                    (actor == a).then_some(isolation)
                } else {
                    None
                }
            })
            .unwrap_or(Isolation::ReadCommitted)
    };
    for r in &f.records {
        if let Some(w) = why_record(f, r, before, iso(r.actor())) {
            return Some(w);
        }
    }
    None
}

/// Where a statement's snapshot came from, at `iso`.
fn snapshot_origin(iso: Isolation) -> &'static str {
    match iso {
        Isolation::ReadCommitted => "at READ COMMITTED each statement takes a new snapshot when it starts (13.2.1)",
        Isolation::RepeatableRead => {
            "at REPEATABLE READ the transaction's first statement took the snapshot, and every later statement keeps it (13.2.2)"
        }
        Isolation::Serializable => {
            "at SERIALIZABLE the transaction's first statement took the snapshot, and every later statement keeps it (13.2.3)"
        }
    }
}

fn why_record(f: &Frame, r: &RaceRecord, before: &[super::RowView], iso: Isolation) -> Option<String> {
    match r {
        RaceRecord::Ran { actor, stmt: Stmt::SelectKey { .. }, result: StmtResult::Rows { rows }, .. } => {
            let other_uncommitted = before.iter().find(|v| v.written_by != *actor && !v.committed);
            Some(match (rows.is_empty(), other_uncommitted) {
                (true, Some(v)) => format!(
                    "{} has inserted the key but not committed. A snapshot sees only rows committed before it was taken, and {}, so that row is invisible to {}.",
                    t(v.written_by),
                    snapshot_origin(iso),
                    t(*actor)
                ),
                (true, None) => "No transaction has committed a row for the key yet, so there is nothing to see.".into(),
                (false, _) => format!(
                    "The row was committed before {}'s snapshot was taken, and {}, so the SELECT sees it.",
                    t(*actor),
                    snapshot_origin(iso)
                ),
            })
        }
        RaceRecord::Ran {
            stmt: Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Skip },
            result: StmtResult::Rows { rows },
            ..
        } if rows.is_empty() => Some(
            match before.iter().find(|v| v.locked_by.is_some() || !v.replaced && v.committed) {
                Some(_) => "SKIP LOCKED leaves out rows another transaction holds, so the row is skipped: the answer is the same as for an absent key, and the handler cannot tell them apart (docs, SELECT, The Locking Clause).".into(),
                None => "No committed row holds the key, so there is nothing to lock (docs, SELECT, The Locking Clause).".into(),
            },
        ),
        RaceRecord::Ran { stmt: Stmt::InsertOnConflictDoUpdate, result: StmtResult::Rows { .. }, .. }
        | RaceRecord::Resumed { stmt: Stmt::InsertOnConflictDoUpdate, result: StmtResult::Rows { .. }, .. } => Some(
            "ON CONFLICT DO UPDATE … RETURNING returns the row whether it inserted it or rewrote the one already there, so the handler cannot tell from the row that the key is its own (PostgreSQL 15 docs, INSERT).".into(),
        ),
        RaceRecord::Ran { stmt: Stmt::TryAdvisoryLock, result: StmtResult::Bool { value: false }, .. } => Some(
            "Another transaction holds the advisory lock on the key, and pg_try_advisory_xact_lock does not wait: it returns false at once (docs 9.27.10, Advisory Lock Functions).".into(),
        ),
        RaceRecord::WaitBegan { actor, on, reason, .. } => Some(match reason {
            WaitReason::UncommittedKey => format!(
                "The unique index already holds the key from {}, which has not ended; {}'s INSERT must wait to learn whether it commits (PostgreSQL 15 docs, INSERT and chapter 13).",
                t(*on),
                t(*actor)
            ),
            WaitReason::RowLock => format!("{} holds a lock on the row until its transaction ends (13.3.2 Row-Level Locks).", t(*on)),
            WaitReason::AdvisoryLock => format!(
                "pg_advisory_xact_lock blocks other holders of the same key until {}'s transaction ends (13.3.5 Advisory Locks).",
                t(*on)
            ),
            WaitReason::ClientTimeout => format!("The client retries only after {}'s attempt has timed out.", t(*on)),
        }),
        RaceRecord::Ran { result: StmtResult::Error { state }, actor, .. }
        | RaceRecord::Resumed { result: StmtResult::Error { state }, actor, .. } => {
            Some(ssi_why(f, *actor).unwrap_or_else(|| error_why(*state, iso)))
        }
        RaceRecord::Resumed { actor, stmt: Stmt::Insert { on_conflict_do_nothing: true, .. }, result, .. } => {
            Some(match result {
                StmtResult::Rows { rows } if rows.is_empty() => format!(
                    "The other transaction committed the key, so ON CONFLICT DO NOTHING inserts nothing, and RETURNING returns only rows actually inserted: {} gets no row (PostgreSQL 15 docs, INSERT).",
                    t(*actor)
                ),
                StmtResult::Rows { .. }
                | StmtResult::Ok
                | StmtResult::Count { .. }
                | StmtResult::Error { .. }
                | StmtResult::Bool { .. }
                | StmtResult::Returned { .. } => {
                    "The transaction it waited for rolled back, so the key is free and the INSERT goes ahead (PostgreSQL 15 docs, INSERT).".into()
                }
            })
        }
        RaceRecord::Ran { actor, stmt: Stmt::Insert { .. }, result: StmtResult::Count { .. } | StmtResult::Rows { .. }, .. }
            if f.actor == *actor =>
        {
            Some(
                "No committed or in-progress row holds the key (or the table has no unique index), so the INSERT goes ahead at once."
                    .into(),
            )
        }
        RaceRecord::Resumed { .. } => {
            Some("What it waited for has ended, so the statement runs against what that transaction left committed.".into())
        }
        RaceRecord::Charged { total, .. } if *total > 1 => Some(
            "The provider sees two separate calls: nothing in the handler stopped the second request before its charge, so the card is charged twice."
                .into(),
        ),
        RaceRecord::MapLookedUp { hit: true, .. } => Some("The key and its response were stored before this lookup, so the map finds them.".into()),
        RaceRecord::MapLookedUp { hit: false, .. } => Some(
            "The map does not hold the key: either nobody stored it yet, or the crash emptied the in-memory store.".into(),
        ),
        RaceRecord::Began { .. }
        | RaceRecord::Ran { .. }
        | RaceRecord::Charged { .. }
        | RaceRecord::MapStored { .. }
        | RaceRecord::Crashed { .. }
        | RaceRecord::Killed { .. }
        | RaceRecord::Retrying { .. }
        | RaceRecord::Responded { .. }
        | RaceRecord::SerializationFailure { .. } => None,
    }
}

/// Without an index on key, the read-write conflicts SSI found, when they decided `actor`'s 40001.
fn ssi_why(f: &Frame, actor: Actor) -> Option<String> {
    let why = f.records.iter().find_map(|x| {
        if let RaceRecord::SerializationFailure { actor: a, why } = x {
            (*a == actor).then_some(why)
        } else {
            None
        }
    })?;
    Some(format!(
        "{} fails with 40001 serialization_failure: {}. With no index on key each SELECT reads the whole table, so SERIALIZABLE locks the table for reading (a SIREAD lock), and a write by another serializable transaction that overlaps it is a read-write conflict; two such conflicts in a row, where the last one's writer commits first, are a structure no serial order explains, and PostgreSQL fails one transaction, at a read, a write or COMMIT, whichever check finds it first (13.2.3; README-SSI). The application must retry it.",
        t(actor),
        why.words()
    ))
}

fn error_why(state: SqlState, iso: Isolation) -> String {
    match state {
        SqlState::UniqueViolation => "The other transaction committed the same key, so the unique index refuses this one: 23505 unique_violation (PostgreSQL 15 docs, INSERT and chapter 13).".into(),
        SqlState::SerializationFailure => match iso {
            Isolation::Serializable => "At SERIALIZABLE, 40001 serialization_failure is a verdict on the whole set of transactions: no serial order of them explains what each read, so PostgreSQL fails one (here a row its snapshot cannot see met its write); the application must retry it (13.2.3).".into(),
            Isolation::RepeatableRead => "At REPEATABLE READ, 40001 serialization_failure means \"could not serialize access due to concurrent update\": the row this statement went to change, lock or conflict with was written by a transaction its snapshot cannot see, and PostgreSQL does not re-check the newer version as READ COMMITTED would: the first updater wins, and the application must retry the whole transaction (13.2.2).".into(),
            // The model raises 40001 only with a transaction snapshot; at READ COMMITTED PostgreSQL
            // never does for these statements, it re-checks the newest row version instead.
            Isolation::ReadCommitted => "40001 serialization_failure: the transaction could not be serialized; the application must retry it (13.2).".into(),
        },
        SqlState::InFailedTransaction => "An earlier error aborted this transaction: every later statement fails with 25P02 in_failed_sql_transaction, and the transaction ends only with ROLLBACK, or with COMMIT, which then rolls it back and answers ROLLBACK (PostgreSQL 15 docs, COMMIT and 13.2).".into(),
        SqlState::DeadlockDetected => "Each transaction waits for a lock the other holds. PostgreSQL looks for the cycle only when a wait has lasted deadlock_timeout (1 s by default), in that waiting backend, and the backend whose check finds the cycle aborts itself with 40P01 deadlock_detected (13.3.4; runtime-config-locks). Which one that is depends on timing; the lab picks the transaction that began waiting first, the one whose check fires first when the cycle closes within deadlock_timeout, and race check --pg replays the steps that way.".into(),
        SqlState::LockNotAvailable => "Another transaction holds the row (a lock, or an update in flight), and NOWAIT does not wait: PostgreSQL fails the statement at once with 55P03 lock_not_available, which aborts the transaction (docs, SELECT, The Locking Clause).".into(),
        SqlState::InvalidColumnReference => "ON CONFLICT (key) needs a unique index or constraint on key to decide what a conflict is; the table has none, so PostgreSQL refuses the statement with 42P10 (docs, INSERT, ON CONFLICT Clause).".into(),
    }
}
