use super::*;
use proptest::prelude::*;

fn refused(text: &str) -> HandlerError {
    match handler_scenario(text, 2) {
        Ok(s) => panic!("accepted {text:?}: {:?}", s.programs),
        Err(e) => e,
    }
}

fn with_line(sql: &str) -> String {
    format!("BEGIN;\n{sql}\nCOMMIT;\nRESPOND 201")
}

#[test]
fn every_shipped_scenario_is_its_handler_text_parsed() {
    for id in SCENARIO_IDS {
        let s = scenario(id).expect(id);
        let h = parse_handler(s.sql, 2).unwrap_or_else(|e| panic!("{id}: {e}"));
        let programs: Vec<Program> = h.lanes.into_iter().map(|(p, _)| p).collect();
        assert_eq!(programs, s.programs, "{id}");
        let again = handler_scenario(s.sql, 2).unwrap();
        let a = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
        let b = explore(&again, EXPLORE_SCHEDULES_MAX).unwrap();
        assert_eq!((a.total, a.double_charges), (b.total, b.double_charges), "{id}");
    }
}

#[test]
fn a_handler_runs_in_two_or_three_lanes_and_three_requests_give_more_schedules() {
    let text = scenario("select-then-insert").unwrap().sql;
    let two = explore(&handler_scenario(text, 2).unwrap(), EXPLORE_SCHEDULES_MAX).unwrap();
    let three = explore(&handler_scenario(text, 3).unwrap(), EXPLORE_SCHEDULES_MAX).unwrap();
    assert_eq!(two.total, 70);
    assert!(three.total > two.total * 10, "{}", three.total);
    assert!(three.first_counterexample.is_some());
    assert!(handler_scenario(text, 1).is_err());
    assert!(handler_scenario(text, 4).is_err());
}

#[test]
fn keywords_and_spacing_do_not_matter_but_the_statement_does() {
    let s = handler_scenario(
        "begin;\nselect status,response from idempotency_keys\n  where key=$1 ;\nIF no row goto a\ncommit;\nrespond stored\na:\ncommit;\nrespond 409",
        2,
    )
    .unwrap();
    assert_eq!(s.programs[0].instrs[1], Instr::Sql { stmt: Stmt::SelectKey { for_update: false } });
}

#[test]
fn nowait_and_skip_locked_parse_to_a_row_lock_that_never_waits() {
    let text = |clause: &str| {
        format!("BEGIN;\nSELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE {clause};\nCOMMIT;\nRESPOND 201")
    };
    let s = handler_scenario(&text("NOWAIT"), 2).unwrap();
    assert_eq!(s.programs[0].instrs[1], Instr::Sql { stmt: Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Error } });
    let s = handler_scenario(&text("skip locked"), 2).unwrap();
    assert_eq!(s.programs[0].instrs[1], Instr::Sql { stmt: Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Skip } });
    let e = refused("BEGIN;\nIF ERROR 55P04 GOTO x\nx:\nCOMMIT;\nRESPOND 201");
    assert!(e.message.contains("55P03"), "IF ERROR lists the codes the model raises: {e}");
}

#[test]
fn unsupported_sql_is_refused_naming_the_construct_and_the_line() {
    let cases = [
        ("SELECT status FROM idempotency_keys WHERE key = $1 FOR UPDATE NOWAIT;", "NOWAIT"),
        ("SELECT status, response FROM idempotency_keys WHERE key = 'x' FOR UPDATE SKIP LOCKED;", "SKIP LOCKED"),
        ("SELECT status, response FROM idempotency_keys WHERE key = $1 FOR SHARE;", "FOR SHARE: shared row locks"),
        ("SELECT status, response FROM idempotency_keys WHERE key = $1 FOR KEY SHARE;", "FOR KEY SHARE: shared row locks"),
        ("SELECT status FROM idempotency_keys WHERE key = $1 FOR NO KEY UPDATE;", "FOR NO KEY UPDATE is modelled on"),
        ("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (status) DO NOTHING;", "can only be (key)"),
        ("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT ON CONSTRAINT k DO NOTHING;", "ON CONSTRAINT"),
        ("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT DO UPDATE SET status = idempotency_keys.status;", "needs a conflict target"),
        ("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) RETURNING xmin;", "RETURNING xmin"),
        ("CREATE TABLE idempotency_keys (key text PRIMARY KEY, status int, response int);", "the table is given"),
        ("SELECT pg_try_advisory_xact_lock(42);", "pg_try_advisory_xact_lock is modelled as"),
        ("SELECT pg_advisory_lock(42);", "session-level advisory locks are modelled as"),
        ("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = 'started' RETURNING status, response;", "DO UPDATE"),
        ("DELETE FROM idempotency_keys WHERE key = $1;", "DELETE"),
        ("SELECT * FROM orders WHERE id = $1;", "one table"),
        ("SELECT status, response FROM idempotency_keys WHERE key = 'other';", "$1"),
        ("DROP TABLE idempotency_keys;", "DROP"),
        ("SELEKT 1;", "parser"),
    ];
    for (sql, word) in cases {
        let e = refused(&with_line(sql));
        assert_eq!(e.line, 2, "{sql}: {e}");
        assert!(e.message.contains(word), "{sql}: {e}");
    }
}

