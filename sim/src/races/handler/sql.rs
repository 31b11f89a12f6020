//! The SQL half of the handler language: each statement is parsed by
//! `sqlparser`'s PostgreSQL dialect and accepted only when its syntax tree
//! equals a form the engine models; anything else is refused with the line
//! and the construct. Compiled only with the `parser` feature (the CLI, the
//! tests and the Web Worker; the page runs compiled handlers).

use super::*;
use sqlparser::ast::{Statement, TransactionIsolationLevel, TransactionMode};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

pub(super) enum Parsed {
    Stmt(Stmt),
    UniqueIndex,
}

/// Every statement form the engine models, as the parser sees it.
pub(super) struct Templates(Vec<(Statement, Stmt)>);

impl Templates {
    pub(super) fn new() -> Templates {
        let mut forms = vec![
            Stmt::SelectKey { for_update: false },
            Stmt::SelectKey { for_update: true },
            Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Error },
            Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Skip },
            Stmt::UpdateDone,
            Stmt::AdvisoryLock,
            Stmt::TryAdvisoryLock,
            Stmt::InsertOnConflictDoUpdate,
        ];
        for status in [KeyStatus::Started, KeyStatus::Done] {
            for on_conflict_do_nothing in [false, true] {
                forms.push(Stmt::Insert { status, on_conflict_do_nothing });
            }
        }
        let v = forms
            .into_iter()
            .filter_map(|s| Some((Parser::parse_sql(&PostgreSqlDialect {}, &s.sql(TABLE)).ok()?.pop()?, s)))
            .collect();
        Templates(v)
    }
}

pub(super) fn sql_statement(sql: &str, line: u32, t: &Templates) -> Result<Parsed, HandlerError> {
    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, sql)
        .map_err(|e| HandlerError { line, message: format!("SQL the parser does not accept: {e}") })?;
    let stmt = match parsed.as_slice() {
        [one] => one,
        [] => return err(line, "an empty statement"),
        [..] => return err(line, "one SQL statement at a time: end each with ; on its own line"),
    };
    if let Some((_, s)) = t.0.iter().find(|(ast, _)| ast == stmt) {
        return Ok(Parsed::Stmt(*s));
    }
    match stmt {
        Statement::StartTransaction { modes, .. } => {
            let mut isolation = Isolation::ReadCommitted;
            for m in modes {
                match m {
                    TransactionMode::IsolationLevel(TransactionIsolationLevel::ReadCommitted) => {}
                    TransactionMode::IsolationLevel(TransactionIsolationLevel::Serializable) => {
                        isolation = Isolation::Serializable
                    }
                    TransactionMode::IsolationLevel(TransactionIsolationLevel::RepeatableRead) => {
                        return err(line, "REPEATABLE READ is not modelled: use READ COMMITTED or SERIALIZABLE")
                    }
                    TransactionMode::IsolationLevel(TransactionIsolationLevel::ReadUncommitted) => {
                        return err(
                            line,
                            "READ UNCOMMITTED is not modelled (PostgreSQL runs it as READ COMMITTED: write that)",
                        )
                    }
                    TransactionMode::AccessMode(a) => return err(line, format!("{a} is not modelled")),
                }
            }
            Ok(Parsed::Stmt(Stmt::Begin { isolation }))
        }
        Statement::Commit { chain: false } => Ok(Parsed::Stmt(Stmt::Commit)),
        Statement::Rollback { chain: false, savepoint: None } => Ok(Parsed::Stmt(Stmt::Rollback)),
        Statement::Rollback { savepoint: Some(_), .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => err(line, "SAVEPOINT and ROLLBACK TO SAVEPOINT are not modelled yet"),
        Statement::Commit { chain: true } | Statement::Rollback { chain: true, .. } => {
            err(line, "AND CHAIN is not modelled")
        }
        Statement::CreateIndex(ci)
            if ci.unique
                && ci.table_name.to_string() == TABLE
                && ci.columns.len() == 1
                && ci.columns[0].expr.to_string() == "key"
                && ci.predicate.is_none() =>
        {
            Ok(Parsed::UniqueIndex)
        }
        Statement::CreateIndex(_) => err(line, format!("only CREATE UNIQUE INDEX … ON {TABLE} (key) is modelled")),
        other => err(line, refusal(other)),
    }
}

