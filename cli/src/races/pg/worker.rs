//! A lane's connection: one PostgreSQL session on its own thread, so that a
//! statement the server blocks does not block the walker.

use super::*;
use idemlab_sim::races::{Column, KeyStatus, ReturnedRow, Returning, SqlState, Stmt, StmtResult};
use postgres::NoTls;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread;

pub(super) type Reply_ = Result<StmtResult, String>;

pub(super) struct Worker {
    pub(super) pid: i32,
    pub(super) to: Sender<(Option<Stmt>, String, String)>,
    pub(super) from: Receiver<Reply_>,
}

pub(super) fn connect(conninfo: &str) -> Result<Client, String> {
    Client::connect(conninfo, NoTls).map_err(|e| format!("cannot reach PostgreSQL at {conninfo:?}: {e}"))
}

pub(super) fn spawn_worker(conninfo: &str) -> Result<Worker, String> {
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

pub(super) fn state_of(code: &str) -> Option<SqlState> {
    SqlState::from_code(code)
}

pub(super) fn execute(client: &mut Client, stmt: Option<Stmt>, sql: &str, key: &str) -> Reply_ {
    let err = |e: postgres::Error| match e.code() {
        Some(code) => match state_of(code.code()) {
            Some(state) => Ok(StmtResult::Error { state }),
            None => Err(format!("SQLSTATE {} outside the model: {e}", code.code())),
        },
        None => Err(format!("connection error: {e}")),
    };
    let Some(stmt) = stmt else { return client.batch_execute(sql).map(|_| StmtResult::Ok).or_else(err) };
    match stmt {
        Stmt::Begin { .. }
        | Stmt::Commit
        | Stmt::Rollback
        | Stmt::SetIsolation { .. }
        | Stmt::Savepoint { .. }
        | Stmt::RollbackToSavepoint { .. }
        | Stmt::ReleaseSavepoint { .. } => client.batch_execute(sql).map(|_| StmtResult::Ok).or_else(err),
        Stmt::AdvisoryLock | Stmt::SessionAdvisoryLock => {
            client.query(sql, &[&key]).map(|_| StmtResult::Ok).or_else(err)
        }
        Stmt::TryAdvisoryLock | Stmt::SessionAdvisoryUnlock => match client.query_one(sql, &[&key]) {
            Ok(row) => Ok(StmtResult::Bool { value: row.get(0) }),
            Err(e) => err(e),
        },
        Stmt::InsertWith { returning, .. } if returning.is_empty() => match client.execute(sql, &[&key]) {
            Ok(n) => Ok(StmtResult::Count { n: n as u8 }),
            Err(e) => err(e),
        },
        Stmt::InsertWith { returning, .. } => match client.query(sql, &[&key]) {
            Ok(rows) => Ok(StmtResult::Returned {
                rows: rows.iter().map(|r| returned(r, &returning)).collect::<Result<_, _>>()?,
            }),
            Err(e) => err(e),
        },
        Stmt::SelectKey { .. }
        | Stmt::SelectKeyNoWait { .. }
        | Stmt::SelectKeyForNoKeyUpdate { .. }
        | Stmt::InsertOnConflictDoUpdate
        | Stmt::Insert { on_conflict_do_nothing: true, .. } => match client.query(sql, &[&key]) {
            Ok(rows) => Ok(StmtResult::Rows { rows: rows.iter().map(row_out).collect::<Result<_, _>>()? }),
            Err(e) => err(e),
        },
        Stmt::Insert { on_conflict_do_nothing: false, .. } | Stmt::UpdateDone => match client.execute(sql, &[&key]) {
            Ok(n) => Ok(StmtResult::Count { n: n as u8 }),
            Err(e) => err(e),
        },
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

pub(super) fn row_out(r: &postgres::Row) -> Result<RowOut, String> {
    let status: String = r.get(0);
    let response: Option<i32> = r.get(1);
    let status = match status.as_str() {
        "started" => KeyStatus::Started,
        "done" => KeyStatus::Done,
        other => return Err(format!("unknown status {other:?}")),
    };
    Ok(RowOut { status, response: response.map(|v| v as u16) })
}
