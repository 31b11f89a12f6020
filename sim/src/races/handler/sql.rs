//! The SQL half of the handler language: each statement is parsed by
//! `sqlparser`'s PostgreSQL dialect and accepted only when its syntax tree
//! equals a form the engine models; anything else is refused with the line
//! and the construct. Compiled only with the `parser` feature (the CLI, the
//! tests and the Web Worker; the page runs compiled handlers).

use super::*;
use sqlparser::ast::{
    AlterTableOperation, ColumnOption, ConflictTarget, Expr, OnConflictAction, OnInsert, SelectItem, Statement,
    TableConstraint, TransactionIsolationLevel, TransactionMode,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

pub(super) enum Parsed {
    Stmt(Stmt),
    /// A unique index, unique constraint or primary key on key.
    UniqueIndex,
    /// `CREATE TABLE idempotency_keys …` without a unique column: the given table, nothing to add.
    Table,
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
            Stmt::SessionAdvisoryLock,
            Stmt::SessionAdvisoryUnlock,
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

/// The row-lock strengths sqlparser does not read (`FOR NO KEY UPDATE`,
/// `FOR KEY SHARE`), found in a statement's words outside string literals.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    NoKeyUpdate,
    KeyShare,
}

/// Finds `FOR NO KEY UPDATE` or `FOR KEY SHARE` and returns the statement
/// with it written as `FOR UPDATE` / `FOR SHARE`, which the parser reads.
fn lock_strength(sql: &str) -> (String, Option<Strength>) {
    let mut words: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut quoted) = (None, false);
    for (i, c) in sql.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        }
        let word = !quoted && (c.is_alphanumeric() || c == '_');
        match (start, word) {
            (None, true) => start = Some(i),
            (Some(s0), false) => {
                words.push((s0, i));
                start = None;
            }
            (None, false) | (Some(_), true) => {}
        }
    }
    if let Some(s0) = start {
        words.push((s0, sql.len()));
    }
    let up: Vec<String> = words.iter().map(|&(a, b)| sql[a..b].to_ascii_uppercase()).collect();
    for i in 0..up.len() {
        let at = |k: usize, w: &str| up.get(i + k).is_some_and(|x| x == w);
        if at(0, "FOR") && at(1, "NO") && at(2, "KEY") && at(3, "UPDATE") {
            return (format!("{}{}", &sql[..words[i + 1].0], &sql[words[i + 3].0..]), Some(Strength::NoKeyUpdate));
        }
        if at(0, "FOR") && at(1, "KEY") && at(2, "SHARE") {
            return (format!("{}{}", &sql[..words[i + 1].0], &sql[words[i + 2].0..]), Some(Strength::KeyShare));
        }
    }
    (sql.to_string(), None)
}

/// Most distinct savepoint names in one handler.
const SAVEPOINT_NAMES_MAX: usize = 8;

/// The number of a savepoint name, in order of first appearance (the engine
/// needs no names; `Stmt::sql` writes `sp<n>`, which PostgreSQL runs alike).
fn savepoint_id(name: &sqlparser::ast::Ident, names: &mut Vec<String>, line: u32) -> Result<u8, HandlerError> {
    let key = match name.quote_style {
        None => name.value.to_ascii_lowercase(),
        Some(_) => name.value.clone(),
    };
    if let Some(i) = names.iter().position(|n| *n == key) {
        return Ok(i as u8);
    }
    if names.len() >= SAVEPOINT_NAMES_MAX {
        return err(line, format!("at most {SAVEPOINT_NAMES_MAX} savepoint names in one handler"));
    }
    names.push(key);
    Ok((names.len() - 1) as u8)
}

