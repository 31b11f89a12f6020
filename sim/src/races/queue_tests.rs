//! Row-lock queues and transaction-id waits, each test a schedule replayed on
//! PostgreSQL 15.18 with pg_blocking_pids (the corpus handlers named here are
//! checked on every schedule by `cli/tests/postgres_races.rs`).

use super::*;

fn corpus_text(name: &str) -> &'static str {
    corpus::MODELLED.iter().find(|c| c.0 == name).map(|c| c.3).unwrap_or_else(|| panic!("no corpus handler {name}"))
}

/// Who waits on whom after the last step, as (waiter, on) pairs from 1.
fn waits(r: &RaceRun) -> Vec<(u8, u8)> {
    let f = r.frames.last().expect("a frame");
    f.waits.iter().map(|l| (l.waiter + 1, l.on + 1)).collect()
}

#[test]
fn two_inserts_waiting_for_an_update_in_flight_both_wait_on_the_updater() {
    let s = handler_scenario(corpus_text("inserts-wait-for-the-updater"), 3).unwrap();
    // T1 claims and updates inside its transaction; T2 and T3 then insert the
    // same key. Their unique checks wait for T1's transaction id and take no
    // tuple lock, so neither queues behind the other.
    let r = run(&s, &[1, 1, 2, 3]).unwrap();
    assert_eq!(waits(&r), vec![(2, 1), (3, 1)]);
    // T1 charges and commits: both INSERTs return no row (nothing inserted).
    let r = run(&s, &[1, 1, 2, 3, 1, 1]).unwrap();
    assert!(waits(&r).is_empty(), "{:?}", waits(&r));
    let resumed: Vec<Actor> = r
        .frames
        .last()
        .unwrap()
        .records
        .iter()
        .filter_map(|x| match x {
            RaceRecord::Resumed { actor, result: StmtResult::Rows { rows }, .. } if rows.is_empty() => Some(*actor),
            _ => None,
        })
        .collect();
    assert_eq!(resumed, vec![1, 2]);
    let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
    assert_eq!(x.double_charges, 0);
}

#[test]
fn for_update_waiters_queue_behind_the_first_waiter() {
    let s = handler_scenario(corpus_text("for-update-queue"), 3).unwrap();
    // T1 claims (autocommit); T2 and T3 find the key taken. T2 takes the row
    // FOR UPDATE; T3's FOR UPDATE waits on T2; T1 charges and its UPDATE
    // queues behind T3 on the tuple lock.
    let r = run(&s, &[1, 2, 3, 2, 3, 1, 1]).unwrap();
    assert_eq!(waits(&r), vec![(1, 3), (3, 2)]);
    // T2 commits without updating: T3, first in the queue, gets the row.
    let r = run(&s, &[1, 2, 3, 2, 3, 1, 1, 2]).unwrap();
    assert_eq!(waits(&r), vec![(1, 3)]);
    assert!(r.frames.last().unwrap().records.iter().any(|x| matches!(x, RaceRecord::Resumed { actor: 2, .. })));
}

#[test]
fn the_first_waiter_that_saw_the_update_gets_the_new_version_and_the_next_waits_on_it() {
    let s = handler_scenario(corpus::LOCK_THEN_UPDATE_QUEUE, 3).unwrap();
    // All three claim; T1 got the row. T1 locks, charges and updates; only then
    // do T2 and T3 ask FOR UPDATE. When T1 commits, T2 follows the update
    // chain to the new version while it still holds the tuple lock.
    let r = run(&s, &[1, 2, 3, 1, 1, 1, 2, 3]).unwrap();
    assert_eq!(waits(&r), vec![(2, 1), (3, 2)]);
    let r = run(&s, &[1, 2, 3, 1, 1, 1, 2, 3, 1]).unwrap();
    let last = r.frames.last().unwrap();
    assert!(last.records.iter().any(|x| matches!(
        x,
        RaceRecord::Resumed { actor: 1, result: StmtResult::Rows { rows }, .. }
            if rows.first().is_some_and(|row| row.status == KeyStatus::Done)
    )));
    assert_eq!(waits(&r), vec![(3, 2)]);
}

#[test]
fn a_waiter_queued_before_the_update_races_the_next_one_and_the_model_refuses() {
    let s = handler_scenario(corpus::LOCK_THEN_UPDATE_QUEUE, 3).unwrap();
    // T2 queues while T1 has only locked the row; T1 updates; T3 queues
    // behind T2; T1 commits. PostgreSQL lets T2 and T3 race for the new version.
    let e = run(&s, &[1, 2, 3, 1, 2, 1, 1, 3, 1]).unwrap_err().to_string();
    assert!(e.contains("race inside PostgreSQL"), "{e}");
    // A single waiter has nobody to race: it gets the new version.
    let two = handler_scenario(corpus::LOCK_THEN_UPDATE_QUEUE, 2).unwrap();
    let r = run(&two, &[1, 2, 1, 2, 1, 1, 1]).unwrap();
    assert!(r.frames.last().unwrap().records.iter().any(|x| matches!(x, RaceRecord::Resumed { actor: 1, .. })));
}

