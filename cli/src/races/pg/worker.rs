//! A lane's connection: one PostgreSQL session on its own thread, so that a
//! statement the server blocks does not block the walker. It runs the
//! learner's own statement texts, prepared once (the server parses them as
//! written), with the request's key bound to `$1` when the text has it.

use super::*;
use idemlab_sim::races::{Column, KeyStatus, ReturnedRow, Returning, SqlState, Stmt, StmtResult};
use postgres::NoTls;
use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread;

/// What a statement answered: its result in the model's terms and the command tag.
#[derive(Clone, Debug)]
pub(super) struct Answer {
    pub(super) result: StmtResult,
    /// The command tag (None for an error).
    pub(super) tag: Option<String>,
}

pub(super) type Reply_ = Result<Answer, String>;

/// A job for a lane: a statement text (one of the handler's, or the
/// checker's own ROLLBACK when `stmt` is None) and what the model calls it.
pub(super) struct Job {
    pub(super) stmt: Option<Stmt>,
    pub(super) text: String,
}

pub(super) struct Worker {
    pub(super) pid: i32,
    pub(super) to: Sender<Job>,
    pub(super) from: Receiver<Reply_>,
}

pub(super) fn connect(conninfo: &str) -> Result<Client, String> {
    Client::connect(conninfo, NoTls).map_err(|e| format!("cannot reach PostgreSQL at {conninfo:?}: {e}"))
}

/// A statement text the server refused to prepare: its words and where.
pub(super) struct Refused {
    pub(super) message: String,
    /// Characters into the text, from 1, when the server said.
    pub(super) position: Option<u32>,
}

/// Opens a lane's session on `schema`, prepares every text (the first
/// refusal is returned as the server's words), and starts its thread.
pub(super) fn spawn_worker(
    conninfo: &str,
    schema: &str,
    key: &str,
    texts: &[String],
) -> Result<Result<Worker, (usize, Refused)>, String> {
    let mut client = connect(conninfo)?;
    client.batch_execute(&format!("SET search_path = {schema}")).map_err(|e| e.to_string())?;
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[]).map_err(|e| e.to_string())?.get(0);
    let mut prepared: HashMap<String, postgres::Statement> = HashMap::new();
    for (i, t) in texts.iter().enumerate() {
        match client.prepare(t) {
            Ok(p) => {
                prepared.insert(t.clone(), p);
            }
            Err(e) => {
                let db = e.as_db_error();
                let message = match db {
                    Some(d) => format!("{} (SQLSTATE {})", d.message(), d.code().code()),
                    None => e.to_string(),
                };
                let position = db.and_then(|d| match d.position() {
                    Some(postgres::error::ErrorPosition::Original(p)) => Some(*p),
                    Some(postgres::error::ErrorPosition::Internal { .. }) | None => None,
                });
                return Ok(Err((i, Refused { message, position })));
            }
        }
    }
    let (to, rx) = channel::<Job>();
    let (tx, from) = channel::<Reply_>();
    let key = key.to_string();
    thread::spawn(move || {
        while let Ok(job) = rx.recv() {
            if tx.send(execute(&mut client, &prepared, &job, &key)).is_err() {
                break;
            }
        }
    });
    Ok(Ok(Worker { pid, to, from }))
}

fn error_result(e: postgres::Error) -> Reply_ {
    match e.code() {
        Some(code) => match SqlState::from_code(code.code()) {
            Some(state) => Ok(Answer { result: StmtResult::Error { state }, tag: None }),
            None => Err(format!("SQLSTATE {} outside the model: {e}", code.code())),
        },
        None => Err(format!("connection error: {e}")),
    }
}

/// The statement's first word, upper-cased, past blanks and `--` comments.
fn first_word(text: &str) -> String {
    let body: String = text.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    body.split(|c: char| !c.is_alphanumeric() && c != '_').find(|w| !w.is_empty()).unwrap_or("").to_uppercase()
}

/// The command tag the server sent for a statement whose first word is
/// `word`, from the count it reported (the client library passes on the
/// count, not the tag). `rolled_back`: a COMMIT found its transaction failed.
fn tag_of(word: &str, n: u64, rolled_back: bool) -> String {
    match word {
        "BEGIN" | "START" => "BEGIN".into(),
        "COMMIT" | "END" if rolled_back => "ROLLBACK".into(),
        "COMMIT" | "END" => "COMMIT".into(),
        // ROLLBACK TO SAVEPOINT too: the server's tag is the first word alone.
        "ROLLBACK" | "ABORT" => "ROLLBACK".into(),
        "SAVEPOINT" | "RELEASE" | "SET" => word.into(),
        "INSERT" => format!("INSERT 0 {n}"),
        other => format!("{other} {n}"),
    }
}