#[test]
fn bad_control_flow_is_refused_with_a_clear_message() {
    let cases = [
        ("BEGIN;\nIF NO ROW GOTO nowhere\nRESPOND 201", 2, "no label nowhere"),
        ("top:\nCHARGE\nIF ERROR GOTO top\nRESPOND 201", 3, "backwards"),
        ("CHARGE", 1, "past its last line"),
        ("CHARGE\nRESPOND 201\nCHARGE\nRESPOND 201", 3, "never run"),
        ("BEGIN;\nSELECT status, response FROM idempotency_keys WHERE key = $1\nRESPOND 201", 2, "no closing ';'"),
        ("RESPOND 418", 1, "RESPOND 418"),
        ("RETRY 99", 1, "RETRY 99"),
        ("AWAIT T9", 1, "AWAIT T9"),
        ("IF ERROR 99999 GOTO x\nx:\nRESPOND 201", 1, "99999"),
        ("GOTO x\nx:\nRESPOND 201", 1, "condition"),
        ("BEGIN; COMMIT;\nRESPOND 201", 1, "one SQL statement"),
        ("", 0, "empty"),
        ("-- just a note", 0, "only comments"),
        ("retry:\nRESPOND 201", 1, "RETRY is a keyword"),
    ];
    for (text, line, word) in cases {
        let e = refused(text);
        assert!(e.line == line && e.message.contains(word), "{text:?}: {e}");
    }
    let huge = "CHARGE\n".repeat(HANDLER_TEXT_MAX);
    assert!(refused(&huge).message.contains("bytes"));
    let long = format!("{}RESPOND 201", "CHARGE\n".repeat(HANDLER_INSTRS_MAX));
    assert!(refused(&long).message.contains("at most"));
}

#[test]
fn the_durable_store_crash_says_the_keys_survive() {
    let x = explore(&scenario("durable-store").unwrap(), EXPLORE_SCHEDULES_MAX).unwrap();
    let r = run(&scenario("durable-store").unwrap(), &x.schedules[0].0).unwrap();
    let crash = r.trace.iter().find(|t| matches!(t.record, RaceRecord::Crashed { .. })).unwrap();
    let line = narrate(&crash.record);
    assert!(!line.contains("gone") && line.contains("durable"), "{line}");
    let v = scenario("volatile-store").unwrap();
    let r = run(&v, &x.schedules[0].0).unwrap();
    let crash = r.trace.iter().find(|t| matches!(t.record, RaceRecord::Crashed { .. })).unwrap();
    assert!(narrate(&crash.record).contains("gone"));
}

#[test]
fn branching_on_a_given_sqlstate_follows_only_that_code() {
    let text = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
SELECT status, response FROM idempotency_keys WHERE key = $1;
IF ROW GOTO seen
CHARGE
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
IF ERROR 23505 GOTO dup
COMMIT;
RESPOND 201
seen:
COMMIT;
RESPOND STORED
dup:
SELECT status, response FROM idempotency_keys WHERE key = $1;
ROLLBACK;
RESPOND 409";
    let s = handler_scenario(text, 2).unwrap();
    let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
    // After the 23505 the transaction has failed: the SELECT gets 25P02, as PostgreSQL says.
    assert!(x.classes.iter().any(|c| c.outcome.errors.iter().any(|(_, e)| *e == SqlState::InFailedTransaction)));
    assert!(x.double_charges > 0);
}

