//! `race check --pg`: PostgreSQL decides which schedules exist.
//!
//! Each lane is one connection on its own thread. A lane may take the next
//! step only when PostgreSQL is not blocking it (its last statement answered);
//! a statement that blocks is seen through `pg_blocking_pids`. The handler's
//! branches follow the server's results, not the engine's. Every schedule the
//! server allows is walked (one replay per schedule, on a fresh table), and
//! each step is compared with the engine's run of the same schedule: results,
//! errors, who waits on whom, which lanes may step, and the final rows.

use idemlab_sim::races::{
    self, Cond, Instr, KeyStatus, RaceRecord, Reply, Response, RowOut, Scenario, SqlState, Stmt, StmtResult,
};
use postgres::{Client, NoTls};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

/// Most schedules one check replays on the server.
pub const PG_SCHEDULES_MAX: usize = 5_000;
/// How long a statement may run before it must be either answered or blocked.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Most disagreements printed.
const SHOWN_MAX: usize = 20;

type Reply_ = Result<StmtResult, String>;

struct Worker {
    pid: i32,
    to: Sender<(Option<Stmt>, String, String)>,
    from: Receiver<Reply_>,
}

pub fn connect(conninfo: &str) -> Result<Client, String> {
    Client::connect(conninfo, NoTls).map_err(|e| format!("cannot reach PostgreSQL at {conninfo:?}: {e}"))
}

fn spawn_worker(conninfo: &str) -> Result<Worker, String> {
    let mut client = connect(conninfo)?;
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[]).map_err(|e| e.to_string())?.get(0);
    let (to, rx) = channel::<(Option<Stmt>, String, String)>();
    let (tx, from) = channel::<Reply_>();
    thread::spawn(move || {
        while let Ok((stmt, sql, key)) = rx.recv() {
            if tx.send(execute(&mut client, stmt, &sql, &key)).is_err() {
                break;
            }
        }
    });
    Ok(Worker { pid, to, from })
}

fn state_of(code: &str) -> Option<SqlState> {
    SqlState::from_code(code)
}

fn execute(client: &mut Client, stmt: Option<Stmt>, sql: &str, key: &str) -> Reply_ {
    let err = |e: postgres::Error| match e.code() {
        Some(code) => match state_of(code.code()) {
            Some(state) => Ok(StmtResult::Error { state }),
            None => Err(format!("SQLSTATE {} outside the model: {e}", code.code())),
        },
        None => Err(format!("connection error: {e}")),
    };
    let Some(stmt) = stmt else { return client.batch_execute(sql).map(|_| StmtResult::Ok).or_else(err) };
    match stmt {
        Stmt::Begin { .. } | Stmt::Commit | Stmt::Rollback => {
            client.batch_execute(sql).map(|_| StmtResult::Ok).or_else(err)
        }
        Stmt::AdvisoryLock => client.query(sql, &[&key]).map(|_| StmtResult::Ok).or_else(err),
        Stmt::SelectKey { .. } | Stmt::Insert { on_conflict_do_nothing: true, .. } => {
            match client.query(sql, &[&key]) {
                Ok(rows) => Ok(StmtResult::Rows { rows: rows.iter().map(row_out).collect::<Result<_, _>>()? }),
                Err(e) => err(e),
            }
        }
        Stmt::Insert { on_conflict_do_nothing: false, .. } | Stmt::UpdateDone => match client.execute(sql, &[&key]) {
            Ok(n) => Ok(StmtResult::Count { n: n as u8 }),
            Err(e) => err(e),
        },
    }
}

pub fn row_out(r: &postgres::Row) -> Result<RowOut, String> {
    let status: String = r.get(0);
    let response: Option<i32> = r.get(1);
    let status = match status.as_str() {
        "started" => KeyStatus::Started,
        "done" => KeyStatus::Done,
        other => return Err(format!("unknown status {other:?}")),
    };
    Ok(RowOut { status, response: response.map(|v| v as u16) })
}

/// One thing seen at a step, in a form both sides can state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Seen {
    Ran { lane: u8, result: String },
    Waits { lane: u8, on: Vec<u8> },
    Resumed { lane: u8, result: String },
    Answered { lane: u8, response: String },
}

fn res(r: &StmtResult) -> String {
    match r {
        StmtResult::Ok => "ok".into(),
        StmtResult::Count { n } => format!("{n} written"),
        StmtResult::Rows { rows } => {
            let v: Vec<String> = rows.iter().map(|r| format!("{}/{:?}", r.status.sql(), r.response)).collect();
            format!("rows [{}]", v.join(", "))
        }
        StmtResult::Error { state } => format!("ERROR {}", state.code()),
    }
}

