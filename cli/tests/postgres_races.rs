//! Replays every schedule of every SQL scenario of the races lab on a real
//! PostgreSQL 15, one connection per transaction, and checks that the rows
//! returned, the waits, the error codes and the final table equal the
//! engine's trace step by step.
//!
//! The server is named by `IDEMLAB_PG` (default: the loopback server that
//! `scripts/lib.sh ensure_postgres` starts). If it cannot be reached the test
//! fails: it never skips. The scenarios without SQL (the in-memory key store
//! and its crash) are checked by the engine's own tests only.
//!
//! Schedules run one after another inside one test, each on a table of its
//! own, so nothing here depends on test threads.

use idemlab_sim::races::{self, RaceRecord, RowOut, Scenario, Stmt, StmtResult, WaitReason, SCENARIO_IDS};
use postgres::{Client, NoTls};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

const DEFAULT_PG: &str = "host=127.0.0.1 port=5432 user=idemlab password=idemlab dbname=idemlab";
/// How long a statement that the engine says finishes at once may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a worker sends back for one statement.
type Reply = Result<StmtResult, String>;

/// One connection on its own thread, so that a statement can block in
/// PostgreSQL while the test goes on with the other transaction.
struct Worker {
    pid: i32,
    to: Sender<(Stmt, String, String)>,
    from: Receiver<Reply>,
}

fn connect(conninfo: &str) -> Client {
    Client::connect(conninfo, NoTls).unwrap_or_else(|e| {
        panic!(
            "cannot reach PostgreSQL at {conninfo:?}: {e}. Start it with \
             `bash -c 'source scripts/lib.sh; ensure_postgres'` or set IDEMLAB_PG. \
             This suite never skips."
        )
    })
}

fn spawn_worker(conninfo: &str) -> Worker {
    let mut client = connect(conninfo);
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[]).expect("backend pid").get(0);
    let (to, rx) = channel::<(Stmt, String, String)>();
    let (tx, from) = channel::<Reply>();
    thread::spawn(move || {
        while let Ok((stmt, sql, key)) = rx.recv() {
            let reply = execute(&mut client, stmt, &sql, &key);
            if tx.send(reply).is_err() {
                break;
            }
        }
    });
    Worker { pid, to, from }
}

fn execute(client: &mut Client, stmt: Stmt, sql: &str, key: &str) -> Reply {
    let err = |e: postgres::Error| match e.code() {
        Some(code) => match code.code() {
            "23505" => Ok(StmtResult::Error { state: races::SqlState::UniqueViolation }),
            "40001" => Ok(StmtResult::Error { state: races::SqlState::SerializationFailure }),
            "25P02" => Ok(StmtResult::Error { state: races::SqlState::InFailedTransaction }),
            other => Err(format!("unexpected SQLSTATE {other}: {e}")),
        },
        None => Err(format!("connection error: {e}")),
    };
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

fn row_out(r: &postgres::Row) -> Result<RowOut, String> {
    let status: String = r.get(0);
    let response: Option<i32> = r.get(1);
    let status = match status.as_str() {
        "started" => races::KeyStatus::Started,
        "done" => races::KeyStatus::Done,
        other => return Err(format!("unknown status {other:?}")),
    };
    Ok(RowOut { status, response: response.map(|v| v as u16) })
}

/// Whether backend `pid` is blocked by another backend, polled until `deadline`.
fn wait_until_blocked(admin: &mut Client, pid: i32, deadline: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        let blocked: bool =
            admin.query_one("SELECT cardinality(pg_blocking_pids($1)) > 0", &[&pid]).expect("pg_blocking_pids").get(0);
        if blocked {
            return true;
        }
        thread::sleep(Duration::from_micros(300));
    }
    false
}

fn is_blocked(admin: &mut Client, pid: i32) -> bool {
    admin.query_one("SELECT cardinality(pg_blocking_pids($1)) > 0", &[&pid]).expect("pg_blocking_pids").get(0)
}

struct Replay<'a> {
    admin: &'a mut Client,
    workers: &'a [Worker],
}

