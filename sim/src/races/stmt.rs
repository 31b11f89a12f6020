//! The SQL half of the model's data: the statements a handler runs
//! ([`Stmt`], with the ON CONFLICT clause and RETURNING list of an INSERT),
//! what they return ([`StmtResult`]) and what a branch tests about that
//! ([`Cond`]), one definition for the engine and the server walk.

use super::*;

/// A SQL statement of a handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "stmt", rename_all = "snake_case")]
pub enum Stmt {
    /// `BEGIN`: takes no snapshot yet (the first statement does), so it is not a step of its own.
    Begin { isolation: Isolation },
    /// `SELECT status, response … WHERE key = $1`, optionally `FOR UPDATE`.
    SelectKey { for_update: bool },
    /// `INSERT … VALUES ($1, status, response)`, optionally `ON CONFLICT (key) DO NOTHING RETURNING`.
    Insert { status: KeyStatus, on_conflict_do_nothing: bool },
    /// `UPDATE … SET status = 'done', response = 201 WHERE key = $1`.
    UpdateDone,
    /// `SELECT pg_advisory_xact_lock(hashtext($1))`.
    AdvisoryLock,
    /// `COMMIT`.
    Commit,
    /// `ROLLBACK`.
    Rollback,
    /// `SELECT status, response … WHERE key = $1 FOR UPDATE NOWAIT` or `… SKIP LOCKED`:
    /// a row lock that never waits. (New variants go last, so that the ones
    /// before them keep their places in the golden trace hashes.)
    SelectKeyNoWait { policy: LockWaitPolicy },
    /// `SELECT pg_try_advisory_xact_lock(hashtext($1))`: takes the lock, or returns false at once.
    TryAdvisoryLock,
    /// `INSERT … VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status =
    /// idempotency_keys.status RETURNING status, response`: inserts the row, or locks and
    /// rewrites the existing one unchanged, and returns the row either way.
    InsertOnConflictDoUpdate,
    /// `INSERT … VALUES ($1, status, response)` with any ON CONFLICT clause and
    /// RETURNING list other than the forms above (which keep their own variants).
    InsertWith { status: KeyStatus, conflict: OnConflict, returning: Returning },
    /// `SELECT status, response … WHERE key = $1 FOR NO KEY UPDATE [NOWAIT | SKIP LOCKED]`.
    /// With no FOR KEY SHARE holder in the model, it conflicts with every row
    /// lock the model takes, as FOR UPDATE does (docs 13.3.2, table 13.3).
    SelectKeyForNoKeyUpdate { policy: Option<LockWaitPolicy> },
    /// `SET TRANSACTION ISOLATION LEVEL …`, right after BEGIN.
    SetIsolation { isolation: Isolation },
    /// `SAVEPOINT name`: `id` numbers the handler's savepoint names in order of appearance.
    Savepoint { id: u8 },
    /// `ROLLBACK TO SAVEPOINT name`: undoes what was done since, releases the
    /// locks taken since, and leaves an aborted transaction usable again.
    RollbackToSavepoint { id: u8 },
    /// `RELEASE SAVEPOINT name`: keeps what was done since, in the transaction.
    ReleaseSavepoint { id: u8 },
    /// `SELECT pg_advisory_lock(hashtext($1))`: a session-level lock, kept
    /// past COMMIT and ROLLBACK until `pg_advisory_unlock` (docs 13.3.5).
    SessionAdvisoryLock,
    /// `SELECT pg_advisory_unlock(hashtext($1))`: true when the session held it.
    SessionAdvisoryUnlock,
}

/// The ON CONFLICT clause of an INSERT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// No ON CONFLICT: a duplicate key is 23505.
    Raise,
    /// `ON CONFLICT [(key)] DO NOTHING`; `target`: whether `(key)` is written.
    DoNothing { target: bool },
    /// `ON CONFLICT (key) DO UPDATE SET status = idempotency_keys.status`.
    DoUpdate,
}

/// A column a RETURNING list names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// `key`.
    Key,
    /// `status`.
    Status,
    /// `response`.
    Response,
    /// `(xmax = 0)`: true for a row this statement inserted, false for one DO UPDATE rewrote.
    Inserted,
}