#[derive(Clone, Default)]
struct Lane {
    pc: u16,
    last: Option<StmtResult>,
    last_row: Option<RowOut>,
    attempts: u8,
    response: Option<Response>,
    pending: Option<Stmt>,
    blockers: Vec<u8>,
    in_txn: bool,
}

struct Server<'a> {
    s: &'a Scenario,
    admin: &'a mut Client,
    workers: &'a [Worker],
    table: String,
    lanes: Vec<Lane>,
    charges: u8,
    seen: Vec<Seen>,
}

impl Server<'_> {
    fn send(&self, lane: u8, stmt: Option<Stmt>, sql: String) -> Result<(), String> {
        self.workers[lane as usize]
            .to
            .send((stmt, sql, self.table.clone()))
            .map_err(|_| "a lane's connection died".to_string())
    }

    fn blocking(&mut self, lane: u8) -> Result<Vec<u8>, String> {
        let pid = self.workers[lane as usize].pid;
        let pids: Vec<i32> =
            self.admin.query_one("SELECT pg_blocking_pids($1)", &[&pid]).map_err(|e| e.to_string())?.get(0);
        Ok(self.workers.iter().enumerate().filter(|(_, w)| pids.contains(&w.pid)).map(|(i, _)| i as u8).collect())
    }

    /// Waits until the lane's statement answers (Some) or the server blocks it (None).
    fn answer_or_block(&mut self, lane: u8) -> Result<Option<StmtResult>, String> {
        let start = Instant::now();
        loop {
            match self.workers[lane as usize].from.recv_timeout(Duration::from_micros(500)) {
                Ok(r) => return r.map(Some),
                Err(RecvTimeoutError::Disconnected) => return Err("a lane's connection died".into()),
                Err(RecvTimeoutError::Timeout) => {}
            }
            let on = self.blocking(lane)?;
            if !on.is_empty() {
                // A blocked statement may still have answered meanwhile.
                if let Ok(r) = self.workers[lane as usize].from.try_recv() {
                    return r.map(Some);
                }
                self.lanes[lane as usize].blockers = on;
                return Ok(None);
            }
            if start.elapsed() > ANSWER_TIMEOUT {
                return Err(format!("T{}'s statement neither answered nor blocked in {ANSWER_TIMEOUT:?}", lane + 1));
            }
        }
    }

    fn sync(&mut self, lane: u8, stmt: Option<Stmt>, sql: String) -> Result<StmtResult, String> {
        self.send(lane, stmt, sql)?;
        match self.answer_or_block(lane)? {
            Some(r) => Ok(r),
            None => Err(format!(
                "T{}: {} blocked",
                lane + 1,
                stmt.map_or("ROLLBACK".into(), |s| races::stmt_short(s).to_string())
            )),
        }
    }

    /// Runs the lane's instant instructions, as the engine does.
    fn settle(&mut self, a: u8) -> Result<(), String> {
        let prog = &self.s.programs[a as usize];
        for _ in 0..prog.instrs.len() * 4 + 4 {
            let x = &self.lanes[a as usize];
            if x.response.is_some() || x.pending.is_some() {
                return Ok(());
            }
            let pc = x.pc;
            let Some(&instr) = prog.instrs.get(pc as usize) else { return Err("a handler ran past its end".into()) };
            match instr {
                Instr::Sql { stmt: stmt @ Stmt::Begin { .. } } => {
                    let r = self.sync(a, Some(stmt), stmt.sql(&self.table))?;
                    let x = &mut self.lanes[a as usize];
                    if r != StmtResult::Ok {
                        return Err(format!("T{}: BEGIN answered {}", a + 1, res(&r)));
                    }
                    x.in_txn = true;
                    x.pc += 1;
                }
                Instr::JumpIf { cond, to } => {
                    let x = &mut self.lanes[a as usize];
                    let holds = match cond {
                        Cond::NoRow => matches!(&x.last, Some(StmtResult::Rows { rows }) if rows.is_empty()),
                        Cond::Row => matches!(&x.last, Some(StmtResult::Rows { rows }) if !rows.is_empty()),
                        Cond::ErrorCode(want) => matches!(&x.last, Some(StmtResult::Error { state }) if *state == want),
                        Cond::Failed => matches!(&x.last, Some(StmtResult::Error { .. })),
                        Cond::StatusStarted => x.last_row.is_some_and(|r| r.status == KeyStatus::Started),
                        Cond::MapHit => return Err("MAP lines have no PostgreSQL counterpart".into()),
                    };
                    x.pc = if holds { to } else { pc + 1 };
                }
                Instr::Retry { attempts_max } => {
                    let x = &mut self.lanes[a as usize];
                    if x.attempts < attempts_max {
                        x.attempts += 1;
                        x.pc = 0;
                        x.last = None;
                        x.last_row = None;
                    } else {
                        self.end(a, Response::ServerError)?;
                    }
                }
                Instr::Respond { reply } => {
                    let x = &self.lanes[a as usize];
                    let r = match reply {
                        Reply::Created => Response::Created,
                        Reply::Conflict => Response::Conflict,
                        Reply::ServerError => Response::ServerError,
                        Reply::ReplayStored => {
                            Response::Replayed { code: x.last_row.and_then(|r| r.response).unwrap_or(500) }
                        }
                    };
                    self.end(a, r)?;
                }
                Instr::Sql { .. } | Instr::Charge => return Ok(()),
                Instr::MapGet
                | Instr::MapPut
                | Instr::Crash
                | Instr::AwaitUnanswered { .. }
                | Instr::SendResponse { .. } => {
                    return Err("MAP, CRASH, AWAIT and SEND lines have no PostgreSQL counterpart".into())
                }
            }
        }
        Err("a handler looped through instant lines".into())
    }

    /// The lane answers; a transaction it left open is rolled back, as a connection pool would.
    fn end(&mut self, a: u8, r: Response) -> Result<(), String> {
        self.lanes[a as usize].response = Some(r);
        self.seen.push(Seen::Answered { lane: a, response: r.label() });
        if self.lanes[a as usize].in_txn {
            self.lanes[a as usize].in_txn = false;
            self.sync(a, None, "ROLLBACK".into())?;
        }
        Ok(())
    }

    fn apply(&mut self, a: u8, stmt: Stmt, r: StmtResult) {
        let x = &mut self.lanes[a as usize];
        x.pc += 1;
        x.pending = None;
        x.blockers.clear();
        if let StmtResult::Rows { rows } = &r {
            x.last_row = rows.first().copied();
        }
        if matches!(stmt, Stmt::Commit | Stmt::Rollback) {
            x.in_txn = false;
        }
        x.last = Some(r);
    }

    fn runnable(&self) -> Vec<u8> {
        (0..self.lanes.len() as u8)
            .filter(|&a| self.lanes[a as usize].response.is_none() && self.lanes[a as usize].pending.is_none())
            .collect()
    }

    /// One step of lane `a`, then whatever the server lets the waiting lanes do.
    fn step(&mut self, a: u8) -> Result<(), String> {
        let pc = self.lanes[a as usize].pc;
        match self.s.programs[a as usize].instrs[pc as usize] {
            Instr::Charge => {
                self.charges = self.charges.saturating_add(1);
                self.lanes[a as usize].pc += 1;
                self.settle(a)?;
            }
            Instr::Sql { stmt } => {
                self.send(a, Some(stmt), stmt.sql(&self.table))?;
                match self.answer_or_block(a)? {
                    Some(r) => {
                        self.seen.push(Seen::Ran { lane: a, result: res(&r) });
                        self.apply(a, stmt, r);
                        self.settle(a)?;
                    }
                    None => self.lanes[a as usize].pending = Some(stmt),
                }
            }
            other => return Err(format!("T{}: {} is not a step the server runs", a + 1, races::instr_short(other))),
        }
        self.drain()
    }

    /// Lets every waiting lane go on until each has answered or is blocked
    /// again; a cycle of waits is left to the server's deadlock check.
    fn drain(&mut self) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let mut moved = false;
            for w in 0..self.lanes.len() as u8 {
                let Some(stmt) = self.lanes[w as usize].pending else { continue };
                match self.answer_or_block(w)? {
                    Some(r) => {
                        self.seen.push(Seen::Resumed { lane: w, result: res(&r) });
                        self.apply(w, stmt, r);
                        self.settle(w)?;
                        moved = true;
                    }
                    None => {}
                }
            }
            if moved {
                continue;
            }
            let blocked: Vec<u8> =
                (0..self.lanes.len() as u8).filter(|&w| self.lanes[w as usize].pending.is_some()).collect();
            let cycle = blocked.iter().any(|&w| reaches(&self.lanes, w, w));
            if !cycle {
                // Who waits on whom once the step is over.
                for w in blocked {
                    let on = self.lanes[w as usize].blockers.clone();
                    self.seen.push(Seen::Waits { lane: w, on });
                }
                return Ok(());
            }
            if start.elapsed() > ANSWER_TIMEOUT {
                return Err("a cycle of waits that the server did not break".into());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn reaches(lanes: &[Lane], from: u8, target: u8) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<u8> = lanes[from as usize].blockers.clone();
    while let Some(x) = todo.pop() {
        if x == target {
            return true;
        }
        if seen.insert(x) && lanes[x as usize].pending.is_some() {
            todo.extend(lanes[x as usize].blockers.iter().copied());
        }
    }
    false
}

