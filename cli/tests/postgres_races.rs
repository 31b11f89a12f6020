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
//! Handlers run one after another inside one test, so nothing here depends
//! on test threads.

use idemlab_sim::races::{self, corpus, SCENARIO_IDS};
use std::process::Command;
use std::time::Instant;

const DEFAULT_PG: &str = "host=127.0.0.1 port=5432 user=idemlab password=idemlab dbname=idemlab";

fn conninfo() -> String {
    std::env::var("IDEMLAB_PG").unwrap_or_else(|_| DEFAULT_PG.to_string())
}

/// Runs `race check` on `text`; returns the exit code, the JSON and stderr.
fn check(name: &str, text: &str, lanes: u8, pg: &str) -> (i32, serde_json::Value, String) {
    let path = std::env::temp_dir().join(format!("idemlab-handler-{}-{name}.sql", std::process::id()));
    std::fs::write(&path, text).expect("write the handler");
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab"))
        .args(["race", "check", path.to_str().unwrap(), "--lanes", &lanes.to_string(), "--pg", pg])
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