pub(super) fn execute(
    client: &mut Client,
    prepared: &HashMap<String, postgres::Statement>,
    job: &Job,
    key: &str,
) -> Reply_ {
    let Some(stmt) = job.stmt else {
        return match client.batch_execute(&job.text) {
            Ok(()) => Ok(Answer { result: StmtResult::Ok, tag: None }),
            Err(e) => error_result(e),
        };
    };
    let Some(p) = prepared.get(&job.text) else { return Err("a statement was not prepared".into()) };
    let word = first_word(&job.text);
    // Whether this COMMIT meets a failed transaction: the server answers a
    // statement in one with 25P02, and the COMMIT then rolls it back.
    let rolled_back = matches!(word.as_str(), "COMMIT" | "END")
        && client.simple_query("SELECT 1").err().and_then(|e| e.code().cloned())
            == Some(postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION);
    let key_param: &(dyn postgres::types::ToSql + Sync) = &key;
    let params: &[&(dyn postgres::types::ToSql + Sync)] = if p.params().len() == 1 { &[key_param] } else { &[] };
    if p.columns().is_empty() {
        return match client.execute(p, params) {
            Ok(n) => {
                let result = match stmt {
                    Stmt::Insert { .. } | Stmt::UpdateDone | Stmt::InsertWith { .. } => {
                        StmtResult::Count { n: n.min(255) as u8 }
                    }
                    Stmt::Begin { .. }
                    | Stmt::Commit
                    | Stmt::Rollback
                    | Stmt::SetIsolation { .. }
                    | Stmt::Savepoint { .. }
                    | Stmt::RollbackToSavepoint { .. }
                    | Stmt::ReleaseSavepoint { .. }
                    | Stmt::SelectKey { .. }
                    | Stmt::SelectKeyNoWait { .. }
                    | Stmt::SelectKeyForNoKeyUpdate { .. }
                    | Stmt::AdvisoryLock
                    | Stmt::TryAdvisoryLock
                    | Stmt::SessionAdvisoryLock
                    | Stmt::SessionAdvisoryUnlock
                    | Stmt::InsertOnConflictDoUpdate => StmtResult::Ok,
                };
                Ok(Answer { result, tag: Some(tag_of(&word, n, rolled_back)) })
            }
            Err(e) => error_result(e),
        };
    }
    match client.query(p, params) {
        Ok(rows) => {
            let tag = Some(tag_of(&word, rows.len() as u64, rolled_back));
            let result = match stmt {
                Stmt::AdvisoryLock | Stmt::SessionAdvisoryLock => StmtResult::Ok,
                Stmt::TryAdvisoryLock | Stmt::SessionAdvisoryUnlock => {
                    StmtResult::Bool { value: rows.first().and_then(|r| r.try_get::<_, bool>(0).ok()).unwrap_or(false) }
                }
                // The learner's own RETURNING list, read by position in the order it names its columns.
                Stmt::InsertWith { returning, .. } => StmtResult::Returned {
                    rows: rows.iter().map(|r| returned(r, &returning)).collect::<Result<_, _>>()?,
                },
                Stmt::Begin { .. }
                | Stmt::Commit
                | Stmt::Rollback
                | Stmt::SetIsolation { .. }
                | Stmt::Savepoint { .. }
                | Stmt::RollbackToSavepoint { .. }
                | Stmt::ReleaseSavepoint { .. }
                | Stmt::SelectKey { .. }
                | Stmt::SelectKeyNoWait { .. }
                | Stmt::SelectKeyForNoKeyUpdate { .. }
                | Stmt::Insert { .. }
                | Stmt::UpdateDone
                | Stmt::InsertOnConflictDoUpdate => {
                    StmtResult::Rows { rows: rows.iter().map(row_out).collect::<Result<_, _>>()? }
                }
            };
            Ok(Answer { result, tag })
        }
        Err(e) => error_result(e),
    }
}

/// A row a RETURNING list returned, read by position as the statement names its columns.
fn returned(r: &postgres::Row, returning: &Returning) -> Result<ReturnedRow, String> {
    let mut out = ReturnedRow { status: None, response: None, inserted: None };
    for (i, c) in returning.iter().enumerate() {
        match c {
            Column::Key => {}
            Column::Status => out.status = Some(status_of(r.get(i))?),
            Column::Response => out.response = r.get::<_, Option<i32>>(i).map(|v| v as u16),
            Column::Inserted => out.inserted = Some(r.get(i)),
        }
    }
    Ok(out)
}

fn status_of(status: String) -> Result<KeyStatus, String> {
    match status.as_str() {
        "started" => Ok(KeyStatus::Started),
        "done" => Ok(KeyStatus::Done),
        other => Err(format!("unknown status {other:?}")),
    }
}

/// A row's status and response, read by column name.
pub(super) fn row_out(r: &postgres::Row) -> Result<RowOut, String> {
    let status: String = r.try_get("status").map_err(|e| format!("a row without status: {e}"))?;
    let response: Option<i32> = r.try_get("response").map_err(|e| format!("a row without response: {e}"))?;
    let status = match status.as_str() {
        "started" => KeyStatus::Started,
        "done" => KeyStatus::Done,
        other => return Err(format!("unknown status {other:?}")),
    };
    Ok(RowOut { status, response: response.map(|v| v as u16) })
}
