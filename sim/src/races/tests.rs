use super::*;
use crate::error::SimError;
use proptest::prelude::*;

fn s(id: &str) -> Scenario {
    scenario(id).unwrap()
}

fn explored(id: &str) -> Exploration {
    explore(&s(id), EXPLORE_STATES_MAX).unwrap()
}

#[test]
fn the_explorer_must_find_the_select_then_insert_double_charge() {
    // The checker is checked: if this stops finding the known bug, the
    // explorer (or the model) is broken, not the scenario fixed.
    let x = explored("select-then-insert");
    let ce = x.first_counterexample.clone().expect("a double charge");
    let r = run(&s("select-then-insert"), &ce).unwrap();
    assert_eq!(r.outcome.charges, 2);
    assert_eq!(r.outcome.final_rows.len(), 2, "no unique index: two rows for one key");
    assert_eq!(x.double_charges, 68);
    assert_eq!(x.total, 70);
}

#[test]
fn concurrent_insert_on_conflict_charges_once_in_every_schedule() {
    let x = explored("on-conflict");
    assert_eq!(x.double_charges, 0);
    assert!(x.total > 10);
    for c in &x.classes {
        assert_eq!(c.outcome.charges, 1, "{}", c.label);
        assert_eq!(c.outcome.final_rows.len(), 1);
    }
    // The loser answers 409 while the winner works, the stored response after.
    let labels: Vec<&str> = x.classes.iter().map(|c| c.label.as_str()).collect();
    assert!(labels.iter().any(|l| l.contains("T2 409")), "{labels:?}");
    assert!(labels.iter().any(|l| l.contains("T2 replay 201")), "{labels:?}");
}

#[test]
fn the_second_on_conflict_insert_waits_then_returns_no_row() {
    // T1 claims the key (uncommitted), T2's INSERT waits; T1 commits; T2 gets no row.
    let r = run(&s("on-conflict"), &[1, 2, 1]).unwrap();
    let t = &r.trace;
    assert!(t
        .iter()
        .any(|x| matches!(x.record, RaceRecord::WaitBegan { actor: 1, reason: WaitReason::UncommittedKey, .. })));
    assert!(t.iter().any(|x| matches!(&x.record, RaceRecord::Resumed { actor: 1, result: StmtResult::Rows { rows }, .. } if rows.is_empty())));
}

#[test]
fn a_unique_index_after_the_charge_gives_a_double_charge_and_a_23505() {
    // Both SELECT, both charge, T1 inserts, T2 INSERT waits, T1 commits, T2 rolls back.
    let r = run(&s("unique-charge-first"), &[1, 2, 1, 2, 1, 2, 1, 2]).unwrap();
    assert_eq!(r.outcome.charges, 2);
    assert_eq!(r.outcome.errors, vec![(1, SqlState::UniqueViolation)]);
    assert_eq!(r.outcome.responses[1], Some(Response::ServerError));
}

#[test]
fn for_update_on_an_absent_key_locks_nothing_and_blocks_nobody() {
    let x = explored("for-update");
    assert_eq!(x.double_charges, explored("select-then-insert").double_charges);
    let r = run(&s("for-update"), &x.first_counterexample.unwrap()).unwrap();
    assert!(!r.trace.iter().any(|t| matches!(t.record, RaceRecord::WaitBegan { .. })));
}

#[test]
fn serializable_fails_one_transaction_with_40001_and_its_retry_is_safe() {
    let x = explored("serializable");
    assert_eq!(x.double_charges, 0);
    let both_read_first = run(&s("serializable"), &[1, 2, 1, 2, 1]).unwrap();
    let f = &both_read_first.frames;
    // T2's INSERT waits for T1's; T1's COMMIT makes it fail with 40001, not 23505.
    assert!(f.iter().any(|fr| fr.records.iter().any(|r| matches!(
        r,
        RaceRecord::Resumed { actor: 1, result: StmtResult::Error { state: SqlState::SerializationFailure }, .. }
    ))));
    let (done, _) = run_lenient(&s("serializable"), &[1, 2, 1, 2, 1]).unwrap();
    assert_eq!(done.outcome.charges, 1);
    assert!(done.trace.iter().any(|t| matches!(t.record, RaceRecord::Retrying { actor: 1, attempt: 2 })));
}

#[test]
fn the_advisory_lock_serialises_requests_with_the_same_key() {
    let x = explored("advisory-lock");
    assert_eq!(x.double_charges, 0);
    let r = run(&s("advisory-lock"), &[1, 2]).unwrap();
    assert!(matches!(
        r.trace.last().unwrap().record,
        RaceRecord::WaitBegan { actor: 1, reason: WaitReason::AdvisoryLock, .. }
    ));
}