impl Replay<'_> {
    fn send(&self, actor: u8, stmt: Stmt, table: &str) {
        let sql = stmt.sql(table);
        self.workers[actor as usize].to.send((stmt, sql, table.to_string())).expect("worker alive");
    }

    fn reply(&mut self, actor: u8, ctx: &str) -> StmtResult {
        let w = &self.workers[actor as usize];
        match w.from.recv_timeout(REPLY_TIMEOUT) {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => panic!("{ctx}: {e}"),
            Err(RecvTimeoutError::Timeout) => {
                let blocked = is_blocked(self.admin, w.pid);
                panic!("{ctx}: the engine says this statement finishes, but PostgreSQL gave no answer in {REPLY_TIMEOUT:?} (blocked: {blocked})")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("{ctx}: the worker died"),
        }
    }

    /// Replays one schedule; returns how many statements ran.
    fn schedule(&mut self, s: &Scenario, schedule: &[u8], table: &str) -> usize {
        let run = races::run(s, schedule).unwrap_or_else(|e| panic!("{} {schedule:?}: the engine refused: {e}", s.id));
        let mut pending = [false; races::ACTORS_MAX];
        let mut statements = 0;
        for rec in &run.trace {
            let ctx = format!("{} schedule {:?} step {}: {}", s.id, schedule, rec.step, races::narrate(&rec.record));
            match &rec.record {
                RaceRecord::Began { actor, isolation } => {
                    self.send(*actor, Stmt::Begin { isolation: *isolation }, table);
                    assert_eq!(self.reply(*actor, &ctx), StmtResult::Ok, "{ctx}");
                    statements += 1;
                }
                RaceRecord::Ran { actor, stmt, result, .. } => {
                    assert!(!pending[*actor as usize], "{ctx}: the actor still waits in PostgreSQL");
                    self.send(*actor, *stmt, table);
                    let got = self.reply(*actor, &ctx);
                    assert_eq!(&got, result, "{ctx}: PostgreSQL returned {got:?}");
                    statements += 1;
                }
                RaceRecord::WaitBegan { actor, stmt, reason, .. } => {
                    if *reason == WaitReason::ClientTimeout {
                        continue;
                    }
                    if !pending[*actor as usize] {
                        self.send(*actor, *stmt, table);
                        pending[*actor as usize] = true;
                        statements += 1;
                    }
                    let pid = self.workers[*actor as usize].pid;
                    assert!(
                        wait_until_blocked(self.admin, pid, REPLY_TIMEOUT),
                        "{ctx}: the engine says this statement waits, but PostgreSQL does not block it"
                    );
                    if let Ok(r) = self.workers[*actor as usize].from.try_recv() {
                        panic!("{ctx}: the engine says this statement waits, but PostgreSQL answered {r:?}");
                    }
                }
                RaceRecord::Resumed { actor, result, .. } => {
                    assert!(pending[*actor as usize], "{ctx}: nothing was waiting");
                    pending[*actor as usize] = false;
                    let got = self.reply(*actor, &ctx);
                    assert_eq!(&got, result, "{ctx}: PostgreSQL returned {got:?} after the wait");
                }
                RaceRecord::Charged { .. }
                | RaceRecord::MapLookedUp { .. }
                | RaceRecord::MapStored { .. }
                | RaceRecord::Crashed { .. }
                | RaceRecord::Killed { .. }
                | RaceRecord::Retrying { .. }
                | RaceRecord::Responded { .. } => {}
            }
        }
        assert!(pending.iter().all(|p| !p), "{} {schedule:?}: a statement is still waiting at the end", s.id);
        let mut got: Vec<RowOut> = self
            .admin
            .query(&format!("SELECT status, response FROM {table}"), &[])
            .expect("final table")
            .iter()
            .map(|r| row_out(r).expect("row"))
            .collect();
        let mut want = run.outcome.final_rows.clone();
        let key = |r: &RowOut| (r.status.sql(), r.response);
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(got, want, "{} {schedule:?}: the final table differs", s.id);
        statements
    }
}

#[test]
fn every_schedule_of_every_sql_scenario_matches_postgresql() {
    let conninfo = std::env::var("IDEMLAB_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut admin = connect(&conninfo);
    let version: String = admin.query_one("SHOW server_version", &[]).expect("server version").get(0);
    assert!(version.starts_with("15."), "the races model follows PostgreSQL 15; the server is {version}");
    let run_id = std::process::id();
    let started = Instant::now();
    let (mut schedules, mut statements, mut scenarios) = (0usize, 0usize, 0usize);
    for id in SCENARIO_IDS {
        let s = races::scenario(id).expect("scenario");
        if !s.is_sql {
            continue;
        }
        scenarios += 1;
        let workers: Vec<Worker> = s.programs.iter().map(|_| spawn_worker(&conninfo)).collect();
        let x = races::explore(&s, races::EXPLORE_SCHEDULES_MAX).expect("explore");
        assert!(x.total > 0);
        for (i, (schedule, _)) in x.schedules.iter().enumerate() {
            let table = format!("races_{run_id}_{}_{i}", s.number);
            for ddl in s.ddl(&table) {
                admin.batch_execute(&ddl).expect("create table");
            }
            let mut r = Replay { admin: &mut admin, workers: &workers };
            statements += r.schedule(&s, schedule, &table);
            admin.batch_execute(&format!("DROP TABLE {table}")).expect("drop table");
            schedules += 1;
        }
    }
    println!(
        "BENCH postgres races: {schedules} schedules of {scenarios} SQL scenarios, {statements} statements, replayed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(scenarios >= 6 && schedules > 300, "{scenarios} scenarios, {schedules} schedules");
}
