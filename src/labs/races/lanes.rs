//! The Races lanes as timeline items: a block per statement, a hatched bar
//! per wait, each labelled with what the statement did, up to one step.

use crate::components::{ItemKind, TimelineItem};
use idemlab_sim::races::{self, instr_short, RaceRecord, RaceRun, Response, StmtResult};

/// Blocks for steps, hatched bars for waits (growing until they end), all up to `step`.
pub(super) fn timeline_items(run: &RaceRun, step: usize) -> Vec<TimelineItem> {
    let mut items = Vec::new();
    let mut waiting: Vec<Option<(usize, races::Actor)>> = vec![None; races::ACTORS_MAX];
    // Waits that begin before the first step (a retry waiting for its client's timeout).
    for t in run.trace.iter().take_while(|t| t.step == 0) {
        if let RaceRecord::WaitBegan { actor, on, .. } = t.record {
            waiting[actor as usize] = Some((1, on));
        }
    }
    let tags = races::frame_tags(run);
    for (i, f) in run.frames.iter().enumerate().take(step) {
        let x0 = f.step as f64 - 1.0;
        // A COMMIT of a failed transaction answers ROLLBACK: the block says so.
        let rolled_back = matches!(f.instr, races::Instr::Sql { stmt: races::Stmt::Commit })
            && tags.get(i).is_some_and(|t| t.iter().any(|(a, tag)| *a == f.actor && tag == "ROLLBACK"));
        let mine: Vec<&RaceRecord> = f.records.iter().filter(|r| r.actor() == f.actor).collect();
        let bad = rolled_back
            || mine.iter().any(|r| {
                matches!(r, RaceRecord::Ran { result: StmtResult::Error { .. }, .. })
                    || matches!(r, RaceRecord::Charged { total, .. } if *total > 1)
                    || matches!(r, RaceRecord::Responded { response: Response::ServerError | Response::NoResponse, .. })
            });
        let good = mine.iter().any(|r| {
            matches!(
                r,
                RaceRecord::Responded {
                    response: Response::Created | Response::Replayed { .. } | Response::Conflict,
                    ..
                }
            )
        });
        let waits = mine.iter().any(|r| matches!(r, RaceRecord::WaitBegan { .. }));
        let crash = mine.iter().any(|r| matches!(r, RaceRecord::Crashed { .. }));
        let label = match mine.iter().find_map(|r| {
            if let RaceRecord::Ran { result, .. } = r {
                Some(result_short(result))
            } else {
                None
            }
        }) {
            Some(_) if rolled_back => format!("{} → ROLLBACK", lane_word(f.instr)),
            Some(res) => format!("{} {res}", lane_word(f.instr)),
            None => lane_word(f.instr).to_string(),
        };
        let kind = if crash {
            ItemKind::Marker
        } else if bad {
            ItemKind::Bad
        } else if good {
            ItemKind::Good
        } else {
            ItemKind::Block
        };
        if !waits {
            items.push(TimelineItem {
                lane: f.actor as usize,
                to_lane: None,
                x0,
                x1: x0 + 0.92,
                label: label.into(),
                kind,
                step: f.step as usize,
            });
        }
        for r in &f.records {
            if let RaceRecord::WaitBegan { actor, on, .. } = r {
                waiting[*actor as usize] = Some((f.step as usize, *on));
            }
            if let RaceRecord::Resumed { actor, result, .. } = r {
                if let Some((from, on)) = waiting[*actor as usize].take() {
                    items.push(wait_item(*actor, from, f.step as usize, on));
                }
                items.push(TimelineItem {
                    lane: *actor as usize,
                    to_lane: None,
                    x0: x0 + 0.5,
                    x1: x0 + 0.95,
                    label: format!("→{}", result_short(result)).into(),
                    kind: if matches!(result, StmtResult::Error { .. }) { ItemKind::Bad } else { ItemKind::Block },
                    step: f.step as usize,
                });
            }
        }
        // A waiter woken by a crash or an ended attempt stops waiting here too.
        for (a, w) in waiting.iter_mut().enumerate() {
            if let Some((from, on)) = *w {
                if !f.waits.iter().any(|l| l.waiter as usize == a) {
                    items.push(wait_item(a as u8, from, f.step as usize, on));
                    *w = None;
                }
            }
        }
    }
    for (a, w) in waiting.iter().enumerate() {
        if let Some((from, on)) = *w {
            if step > 0 {
                items.push(wait_item(a as u8, from, step.max(from) + 1, on));
            }
        }
    }
    items
}