/// What the engine saw at one step, in the same form.
fn engine_seen(records: &[RaceRecord]) -> Vec<Seen> {
    let mut v = Vec::new();
    for r in records {
        match r {
            RaceRecord::Ran { actor, result, .. } => v.push(Seen::Ran { lane: *actor, result: res(result) }),
            RaceRecord::WaitBegan { .. } => {}
            RaceRecord::Resumed { actor, result, .. } => v.push(Seen::Resumed { lane: *actor, result: res(result) }),
            RaceRecord::Responded { actor, response } => {
                v.push(Seen::Answered { lane: *actor, response: response.label() })
            }
            RaceRecord::Began { .. }
            | RaceRecord::Charged { .. }
            | RaceRecord::MapLookedUp { .. }
            | RaceRecord::MapStored { .. }
            | RaceRecord::Crashed { .. }
            | RaceRecord::Killed { .. }
            | RaceRecord::Retrying { .. } => {}
        }
    }
    v
}

/// Whether the server's and the engine's records of one step agree: the same
/// results, and each engine wait names a lane the server says blocks it.
fn same(pg: &[Seen], engine: &[Seen]) -> bool {
    let key = |s: &Seen| match s {
        Seen::Waits { lane, .. } => Seen::Waits { lane: *lane, on: Vec::new() },
        other => other.clone(),
    };
    let mut a: Vec<Seen> = pg.iter().map(key).collect();
    let mut b: Vec<Seen> = engine.iter().map(key).collect();
    a.sort();
    b.sort();
    if a != b {
        return false;
    }
    engine.iter().all(|e| match e {
        Seen::Waits { lane, on } => pg
            .iter()
            .any(|p| matches!(p, Seen::Waits { lane: l, on: o } if l == lane && on.iter().all(|x| o.contains(x)))),
        Seen::Ran { .. } | Seen::Resumed { .. } | Seen::Answered { .. } => true,
    })
}