/// A line-level mutation of a text: drop, duplicate or swap lines, or insert a token.
fn mutate(text: &str, ops: &[(u8, usize, usize)]) -> String {
    const TOKENS: [&str; 12] =
        ["IF", "GOTO", ";", "'", "$1", "RETRY 3", "x:", "LANE L", "--", "(((", "COMMIT;", "AWAIT T1"];
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for &(op, i, j) in ops {
        if lines.is_empty() {
            break;
        }
        let (i, j) = (i % lines.len(), j % lines.len());
        match op % 5 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(j, l);
            }
            2 => lines.swap(i, j),
            3 => lines[i].push_str(TOKENS[j % TOKENS.len()]),
            _ => {
                let l = &mut lines[i];
                let cut = (0..=j.min(l.len())).rev().find(|&k| l.is_char_boundary(k)).unwrap_or(0);
                l.truncate(cut);
            }
        }
    }
    lines.join("\n")
}

fn never_panics(text: &str, lanes: u8) {
    if let Ok(s) = handler_scenario(text, lanes) {
        let _ = explore(&s, 300);
        let _ = run_lenient(&s, &[1, 2, 3, 1, 2, 3]);
        let _ = run(&s, &[2, 1, 1]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_shipped_handlers_are_run_or_refused_without_panicking(
        id in 0usize..SCENARIO_IDS.len(),
        lanes in 1u8..5,
        ops in proptest::collection::vec((0u8..5, 0usize..40, 0usize..40), 1..6),
    ) {
        let text = mutate(scenario(SCENARIO_IDS[id]).unwrap().sql, &ops);
        never_panics(&text, lanes);
    }

    #[test]
    fn random_texts_are_refused_or_run_without_panicking(text in "\\PC{0,300}", lanes in 0u8..6) {
        never_panics(&text, lanes);
    }

    #[test]
    fn random_lines_of_the_language_are_refused_or_run_without_panicking(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("BEGIN;"), Just("COMMIT;"), Just("ROLLBACK;"), Just("CHARGE"), Just("RESPOND 201"),
                Just("RESPOND STORED"), Just("IF NO ROW GOTO a"), Just("IF ERROR GOTO b"), Just("a:"), Just("b:"),
                Just("RETRY 3"), Just("SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;"),
                Just("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;"),
                Just("UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;"),
                Just("SELECT pg_advisory_xact_lock(hashtext($1));"), Just("BEGIN ISOLATION LEVEL SERIALIZABLE;"),
                Just("CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);"), Just("MAP GET"),
                Just("MAP PUT"), Just("CRASH"), Just("AWAIT T1"), Just("SEND 201"), Just("LANE X"), Just("STORE DURABLE"),
                Just("SAVEPOINT s;"), Just("ROLLBACK TO SAVEPOINT s;"), Just("RELEASE SAVEPOINT s;"),
                Just("SELECT pg_advisory_lock(hashtext($1));"), Just("SELECT pg_advisory_unlock(hashtext($1));"),
                Just("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;"), Just("IF COUNT 0 GOTO a"), Just("IF INSERTED GOTO b"),
                Just("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201) ON CONFLICT DO NOTHING RETURNING (xmax = 0), status;"),
                Just("INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING *, (xmax = 0);"),
                Just("SELECT status, response FROM idempotency_keys WHERE key = $1 FOR NO KEY UPDATE NOWAIT;"),
            ],
            0..24,
        ),
        lanes in 2u8..4,
    ) {
        never_panics(&lines.join("\n"), lanes);
    }
}

