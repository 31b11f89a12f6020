//! Records in words: statement and instruction names, one sentence per record.

use super::*;

pub(in crate::races) fn reason_words(r: WaitReason) -> &'static str {
    match r {
        WaitReason::UncommittedKey => "its INSERT found the same key inserted by a transaction that has not ended",
        WaitReason::RowLock => "the row is locked by a transaction that has not ended",
        WaitReason::AdvisoryLock => "the advisory lock on the key is held",
        WaitReason::ClientTimeout => "the client retries only after its first attempt times out",
    }
}

/// A short name of a statement: "INSERT … ON CONFLICT DO NOTHING".
pub fn stmt_short(s: Stmt) -> &'static str {
    match s {
        Stmt::Begin { .. } => "BEGIN",
        Stmt::SelectKey { for_update: false } => "SELECT",
        Stmt::SelectKey { for_update: true } => "SELECT … FOR UPDATE",
        Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Error } => "SELECT … FOR UPDATE NOWAIT",
        Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Skip } => "SELECT … FOR UPDATE SKIP LOCKED",
        Stmt::Insert { on_conflict_do_nothing: false, .. } => "INSERT",
        Stmt::Insert { on_conflict_do_nothing: true, .. } => "INSERT … ON CONFLICT DO NOTHING",
        Stmt::UpdateDone => "UPDATE",
        Stmt::AdvisoryLock => "pg_advisory_xact_lock",
        Stmt::TryAdvisoryLock => "pg_try_advisory_xact_lock",
        Stmt::InsertOnConflictDoUpdate => "INSERT … ON CONFLICT DO UPDATE",
        Stmt::Commit => "COMMIT",
        Stmt::Rollback => "ROLLBACK",
        Stmt::InsertWith { conflict: OnConflict::Raise, .. } => "INSERT",
        Stmt::InsertWith { conflict: OnConflict::DoNothing { .. }, .. } => "INSERT … ON CONFLICT DO NOTHING",
        Stmt::InsertWith { conflict: OnConflict::DoUpdate, .. } => "INSERT … ON CONFLICT DO UPDATE",
        Stmt::SelectKeyForNoKeyUpdate { policy: None } => "SELECT … FOR NO KEY UPDATE",
        Stmt::SelectKeyForNoKeyUpdate { policy: Some(LockWaitPolicy::Error) } => "SELECT … FOR NO KEY UPDATE NOWAIT",
        Stmt::SelectKeyForNoKeyUpdate { policy: Some(LockWaitPolicy::Skip) } => {
            "SELECT … FOR NO KEY UPDATE SKIP LOCKED"
        }
        Stmt::SetIsolation { .. } => "SET TRANSACTION ISOLATION LEVEL",
        Stmt::Savepoint { .. } => "SAVEPOINT",
        Stmt::RollbackToSavepoint { .. } => "ROLLBACK TO SAVEPOINT",
        Stmt::ReleaseSavepoint { .. } => "RELEASE SAVEPOINT",
        Stmt::SessionAdvisoryLock => "pg_advisory_lock",
        Stmt::SessionAdvisoryUnlock => "pg_advisory_unlock",
    }
}

/// A short name of an instruction for lane blocks.
pub fn instr_short(i: Instr) -> &'static str {
    match i {
        Instr::Sql { stmt } => stmt_short(stmt),
        Instr::Charge => "charge card",
        Instr::MapGet => "map lookup",
        Instr::MapPut => "map store",
        Instr::Crash => "crash",
        Instr::AwaitUnanswered { .. } => "await timeout",
        Instr::JumpIf { .. } => "branch",
        Instr::Retry { .. } => "retry",
        Instr::Respond { .. } => "respond",
        Instr::SendResponse { .. } => "send response",
    }
}

/// One sentence about a record, for the narration line and the event log.
pub fn narrate(r: &RaceRecord) -> String {
    let t = |a: &Actor| format!("T{}", a + 1);
    let res = |r: &StmtResult| match r {
        StmtResult::Ok => "done".to_string(),
        StmtResult::Count { n } => format!("{n} row{} written", if *n == 1 { "" } else { "s" }),
        StmtResult::Bool { value } => value.to_string(),
        StmtResult::Rows { rows } if rows.is_empty() => "no row".to_string(),
        StmtResult::Rows { rows } => {
            format!("{} row{} (status {})", rows.len(), if rows.len() == 1 { "" } else { "s" }, rows[0].status.sql())
        }
        StmtResult::Error { state } => format!("ERROR {}", state.code()),
        StmtResult::Returned { rows } => {
            format!("{} row{} returned", rows.len(), if rows.len() == 1 { "" } else { "s" })
        }
    };
    match r {
        RaceRecord::Began { actor, isolation } => format!(
            "{} BEGIN{}",
            t(actor),
            match isolation {
                Isolation::ReadCommitted => "",
                Isolation::Serializable => " ISOLATION LEVEL SERIALIZABLE",
                Isolation::RepeatableRead => " ISOLATION LEVEL REPEATABLE READ",
            }
        ),
        RaceRecord::Ran { actor, stmt, result, .. } => format!("{} {} → {}", t(actor), stmt_short(*stmt), res(result)),
        RaceRecord::WaitBegan { actor, stmt, on, reason, .. } => match reason {
            WaitReason::ClientTimeout => format!("{}: the client waits for {} to end before retrying", t(actor), t(on)),
            WaitReason::UncommittedKey | WaitReason::RowLock | WaitReason::AdvisoryLock => {
                format!("{} {} waits for {}: {}", t(actor), stmt_short(*stmt), t(on), reason_words(*reason))
            }
        },
        RaceRecord::Resumed { actor, stmt, result, .. } => {
            format!("{}'s {} stops waiting → {}", t(actor), stmt_short(*stmt), res(result))
        }
        RaceRecord::Charged { actor, total } => format!(
            "{} charges the card: the ledger has {total} charge{}{}",
            t(actor),
            if *total == 1 { "" } else { "s" },
            if *total > 1 { " (double charge!)" } else { "" }
        ),
        RaceRecord::MapLookedUp { actor, hit } => {
            format!("{} looks the key up in the key store: {}", t(actor), if *hit { "found" } else { "not found" })
        }
        RaceRecord::MapStored { actor } => format!("{} stores the key and its answer in the key store", t(actor)),
        RaceRecord::Crashed { keys_lost: true, .. } => {
            "The server crashes: the in-memory key store is gone".to_string()
        }
        RaceRecord::Crashed { keys_lost: false, .. } => {
            "The server crashes: requests in flight die; the durable key store keeps its keys".to_string()
        }
        RaceRecord::Killed { actor } => format!("{} dies with the server; its client gets no answer", t(actor)),
        RaceRecord::Retrying { actor, attempt } => {
            format!("{} retries the whole transaction (attempt {attempt})", t(actor))
        }
        RaceRecord::Responded { actor, response: Response::NoResponse } => {
            format!("{} never answers its client", t(actor))
        }
        RaceRecord::Responded { actor, response: Response::NotSent } => {
            format!("{}: the first attempt was answered, so the client sends no retry", t(actor))
        }
        RaceRecord::Responded { actor, response } => format!("{} answers: {}", t(actor), response.label()),
        RaceRecord::SerializationFailure { actor, why } => {
            format!("{} fails with 40001 because {}", t(actor), why.words())
        }
    }
}