/// Says which construct of a statement the model does not cover.
fn refusal(s: &Statement) -> String {
    let text = s.to_string();
    let up = text.to_ascii_uppercase();
    let has = |w: &str| up.contains(w);
    let kind = up.split_whitespace().next().unwrap_or("").to_string();
    let supported = "supported: SELECT status, response … WHERE key = $1 [FOR UPDATE [NOWAIT | SKIP LOCKED]]; INSERT … (key, status, response) VALUES ($1, 'started', NULL) or ($1, 'done', 201) [ON CONFLICT (key) DO NOTHING RETURNING status, response] or ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status RETURNING status, response; UPDATE … SET status = 'done', response = 201 WHERE key = $1; SELECT pg_[try_]advisory_xact_lock(hashtext($1)); BEGIN [ISOLATION LEVEL SERIALIZABLE], COMMIT, ROLLBACK";
    let why = match s {
        Statement::Query(_) | Statement::Insert(_) | Statement::Update { .. } => {
            if !has(TABLE.to_ascii_uppercase().as_str()) && !has("PG_") {
                format!("the model has one table, {TABLE}")
            } else if has("NOWAIT") || has("SKIP LOCKED") {
                "NOWAIT and SKIP LOCKED are modelled on SELECT status, response … WHERE key = $1 FOR UPDATE only".into()
            } else if has("FOR SHARE") || has("FOR NO KEY UPDATE") || has("FOR KEY SHARE") {
                "only FOR UPDATE row locks are modelled".into()
            } else if has("PG_TRY_ADVISORY") {
                "pg_try_advisory_xact_lock is modelled as SELECT pg_try_advisory_xact_lock(hashtext($1)) only".into()
            } else if has("PG_ADVISORY_LOCK") || has("PG_ADVISORY_UNLOCK") {
                "session-level advisory locks are not modelled: use pg_advisory_xact_lock(hashtext($1))".into()
            } else if has("ADVISORY") {
                "only pg_advisory_xact_lock(hashtext($1)) is modelled: one advisory lock, on the request's key".into()
            } else if has("DO UPDATE") {
                format!("ON CONFLICT DO UPDATE is modelled as VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = {TABLE}.status RETURNING status, response only")
            } else if has("ON CONFLICT") && !has("RETURNING") {
                "ON CONFLICT DO NOTHING needs RETURNING status, response: without it the handler cannot tell whether it inserted".into()
            } else if has("ON CONFLICT") && !has("ON CONFLICT (KEY)") {
                "ON CONFLICT needs the conflict target (key)".into()
            } else if has("RETURNING") && !has("ON CONFLICT") {
                "RETURNING is modelled only on INSERT … ON CONFLICT DO NOTHING".into()
            } else if has("JOIN") || has(" UNION ") || has("WITH ") {
                "joins, unions and WITH are outside the subset".into()
            } else if has("$2") || has("$3") {
                "the key is the only parameter, $1".into()
            } else if !has("$1") {
                "every statement names the request's key as $1; other keys are not modelled yet".into()
            } else {
                format!("this form of {kind} is not one the model runs")
            }
        }
        Statement::Delete(_) => "DELETE is not modelled".into(),
        Statement::CreateTable { .. } => {
            format!("the table is given: CREATE TABLE {TABLE} (key text NOT NULL, status text NOT NULL, response int)")
        }
        _ => format!("{kind} is outside the subset"),
    };
    format!("{why} ({text}). {supported}")
}
