//! Differential testing (issue 25, item 4): random handlers written from the
//! handler language's grammar, each judged by PostgreSQL with `idemlab race
//! check --pg`. Every generated handler is either refused with a named reason
//! (by the parser or the engine, without the server) or agrees with the server
//! on every schedule checked. The run has a fixed seed and a fixed time
//! budget, and prints its counts: handlers, judged, refused by reason,
//! schedules. A disagreement, or a statement the server rejects, fails it.
//!
//! The server is named by `IDEMLAB_PG`, as in `postgres_races.rs`; if it
//! cannot be reached the test fails. A second run writes SERIALIZABLE
//! handlers on a table with no index on key (SSI, `engine/ssi.rs`) and
//! prints its own counts.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

const DEFAULT_PG: &str = "host=127.0.0.1 port=5432 user=idemlab password=idemlab dbname=idemlab";
/// How long the run may keep starting new handlers.
const BUDGET: Duration = Duration::from_secs(60);
/// How long the SERIALIZABLE-without-an-index run may keep starting new handlers.
const SSI_BUDGET: Duration = Duration::from_secs(75);
/// Most schedules the server replays per SERIALIZABLE handler (past it, a seeded sample).
const SSI_SCHEDULES_PER_HANDLER: usize = 60;
/// Most handlers in one run (the budget usually ends it first).
const HANDLERS_MAX: usize = 60;
/// Most schedules the server replays per handler (past it, a seeded sample).
const SCHEDULES_PER_HANDLER: usize = 120;

/// SplitMix64: a fixed seed writes the same handlers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

const STATEMENTS: [&str; 10] = [
    "SELECT status, response FROM idempotency_keys WHERE key = $1;",
    "SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;",
    "SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE NOWAIT;",
    "SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE SKIP LOCKED;",
    "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);",
    "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'done', 201);",
    "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO NOTHING RETURNING status, response;",
    "UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;",
    "SELECT pg_advisory_xact_lock(hashtext($1));",
    "SELECT pg_try_advisory_xact_lock(hashtext($1));",
];

const CONDITIONS: [&str; 9] = [
    "NO ROW",
    "ROW",
    "ERROR",
    "ERROR 23505",
    "ERROR 40001",
    "ERROR 55P03",
    "ERROR 40P01",
    "STATUS STARTED",
    "NOT LOCKED",
];

/// One handler from the grammar: setup, one or two transactions (or
/// autocommit statements) with branches out to tails that end the
/// transaction and answer, a charge, and an answer.
fn handler(rng: &mut Rng) -> String {
    let mut body: Vec<String> = Vec::new();
    let mut tails: Vec<String> = Vec::new();
    if rng.chance(75) {
        body.push("CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys (key);".into());
    }
    let charge_at = rng.below(2);
    for block in 0..1 + rng.below(2) {
        let txn = rng.chance(80);
        if txn {
            body.push(rng.pick(&["BEGIN;", "BEGIN;", "BEGIN ISOLATION LEVEL SERIALIZABLE;"]).into());
        }
        for _ in 0..1 + rng.below(3) {
            body.push(rng.pick(&STATEMENTS).into());
            if rng.chance(50) {
                let label = format!("out{}", tails.len());
                body.push(format!("IF {} GOTO {label}", rng.pick(&CONDITIONS)));
                let end = if rng.chance(20) {
                    "RETRY 2"
                } else {
                    rng.pick(&["RESPOND 409", "RESPOND 500", "RESPOND STORED"])
                };
                tails.push(format!("{label}:\nROLLBACK;\n{end}"));
            }
        }
        if block == charge_at {
            body.push("CHARGE".into());
        }
        if txn {
            body.push(rng.pick(&["COMMIT;", "COMMIT;", "ROLLBACK;"]).into());
        }
    }
    body.push("RESPOND 201".into());
    body.extend(tails);
    body.join("\n")
}

