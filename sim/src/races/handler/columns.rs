//! Which columns a line may read: a RETURNING list names some of the
//! table's columns, and a line that reads one the last statement did not
//! return is refused with its line, rather than run on a value nobody read.

use super::*;

/// What a line may read of the rows before it: the columns of the last
/// statement that returned rows (bits of `COL_*`), and whether the last
/// statement's RETURNING has `(xmax = 0)`.
#[derive(Clone, Copy)]
struct Known {
    cols: u8,
    inserted: bool,
}

const COL_STATUS: u8 = 1;
const COL_RESPONSE: u8 = 2;

/// Refuses a line that reads a column no statement before it returns on
/// some path: `IF STATUS STARTED` needs status, `RESPOND STORED` needs
/// response, `IF INSERTED` needs the last statement's `(xmax = 0)`.
/// Branches jump forward only, so one pass in order sees every path.
pub(super) fn check_columns(instrs: &[Instr], lines: &[u32]) -> Result<(), HandlerError> {
    let mut at: Vec<Option<Known>> = vec![None; instrs.len()];
    if let Some(first) = at.first_mut() {
        *first = Some(Known { cols: COL_STATUS | COL_RESPONSE, inserted: false });
    }
    for i in 0..instrs.len() {
        let Some(k) = at[i] else { continue };
        let needs = |what: &str| -> Result<(), HandlerError> {
            err(lines[i], format!("{what}: on some path to this line the last statement that returned rows does not return that column (add it to RETURNING)"))
        };
        match instrs[i] {
            Instr::JumpIf { cond: Cond::StatusStarted, .. } if k.cols & COL_STATUS == 0 => needs("IF STATUS STARTED reads status")?,
            Instr::Respond { reply: Reply::ReplayStored } | Instr::SendResponse { reply: Reply::ReplayStored }
                if k.cols & COL_RESPONSE == 0 =>
            {
                needs("STORED replays the response column")?
            }
            Instr::JumpIf { cond: Cond::Inserted, .. } if !k.inserted => {
                return err(lines[i], "IF INSERTED reads RETURNING (xmax = 0) of the statement just before it; on some path that statement does not return it")
            }
            Instr::Sql { .. }
            | Instr::Charge
            | Instr::MapGet
            | Instr::MapPut
            | Instr::Crash
            | Instr::AwaitUnanswered { .. }
            | Instr::JumpIf { .. }
            | Instr::Retry { .. }
            | Instr::Respond { .. }
            | Instr::SendResponse { .. } => {}
        }
        let out = match instrs[i] {
            Instr::Sql { stmt: Stmt::Begin { .. } | Stmt::SetIsolation { .. } } => k,
            Instr::Sql { stmt } => {
                let cols = match stmt.insert_parts() {
                    Some((_, _, r, false)) if !r.is_empty() => Some(
                        u8::from(r.has(Column::Status)) * COL_STATUS + u8::from(r.has(Column::Response)) * COL_RESPONSE,
                    ),
                    Some((_, _, _, false)) => None,
                    Some((_, _, _, true)) => Some(COL_STATUS | COL_RESPONSE),
                    None if matches!(
                        stmt,
                        Stmt::SelectKey { .. } | Stmt::SelectKeyNoWait { .. } | Stmt::SelectKeyForNoKeyUpdate { .. }
                    ) =>
                    {
                        Some(COL_STATUS | COL_RESPONSE)
                    }
                    None => None,
                };
                let inserted = stmt.insert_parts().is_some_and(|(_, _, r, _)| r.has(Column::Inserted));
                Known { cols: cols.unwrap_or(k.cols), inserted }
            }
            Instr::Charge
            | Instr::MapGet
            | Instr::MapPut
            | Instr::Crash
            | Instr::AwaitUnanswered { .. }
            | Instr::JumpIf { .. }
            | Instr::Retry { .. }
            | Instr::Respond { .. }
            | Instr::SendResponse { .. } => k,
        };
        let mut next = |j: usize| {
            if let Some(slot) = at.get_mut(j) {
                *slot = Some(match *slot {
                    None => out,
                    Some(o) => Known { cols: o.cols & out.cols, inserted: o.inserted && out.inserted },
                });
            }
        };
        match instrs[i] {
            Instr::Respond { .. } | Instr::SendResponse { .. } | Instr::Crash | Instr::Retry { .. } => {}
            Instr::JumpIf { to, .. } => {
                next(to as usize);
                next(i + 1);
            }
            Instr::Sql { .. } | Instr::Charge | Instr::MapGet | Instr::MapPut | Instr::AwaitUnanswered { .. } => {
                next(i + 1)
            }
        }
    }
    Ok(())
}
