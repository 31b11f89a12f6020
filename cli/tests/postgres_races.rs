//! PostgreSQL judges the races engine. For every SQL scenario and every
//! handler of the corpus (`idemlab_sim::races::corpus`), `idemlab race check
//! FILE --pg` walks every schedule a real PostgreSQL 15 allows (a lane steps
//! only when the server is not blocking it) and compares each step with the
//! engine: results, errors, who waits on whom, which lanes may step, the
//! charges, the answers and the final rows. The schedule sets must be equal.
//!
//! The server is named by `IDEMLAB_PG` (default: the loopback server that
//! `scripts/lib.sh ensure_postgres` starts). If it cannot be reached the test
//! fails: it never skips. The scenarios without SQL (the in-memory key store
//! and its crash) are checked by the engine's own tests only.
//!
//! Each check runs on schemas named after its own process, so checks in
//! parallel test threads do not share a table or an advisory key.
//!
//! The captions: every step of every replay compares what the engine's
//! caption for that step names (each statement's result, rows and row count,
//! its command tag, such as ROLLBACK for a COMMIT of a failed transaction,
//! its error, and who waits on whom) with what the server answered, so
//! `agree` means every caption-bearing step of every shipped scenario and
//! corpus handler holds on PostgreSQL.

use idemlab_sim::races::{self, corpus, SCENARIO_IDS};
use std::process::Command;
use std::time::Instant;

const DEFAULT_PG: &str = "host=127.0.0.1 port=5432 user=idemlab password=idemlab dbname=idemlab";

fn conninfo() -> String {
    std::env::var("IDEMLAB_PG").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

/// Runs `race check` on `text`; returns the exit code, the JSON and stderr.
fn check(name: &str, text: &str, lanes: u8, pg: &str) -> (i32, serde_json::Value, String) {
    check_with(name, text, lanes, pg, &[])
}

/// `check` with more flags.
fn check_with(name: &str, text: &str, lanes: u8, pg: &str, more: &[&str]) -> (i32, serde_json::Value, String) {
    let path = std::env::temp_dir().join(format!("idemlab-handler-{}-{name}.sql", std::process::id()));
    std::fs::write(&path, text).expect("write the handler");
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab"))
        .args(["race", "check", path.to_str().unwrap(), "--lanes", &lanes.to_string(), "--pg", pg])
        .args(more)
        .output()
        .expect("run idemlab");
    let _ = std::fs::remove_file(&path);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn postgresql_and_the_engine_agree_on_every_schedule_of_every_scenario_and_corpus_handler() {
    let pg = conninfo();
    let mut handlers: Vec<(String, &str, u8)> = Vec::new();
    for id in SCENARIO_IDS {
        let s = races::scenario(id).expect("scenario");
        if s.is_sql {
            handlers.push((id.to_string(), s.sql, 2));
        }
    }
    for (name, _, lanes, text) in corpus::MODELLED {
        handlers.push((format!("corpus-{name}"), text, *lanes));
    }
    let started = Instant::now();
    let (mut schedules, mut steps) = (0u64, 0u64);
    for (name, text, lanes) in &handlers {
        let t = Instant::now();
        let (code, v, err) = check(name, text, *lanes, &pg);
        assert_eq!(code, 0, "{name}: {err}");
        let p = &v["postgres"];
        assert_eq!(p["agree"], true, "{name}: {p}");
        assert_eq!(p["schedules"], v["total"], "{name}: the server and the engine count different schedules");
        schedules += p["schedules"].as_u64().unwrap_or(0);
        steps += p["steps"].as_u64().unwrap_or(0);
        println!(
            "BENCH postgres check {name} ({lanes} lanes): {} schedules, {} steps, {} slow replays retried, {:.1} s",
            p["schedules"],
            p["steps"],
            p["slow_replays_retried"],
            t.elapsed().as_secs_f64()
        );
    }
    println!(
        "BENCH postgres races: {schedules} schedules of {} handlers, {steps} steps, judged by PostgreSQL in {:.1} s",
        handlers.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(handlers.len() >= 22 && schedules > 4000, "{} handlers, {schedules} schedules", handlers.len());
}

#[test]
fn race_check_fails_when_the_server_is_missing() {
    let text = races::scenario("on-conflict").unwrap().sql;
    let (code, _, err) = check("missing", text, 2, "host=127.0.0.1 port=1 user=nobody dbname=none connect_timeout=2");
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach PostgreSQL"), "{err}");
}

#[test]
fn a_statement_the_server_rejects_is_reported_with_the_servers_error_at_its_line() {
    // A no-break space inside `SELECT status`: the handler's parser reads it as a
    // blank, PostgreSQL does not, and the learner's text is what runs.
    let text = races::scenario("on-conflict").unwrap().sql.replacen("SELECT status", "SELECT\u{a0}status", 1);
    let line = 1 + text.lines().position(|l| l.contains('\u{a0}')).expect("the no-break space") as u32;
    let (code, _, err) = check("nbsp", &text, 2, &conninfo());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("line {line}: PostgreSQL rejects this statement: syntax error at or near")), "{err}");
    assert!(err.contains("42601"), "{err}");
}

#[test]
fn commit_after_an_ignored_23505_answers_rollback_on_the_server_as_the_caption_says() {
    let text = "CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);
BEGIN;
INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);
COMMIT;                -- after a 23505 this COMMIT rolls back
RESPOND 201";
    let s = races::handler_scenario(text, 2).unwrap();
    let run = races::run(&s, &[1, 2, 1, 2]).unwrap();
    let caption = races::frame_narration(&run)[3].join(" ");
    assert!(caption.contains("T2 COMMIT → ROLLBACK"), "{caption}");
    let (code, v, err) = check("commit-rollback", text, 2, &conninfo());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["postgres"]["agree"], true, "{v}");
    assert_eq!(
        v["postgres"]["summary"],
        format!("checked all {} schedules on PostgreSQL, no disagreement", v["total"])
    );
}