fn words(v: &[Seen]) -> Vec<String> {
    v.iter()
        .map(|s| match s {
            Seen::Ran { lane, result } => format!("T{} → {result}", lane + 1),
            Seen::Waits { lane, on } => {
                format!(
                    "T{} waits on {}",
                    lane + 1,
                    on.iter().map(|o| format!("T{}", o + 1)).collect::<Vec<_>>().join("+")
                )
            }
            Seen::Resumed { lane, result } => format!("T{} resumes → {result}", lane + 1),
            Seen::Answered { lane, response } => format!("T{} answers {response}", lane + 1),
        })
        .collect()
}

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
    let started = Instant::now();
    let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
    let mut schedules: Vec<Vec<u8>> = Vec::new();
    let mut disagreements: Vec<Value> = Vec::new();
    let (mut steps, mut disagreeing) = (0usize, 0usize);
    let mut stopped = false;
    while let Some(prefix) = stack.pop() {
        if schedules.len() >= PG_SCHEDULES_MAX {
            stopped = true;
            break;
        }
        admin.batch_execute(&format!("DELETE FROM {table}")).map_err(|e| e.to_string())?;
        let mut srv = Server {
            s,
            admin: &mut admin,
            workers: &workers,
            table: table.clone(),
            lanes: vec![Lane { attempts: 1, ..Lane::default() }; s.programs.len()],
            charges: 0,
            seen: Vec::new(),
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
                srv.seen.clear();
                srv.step(a)?;
                path.push(a + 1);
                let run =
                    races::run(s, &path).map_err(|e| format!("the engine refused a step the server allowed: {e}"))?;
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
        steps += path.len();
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
        cleanup(&mut admin, &workers, &lanes)?;
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
        "seconds": started.elapsed().as_secs_f64(),
    }))
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
        w.to.send((None, "ROLLBACK".into(), String::new())).map_err(|_| "a lane's connection died".to_string())?;
    }
    for w in workers {
        match w.from.recv_timeout(ANSWER_TIMEOUT) {
            Ok(_) => {}
            Err(_) => return Err("a lane did not answer ROLLBACK".into()),
        }
    }
    Ok(())
}
