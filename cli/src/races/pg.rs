//! `race check --pg`: PostgreSQL decides which schedules exist.
//!
//! Each lane is one connection on its own thread, running the learner's own
//! statement texts (prepared as written, `$1` bound to the request's key) on
//! a table of the checker's own schema. A lane may take the next step only
//! when PostgreSQL is not blocking it (its last statement answered); a
//! statement that blocks is seen through `pg_blocking_pids`. The handler's
//! branches follow the server's results, not the engine's. Each schedule is
//! one replay on an emptied table, and each step is compared with the
//! engine's run of the same schedule: results, command tags, errors, who
//! waits on whom, which lanes may step, and the final rows.
//!
//! Up to `PG_SCHEDULES_MAX` schedules every schedule the server allows is
//! walked; past it, a seeded sample chosen to cover the engine's transitions
//! (`sample.rs`). Replays run on several walkers at once, each with its own
//! schema and connections, because most of a replay's time is spent waiting
//! (a deadlock is found only after deadlock_timeout).
//!
//! In parts: `worker.rs` (a lane's connection on its own thread), `server.rs`
//! (the lanes as the server runs them), `compare.rs` (what each side saw at a
//! step, and whether they agree), `source.rs` (the learner's texts),
//! `sample.rs` (the sample), `walk.rs` (one replay); this file runs the walkers.

mod compare;
mod sample;
mod server;
mod source;
mod walk;
mod worker;

pub use sample::SEED;
pub use source::Source;

use compare::{engine_seen, res, said, same, words, Seen};
use idemlab_sim::races::{self, CheckCount, Instr, RowOut, Scenario, PG_SCHEDULES_MAX};
use postgres::Client;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use walk::{replay, Walker};

/// How long a statement may run before it must be either answered or blocked.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a wait on a lane whose transaction a failed statement aborted is
/// looked at again before it is recorded (see `Server::drain`).
const ABORTED_LOCKS_WAIT: Duration = Duration::from_secs(2);
/// Most disagreements printed.
const SHOWN_MAX: usize = 20;
/// Most replays of one schedule that stalled past deadlock_timeout (see `walk::replay`).
const SLOW_REPLAYS_MAX: u32 = 3;
/// Most walkers replaying at once.
pub const WALKERS_MAX: usize = 4;
/// Schedules that make another walker worth its logins.
const SCHEDULES_PER_WALKER: usize = 8;

/// What the walkers share: the schedules left to replay and what was found.
#[derive(Default)]
struct Work {
    /// Prefixes to replay (the last one first).
    todo: Vec<Vec<u8>>,
    /// Whether a replay's alternatives are walked too (every schedule), or only the list (a sample).
    extend: bool,
    /// Walkers replaying now.
    busy: usize,
    /// Most schedules replayed.
    max: usize,
    schedules: Vec<Vec<u8>>,
    disagreements: Vec<Value>,
    disagreeing: usize,
    steps: usize,
    slow_retried: usize,
    stopped: bool,
    failure: Option<String>,
}

/// Refuses handlers with lines that have no server counterpart.
fn server_can_run(s: &Scenario) -> Result<(), String> {
    if !s.is_sql {
        return Err("this handler runs no SQL: there is nothing for PostgreSQL to judge".into());
    }
    let outside = |i: &Instr| {
        matches!(
            i,
            Instr::MapGet | Instr::MapPut | Instr::Crash | Instr::AwaitUnanswered { .. } | Instr::SendResponse { .. }
        )
    };
    if s.programs.iter().any(|p| p.instrs.iter().any(outside)) {
        return Err("--pg checks handlers of SQL, CHARGE, IF, RETRY and RESPOND lines; MAP, CRASH, AWAIT and SEND have no server counterpart".into());
    }
    Ok(())
}