/// A RETURNING list: its columns in order (`*` is key, status, response); empty without RETURNING.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Returning {
    /// The columns, in the order written; the unused tail is None.
    pub columns: [Option<Column>; RETURNING_COLUMNS_MAX],
}

/// Most columns a RETURNING list may name.
pub const RETURNING_COLUMNS_MAX: usize = 4;

impl Returning {
    /// The list's columns, in order.
    pub fn iter(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns.iter().flatten().copied()
    }

    /// Whether the list names `c`.
    pub fn has(&self, c: Column) -> bool {
        self.iter().any(|x| x == c)
    }

    /// Whether there is a RETURNING list.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The list as SQL, e.g. ` RETURNING status, (xmax = 0) AS inserted`, or "" without one.
    pub fn sql(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        let cols: Vec<&str> = self
            .iter()
            .map(|c| match c {
                Column::Key => "key",
                Column::Status => "status",
                Column::Response => "response",
                Column::Inserted => "(xmax = 0) AS inserted",
            })
            .collect();
        format!(" RETURNING {}", cols.join(", "))
    }

    /// A row as this list returns it.
    pub fn project(&self, row: RowOut, inserted: bool) -> ReturnedRow {
        ReturnedRow {
            status: self.has(Column::Status).then_some(row.status),
            response: if self.has(Column::Response) { row.response } else { None },
            inserted: self.has(Column::Inserted).then_some(inserted),
        }
    }
}

/// A row a RETURNING list returned: the columns it names (the key, always `$1`, is left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReturnedRow {
    /// The status column, when the list names it.
    pub status: Option<KeyStatus>,
    /// The response column, when the list names it and it is not NULL.
    pub response: Option<u16>,
    /// `(xmax = 0)`, when the list names it.
    pub inserted: Option<bool>,
}

