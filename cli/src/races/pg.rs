//! `race check --pg`: PostgreSQL decides which schedules exist.
//!
//! Each lane is one connection on its own thread. A lane may take the next
//! step only when PostgreSQL is not blocking it (its last statement answered);
//! a statement that blocks is seen through `pg_blocking_pids`. The handler's
//! branches follow the server's results, not the engine's. Every schedule the
//! server allows is walked (one replay per schedule, on a fresh table), and
//! each step is compared with the engine's run of the same schedule: results,
//! errors, who waits on whom, which lanes may step, and the final rows.

//!
//! In parts: `worker.rs` (a lane's connection on its own thread), `server.rs`
//! (the lanes as the server runs them), `compare.rs` (what each side saw at a
//! step, and whether they agree); this file walks the schedules.

mod compare;
mod server;
mod worker;

use compare::{engine_seen, res, same, words, Seen};
use idemlab_sim::races::{self, Instr, Response, RowOut, Scenario};
use postgres::Client;
use serde_json::{json, Value};
use server::{Lane, Server};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use worker::{connect, row_out, spawn_worker, Worker};

/// Most schedules one check replays on the server.
pub const PG_SCHEDULES_MAX: usize = 5_000;
/// How long a statement may run before it must be either answered or blocked.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a wait on a lane whose transaction a failed statement aborted is
/// looked at again before it is recorded (see `Server::drain`).
const ABORTED_LOCKS_WAIT: Duration = Duration::from_secs(2);
/// Most disagreements printed.
const SHOWN_MAX: usize = 20;
/// Most replays of one schedule that stalled past deadlock_timeout (see `check`).
const SLOW_REPLAYS_MAX: u32 = 3;

