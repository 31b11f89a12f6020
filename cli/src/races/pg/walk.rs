//! One walker: an admin session and one session per lane on a schema of its
//! own (so walkers replay side by side), and one replay of a schedule.

use super::*;
use server::{Lane, Server};
use worker::{spawn_worker, Job, Worker};

pub(super) struct Walker {
    admin: Client,
    workers: Vec<Worker>,
    schema: String,
    /// Each lane's statement texts by instruction (None for the other lines).
    texts: Vec<Vec<Option<String>>>,
    deadlock_timeout: Duration,
}

impl Walker {
    /// Makes walker `w`'s schema and table (the learner's setup lines run as
    /// written) and prepares every statement on every lane's session.
    pub(super) fn open(
        conninfo: &str,
        s: &Scenario,
        src: &Source,
        w: usize,
        deadlock_timeout: Duration,
    ) -> Result<Walker, String> {
        let mut admin = worker::connect(conninfo)?;
        let schema = format!("idemlab_check_{}_{w}", std::process::id());
        admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
            .map_err(|e| e.to_string())?;
        match Walker::fill(&mut admin, conninfo, s, src, &schema) {
            Ok((workers, texts)) => Ok(Walker { admin, workers, schema, texts, deadlock_timeout }),
            Err(e) => {
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                Err(e)
            }
        }
    }

    /// The table, the learner's setup lines, and a prepared session per lane.
    #[allow(clippy::type_complexity, reason = "one tuple of the three things filled together, read once by the caller")]
    fn fill(
        admin: &mut Client,
        conninfo: &str,
        s: &Scenario,
        src: &Source,
        schema: &str,
    ) -> Result<(Vec<Worker>, Vec<Vec<Option<String>>>), String> {
        let sql = |admin: &mut Client, q: &str| admin.batch_execute(q).map_err(|e| e.to_string());
        sql(admin, &format!("SET search_path = {schema}"))?;
        let ddl = s.ddl(races::TABLE);
        // A learner's CREATE TABLE (with its PRIMARY KEY, say) runs as written instead of ours.
        if !src.creates_table() {
            sql(admin, &ddl[0])?;
        }
        for (line, text) in &src.setup {
            admin.batch_execute(text).map_err(|e| {
                let r = worker::Refused {
                    message: e
                        .as_db_error()
                        .map_or(e.to_string(), |d| format!("{} (SQLSTATE {})", d.message(), d.code().code())),
                    position: None,
                };
                refused_at(src, &[(*line, text.clone())], 0, r)
            })?;
        }
        if src.setup.is_empty() {
            for d in &ddl[1..] {
                sql(admin, d)?;
            }
        }
        let all: Vec<(u32, String)> = src.lanes.iter().flatten().flatten().cloned().collect();
        let mut distinct: Vec<(u32, String)> = Vec::new();
        for t in all {
            if !distinct.iter().any(|(_, x)| *x == t.1) {
                distinct.push(t);
            }
        }
        let texts: Vec<String> = distinct.iter().map(|(_, t)| t.clone()).collect();
        let mut workers = Vec::new();
        for _ in &s.programs {
            match spawn_worker(conninfo, schema, schema, &texts)? {
                Ok(wk) => workers.push(wk),
                Err((i, r)) => return Err(refused_at(src, &distinct, i, r)),
            }
        }
        let texts = src.lanes.iter().map(|l| l.iter().map(|t| t.as_ref().map(|(_, x)| x.clone())).collect()).collect();
        Ok((workers, texts))
    }