/// The statements of a SERIALIZABLE handler on a table with no index on key:
/// what SSI reads and writes (the row-lock forms that answer for several
/// rows at once, NOWAIT and SKIP LOCKED, are left to the grammar above).
const SSI_STATEMENTS: [&str; 7] = [
    "SELECT status, response FROM idempotency_keys WHERE key = $1;",
    "SELECT status, response FROM idempotency_keys WHERE key = $1;",
    "SELECT status, response FROM idempotency_keys WHERE key = $1 FOR UPDATE;",
    "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL);",
    "INSERT INTO idempotency_keys (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT DO NOTHING RETURNING status, response;",
    "UPDATE idempotency_keys SET status = 'done', response = 201 WHERE key = $1;",
    "SELECT pg_advisory_xact_lock(hashtext($1));",
];

/// One lane of a SERIALIZABLE handler with no index on key: one or two
/// SERIALIZABLE transactions (now and then a READ COMMITTED one), at most
/// one INSERT, branches on 40001 and the other outcomes to tails that end
/// the transaction and answer or retry, COMMIT checked for 40001.
fn ssi_lane(rng: &mut Rng) -> String {
    let (mut body, mut tails, mut inserted) = (Vec::<String>::new(), Vec::<String>::new(), false);
    for _ in 0..1 + rng.below(2) {
        let serializable = "BEGIN ISOLATION LEVEL SERIALIZABLE;";
        body.push(rng.pick(&[serializable, serializable, serializable, serializable, "BEGIN;"]).into());
        // Most transactions read the key first: the shape SSI is about.
        if rng.chance(60) {
            body.push(SSI_STATEMENTS[0].into());
        }
        for _ in 0..1 + rng.below(3) {
            let mut st = rng.pick(&SSI_STATEMENTS);
            if st.starts_with("INSERT") && std::mem::replace(&mut inserted, true) {
                st = SSI_STATEMENTS[0];
            }
            body.push(st.into());
            if rng.chance(50) {
                let label = format!("out{}", tails.len());
                body.push(format!(
                    "IF {} GOTO {label}",
                    rng.pick(&["NO ROW", "ROW", "ERROR", "ERROR 40001", "STATUS STARTED"])
                ));
                let end = if rng.chance(30) {
                    "RETRY 2"
                } else {
                    rng.pick(&["RESPOND 409", "RESPOND 500", "RESPOND STORED"])
                };
                tails.push(format!("{label}:\nROLLBACK;\n{end}"));
            }
        }
        body.push(rng.pick(&["COMMIT;", "COMMIT;", "COMMIT;", "ROLLBACK;"]).into());
        if rng.chance(50) {
            let label = format!("out{}", tails.len());
            body.push(format!("IF ERROR 40001 GOTO {label}"));
            tails.push(format!("{label}:\n{}", rng.pick(&["RETRY 2", "RESPOND 500"])));
        }
    }
    body.push("RESPOND 201".into());
    body.extend(tails);
    body.join("\n")
}

/// A SERIALIZABLE handler with no index on key, for 2 lanes: one text every
/// lane runs, or a `LANE` section each.
fn ssi_handler(rng: &mut Rng) -> String {
    if rng.chance(40) {
        ssi_lane(rng)
    } else {
        format!("LANE a\n{}\nLANE b\n{}", ssi_lane(rng), ssi_lane(rng))
    }
}