impl Stmt {
    /// The statement's SQL text for table `table`, with the key as `$1`.
    pub fn sql(self, table: &str) -> String {
        match self {
            Stmt::Begin { isolation: Isolation::ReadCommitted } => "BEGIN".into(),
            Stmt::Begin { isolation: Isolation::Serializable } => "BEGIN ISOLATION LEVEL SERIALIZABLE".into(),
            Stmt::Begin { isolation: Isolation::RepeatableRead } => "BEGIN ISOLATION LEVEL REPEATABLE READ".into(),
            Stmt::SelectKey { for_update: false } => format!("SELECT status, response FROM {table} WHERE key = $1"),
            Stmt::SelectKey { for_update: true } => {
                format!("SELECT status, response FROM {table} WHERE key = $1 FOR UPDATE")
            }
            Stmt::Insert { status, on_conflict_do_nothing: false } => {
                let resp = if status == KeyStatus::Done { "201" } else { "NULL" };
                format!("INSERT INTO {table} (key, status, response) VALUES ($1, '{}', {resp})", status.sql())
            }
            Stmt::Insert { status, on_conflict_do_nothing: true } => {
                let resp = if status == KeyStatus::Done { "201" } else { "NULL" };
                format!(
                    "INSERT INTO {table} (key, status, response) VALUES ($1, '{}', {resp}) ON CONFLICT (key) DO NOTHING RETURNING status, response",
                    status.sql()
                )
            }
            Stmt::UpdateDone => format!("UPDATE {table} SET status = 'done', response = 201 WHERE key = $1"),
            Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Error } => {
                format!("SELECT status, response FROM {table} WHERE key = $1 FOR UPDATE NOWAIT")
            }
            Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Skip } => {
                format!("SELECT status, response FROM {table} WHERE key = $1 FOR UPDATE SKIP LOCKED")
            }
            Stmt::AdvisoryLock => "SELECT pg_advisory_xact_lock(hashtext($1))".into(),
            Stmt::TryAdvisoryLock => "SELECT pg_try_advisory_xact_lock(hashtext($1))".into(),
            Stmt::InsertOnConflictDoUpdate => format!(
                "INSERT INTO {table} (key, status, response) VALUES ($1, 'started', NULL) ON CONFLICT (key) DO UPDATE SET status = {table}.status RETURNING status, response"
            ),
            Stmt::Commit => "COMMIT".into(),
            Stmt::Rollback => "ROLLBACK".into(),
            Stmt::InsertWith { status, conflict, returning } => {
                let resp = if status == KeyStatus::Done { "201" } else { "NULL" };
                let on = match conflict {
                    OnConflict::Raise => String::new(),
                    OnConflict::DoNothing { target: true } => " ON CONFLICT (key) DO NOTHING".into(),
                    OnConflict::DoNothing { target: false } => " ON CONFLICT DO NOTHING".into(),
                    OnConflict::DoUpdate => format!(" ON CONFLICT (key) DO UPDATE SET status = {table}.status"),
                };
                format!(
                    "INSERT INTO {table} (key, status, response) VALUES ($1, '{}', {resp}){on}{}",
                    status.sql(),
                    returning.sql()
                )
            }
            Stmt::SelectKeyForNoKeyUpdate { policy } => {
                let tail = match policy {
                    None => "",
                    Some(LockWaitPolicy::Error) => " NOWAIT",
                    Some(LockWaitPolicy::Skip) => " SKIP LOCKED",
                };
                format!("SELECT status, response FROM {table} WHERE key = $1 FOR NO KEY UPDATE{tail}")
            }
            Stmt::SetIsolation { isolation } => format!("SET TRANSACTION ISOLATION LEVEL {}", isolation.sql()),
            Stmt::Savepoint { id } => format!("SAVEPOINT sp{id}"),
            Stmt::RollbackToSavepoint { id } => format!("ROLLBACK TO SAVEPOINT sp{id}"),
            Stmt::ReleaseSavepoint { id } => format!("RELEASE SAVEPOINT sp{id}"),
            Stmt::SessionAdvisoryLock => "SELECT pg_advisory_lock(hashtext($1))".into(),
            Stmt::SessionAdvisoryUnlock => "SELECT pg_advisory_unlock(hashtext($1))".into(),
        }
    }

    /// The INSERT forms as one: the status, the ON CONFLICT clause, the
    /// RETURNING list, and whether the result is the older `Rows` form.
    pub fn insert_parts(self) -> Option<(KeyStatus, OnConflict, Returning, bool)> {
        let status_response = Returning { columns: [Some(Column::Status), Some(Column::Response), None, None] };
        match self {
            Stmt::Insert { status, on_conflict_do_nothing: false } => {
                Some((status, OnConflict::Raise, Returning::default(), false))
            }
            Stmt::Insert { status, on_conflict_do_nothing: true } => {
                Some((status, OnConflict::DoNothing { target: true }, status_response, true))
            }
            Stmt::InsertOnConflictDoUpdate => Some((KeyStatus::Started, OnConflict::DoUpdate, status_response, true)),
            Stmt::InsertWith { status, conflict, returning } => Some((status, conflict, returning, false)),
            Stmt::Begin { .. }
            | Stmt::SelectKey { .. }
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::SelectKeyForNoKeyUpdate { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::TryAdvisoryLock
            | Stmt::SetIsolation { .. }
            | Stmt::Savepoint { .. }
            | Stmt::RollbackToSavepoint { .. }
            | Stmt::ReleaseSavepoint { .. }
            | Stmt::SessionAdvisoryLock
            | Stmt::SessionAdvisoryUnlock
            | Stmt::Commit
            | Stmt::Rollback => None,
        }
    }

    /// Whether the statement takes parameter `$1` (the key).
    pub fn takes_key(self) -> bool {
        match self {
            Stmt::SelectKey { .. }
            | Stmt::SelectKeyNoWait { .. }
            | Stmt::Insert { .. }
            | Stmt::UpdateDone
            | Stmt::AdvisoryLock
            | Stmt::TryAdvisoryLock
            | Stmt::InsertOnConflictDoUpdate
            | Stmt::InsertWith { .. }
            | Stmt::SelectKeyForNoKeyUpdate { .. }
            | Stmt::SessionAdvisoryLock
            | Stmt::SessionAdvisoryUnlock => true,
            Stmt::Begin { .. }
            | Stmt::Commit
            | Stmt::Rollback
            | Stmt::SetIsolation { .. }
            | Stmt::Savepoint { .. }
            | Stmt::RollbackToSavepoint { .. }
            | Stmt::ReleaseSavepoint { .. } => false,
        }
    }
}