pub(super) fn sql_statement(
    sql: &str,
    line: u32,
    t: &Templates,
    names: &mut Vec<String>,
) -> Result<Parsed, HandlerError> {
    let (text, strength) = lock_strength(sql);
    let parsed = Parser::parse_sql(&PostgreSqlDialect {}, &text)
        .map_err(|e| HandlerError { line, message: format!("SQL the parser does not accept: {e}") })?;
    let stmt = match parsed.as_slice() {
        [one] => one,
        [] => return err(line, "an empty statement"),
        [..] => return err(line, "one SQL statement at a time: end each with ; on its own line"),
    };
    let shared = "shared row locks (several holders at once, and an UPDATE that does not change key goes ahead beside a FOR KEY SHARE holder) are not modelled: the model's row locks have one holder; use FOR UPDATE or FOR NO KEY UPDATE";
    let shares =
        matches!(stmt, Statement::Query(q) if q.locks.iter().any(|l| l.lock_type == sqlparser::ast::LockType::Share));
    if strength == Some(Strength::KeyShare) || shares {
        let name = if strength == Some(Strength::KeyShare) { "FOR KEY SHARE" } else { "FOR SHARE" };
        return err(line, format!("{name}: {shared}"));
    }
    if let Some((_, s)) = t.0.iter().find(|(ast, _)| ast == stmt) {
        return match (strength, *s) {
            (None, s) => Ok(Parsed::Stmt(s)),
            (Some(_), Stmt::SelectKey { for_update: true }) => {
                Ok(Parsed::Stmt(Stmt::SelectKeyForNoKeyUpdate { policy: None }))
            }
            (Some(_), Stmt::SelectKeyNoWait { policy }) => {
                Ok(Parsed::Stmt(Stmt::SelectKeyForNoKeyUpdate { policy: Some(policy) }))
            }
            (Some(_), _) => err(
                line,
                "FOR NO KEY UPDATE is modelled on SELECT status, response FROM idempotency_keys WHERE key = $1 only",
            ),
        };
    }
    if strength.is_some() {
        return err(line, format!("FOR NO KEY UPDATE is modelled on SELECT status, response FROM {TABLE} WHERE key = $1 [NOWAIT | SKIP LOCKED] only ({text})"));
    }
    if let Statement::Insert(_) = stmt {
        if let Some(s) = insert_form(stmt, line, t)? {
            return Ok(Parsed::Stmt(s));
        }
    }
    match stmt {
        Statement::StartTransaction { modes, .. } => {
            Ok(Parsed::Stmt(Stmt::Begin { isolation: isolation_of(modes, line)?.unwrap_or(Isolation::ReadCommitted) }))
        }
        Statement::SetTransaction { modes, snapshot: None, session: false } => match isolation_of(modes, line)? {
            Some(isolation) => Ok(Parsed::Stmt(Stmt::SetIsolation { isolation })),
            None => err(line, "SET TRANSACTION without ISOLATION LEVEL changes nothing the model runs"),
        },
        Statement::SetTransaction { .. } => err(
            line,
            "SET SESSION CHARACTERISTICS and SET TRANSACTION SNAPSHOT are not modelled: write BEGIN ISOLATION LEVEL …",
        ),
        Statement::AlterTable { name, operations, .. } if name.to_string() == TABLE => match operations.as_slice() {
            [AlterTableOperation::AddConstraint(c)] if unique_on_key(c) => Ok(Parsed::UniqueIndex),
            _ => err(line, format!("only ALTER TABLE {TABLE} ADD PRIMARY KEY (key) or ADD UNIQUE (key) is modelled")),
        },
        Statement::CreateTable(ct) if ct.name.to_string() == TABLE => create_table(ct, line),
        Statement::Commit { chain: false } => Ok(Parsed::Stmt(Stmt::Commit)),
        Statement::Rollback { chain: false, savepoint: None } => Ok(Parsed::Stmt(Stmt::Rollback)),
        Statement::Savepoint { name } => Ok(Parsed::Stmt(Stmt::Savepoint { id: savepoint_id(name, names, line)? })),
        Statement::ReleaseSavepoint { name } => {
            Ok(Parsed::Stmt(Stmt::ReleaseSavepoint { id: savepoint_id(name, names, line)? }))
        }
        Statement::Rollback { chain: false, savepoint: Some(name) } => {
            Ok(Parsed::Stmt(Stmt::RollbackToSavepoint { id: savepoint_id(name, names, line)? }))
        }
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

/// The isolation level named by BEGIN's or SET TRANSACTION's modes, if any.
fn isolation_of(modes: &[TransactionMode], line: u32) -> Result<Option<Isolation>, HandlerError> {
    let mut isolation = None;
    for m in modes {
        isolation = Some(match m {
            TransactionMode::IsolationLevel(TransactionIsolationLevel::ReadCommitted) => Isolation::ReadCommitted,
            TransactionMode::IsolationLevel(TransactionIsolationLevel::Serializable) => Isolation::Serializable,
            TransactionMode::IsolationLevel(TransactionIsolationLevel::RepeatableRead) => Isolation::RepeatableRead,
            TransactionMode::IsolationLevel(TransactionIsolationLevel::ReadUncommitted) => {
                return err(line, "READ UNCOMMITTED is not modelled (PostgreSQL runs it as READ COMMITTED: write that)")
            }
            TransactionMode::AccessMode(a) => return err(line, format!("{a} is not modelled")),
        });
    }
    Ok(isolation)
}

/// Whether an identifier is `name` as PostgreSQL reads it (unquoted names fold to lower case).
fn is_named(i: &sqlparser::ast::Ident, name: &str) -> bool {
    match i.quote_style {
        None => i.value.eq_ignore_ascii_case(name),
        Some(_) => i.value == name,
    }
}

/// Whether a table constraint is a primary key or unique constraint on key alone.
fn unique_on_key(c: &TableConstraint) -> bool {
    match c {
        TableConstraint::PrimaryKey { columns, .. } | TableConstraint::Unique { columns, .. } => {
            matches!(columns.as_slice(), [k] if is_named(k, "key"))
        }
        _ => false,
    }
}

/// `CREATE TABLE idempotency_keys (key text [PRIMARY KEY | UNIQUE], status text, response int [, PRIMARY KEY (key)])`.
fn create_table(ct: &sqlparser::ast::CreateTable, line: u32) -> Result<Parsed, HandlerError> {
    let want = [("key", "TEXT"), ("status", "TEXT"), ("response", "INT")];
    let shape = ct.columns.len() == 3
        && ct.columns.iter().zip(want).all(|(c, (name, ty))| {
            let t = c.data_type.to_string().to_ascii_uppercase();
            is_named(&c.name, name) && (t == ty || (ty == "INT" && (t == "INTEGER" || t == "INT4")))
        });
    let plain_options = ct.columns.iter().all(|c| {
        c.options
            .iter()
            .all(|o| matches!(o.option, ColumnOption::NotNull | ColumnOption::Null | ColumnOption::Unique { .. }))
    });
    let unique_column = ct
        .columns
        .iter()
        .enumerate()
        .any(|(i, c)| c.options.iter().any(|o| matches!(o.option, ColumnOption::Unique { .. }) && i != 0));
    if !shape || !plain_options || unique_column || !ct.constraints.iter().all(unique_on_key) {
        return err(
            line,
            format!("the table is given: CREATE TABLE {TABLE} (key text PRIMARY KEY, status text NOT NULL, response int), with or without PRIMARY KEY (or UNIQUE) on key"),
        );
    }
    let key_unique = ct.columns[0].options.iter().any(|o| matches!(o.option, ColumnOption::Unique { .. }));
    Ok(if key_unique || !ct.constraints.is_empty() { Parsed::UniqueIndex } else { Parsed::Table })
}

/// An INSERT with any ON CONFLICT clause and RETURNING list the model runs,
/// or None when its VALUES are not a modelled form (the caller explains).
fn insert_form(stmt: &Statement, line: u32, t: &Templates) -> Result<Option<Stmt>, HandlerError> {
    let Statement::Insert(ins) = stmt else { return Ok(None) };
    let mut bare = ins.clone();
    bare.on = None;
    bare.returning = None;
    let bare = Statement::Insert(bare);
    let Some(status) = t.0.iter().find_map(|(ast, s)| match s {
        Stmt::Insert { status, on_conflict_do_nothing: false } if *ast == bare => Some(*status),
        _ => None,
    }) else {
        return Ok(None);
    };
    let conflict = match &ins.on {
        None => OnConflict::Raise,
        Some(OnInsert::OnConflict(oc)) => {
            let target = match &oc.conflict_target {
                None => false,
                Some(ConflictTarget::Columns(c)) if matches!(c.as_slice(), [k] if is_named(k, "key")) => true,
                Some(ConflictTarget::Columns(c)) => {
                    return err(line, format!("ON CONFLICT ({}): the conflict target here can only be (key), the one column a unique index can be on", sqlparser::ast::display_comma_separated(c)))
                }
                Some(ConflictTarget::OnConstraint(n)) => {
                    return err(line, format!("ON CONFLICT ON CONSTRAINT {n} is not modelled: name the column, ON CONFLICT (key)"))
                }
            };
            match &oc.action {
                OnConflictAction::DoNothing => OnConflict::DoNothing { target },
                OnConflictAction::DoUpdate(_) if !target => {
                    return err(line, "ON CONFLICT DO UPDATE needs a conflict target, ON CONFLICT (key) DO UPDATE: PostgreSQL refuses it without one")
                }
                OnConflictAction::DoUpdate(u) => {
                    let rewrite = format!("status = {TABLE}.status");
                    if u.selection.is_some() || u.assignments.len() != 1 || u.assignments[0].to_string() != rewrite {
                        return err(line, format!("ON CONFLICT DO UPDATE is modelled as DO UPDATE SET {rewrite} only (it rewrites the row unchanged and holds its lock); a SET that changes the row, or a WHERE, is not modelled"));
                    }
                    OnConflict::DoUpdate
                }
            }
        }
        Some(OnInsert::DuplicateKeyUpdate(_)) => {
            return err(line, "ON DUPLICATE KEY UPDATE is MySQL's: PostgreSQL writes ON CONFLICT (key) DO UPDATE")
        }
        Some(other) => return err(line, format!("{other} is not modelled")),
    };
    let returning = match &ins.returning {
        None => Returning::default(),
        Some(items) => returning_of(items, line)?,
    };
    let status_response = Returning { columns: [Some(Column::Status), Some(Column::Response), None, None] };
    // The forms the model ran before RETURNING lists keep their own variants
    // (and their `Rows` results), so shipped handlers and traces do not change.
    Ok(Some(match (conflict, returning) {
        (OnConflict::Raise, r) if r.is_empty() => Stmt::Insert { status, on_conflict_do_nothing: false },
        (OnConflict::DoNothing { target: true }, r) if r == status_response => {
            Stmt::Insert { status, on_conflict_do_nothing: true }
        }
        (OnConflict::DoUpdate, r) if r == status_response && status == KeyStatus::Started => {
            Stmt::InsertOnConflictDoUpdate
        }
        (conflict, returning) => Stmt::InsertWith { status, conflict, returning },
    }))
}

/// A RETURNING list: the table's columns (or `*`) and `(xmax = 0)`, with any aliases.
fn returning_of(items: &[SelectItem], line: u32) -> Result<Returning, HandlerError> {
    let mut cols: Vec<Column> = Vec::new();
    let all = [Column::Key, Column::Status, Column::Response];
    for item in items {
        let expr = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            SelectItem::Wildcard(_) => {
                cols.extend(all);
                continue;
            }
            SelectItem::QualifiedWildcard(n, _) if n.to_string() == TABLE => {
                cols.extend(all);
                continue;
            }
            SelectItem::QualifiedWildcard(n, _) => return err(line, format!("RETURNING {n}.*: the table is {TABLE}")),
        };
        let column = |i: &sqlparser::ast::Ident| {
            ["key", "status", "response"].iter().position(|c| is_named(i, c)).map(|k| all[k])
        };
        let col = match expr {
            Expr::Identifier(i) => column(i),
            Expr::CompoundIdentifier(v) if v.len() == 2 && is_named(&v[0], TABLE) => column(&v[1]),
            other => {
                let text = other.to_string();
                (text == "(xmax = 0)" || text == "xmax = 0").then_some(Column::Inserted)
            }
        };
        match col {
            Some(c) => cols.push(c),
            None => {
                return err(
                    line,
                    format!("RETURNING {expr}: the model returns the table's columns (key, status, response, or *) and (xmax = 0)"),
                )
            }
        }
    }
    if cols.len() > RETURNING_COLUMNS_MAX {
        return err(line, format!("RETURNING names {} columns; at most {RETURNING_COLUMNS_MAX}", cols.len()));
    }
    let mut r = Returning::default();
    for (slot, c) in r.columns.iter_mut().zip(cols) {
        *slot = Some(c);
    }
    Ok(r)
}

/// Says which construct of a statement the model does not cover.
fn refusal(s: &Statement) -> String {
    let text = s.to_string();
    let up = text.to_ascii_uppercase();
    let has = |w: &str| up.contains(w);
    let kind = up.split_whitespace().next().unwrap_or("").to_string();
    let supported = "supported: SELECT status, response … WHERE key = $1 [FOR UPDATE | FOR NO KEY UPDATE [NOWAIT | SKIP LOCKED]]; INSERT … (key, status, response) VALUES ($1, 'started', NULL) or ($1, 'done', 201) [ON CONFLICT [(key)] DO NOTHING | ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status] [RETURNING columns | * | (xmax = 0)]; UPDATE … SET status = 'done', response = 201 WHERE key = $1; SELECT pg_[try_]advisory_xact_lock(hashtext($1)); BEGIN [ISOLATION LEVEL …], SET TRANSACTION ISOLATION LEVEL …, COMMIT, ROLLBACK";
    let why = match s {
        Statement::Query(_) | Statement::Insert(_) | Statement::Update { .. } => {
            if !has(TABLE.to_ascii_uppercase().as_str()) && !has("PG_") {
                format!("the model has one table, {TABLE}")
            } else if has("NOWAIT") || has("SKIP LOCKED") {
                "NOWAIT and SKIP LOCKED are modelled on SELECT status, response … WHERE key = $1 FOR UPDATE only".into()
            } else if has("PG_TRY_ADVISORY") {
                "pg_try_advisory_xact_lock is modelled as SELECT pg_try_advisory_xact_lock(hashtext($1)) only".into()
            } else if has("PG_ADVISORY_LOCK") || has("PG_ADVISORY_UNLOCK") {
                "session-level advisory locks are modelled as SELECT pg_advisory_lock(hashtext($1)) and SELECT pg_advisory_unlock(hashtext($1)) only".into()
            } else if has("ADVISORY") {
                "only pg_advisory_xact_lock(hashtext($1)) is modelled: one advisory lock, on the request's key".into()
            } else if has("RETURNING") && !matches!(s, Statement::Insert(_)) {
                "RETURNING is modelled on INSERT only".into()
            } else if matches!(s, Statement::Insert(_)) && has("$1") && !has("$2") {
                "the INSERT's VALUES are modelled as ($1, 'started', NULL) or ($1, 'done', 201) into (key, status, response)".into()
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
            format!("the table is given: CREATE TABLE {TABLE} (key text PRIMARY KEY, status text NOT NULL, response int), with or without PRIMARY KEY")
        }
        _ => format!("{kind} is outside the subset"),
    };
    format!("{why} ({text}). {supported}")
}