/// Checks `s` (whose statement texts are `src`) against the server at `conninfo`.
/// Replays at most `max` schedules (at most `PG_SCHEDULES_MAX`).
pub fn check(
    s: &Scenario,
    src: &Source,
    conninfo: &str,
    walkers: usize,
    seed: u64,
    max: usize,
) -> Result<Value, String> {
    server_can_run(s)?;
    let max = max.clamp(1, PG_SCHEDULES_MAX);
    let started = Instant::now();
    let (version, deadlock_timeout_ms) = server_settings(conninfo)?;
    let deadlock_timeout = Duration::from_millis(deadlock_timeout_ms.max(1) as u64);
    // Every engine schedule, listed (the state-graph explorer counts them but lists only the first few).
    let explored = races::enumerate_schedules(s, races::EXPLORE_SCHEDULES_MAX).ok();
    let engine: Option<Vec<Vec<u8>>> = explored.as_ref().map(|x| x.iter().map(|(p, _)| p.clone()).collect());
    let total = explored.as_ref().map(Vec::len);
    let sampled = total.is_none_or(|t| t > max);
    let (todo, sample) = if sampled {
        let p = sample::pick(s, engine.as_deref(), max, seed);
        let mut todo = p.schedules.clone();
        todo.reverse();
        (todo, Some(p))
    } else {
        (vec![Vec::new()], None)
    };
    // A walker per SCHEDULES_PER_WALKER schedules: a small handler is not worth the logins.
    let planned = if sampled { todo.len() } else { total.unwrap_or(usize::MAX) };
    let walkers = walkers.clamp(1, WALKERS_MAX).min(planned.div_ceil(SCHEDULES_PER_WALKER).max(1));
    let pool = open_pool(conninfo, s, src, walkers, deadlock_timeout)?;
    let replays = Instant::now();
    let work = run_walkers(s, pool, Work { todo, extend: !sampled, max, ..Work::default() })?;
    let replay_seconds = replays.elapsed().as_secs_f64();
    let engine_set: BTreeSet<Vec<u8>> = engine.unwrap_or_default().into_iter().collect();
    let server: BTreeSet<Vec<u8>> = work.schedules.iter().cloned().collect();
    let only_pg: Vec<&Vec<u8>> =
        if explored.is_some() { server.difference(&engine_set).take(SHOWN_MAX).collect() } else { Vec::new() };
    let only_engine: Vec<&Vec<u8>> =
        if work.stopped || sampled { Vec::new() } else { engine_set.difference(&server).take(SHOWN_MAX).collect() };
    let agree = work.disagreeing == 0 && only_pg.is_empty() && only_engine.is_empty();
    let checked = work.schedules.len();
    let count =
        CheckCount { checked, total, disagreeing: work.disagreeing + only_pg.len() + only_engine.len(), sampled };
    Ok(json!({
        "server_version": version,
        "summary": races::server_check_words(count),
        "schedules": checked,
        "schedules_total": total,
        "schedules_max": max,
        "sampled": sampled,
        "sample": sample.map(|p| json!({
            "seed": seed,
            "transitions_covered": p.covered,
            "transitions_known": p.known,
            "all_transitions_known": p.complete,
            "fraction_confirmed": if agree && p.known > 0 { p.covered as f64 / p.known as f64 } else { 0.0 },
        })),
        "stopped_at_limit": work.stopped,
        "steps": work.steps,
        "disagreeing_schedules": work.disagreeing,
        "agree": agree,
        "only_postgres": only_pg,
        "only_engine": only_engine,
        "disagreements": work.disagreements,
        "slow_replays_retried": work.slow_retried,
        "walkers": walkers,
        "deadlock_timeout_ms": deadlock_timeout_ms,
        "seconds": started.elapsed().as_secs_f64(),
        "ms_per_schedule": if checked > 0 { replay_seconds * 1000.0 / checked as f64 } else { 0.0 },
    }))
}