#[test]
fn every_racy_handler_is_refused_with_the_race_named_and_runs_with_fewer_lanes() {
    for (name, lanes, phrase, text) in corpus::RACY {
        let s = handler_scenario(text, *lanes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let e = explore(&s, EXPLORE_SCHEDULES_MAX).expect_err(name).to_string();
        assert!(e.contains(phrase), "{name}: {e}");
        let fewer = handler_scenario(text, lanes - 1).unwrap();
        assert!(explore(&fewer, EXPLORE_SCHEDULES_MAX).is_ok(), "{name} with {} lanes", lanes - 1);
    }
}

#[test]
fn nowait_fails_with_55p03_where_for_update_would_wait_and_the_handler_answers_409() {
    let s = handler_scenario(corpus_text("nowait-answers-409"), 2).unwrap();
    // T1 claims and holds the row FOR UPDATE; T2's NOWAIT finds it held.
    let r = run(&s, &[1, 1, 2, 2, 2]).unwrap();
    assert!(waits(&r).is_empty(), "NOWAIT never waits");
    assert_eq!(r.outcome.errors, vec![(1, SqlState::LockNotAvailable)]);
    assert_eq!(r.outcome.responses[1], Some(Response::Conflict));
    let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
    assert_eq!(x.double_charges, 0);
    assert!(x.classes.iter().any(|c| c.outcome.errors.contains(&(1, SqlState::LockNotAvailable))));
}

#[test]
fn skip_locked_returns_no_row_where_for_update_would_wait() {
    let s = handler_scenario(corpus_text("skip-locked-answers-409"), 2).unwrap();
    let r = run(&s, &[1, 1, 2, 2, 2]).unwrap();
    assert!(waits(&r).is_empty(), "SKIP LOCKED never waits");
    assert!(r.outcome.errors.is_empty());
    let skipped = r.trace.iter().any(|t| {
        matches!(&t.record, RaceRecord::Ran { actor: 1, stmt: Stmt::SelectKeyNoWait { .. }, result: StmtResult::Rows { rows }, .. } if rows.is_empty())
    });
    assert!(skipped, "T2 gets no row although the row exists");
    assert_eq!(r.outcome.responses[1], Some(Response::Conflict));
    // Once T1 has committed, the row is free and SKIP LOCKED returns it.
    let r = run(&s, &[1, 1, 1, 1, 1, 2, 2, 2]).unwrap();
    assert_eq!(r.outcome.responses, vec![Some(Response::Created), Some(Response::Replayed { code: 201 })]);
}

#[test]
fn try_advisory_lock_returns_false_at_once_while_another_transaction_holds_it() {
    let s = handler_scenario(corpus_text("try-advisory-answers-409"), 3).unwrap();
    assert_eq!(s.programs[0].instrs[1], Instr::Sql { stmt: Stmt::TryAdvisoryLock });
    // T1 takes the lock; T2 and T3 get false and answer 409 without waiting.
    let r = run(&s, &[1, 2, 2, 3, 3]).unwrap();
    let falses = r
        .trace
        .iter()
        .filter(|t| matches!(t.record, RaceRecord::Ran { result: StmtResult::Bool { value: false }, .. }))
        .count();
    assert_eq!(falses, 2);
    assert_eq!(r.outcome.responses[1..], [Some(Response::Conflict), Some(Response::Conflict)]);
    // After T1 commits, the lock is free: T2 takes it and replays the stored response.
    let r = run(&s, &[1, 1, 1, 1, 1, 2, 2, 2]).unwrap();
    assert_eq!(r.outcome.responses[..2], [Some(Response::Created), Some(Response::Replayed { code: 201 })]);
    let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
    assert_eq!(x.double_charges, 0);
}

#[test]
fn on_conflict_do_update_returns_the_row_either_way_so_both_requests_charge() {
    let s = handler_scenario(corpus_text("do-update-returns-either"), 2).unwrap();
    assert_eq!(s.programs[0].instrs[0], Instr::Sql { stmt: Stmt::InsertOnConflictDoUpdate });
    // T1 inserts 'started'; T2's DO UPDATE rewrites T1's committed row and
    // gets 'started' back, the same answer as an insert: both charge.
    let r = run(&s, &[1, 2, 1, 2]).unwrap();
    assert_eq!(r.outcome.charges, 2);
    let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
    assert_eq!((x.double_charges, x.total), (18, 20));
}

#[test]
fn on_conflict_do_update_waits_for_the_inserter_then_gets_its_committed_row() {
    let s = handler_scenario(corpus_text("do-update-claim-waits"), 2).unwrap();
    // T1 inserts inside its transaction; T2's DO UPDATE waits on T1's
    // transaction id, then gets the row T1 committed ('done').
    let r = run(&s, &[1, 2]).unwrap();
    assert_eq!(waits(&r), vec![(2, 1)]);
    let r = run(&s, &[1, 2, 1, 1, 1, 2]).unwrap();
    assert_eq!(r.outcome.responses, vec![Some(Response::Created), Some(Response::Replayed { code: 201 })]);
    assert_eq!(r.outcome.charges, 1);
}

#[test]
fn on_conflict_do_update_queues_behind_a_for_update_holder_and_the_next_waiter_behind_it() {
    let s = handler_scenario(corpus_text("do-update-waits-behind-for-update"), 2).unwrap();
    let r = run(&s, &[1, 1, 2]).unwrap();
    assert_eq!(waits(&r), vec![(2, 1)]);
    // Serializable: a conflicting row the snapshot cannot see is 40001.
    let ser = handler_scenario(
        "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT status, response FROM idempotency_keys WHERE key = $1;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING status, response;
COMMIT;
RESPOND 201",
        2,
    )
    .unwrap();
    let r = run(&ser, &[1, 2, 1, 1, 2]).unwrap();
    assert_eq!(r.outcome.errors, vec![(1, SqlState::SerializationFailure)]);
}