#[test]
fn every_corpus_handler_is_modelled_or_refused_with_its_reason() {
    for (name, _, lanes, text) in corpus::MODELLED {
        let s = handler_scenario(text, *lanes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap_or_else(|e| panic!("{name}: {e}"));
        println!("corpus {name}: {} schedules, {} double charges", x.total, x.double_charges);
        assert!(x.total > 0);
    }
    for (name, word, text) in corpus::REFUSED {
        let e = handler_scenario(text, 2).expect_err(name);
        assert!(e.to_string().contains(word), "{name}: {e}");
    }
}

#[test]
fn a_deadlock_fails_the_first_waiter_with_40p01_and_the_other_goes_on() {
    let (_, _, lanes, text) = corpus::MODELLED.iter().find(|c| c.0 == "deadlock").unwrap();
    let s = handler_scenario(text, *lanes).unwrap();
    // T1 inserts, T2 takes the lock, T1 waits for the lock, T2's INSERT waits for T1: a cycle.
    let r = run(&s, &[1, 2, 1, 2]).unwrap();
    assert!(r.trace.iter().any(|t| matches!(
        t.record,
        RaceRecord::Resumed { actor: 0, result: StmtResult::Error { state: SqlState::DeadlockDetected }, .. }
    )));
    let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
    assert!(x.classes.iter().any(|c| c.outcome.errors.contains(&(0, SqlState::DeadlockDetected))));
}

#[test]
fn two_inserts_waiting_on_a_rolled_back_key_are_refused_not_guessed() {
    let (_, _, _, text) = corpus::MODELLED.iter().find(|c| c.0 == "rollback-after-claim").unwrap();
    let three = handler_scenario(text, 3).unwrap();
    let e = explore(&three, EXPLORE_SCHEDULES_MAX).unwrap_err().to_string();
    assert!(e.contains("race inside PostgreSQL"), "{e}");
    assert!(explore(&handler_scenario(text, 2).unwrap(), EXPLORE_SCHEDULES_MAX).is_ok());
}

#[test]
fn exploring_a_three_lane_handler_of_eight_statements_is_timed() {
    let s = handler_scenario(corpus::BENCH_HANDLER, 3).unwrap();
    let sql = s.programs[0].instrs.iter().filter(|i| matches!(i, Instr::Sql { .. })).count();
    let t = std::time::Instant::now();
    let r = explore(&s, EXPLORE_SCHEDULES_MAX);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    match &r {
        Ok(x) => {
            println!("BENCH races explore native: 3 lanes x {sql} statements: {} schedules in {ms:.1} ms", x.total)
        }
        Err(e) => println!("BENCH races explore native: 3 lanes x {sql} statements: stopped ({e}) after {ms:.1} ms"),
    }
    let x = r.unwrap();
    assert_eq!(x.double_charges, 0, "the advisory lock serialises the three requests");
    let plain = handler_scenario(scenario("select-then-insert").unwrap().sql, 3).unwrap();
    let t = std::time::Instant::now();
    let r = explore(&plain, EXPLORE_SCHEDULES_MAX);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    match &r {
        Ok(x) => {
            println!("BENCH races explore native: select-then-insert in 3 lanes: {} schedules in {ms:.1} ms", x.total)
        }
        Err(e) => println!("BENCH races explore native: select-then-insert in 3 lanes: stopped ({e}) after {ms:.1} ms"),
    }
}

#[test]
fn the_sql_people_write_is_accepted_as_the_statement_it_is() {
    let ins = "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL)";
    let cols = |c: &[Column]| {
        let mut r = Returning::default();
        for (slot, x) in r.columns.iter_mut().zip(c) {
            *slot = Some(*x);
        }
        r
    };
    let cases = [
        (format!("{ins} ON CONFLICT DO NOTHING;"), Stmt::InsertWith { status: KeyStatus::Started, conflict: OnConflict::DoNothing { target: false }, returning: Returning::default() }),
        (format!("{ins} ON CONFLICT (key) DO NOTHING RETURNING key;"), Stmt::InsertWith { status: KeyStatus::Started, conflict: OnConflict::DoNothing { target: true }, returning: cols(&[Column::Key]) }),
        (format!("{ins} ON CONFLICT (key) DO NOTHING RETURNING *;"), Stmt::InsertWith { status: KeyStatus::Started, conflict: OnConflict::DoNothing { target: true }, returning: cols(&[Column::Key, Column::Status, Column::Response]) }),
        (format!("{ins} ON CONFLICT (key) DO NOTHING RETURNING status, response;"), Stmt::Insert { status: KeyStatus::Started, on_conflict_do_nothing: true }),
        (format!("{ins} ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING (xmax = 0) AS inserted;"), Stmt::InsertWith { status: KeyStatus::Started, conflict: OnConflict::DoUpdate, returning: cols(&[Column::Inserted]) }),
        (format!("{ins} RETURNING response AS r, status;"), Stmt::InsertWith { status: KeyStatus::Started, conflict: OnConflict::Raise, returning: cols(&[Column::Response, Column::Status]) }),
        ("SELECT status, response FROM idempotency_keys WHERE key = $1 FOR NO KEY UPDATE;".to_string(), Stmt::SelectKeyForNoKeyUpdate { policy: None }),
        ("SELECT status, response FROM idempotency_keys WHERE key = $1 for no key update skip locked;".to_string(), Stmt::SelectKeyForNoKeyUpdate { policy: Some(LockWaitPolicy::Skip) }),
        ("BEGIN ISOLATION LEVEL REPEATABLE READ;".to_string(), Stmt::Begin { isolation: Isolation::RepeatableRead }),
    ];
    for (sql, want) in cases {
        let s = handler_scenario(&format!("BEGIN;\n{sql}\nCOMMIT;\nRESPOND 201"), 2)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let got = s.programs[0]
            .instrs
            .iter()
            .find(|i| matches!(i, Instr::Sql { stmt } if *stmt != Stmt::Begin { isolation: Isolation::ReadCommitted }))
            .copied();
        assert_eq!(got, Some(Instr::Sql { stmt: want }), "{sql}");
    }
    let e = refused("BEGIN;\nCHARGE\nSET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nCOMMIT;\nRESPOND 201");
    assert!(e.line == 3 && e.message.contains("right after BEGIN"), "{e}");
    // Without an index SSI is modelled in 2 lanes (engine/ssi.rs); in 3 it is refused at the line.
    let s = handler_scenario("BEGIN;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCOMMIT;\nRESPOND 201", 3);
    assert!(s.is_err_and(|e| e.line == 2
        && e.message.contains("SERIALIZABLE without a unique index")
        && !e.message.contains("parameter")));
    for setup in [
        "ALTER TABLE idempotency_keys ADD PRIMARY KEY (key);",
        "CREATE TABLE idempotency_keys (key text PRIMARY KEY, status text NOT NULL, response int);",
        "CREATE TABLE idempotency_keys (key text NOT NULL, status text NOT NULL, response integer, UNIQUE (key));",
    ] {
        let h = parse_handler(&format!("{setup}\nCHARGE\nRESPOND 201"), 2).unwrap_or_else(|e| panic!("{setup}: {e}"));
        assert!(h.unique_index, "{setup}");
    }
    let h = parse_handler(
        "CREATE TABLE idempotency_keys (key text NOT NULL, status text NOT NULL, response int);\nCHARGE\nRESPOND 201",
        2,
    )
    .unwrap();
    assert!(!h.unique_index);
}

#[test]
fn a_line_that_reads_a_column_no_statement_returned_is_refused() {
    let ins = "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING";
    let cases = [
        (
            format!("{ins} RETURNING key;\nIF STATUS STARTED GOTO a\nRESPOND 201\na:\nRESPOND 409"),
            "IF STATUS STARTED reads status",
        ),
        (format!("{ins} RETURNING status;\nRESPOND STORED"), "STORED replays the response column"),
        (format!("{ins} RETURNING status, response;\nIF INSERTED GOTO a\nRESPOND 201\na:\nRESPOND 409"), "IF INSERTED"),
    ];
    for (text, word) in cases {
        let e = parse_handler(&text, 2).expect_err(&text);
        assert!(e.message.contains(word), "{text}: {e}");
    }
    assert!(parse_handler(&format!("{ins} RETURNING (xmax = 0), status;\nCHARGE\nIF INSERTED GOTO a\nIF STATUS STARTED GOTO a\nRESPOND 201\na:\nRESPOND 409"), 2).is_ok());
}

#[test]
fn rollback_to_savepoint_undoes_the_row_and_releases_the_lock_taken_since() {
    let s = handler_scenario(corpus::ROLLBACK_TO_RELEASES_LOCKS, 2).unwrap();
    // T1 opens the savepoint and takes the lock; T2 waits for it; T1 inserts, then rolls back to the savepoint.
    let r = run(&s, &[1, 1, 2, 1, 1]).unwrap();
    let last = r.frames.last().unwrap();
    assert!(
        last.records.iter().any(|x| matches!(x, RaceRecord::Resumed { actor: 1, result: StmtResult::Ok, .. })),
        "T2's pg_advisory_xact_lock goes on at T1's ROLLBACK TO: {:?}",
        last.records
    );
    assert!(last.rows.is_empty(), "T1's row is undone: {:?}", last.rows);
    assert_eq!(last.advisory_holder, Some(1), "T2 holds the lock now");
    let outside = handler_scenario("SAVEPOINT claim;\nRESPOND 201", 2).unwrap();
    let e = run(&outside, &[1]).unwrap_err().to_string();
    assert!(e.contains("outside a transaction block") && e.contains("25P01"), "{e}");
}

#[test]
fn xmax_is_zero_only_for_the_row_the_statement_inserted() {
    let upsert = "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING (xmax = 0) AS inserted;";
    let text = format!("CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);\nBEGIN;\n{upsert}\n{upsert}\nCOMMIT;\nRESPOND 201");
    let s = handler_scenario(&text, 2).unwrap();
    let r = run(&s, &[1, 1]).unwrap();
    let got: Vec<Option<bool>> = r
        .trace
        .iter()
        .filter_map(|x| match &x.record {
            RaceRecord::Ran { result: StmtResult::Returned { rows }, .. } => Some(rows[0].inserted),
            _ => None,
        })
        .collect();
    // As PostgreSQL 15.18 answers: t for the insert, f for the second statement's rewrite of the same row.
    assert_eq!(got, vec![Some(true), Some(false)]);
}

#[test]
fn a_session_lock_never_unlocked_is_refused_as_a_leak_when_the_next_request_waits_for_it() {
    let s = handler_scenario("SELECT pg_advisory_lock(hashtext($1));\nCHARGE\nRESPOND 201", 2).unwrap();
    // T1 takes the lock, charges and answers without unlocking; T2's pg_advisory_lock would wait for ever.
    let e = run(&s, &[1, 1, 2]).unwrap_err().to_string();
    assert!(e.contains("pooled connection keeps it") && e.contains("T2 waits for it for ever"), "{e}");
    // The lock is held past the answer: the frame after T1's answer still shows it.
    let r = run(&s, &[1, 1]).unwrap();
    assert_eq!(r.frames.last().unwrap().advisory_holder, Some(0));
}

#[test]
fn every_corpus_handler_survives_the_json_trip_from_the_worker_to_the_page() {
    // The page's worker compiles a text and posts `Compiled` as JSON: the new
    // statement forms (RETURNING lists, savepoints, session locks) must arrive intact.
    for (name, _, lanes, text) in corpus::MODELLED {
        let c = compile(text, *lanes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = serde_json::to_string(&c).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back: Compiled = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, c, "{name}");
    }
}

#[test]
fn a_label_may_be_any_identifier_postgresql_accepts() {
    let text = "CHARGE\nIF ERROR GOTO prisé\nRESPOND 201\nprisé:\nRESPOND 500";
    assert!(parse_handler(text, 2).is_ok());
}

#[test]
fn answering_with_the_transaction_open_is_refused_as_idle_in_transaction() {
    let open = "BEGIN;\nSELECT status, response FROM idempotency_keys WHERE key = $1;\nRESPOND 201";
    let e = refused(open);
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("idle in transaction"), "{e}");
    // Only one path leaves it open: still refused, at that RESPOND.
    let one_path = "BEGIN;\nSELECT status, response FROM idempotency_keys WHERE key = $1;\nIF NO ROW GOTO fresh\nRESPOND STORED\nfresh:\nCOMMIT;\nRESPOND 201";
    assert_eq!(refused(one_path).line, 4);
    let closed = "BEGIN;\nSELECT status, response FROM idempotency_keys WHERE key = $1;\nCOMMIT;\nRESPOND 201";
    assert!(parse_handler(closed, 2).is_ok());
    // ROLLBACK TO SAVEPOINT undoes part of the transaction; it stays open.
    let to_savepoint = "BEGIN;\nSAVEPOINT s;\nSELECT status, response FROM idempotency_keys WHERE key = $1;\nROLLBACK TO SAVEPOINT s;\nRESPOND 201";
    assert_eq!(refused(to_savepoint).line, 5);
    let released = "BEGIN;\nSAVEPOINT s;\nRELEASE SAVEPOINT s;\nRESPOND 201";
    assert_eq!(refused(released).line, 4);
}