#[test]
fn a_three_lane_nowait_handler_past_the_cap_is_judged_on_a_sample_and_exits_0_saying_how_many_of_how_many() {
    let text = corpus::MODELLED.iter().find(|c| c.0 == "nowait-answers-409").expect("the NOWAIT handler").3;
    // The cap's code path with a smaller cap, so the suite stays quick; `--max`
    // left out, the same check replays 5,000 (see the report of issue 28).
    let max = 300;
    let (code, v, err) = check_with("nowait3", text, 3, &conninfo(), &["--max", &max.to_string()]);
    assert_eq!(code, 0, "{err}");
    let p = &v["postgres"];
    let total = v["total"].as_u64().expect("the engine's count");
    assert!(total > races::PG_SCHEDULES_MAX as u64, "{total}");
    assert_eq!(p["schedules"], max);
    assert_eq!(p["sampled"], true);
    let want = format!(
        "checked {max} of {} schedules (a seeded sample) on PostgreSQL, no disagreement",
        races::thousands(total as usize)
    );
    assert_eq!(p["summary"], want.as_str());
    let confirmed = p["sample"]["fraction_confirmed"].as_f64().unwrap();
    assert!(confirmed > 0.0 && confirmed <= 1.0, "{p}");
    println!(
        "BENCH postgres sample nowait-answers-409 (3 lanes): {max} of {total} schedules, {} of {} transitions confirmed ({:.0}%), {:.1} ms per schedule, {} walkers",
        p["sample"]["transitions_covered"],
        p["sample"]["transitions_known"],
        confirmed * 100.0,
        p["ms_per_schedule"].as_f64().unwrap_or(0.0),
        p["walkers"]
    );
}

#[test]
fn the_deadlock_handlers_server_check_is_quick_benchmark_printed() {
    let text = corpus::MODELLED.iter().find(|c| c.0 == "deadlock").expect("the deadlock handler").3;
    let t = Instant::now();
    let (code, v, err) = check("deadlock-bench", text, 2, &conninfo());
    assert_eq!(code, 0, "{err}");
    let p = &v["postgres"];
    assert_eq!(p["agree"], true, "{p}");
    println!(
        "BENCH postgres check deadlock: {} schedules in {:.2} s wall ({:.1} ms per schedule, deadlock_timeout {} ms, {} walkers)",
        p["schedules"],
        t.elapsed().as_secs_f64(),
        p["ms_per_schedule"].as_f64().unwrap_or(0.0),
        p["deadlock_timeout_ms"],
        p["walkers"]
    );
}

#[test]
fn the_labels_the_handler_refuses_as_reserved_are_exactly_words_postgresql_refuses_as_names() {
    let mut client = postgres::Client::connect(&conninfo(), postgres::NoTls).expect("reach PostgreSQL");
    for word in races::limits::POSTGRES_RESERVED {
        let refused = client.batch_execute(&format!("CREATE TEMP TABLE {} ()", word.to_lowercase())).is_err();
        assert!(refused, "PostgreSQL accepts {word} as a name");
        assert!(races::limits::label_refusal(&word.to_lowercase()).is_some());
    }
    for word in ["prisé", "fresh", "retry", "values", "between"] {
        client.batch_execute(&format!("CREATE TEMP TABLE IF NOT EXISTS {word} ()")).expect(word);
    }
    // retry is a name to PostgreSQL but a keyword of the handler language: refused as that.
    assert!(races::limits::label_refusal("retry").unwrap().contains("keyword of the handler language"));
    assert_eq!(races::limits::label_refusal("prisé"), None);
}