/// What a branch tests about the actor's last result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    /// The last statement returned no row.
    NoRow,
    /// The last statement returned at least one row.
    Row,
    /// The last statement raised this SQLSTATE.
    ErrorCode(SqlState),
    /// The last statement raised an error.
    Failed,
    /// The last row read has status `started`.
    StatusStarted,
    /// The last in-memory lookup found the key.
    MapHit,
    /// The last statement, pg_try_advisory_xact_lock, returned false.
    NotLocked,
    /// The last statement's `RETURNING (xmax = 0)` said it inserted its row.
    Inserted,
    /// The last statement's row count (rows written or returned, as its command tag says) is `n`.
    Count { n: u8 },
}

impl Cond {
    /// Whether the condition holds after `last` (the last statement's
    /// result), `last_row` (the last row read) and `map_hit` (the last
    /// in-memory lookup). One definition for the engine and the server walk.
    pub fn holds(self, last: Option<&StmtResult>, last_row: Option<RowOut>, map_hit: bool) -> bool {
        match self {
            Cond::NoRow => last.and_then(StmtResult::rows_returned) == Some(0),
            Cond::Row => last.and_then(StmtResult::rows_returned).is_some_and(|n| n > 0),
            Cond::ErrorCode(want) => matches!(last, Some(StmtResult::Error { state }) if *state == want),
            Cond::Failed => matches!(last, Some(StmtResult::Error { .. })),
            Cond::StatusStarted => last_row.is_some_and(|r| r.status == KeyStatus::Started),
            Cond::MapHit => map_hit,
            Cond::NotLocked => matches!(last, Some(StmtResult::Bool { value: false })),
            Cond::Inserted => {
                matches!(last, Some(StmtResult::Returned { rows }) if rows.first().is_some_and(|r| r.inserted == Some(true)))
            }
            Cond::Count { n } => last.and_then(StmtResult::row_count) == Some(n),
        }
    }
}

/// A row as a statement returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RowOut {
    /// The status column.
    pub status: KeyStatus,
    /// The stored response code, if any.
    pub response: Option<u16>,
}

/// What a statement returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum StmtResult {
    /// A command with no rows to return (BEGIN, COMMIT, ROLLBACK, the advisory lock).
    Ok,
    /// Rows affected by an INSERT or UPDATE without RETURNING.
    Count { n: u8 },
    /// Rows returned by a SELECT or RETURNING.
    Rows { rows: Vec<RowOut> },
    /// An error with its SQLSTATE.
    Error { state: SqlState },
    /// The one boolean a function returned (pg_try_advisory_xact_lock).
    Bool { value: bool },
    /// Rows a RETURNING list returned, with the columns it names.
    Returned { rows: Vec<ReturnedRow> },
}

impl StmtResult {
    /// How many rows a SELECT or RETURNING returned; None for other results.
    pub fn rows_returned(&self) -> Option<usize> {
        match self {
            StmtResult::Rows { rows } => Some(rows.len()),
            StmtResult::Returned { rows } => Some(rows.len()),
            StmtResult::Ok | StmtResult::Count { .. } | StmtResult::Error { .. } | StmtResult::Bool { .. } => None,
        }
    }

    /// The row count of the command tag (`INSERT 0 n`, `UPDATE n`, `SELECT n`); None without one.
    pub fn row_count(&self) -> Option<u8> {
        match self {
            StmtResult::Count { n } => Some(*n),
            StmtResult::Rows { .. } | StmtResult::Returned { .. } => {
                self.rows_returned().map(|n| u8::try_from(n).unwrap_or(u8::MAX))
            }
            StmtResult::Ok | StmtResult::Error { .. } | StmtResult::Bool { .. } => None,
        }
    }

    /// The first row read, when the result names its status (for STATUS STARTED and RESPOND STORED).
    pub fn first_row(&self) -> Option<RowOut> {
        match self {
            StmtResult::Rows { rows } => rows.first().copied(),
            StmtResult::Returned { rows } => {
                rows.first().and_then(|r| r.status.map(|status| RowOut { status, response: r.response }))
            }
            StmtResult::Ok | StmtResult::Count { .. } | StmtResult::Error { .. } | StmtResult::Bool { .. } => None,
        }
    }
}