#[test]
fn a_crash_after_the_charge_makes_the_volatile_store_charge_the_retry_again() {
    // T1 looks up, charges, stores; the server crashes; the retry charges again.
    let r = run(&s("volatile-store"), &[1, 1, 1, 2, 3, 3, 3, 3]).unwrap();
    assert_eq!(r.outcome.charges, 2);
    assert_eq!(r.outcome.responses[0], Some(Response::NoResponse));
    let d = run(&s("durable-store"), &[1, 1, 1, 2, 3, 3]).unwrap();
    assert_eq!(d.outcome.charges, 1);
    assert_eq!(d.outcome.responses[2], Some(Response::Replayed { code: 201 }));
}

#[test]
fn a_waiting_or_finished_transaction_cannot_step() {
    let e = run(&s("on-conflict"), &[1, 2, 2]).unwrap_err();
    let SimError::InvalidParameter { name: "schedule", reason } = e else { panic!("{e:?}") };
    assert!(reason.contains("entry 3") && reason.contains("waiting for T1"), "{reason}");
    assert!(run(&s("on-conflict"), &[3]).is_err());
    assert!(run(&s("on-conflict"), &[0]).is_err());
    assert!(run(&s("on-conflict"), &[1; 200]).is_err());
}

#[test]
fn a_lenient_run_skips_what_cannot_step_and_completes() {
    let (r, notes) = run_lenient(&s("on-conflict"), &[1, 2, 2, 9]).unwrap();
    assert!(r.outcome.finished);
    assert!(!notes.is_empty());
}

#[test]
fn every_scenario_shows_the_sql_it_runs_verbatim() {
    for id in SCENARIO_IDS {
        let sc = s(id);
        for p in &sc.programs {
            for i in &p.instrs {
                if let Instr::Sql { stmt } = i {
                    let text = stmt.sql("idempotency_keys");
                    assert!(sc.sql.contains(&text), "{id}: {text} is not in the shown SQL");
                }
            }
        }
    }
}

#[test]
fn serializable_without_a_unique_index_runs_under_ssi_in_two_lanes_and_is_refused_with_a_reason_in_three() {
    let mut sc = s("serializable");
    sc.unique_index = false;
    let x = explore(&sc, EXPLORE_STATES_MAX).unwrap();
    assert!(x.classes.iter().any(|c| c.outcome.errors.iter().any(|e| e.1 == SqlState::SerializationFailure)));
    sc.programs.push(sc.programs[0].clone());
    assert!(matches!(run(&sc, &[]), Err(SimError::InvalidParameter { name: "program", .. })));
    assert!(matches!(explore(&sc, 10), Err(SimError::InvalidParameter { .. })));
}

#[test]
fn the_explorer_stops_at_its_state_limit() {
    assert!(matches!(explore(&s("select-then-insert"), 5), Err(SimError::InvalidParameter { name: "states_max", .. })));
}

#[test]
fn the_same_schedule_gives_the_same_trace() {
    let x = explored("serializable");
    for (sch, _) in x.schedules.iter().take(20) {
        let a = run(&s("serializable"), sch).unwrap();
        let b = run(&s("serializable"), sch).unwrap();
        assert_eq!(crate::trace::stable_hash(&a.trace), crate::trace::stable_hash(&b.trace));
    }
}

#[test]
fn every_explored_schedule_replays_to_its_class() {
    for id in SCENARIO_IDS {
        let x = explored(id);
        assert_eq!(x.classes.iter().map(|c| c.count).sum::<u128>(), x.total);
        for (sch, class) in &x.schedules {
            let r = run(&s(id), sch).unwrap();
            assert!(r.outcome.finished);
            assert_eq!(r.outcome.class_label(), x.classes[*class as usize].label, "{id} {sch:?}");
        }
    }
}

proptest! {
    #[test]
    fn any_schedule_either_runs_or_is_refused_without_panicking(id in 0usize..SCENARIO_IDS.len(), sch in proptest::collection::vec(0u8..5, 0..40)) {
        let sc = s(SCENARIO_IDS[id]);
        let _ = run(&sc, &sch);
        let (r, _) = run_lenient(&sc, &sch).unwrap();
        prop_assert!(r.outcome.finished);
        // The fix never charges twice, whatever the schedule.
        if sc.id == "on-conflict" || sc.id == "serializable" || sc.id == "advisory-lock" {
            prop_assert!(r.outcome.charges <= 1);
        }
    }
}
