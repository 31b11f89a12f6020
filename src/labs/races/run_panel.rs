//! The run at one step: the lanes, the table and locks, the narration, the
//! provider's ledger and the responses. Drawn from the engine's frames; the
//! run is never replayed here.

use crate::components::{EventLog, ItemKind, Term, Timeline, TimelineItem};
use idemlab_sim::races::{self, instr_short, Frame, RaceRecord, RaceRun, Response, Scenario, StmtResult};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`RunPanel`].
#[derive(Properties, PartialEq, Clone)]
pub struct RunPanelProps {
    /// The run.
    pub run: Rc<RaceRun>,
    /// Its scenario.
    pub scenario: Rc<Scenario>,
    /// The step shown.
    pub step: usize,
    /// The step of an unanswered prediction: the run is drawn ahead of the
    /// cursor only up to the step before it, so nothing past it shows.
    #[prop_or_default]
    pub asks: Option<usize>,
    /// Side-by-side panes leave out the event log.
    pub compact: bool,
}

/// The lanes, the table and locks, the narration and the ledger, at one step.
#[component]
pub fn RunPanel(p: &RunPanelProps) -> Html {
    let run = &p.run;
    let step = p.step.min(run.frames.len());
    let frame: Option<&Frame> = step.checked_sub(1).and_then(|i| run.frames.get(i));
    let lanes: Vec<AttrValue> = p.scenario.programs.iter().map(|pr| AttrValue::from(pr.name)).collect();
    // The whole run, so the lanes never open empty: the Timeline draws what lies
    // ahead of the cursor faintly.
    let items = timeline_items(run, p.asks.map_or(run.frames.len(), |q| q.saturating_sub(1).max(step)));
    // In words with their context (a COMMIT of a failed transaction answers ROLLBACK).
    let words = races::frame_narration(run);
    let lines: Vec<AttrValue> = words.iter().map(|w| AttrValue::from(w.join("; "))).collect();
    let narration = match step.checked_sub(1).and_then(|i| words.get(i)) {
        None => "Before the first step: nothing has run yet.".to_string(),
        Some(w) => w.join(". "),
    };
    let charges: Vec<(u16, u8, u8)> = run
        .trace
        .iter()
        .filter(|t| t.step as usize <= step)
        .filter_map(|t| {
            if let RaceRecord::Charged { actor, total } = t.record {
                Some((t.step, actor, total))
            } else {
                None
            }
        })
        .collect();
    let rows = frame.map(|f| f.rows.clone()).unwrap_or_default();
    let waits = frame.map(|f| f.waits.clone()).unwrap_or_default();
    html! {
        <div class={classes!("races-run", p.compact.then_some("compact"))}>
            // A pane beside another says its own step; the single run's words
            // are the step caption under the controls (one shared component).
            if p.compact {
                <p class="races-narration"><strong>{ format!("Step {step}: ") }</strong>{ narration }</p>
            }
            <div class="races-stage">
                <div class="races-lanes" tabindex="0" role="group" aria-label="Swimlanes (scrolls sideways on narrow screens)">
                    <Timeline lanes={lanes} items={items} current={step} x_max={run.frames.len().max(1) as f64} x_label="schedule step"
                        title={AttrValue::from(format!("Swimlanes of {}", p.scenario.title))} />
                </div>
                <aside class="races-side-panels">
                    <div class="races-table">
                        <h4>{ if p.scenario.is_sql { "idempotency_keys" } else { "key store" } }</h4>
                        if p.scenario.is_sql {
                            if rows.is_empty() { <p class="note">{ "(no rows)" }</p> } else {
                                <table>
                                    <thead><tr><th scope="col">{ "status" }</th><th scope="col">{ "response" }</th><th scope="col">{ "written by" }</th><th scope="col">{ "lock" }</th></tr></thead>
                                    <tbody>{ for rows.iter().map(|r| html! {
                                        <tr class={classes!((!r.committed).then_some("uncommitted"), r.replaced.then_some("replaced"))}>
                                            <td>{ r.status.sql() }</td>
                                            <td>{ r.response.map_or("NULL".to_string(), |c| c.to_string()) }</td>
                                            <td>{ format!("T{}{}", r.written_by + 1, if r.committed { " ✓ committed" } else { " … uncommitted" }) }{ if r.replaced { " (old version)" } else { "" } }</td>
                                            <td>{ lock_words(r) }</td>
                                        </tr>
                                    }) }</tbody>
                                </table>
                            }
                        } else {
                            <p>{ if frame.is_some_and(|f| f.map_has_key) { "key → 201 stored" } else { "(empty)" } }</p>
                        }
                        <h4>{ "Locks and waits" }</h4>
                        <ul class="races-locks">
                            if let Some(h) = frame.and_then(|f| f.advisory_holder) { <li>{ format!("T{} holds the advisory lock on the key", h + 1) }</li> }
                            { for waits.iter().map(|w| html! { <li class="wait">{ format!("T{} waits for T{}", w.waiter + 1, w.on + 1) }</li> }) }
                            if waits.is_empty() && frame.and_then(|f| f.advisory_holder).is_none() { <li class="note">{ "none" }</li> }
                        </ul>
                    </div>
                    <div class="races-ledger-box">
                        <h4>{ "Payment provider's ledger" }</h4>
                        <ol class="races-ledger" data-charges={charges.len().to_string()}>
                            { for charges.iter().map(|(st, a, total)| html! {
                                <li class={classes!((*total > 1).then_some("double"))}>
                                    { format!("charge #{total}: by T{} at step {st}", a + 1) }{ if *total > 1 { " ⚠ double charge" } else { "" } }
                                </li>
                            }) }
                        </ol>
                        if charges.is_empty() { <p class="note">{ "no charge yet" }</p> }
                        <h4>{ "Responses" }</h4>
                        <ul class="races-responses">
                            { for frame.map(|f| f.responses.clone()).unwrap_or_default().iter().enumerate().filter(|(_, r)| **r != Some(Response::NotARequest)).map(|(i, r)| html! {
                                <li>{ format!("T{}: {}", i + 1, r.map_or("(working)".to_string(), |r| r.label())) }</li>
                            }) }
                        </ul>
                    </div>
                </aside>
            </div>
            <p class="legend-text races-codes">
                { "Errors a lane can meet (PostgreSQL 15 SQLSTATE): " }
                <Term word="23505" tip={races::sqlstate_tip(races::SqlState::UniqueViolation)} />{ " · " }
                <Term word="40001" tip={races::sqlstate_tip(races::SqlState::SerializationFailure)} />{ " · " }
                <Term word="25P02" tip={races::sqlstate_tip(races::SqlState::InFailedTransaction)} />{ " · " }
                <Term word="40P01" tip={races::sqlstate_tip(races::SqlState::DeadlockDetected)} />{ " · " }
                <Term word="55P03" tip={races::sqlstate_tip(races::SqlState::LockNotAvailable)} />
            </p>
            <p class="legend-text">{ "Lane blocks: ✓ done · +1 row written · ∅ no row · 1 row returned · hatched bar “wait T1”: waiting for T1 · dashed outline: an error, a COMMIT that rolled back, or a second charge · thick outline: answered." }</p>
            if !p.compact { <EventLog lines={lines} current={step} /> }
        </div>
    }
}

/// Blocks for steps, hatched bars for waits (growing until they end), all up to `step`.
fn timeline_items(run: &RaceRun, step: usize) -> Vec<TimelineItem> {
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

/// The lock column of a row version: a FOR UPDATE lock, or the row lock an
/// uncommitted UPDATE (or ON CONFLICT DO UPDATE) holds on the version it replaced.
fn lock_words(r: &races::RowView) -> String {
    match (r.locked_by, r.updated_by) {
        (Some(a), _) => format!("FOR UPDATE by T{}", a + 1),
        (None, Some(a)) => format!("locked by T{}'s update until it ends", a + 1),
        (None, None) => String::new(),
    }
}