    pub(super) fn close(mut self) {
        drop(std::mem::take(&mut self.workers));
        let _ = self.admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// What one replay of a schedule found.
pub(super) struct Replay {
    /// The schedule that ran (the prefix, then the lowest lane at each choice).
    pub(super) path: Vec<u8>,
    /// The first disagreement, if any.
    pub(super) problem: Option<Value>,
    /// Replays of it run again because they stalled past deadlock_timeout.
    pub(super) slow_retried: usize,
}

/// Replays `prefix` and extends it with the lowest lane the server lets
/// step, pushing the other choices onto `more`. The engine picks a
/// deadlock's victim on the assumption that the cycle closes within
/// deadlock_timeout of its first wait (PostgreSQL runs the check once per
/// wait, when that wait's timeout fires); on a loaded machine a replay can
/// stall past it and the server then picks the other victim. Such a replay,
/// if it disagrees, is run again (at most SLOW_REPLAYS_MAX times).
pub(super) fn replay(s: &Scenario, w: &mut Walker, prefix: &[u8], more: &mut Vec<Vec<u8>>) -> Result<Replay, String> {
    let mut slow_retried = 0;
    loop {
        let mark = more.len();
        let (path, problem, slow) = replay_once(s, w, prefix, more)?;
        if problem.is_some() && slow && slow_retried + 1 < SLOW_REPLAYS_MAX as usize {
            more.truncate(mark);
            slow_retried += 1;
            continue;
        }
        return Ok(Replay { path, problem, slow_retried });
    }
}

/// Whether, in the engine, lane `a`'s next step closes a cycle of waits (a 40P01 at that step).
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

/// The walk of one replay: each step on the server, then on the engine, compared.
fn steps(
    s: &Scenario,
    srv: &mut Server,
    prefix: &[u8],
    path: &mut Vec<u8>,
    more: &mut Vec<Vec<u8>>,
) -> Result<Option<Value>, String> {
    for a in 0..s.programs.len() as u8 {
        srv.settle(a)?;
    }
    srv.seen.clear();
    loop {
        let runnable = srv.runnable();
        if runnable.is_empty() {
            if srv.lanes.iter().all(|l| l.response.is_some()) {
                return Ok(None);
            }
            return Err("every unfinished lane is blocked and the server broke no cycle".into());
        }
        let engine: Vec<u8> = races::runnable_after(s, path)
            .map_err(|e| races::limits::refusal_words(&e))?
            .iter()
            .map(|n| n - 1)
            .collect();
        if engine != runnable {
            return Ok(Some(json!({
                "step": path.len() + 1,
                "postgres_runnable": runnable.iter().map(|a| a + 1).collect::<Vec<_>>(),
                "engine_runnable": engine.iter().map(|a| a + 1).collect::<Vec<_>>(),
            })));
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
                for alt in runnable.iter().skip(1).rev() {
                    let mut p = path.clone();
                    p.push(alt + 1);
                    more.push(p);
                }
                runnable[0]
            }
        };
        if srv.lanes.iter().any(|l| l.pending.is_some()) && closes_a_deadlock(s, path, a) {
            srv.space_out_the_cycle();
        }
        srv.seen.clear();
        srv.step(a)?;
        path.push(a + 1);
        let run = engine_run(s, path).map_err(|e| format!("the engine refused a step the server allowed: {e}"))?;
        let tags = races::frame_tags(&run).pop().unwrap_or_default();
        let last = run.frames.last();
        let mut mine = engine_seen(&last.map(|f| f.records.clone()).unwrap_or_default(), &tags);
        for l in last.map(|f| f.waits.clone()).unwrap_or_default() {
            if l.reason != races::WaitReason::ClientTimeout {
                mine.push(Seen::Waits { lane: l.waiter, on: vec![l.on] });
            }
        }
        if !same(&srv.seen, &mine) {
            return Ok(Some(json!({ "step": path.len(), "postgres": words(&srv.seen), "engine": words(&mine) })));
        }
    }
}

fn replay_once(
    s: &Scenario,
    w: &mut Walker,
    prefix: &[u8],
    more: &mut Vec<Vec<u8>>,
) -> Result<(Vec<u8>, Option<Value>, bool), String> {
    let table = format!("{}.{}", w.schema, races::TABLE);
    w.admin.batch_execute(&format!("DELETE FROM {table}")).map_err(|e| e.to_string())?;
    let mut srv = Server {
        s,
        texts: &w.texts,
        admin: &mut w.admin,
        workers: &w.workers,
        lanes: vec![Lane { attempts: 1, ..Lane::default() }; s.programs.len()],
        charges: 0,
        seen: Vec::new(),
        deadlock_timeout: w.deadlock_timeout,
        slow: false,
    };
    let mut path: Vec<u8> = Vec::new();
    let walked = steps(s, &mut srv, prefix, &mut path, more);
    let (lanes, charges, slow) = (srv.lanes.clone(), srv.charges, srv.slow);
    let mut problem = match walked {
        Ok(p) => p,
        Err(e) => Some(json!({ "step": path.len() + 1, "error": e })),
    };
    if problem.is_none() {
        let run = engine_run(s, &path)?;
        let mut got = final_rows(&mut w.admin, &w.schema)?;
        let mut want = run.outcome.final_rows.clone();
        let k = |r: &RowOut| (r.status.sql(), r.response);
        got.sort_by_key(k);
        want.sort_by_key(k);
        let responses: Vec<Option<races::Response>> = lanes.iter().map(|l| l.response).collect();
        if got != want || charges != run.outcome.charges || responses != run.outcome.responses {
            problem = Some(json!({
                "step": "end",
                "postgres": { "rows": got.len(), "charges": charges, "responses": responses },
                "engine": { "rows": want.len(), "charges": run.outcome.charges, "responses": run.outcome.responses },
            }));
        }
    }
    cleanup(&mut w.admin, &w.workers, &lanes)?;
    Ok((path, problem, slow))
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
        w.to.send(Job { stmt: None, text: "ROLLBACK; SELECT pg_advisory_unlock_all()".into() })
            .map_err(|_| "a lane's connection died".to_string())?;
    }
    for w in workers {
        if w.from.recv_timeout(ANSWER_TIMEOUT).is_err() {
            return Err("a lane did not answer ROLLBACK".into());
        }
    }
    Ok(())
}