/// The server's version (15 or refused) and its deadlock_timeout in ms.
fn server_settings(conninfo: &str) -> Result<(String, i32), String> {
    let mut admin = worker::connect(conninfo)?;
    let version: String = admin.query_one("SHOW server_version", &[]).map_err(|e| e.to_string())?.get(0);
    if !version.starts_with("15.") {
        return Err(format!("the races model follows PostgreSQL 15; the server is {version}"));
    }
    let ms: i32 = admin
        .query_one("SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout'", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    let _ = admin.close();
    Ok((version, ms))
}

/// Opens `walkers` walkers side by side (logins are slow: SCRAM).
fn open_pool(
    conninfo: &str,
    s: &Scenario,
    src: &Source,
    walkers: usize,
    deadlock_timeout: Duration,
) -> Result<Vec<Walker>, String> {
    let opened: Vec<Result<Walker, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            (0..walkers).map(|w| scope.spawn(move || Walker::open(conninfo, s, src, w, deadlock_timeout))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a walker panicked".into()))).collect()
    });
    let mut pool = Vec::new();
    for w in opened {
        match w {
            Ok(w) => pool.push(w),
            Err(e) => {
                pool.into_iter().for_each(Walker::close);
                return Err(e);
            }
        }
    }
    Ok(pool)
}

/// Runs every walker of `pool` over `work` until it is done, then closes them.
fn run_walkers(s: &Scenario, mut pool: Vec<Walker>, work: Work) -> Result<Work, String> {
    let work = Arc::new((Mutex::new(work), Condvar::new()));
    std::thread::scope(|scope| {
        for w in pool.iter_mut() {
            let work = Arc::clone(&work);
            scope.spawn(move || walk_on(s, w, &work));
        }
    });
    pool.into_iter().for_each(Walker::close);
    let (lock, _) = &*work;
    let work = std::mem::take(&mut *lock.lock().map_err(|_| "a walker panicked".to_string())?);
    match work.failure {
        Some(f) => Err(f),
        None => Ok(work),
    }
}

/// One walker's loop: takes a prefix, replays it, hands back what it found.
fn walk_on(s: &Scenario, w: &mut Walker, work: &(Mutex<Work>, Condvar)) {
    let (lock, cv) = work;
    loop {
        let prefix = {
            let Ok(mut g) = lock.lock() else { return };
            loop {
                if g.failure.is_some() || (g.todo.is_empty() && g.busy == 0) {
                    cv.notify_all();
                    return;
                }
                if g.schedules.len() + g.busy >= g.max && !g.todo.is_empty() {
                    g.stopped = true;
                    g.todo.clear();
                    continue;
                }
                if let Some(p) = g.todo.pop() {
                    g.busy += 1;
                    break p;
                }
                g = match cv.wait(g) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
        };
        let mut more = Vec::new();
        let r = replay(s, w, &prefix, &mut more);
        let Ok(mut g) = lock.lock() else { return };
        g.busy -= 1;
        match r {
            Err(e) => g.failure = Some(e),
            Ok(r) => {
                g.steps += r.path.len();
                g.slow_retried += r.slow_retried;
                if let Some(mut p) = r.problem {
                    g.disagreeing += 1;
                    if g.disagreements.len() < SHOWN_MAX {
                        p["schedule"] = json!(r.path);
                        g.disagreements.push(p);
                    }
                }
                g.schedules.push(r.path);
                if g.extend {
                    g.todo.extend(more);
                }
            }
        }
        cv.notify_all();
    }
}

/// The line and words of a statement the server refused to prepare.
fn refused_at(src: &Source, texts: &[(u32, String)], i: usize, r: worker::Refused) -> String {
    let (line, text) = &texts[i];
    let at = src.line_of(*line, text, r.position);
    format!("line {at}: PostgreSQL rejects this statement: {}", r.message)
}

/// Engine-side helper used by `walk.rs`: the run of `path`, or why not.
fn engine_run(s: &Scenario, path: &[u8]) -> Result<races::RaceRun, String> {
    races::run(s, path).map_err(|e| races::limits::refusal_words(&e))
}

/// The rows a walker's table holds at the end of a replay.
fn final_rows(admin: &mut Client, schema: &str) -> Result<Vec<RowOut>, String> {
    admin
        .query(&format!("SELECT status, response FROM {schema}.{}", races::TABLE), &[])
        .map_err(|e| e.to_string())?
        .iter()
        .map(worker::row_out)
        .collect()
}