/// Walks every schedule the server allows and compares each step with the engine.
pub fn check(s: &Scenario, conninfo: &str) -> Result<Value, String> {
    if !s.is_sql {
        return Err("this handler runs no SQL: there is nothing for PostgreSQL to judge".into());
    }
    for p in &s.programs {
        for i in &p.instrs {
            if matches!(
                i,
                Instr::MapGet
                    | Instr::MapPut
                    | Instr::Crash
                    | Instr::AwaitUnanswered { .. }
                    | Instr::SendResponse { .. }
            ) {
                return Err("--pg checks handlers of SQL, CHARGE, IF, RETRY and RESPOND lines; MAP, CRASH, AWAIT and SEND have no server counterpart".into());
            }
        }
    }
    let mut admin = connect(conninfo)?;
    let version: String = admin.query_one("SHOW server_version", &[]).map_err(|e| e.to_string())?.get(0);
    if !version.starts_with("15.") {
        return Err(format!("the races model follows PostgreSQL 15; the server is {version}"));
    }
    let workers: Vec<Worker> = s.programs.iter().map(|_| spawn_worker(conninfo)).collect::<Result<_, _>>()?;
    let table = format!("races_check_{}", std::process::id());
    admin.batch_execute(&format!("DROP TABLE IF EXISTS {table}")).map_err(|e| e.to_string())?;
    for ddl in s.ddl(&table) {
        admin.batch_execute(&ddl).map_err(|e| e.to_string())?;
    }
    let deadlock_timeout_ms: i32 = admin
        .query_one("SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout'", &[])
        .map_err(|e| e.to_string())?
        .get(0);
    let deadlock_timeout = Duration::from_millis(deadlock_timeout_ms.max(1) as u64);
    let started = Instant::now();
    let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
    let mut schedules: Vec<Vec<u8>> = Vec::new();
    let mut disagreements: Vec<Value> = Vec::new();
    let (mut steps, mut disagreeing, mut slow_retried) = (0usize, 0usize, 0usize);
    let mut stopped = false;
    while let Some(prefix) = stack.pop() {
        if schedules.len() >= PG_SCHEDULES_MAX {
            stopped = true;
            break;
        }
        // The engine picks a deadlock's victim on the assumption that the
        // cycle closes within deadlock_timeout of its first wait (PostgreSQL
        // runs the check once per wait, when that wait's timeout fires). On a
        // loaded machine a replay can stall past it and the server then picks
        // the other victim. Such a replay, if it disagrees, is replayed again
        // (at most SLOW_REPLAYS_MAX times) and counted in `slow_replays_retried`.
        let mark = stack.len();
        let mut attempt = 1;
        let (path, problem) = loop {
            let r = replay(s, &mut admin, &workers, &table, &prefix, &mut stack, deadlock_timeout)?;
            if r.problem.is_some() && r.slow && attempt < SLOW_REPLAYS_MAX {
                stack.truncate(mark);
                attempt += 1;
                slow_retried += 1;
                continue;
            }
            break (r.path, r.problem);
        };
        steps += path.len();
        if let Some(mut p) = problem {
            disagreeing += 1;
            if disagreements.len() < SHOWN_MAX {
                p["schedule"] = json!(path);
                disagreements.push(p);
            }
        }
        schedules.push(path);
    }
    let _ = admin.batch_execute(&format!("DROP TABLE IF EXISTS {table}"));
    let engine: BTreeSet<Vec<u8>> = races::explore(s, races::EXPLORE_SCHEDULES_MAX)
        .map(|x| x.schedules.into_iter().map(|(p, _)| p).collect())
        .unwrap_or_default();
    let server: BTreeSet<Vec<u8>> = schedules.iter().cloned().collect();
    let only_pg: Vec<&Vec<u8>> = server.difference(&engine).take(SHOWN_MAX).collect();
    let only_engine: Vec<&Vec<u8>> =
        if stopped { Vec::new() } else { engine.difference(&server).take(SHOWN_MAX).collect() };
    Ok(json!({
        "server_version": version,
        "schedules": schedules.len(),
        "stopped_at_limit": stopped,
        "steps": steps,
        "disagreeing_schedules": disagreeing,
        "agree": disagreeing == 0 && only_pg.is_empty() && only_engine.is_empty() && !stopped,
        "only_postgres": only_pg,
        "only_engine": only_engine,
        "disagreements": disagreements,
        "slow_replays_retried": slow_retried,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// Whether, in the engine, lane `a`'s next step closes a cycle of waits (a
/// 40P01 at that step).
fn closes_a_deadlock(s: &Scenario, path: &[u8], a: u8) -> bool {
    let mut next = path.to_vec();
    next.push(a + 1);
    races::run(s, &next).ok().and_then(|r| r.frames.last().cloned()).is_some_and(|f| {
        f.records.iter().any(|r| {
            matches!(
                r,
                races::RaceRecord::Resumed {
                    result: races::StmtResult::Error { state: races::SqlState::DeadlockDetected },
                    ..
                }
            )
        })
    })
}

/// What one replay of a schedule found.
struct Replay {
    /// The schedule that ran (the prefix, then the lowest lane at each choice).
    path: Vec<u8>,
    /// The first disagreement, if any.
    problem: Option<Value>,
    /// Whether a lane waited for half of deadlock_timeout or more (see `check`).
    slow: bool,
}

/// Replays `prefix` on a fresh table and extends it with the lowest lane the
/// server lets step, pushing the other choices onto `stack`; compares each
/// step and the end with the engine.
fn replay(
    s: &Scenario,
    admin: &mut Client,
    workers: &[Worker],
    table: &str,
    prefix: &[u8],
    stack: &mut Vec<Vec<u8>>,
    deadlock_timeout: Duration,
) -> Result<Replay, String> {
    admin.batch_execute(&format!("DELETE FROM {table}")).map_err(|e| e.to_string())?;
    let mut srv = Server {
        s,
        admin,
        workers,
        table: table.to_string(),
        lanes: vec![Lane { attempts: 1, ..Lane::default() }; s.programs.len()],
        charges: 0,
        seen: Vec::new(),
        deadlock_timeout,
        slow: false,
    };
    let mut path: Vec<u8> = Vec::new();
    let mut problem: Option<Value> = None;
    let walk = (|| -> Result<(), String> {
        for a in 0..s.programs.len() as u8 {
            srv.settle(a)?;
        }
        srv.seen.clear();
        loop {
            let runnable = srv.runnable();
            if runnable.is_empty() {
                if srv.lanes.iter().all(|l| l.response.is_some()) {
                    return Ok(());
                }
                return Err("every unfinished lane is blocked and the server broke no cycle".into());
            }
            let engine: Vec<u8> =
                races::runnable_after(s, &path).map_err(|e| e.to_string())?.iter().map(|n| n - 1).collect();
            if engine != runnable && problem.is_none() {
                problem = Some(json!({
                    "step": path.len() + 1,
                    "postgres_runnable": runnable.iter().map(|a| a + 1).collect::<Vec<_>>(),
                    "engine_runnable": engine.iter().map(|a| a + 1).collect::<Vec<_>>(),
                }));
                return Ok(());
            }
            let d = path.len();
            let a = match prefix.get(d) {
                Some(&n) if runnable.contains(&(n - 1)) => n - 1,
                Some(&n) => {
                    return Err(format!(
                        "the server did not let T{n} step again at step {}: it is not deterministic here",
                        d + 1
                    ))
                }
                None => {
                    // Alternatives the server allows here, explored later (lowest lane first).
                    for alt in runnable.iter().skip(1).rev() {
                        let mut p = path.clone();
                        p.push(alt + 1);
                        stack.push(p);
                    }
                    runnable[0]
                }
            };
            if srv.lanes.iter().any(|l| l.pending.is_some()) && closes_a_deadlock(s, &path, a) {
                srv.space_out_the_cycle();
            }
            srv.seen.clear();
            srv.step(a)?;
            path.push(a + 1);
            let run = races::run(s, &path).map_err(|e| format!("the engine refused a step the server allowed: {e}"))?;
            let last = run.frames.last();
            let mut mine = engine_seen(&last.map(|f| f.records.clone()).unwrap_or_default());
            for l in last.map(|f| f.waits.clone()).unwrap_or_default() {
                if l.reason != races::WaitReason::ClientTimeout {
                    mine.push(Seen::Waits { lane: l.waiter, on: vec![l.on] });
                }
            }
            if !same(&srv.seen, &mine) && problem.is_none() {
                problem = Some(json!({ "step": path.len(), "postgres": words(&srv.seen), "engine": words(&mine) }));
                return Ok(());
            }
        }
    })();
    let lanes = srv.lanes.clone();
    let charges = srv.charges;
    let slow = srv.slow;
    if let Err(e) = walk {
        problem = Some(json!({ "step": path.len() + 1, "error": e }));
    }
    if problem.is_none() {
        let run = races::run(s, &path).map_err(|e| e.to_string())?;
        let mut got: Vec<RowOut> = admin
            .query(&format!("SELECT status, response FROM {table}"), &[])
            .map_err(|e| e.to_string())?
            .iter()
            .map(row_out)
            .collect::<Result<_, _>>()?;
        let mut want = run.outcome.final_rows.clone();
        let k = |r: &RowOut| (r.status.sql(), r.response);
        got.sort_by_key(k);
        want.sort_by_key(k);
        let responses: Vec<Option<Response>> = lanes.iter().map(|l| l.response).collect();
        if got != want || charges != run.outcome.charges || responses != run.outcome.responses {
            problem = Some(json!({
                "step": "end",
                "postgres": { "rows": got.len(), "charges": charges, "responses": responses },
                "engine": { "rows": want.len(), "charges": run.outcome.charges, "responses": run.outcome.responses },
            }));
        }
    }
    cleanup(admin, workers, &lanes)?;
    Ok(Replay { path, problem, slow })
}

/// Cancels what still waits and rolls every lane back, so the next replay starts clean.
fn cleanup(admin: &mut Client, workers: &[Worker], lanes: &[Lane]) -> Result<(), String> {
    for (i, l) in lanes.iter().enumerate() {
        if l.pending.is_some() {
            admin.query("SELECT pg_cancel_backend($1)", &[&workers[i].pid]).map_err(|e| e.to_string())?;
            let _ = workers[i].from.recv_timeout(ANSWER_TIMEOUT);
        }
    }
    for w in workers {
        // A session-level advisory lock outlives the ROLLBACK: give every one back too.
        w.to.send((None, "ROLLBACK; SELECT pg_advisory_unlock_all()".into(), String::new()))
            .map_err(|_| "a lane's connection died".to_string())?;
    }
    for w in workers {
        match w.from.recv_timeout(ANSWER_TIMEOUT) {
            Ok(_) => {}
            Err(_) => return Err("a lane did not answer ROLLBACK".into()),
        }
    }
    Ok(())
}