fn wait_item(actor: u8, from: usize, to: usize, on: u8) -> TimelineItem {
    TimelineItem {
        lane: actor as usize,
        to_lane: None,
        x0: from as f64 - 1.0,
        x1: (to as f64 - 1.0).max(from as f64 - 0.1),
        label: format!("wait T{}", on + 1).into(),
        kind: ItemKind::Wait,
        step: from,
    }
}

/// A result in two or three characters for a lane block: ✓ done, +1 written, ∅ no row, 1 row, or the SQLSTATE.
fn result_short(r: &StmtResult) -> String {
    match r {
        StmtResult::Ok => "✓".into(),
        StmtResult::Count { n } => format!("+{n}"),
        StmtResult::Bool { value } => if *value { "t" } else { "f" }.into(),
        StmtResult::Rows { rows } if rows.is_empty() => "∅".into(),
        StmtResult::Rows { rows } => format!("{}", rows.len()),
        StmtResult::Error { state } => state.code().into(),
        StmtResult::Returned { rows } if rows.is_empty() => "∅".into(),
        StmtResult::Returned { rows } => format!("{}", rows.len()),
    }
}

/// The word on a lane block; the event log beside it says the same in full.
fn lane_word(i: races::Instr) -> &'static str {
    use races::{Instr, LockWaitPolicy, OnConflict, Stmt};
    match i {
        Instr::Sql { stmt } => match stmt {
            Stmt::Begin { .. } => "BEGIN",
            Stmt::SelectKey { for_update: false } => "SELECT",
            Stmt::SelectKey { for_update: true } => "SEL…FOR UPD",
            Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Error } => "SEL…NOWAIT",
            Stmt::SelectKeyNoWait { policy: LockWaitPolicy::Skip } => "SEL…SKIP",
            Stmt::Insert { on_conflict_do_nothing: false, .. } => "INSERT",
            Stmt::Insert { on_conflict_do_nothing: true, .. } => "INS…ON CONFL",
            Stmt::UpdateDone => "UPDATE",
            Stmt::AdvisoryLock => "LOCK",
            Stmt::TryAdvisoryLock => "TRY LOCK",
            Stmt::InsertOnConflictDoUpdate => "INS…DO UPD",
            Stmt::Commit => "COMMIT",
            Stmt::Rollback => "ROLLBACK",
            Stmt::InsertWith { conflict: OnConflict::Raise, .. } => "INSERT",
            Stmt::InsertWith { conflict: OnConflict::DoNothing { .. }, .. } => "INS…ON CONFL",
            Stmt::InsertWith { conflict: OnConflict::DoUpdate, .. } => "INS…DO UPD",
            Stmt::SelectKeyForNoKeyUpdate { policy: None } => "SEL…NO KEY",
            Stmt::SelectKeyForNoKeyUpdate { policy: Some(LockWaitPolicy::Error) } => "SEL…NK NOWAIT",
            Stmt::SelectKeyForNoKeyUpdate { policy: Some(LockWaitPolicy::Skip) } => "SEL…NK SKIP",
            Stmt::SetIsolation { .. } => "SET ISOL",
            Stmt::Savepoint { .. } => "SAVEPOINT",
            Stmt::RollbackToSavepoint { .. } => "ROLLBACK TO",
            Stmt::ReleaseSavepoint { .. } => "RELEASE",
            Stmt::SessionAdvisoryLock => "SESS LOCK",
            Stmt::SessionAdvisoryUnlock => "UNLOCK",
        },
        Instr::Charge => "charge $",
        Instr::MapGet => "map get",
        Instr::MapPut => "map put",
        Instr::Crash => "crash",
        Instr::SendResponse { .. } => "send",
        Instr::AwaitUnanswered { .. } | Instr::JumpIf { .. } | Instr::Retry { .. } | Instr::Respond { .. } => {
            instr_short(i)
        }
    }
}
