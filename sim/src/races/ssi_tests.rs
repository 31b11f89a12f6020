//! SERIALIZABLE on a table with no index on key: SSI fails the transaction
//! PostgreSQL 15 fails, at the statement where it fails it (engine/ssi.rs;
//! every corpus handler named here is also checked against the server).

use super::*;

fn corpus(name: &str) -> &'static str {
    corpus::MODELLED.iter().find(|c| c.0 == name).map(|c| c.3).unwrap_or_else(|| panic!("no corpus handler {name}"))
}

/// The statement and the structure of the SSI failure at the last step.
fn last_failure(r: &RaceRun) -> (Actor, Stmt, StmtResult, Dangerous) {
    let f = r.frames.last().expect("a step");
    let ran = f.records.iter().find_map(|x| {
        if let RaceRecord::Ran { actor, stmt, result, .. } = x {
            Some((*actor, *stmt, result.clone()))
        } else {
            None
        }
    });
    let why =
        f.records.iter().find_map(
            |x| {
                if let RaceRecord::SerializationFailure { why, .. } = x {
                    Some(*why)
                } else {
                    None
                }
            },
        );
    let (a, stmt, result) = ran.expect("a statement ran at the last step");
    (a, stmt, result, why.expect("the step names the SSI structure"))
}

const FAILED: StmtResult = StmtResult::Error { state: SqlState::SerializationFailure };

#[test]
fn a_serializable_select_then_insert_without_an_index_steps_through_to_its_40001_at_the_second_commit() {
    let s = handler_scenario(corpus("ssi-select-then-insert"), 2).unwrap();
    // Both SELECTs, both charges, both INSERTs, T1 commits, T2 commits.
    let r = run(&s, &[1, 2, 1, 2, 1, 2, 1, 2]).unwrap();
    let (a, stmt, result, why) = last_failure(&r);
    assert_eq!((a, stmt, result), (1, Stmt::Commit, FAILED));
    let cycle =
        Dangerous { t_in: 0, pivot: 1, pivot_wrote: WriteKind::Inserted, t_out: 0, out_wrote: WriteKind::Inserted };
    assert_eq!(why, cycle);
    let words = frame_narration(&r).pop().unwrap().join(" ");
    assert!(
        words.contains(
            "T2 fails with 40001 because T2 read the key before T1 inserted it, and T1 read it before T2 inserted it: one of them must fail"
        ),
        "{words}"
    );
    assert_eq!(r.outcome.responses, vec![Some(Response::Created), Some(Response::ServerError)]);
    assert_eq!((r.outcome.charges, r.outcome.final_rows.len()), (2, 1));
}

#[test]
fn the_second_insert_fails_at_once_when_the_first_transaction_has_already_committed() {
    let s = handler_scenario(corpus("ssi-select-then-insert"), 2).unwrap();
    // Both SELECTs; T1 charges, inserts and commits; T2 charges and inserts.
    let r = run(&s, &[1, 2, 1, 1, 1, 2, 2]).unwrap();
    let (a, stmt, result, why) = last_failure(&r);
    assert!(matches!(stmt, Stmt::Insert { .. } | Stmt::InsertWith { .. }), "{stmt:?}");
    assert_eq!((a, result), (1, FAILED));
    assert_eq!((why.pivot, why.t_out), (1, 0), "T2 is the pivot, and T1 committed first");
}

#[test]
fn a_transaction_marked_to_fail_by_the_others_commit_fails_at_its_next_read() {
    let s = handler_scenario(corpus("ssi-read-after-write"), 2).unwrap();
    // Both SELECTs, both INSERTs, T1 reads again and commits: T2's next SELECT fails.
    let r = run(&s, &[1, 2, 1, 2, 1, 1, 2]).unwrap();
    let (a, stmt, result, why) = last_failure(&r);
    assert_eq!((a, stmt, result), (1, Stmt::SelectKey { for_update: false }, FAILED));
    assert_eq!((why.pivot, why.t_out), (1, 0));
}

#[test]
fn reads_alone_never_fail_and_without_overlap_nothing_fails() {
    let s = handler_scenario(corpus("ssi-read-only-lane"), 2).unwrap();
    let x = explore(&s, EXPLORE_STATES_MAX).unwrap();
    assert!(x.classes.iter().all(|c| c.outcome.errors.is_empty()), "{:?}", x.classes);
    // One after the other, the second sees the first's row: no 40001.
    let s = handler_scenario(corpus("ssi-select-then-insert"), 2).unwrap();
    let serial = run(&s, &[1, 1, 1, 1, 2]).unwrap();
    assert!(serial.outcome.errors.is_empty(), "{:?}", serial.outcome);
}

#[test]
fn retrying_on_40001_as_a_course_shows_charges_once_on_every_schedule() {
    let s = handler_scenario(corpus("ssi-retry-on-40001"), 2).unwrap();
    let x = explore(&s, EXPLORE_STATES_MAX).unwrap();
    assert_eq!(x.double_charges, 0);
    assert!(x.classes.iter().any(|c| c.outcome.errors.iter().any(|e| e.1 == SqlState::SerializationFailure)));
    assert!(x.classes.iter().all(|c| c.outcome.final_rows.len() == 1 && c.outcome.charges == 1), "{:?}", x.classes);
}

#[test]
fn serializable_without_an_index_is_refused_in_three_lanes_and_with_a_savepoint_naming_why() {
    let text = corpus("ssi-select-then-insert");
    let e = handler_scenario(text, 3).unwrap_err();
    assert!(e.message.contains("modelled in 2 lanes") && e.message.contains("snapshot xmin"), "{e}");
    assert_eq!(e.line, 1);
    let with_savepoint = text.replacen("SELECT status", "SAVEPOINT s;\nSELECT status", 1);
    let e = handler_scenario(&with_savepoint, 2).unwrap_err();
    assert!(e.message.contains("not modelled with SAVEPOINT"), "{e}");
    assert_eq!(e.line, 2);
    // With a unique index the same text is modelled in 3 lanes (no SSI state is kept there).
    let indexed = format!("CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);\n{text}");
    assert!(handler_scenario(&indexed, 3).is_ok());
}