fn idemlab(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A refusal's reason without its file and line: what the counts group by.
fn reason(err: &str) -> String {
    let msg = err.trim().splitn(3, ": ").last().unwrap_or("").to_string();
    let msg = msg.strip_prefix("line ").map_or(msg.clone(), |m| m.split_once(": ").map_or(m, |x| x.1).to_string());
    msg.split(['(', ':', ';']).next().unwrap_or("").trim().chars().take(90).collect()
}

#[test]
fn random_handlers_from_the_grammar_agree_with_postgresql_or_are_refused_with_a_reason() {
    let pg = std::env::var("IDEMLAB_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut rng = Rng(0x25_2026);
    let started = Instant::now();
    let (mut handlers, mut judged, mut schedules, mut sampled) = (0usize, 0usize, 0u64, 0usize);
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let dir = std::env::temp_dir();
    while started.elapsed() < BUDGET && handlers < HANDLERS_MAX {
        let text = handler(&mut rng);
        let lanes = if rng.chance(25) { "3" } else { "2" };
        handlers += 1;
        let path = dir.join(format!("idemlab-generated-{}-{handlers}.sql", std::process::id()));
        std::fs::write(&path, &text).expect("write the handler");
        let file = path.to_str().unwrap();
        // The parser and the engine first: a refusal there is a named reason, no server needed.
        let (code, _, err) = idemlab(&["race", "check", file, "--lanes", lanes]);
        // Past the explorer's bound the engine still runs each schedule: the server judges a sample.
        let too_many = err.contains("the explorer stops there");
        if code != 0 && !too_many {
            let why = reason(&err);
            assert!(!why.is_empty(), "a refusal without a reason: {err}\n{text}");
            *refused.entry(why).or_default() += 1;
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let max = SCHEDULES_PER_HANDLER.to_string();
        let (code, v, err) = idemlab(&["race", "check", file, "--lanes", lanes, "--pg", &pg, "--max", &max]);
        let _ = std::fs::remove_file(&path);
        assert_eq!(code, 0, "the server and the engine differ on a generated handler ({lanes} lanes):\n{text}\n{err}");
        let p = &v["postgres"];
        assert_eq!(p["agree"], true, "{text}\n{p}");
        judged += 1;
        schedules += p["schedules"].as_u64().unwrap_or(0);
        sampled += usize::from(p["sampled"] == true);
    }
    println!(
        "BENCH generated handlers: {handlers} written in {:.0} s, {judged} judged by PostgreSQL on {schedules} schedules ({sampled} handlers on a seeded sample of theirs), {} refused",
        started.elapsed().as_secs_f64(),
        handlers - judged
    );
    for (why, n) in &refused {
        println!("  refused {n}: {why}");
    }
    assert!(judged >= 5, "only {judged} of {handlers} generated handlers were judged: {refused:?}");
}

#[test]
fn random_serializable_handlers_without_an_index_agree_with_postgresql_on_every_schedule() {
    let pg = std::env::var("IDEMLAB_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut rng = Rng(0x5515_2026);
    let started = Instant::now();
    let (mut handlers, mut judged, mut schedules, mut failing) = (0usize, 0usize, 0u64, 0usize);
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let dir = std::env::temp_dir();
    while started.elapsed() < SSI_BUDGET && handlers < HANDLERS_MAX {
        let text = ssi_handler(&mut rng);
        handlers += 1;
        let path = dir.join(format!("idemlab-generated-ssi-{}-{handlers}.sql", std::process::id()));
        std::fs::write(&path, &text).expect("write the handler");
        let file = path.to_str().unwrap();
        let (code, v, err) = idemlab(&["race", "check", file, "--lanes", "2"]);
        if code != 0 && !err.contains("the explorer stops there") {
            let why = reason(&err);
            assert!(!why.is_empty(), "a refusal without a reason: {err}\n{text}");
            *refused.entry(why).or_default() += 1;
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let fails = |c: &serde_json::Value| c["label"].as_str().is_some_and(|l| l.contains("40001"));
        failing += usize::from(v["classes"].as_array().is_some_and(|cs| cs.iter().any(fails)));
        let max = SSI_SCHEDULES_PER_HANDLER.to_string();
        let (code, v, err) = idemlab(&["race", "check", file, "--lanes", "2", "--pg", &pg, "--max", &max]);
        let _ = std::fs::remove_file(&path);
        assert_eq!(code, 0, "the server and the engine differ on a generated SERIALIZABLE handler:\n{text}\n{err}");
        assert_eq!(v["postgres"]["agree"], true, "{text}\n{}", v["postgres"]);
        judged += 1;
        schedules += v["postgres"]["schedules"].as_u64().unwrap_or(0);
    }
    println!(
        "BENCH generated SERIALIZABLE handlers without an index: {handlers} written in {:.0} s, {judged} judged by PostgreSQL on {schedules} schedules, {failing} of them with a 40001 on some schedule, {} refused, 0 disagreements",
        started.elapsed().as_secs_f64(),
        handlers - judged
    );
    for (why, n) in &refused {
        println!("  refused {n}: {why}");
    }
    // The budget is time: a loaded machine judges fewer (6 to 16 seen on the shared 2-core box).
    assert!(judged >= 4 && failing >= 1, "{judged} judged, {failing} with a 40001: {refused:?}");
}
