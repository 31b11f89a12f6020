//! The run at one step: the lanes, the table and locks, the narration, the
//! provider's ledger and the responses. Drawn from the engine's frames; the
//! run is never replayed here.

use super::lanes::timeline_items;
use crate::components::{EventLog, Term, Timeline};
use idemlab_sim::races::{self, Frame, RaceRecord, RaceRun, Response, Scenario};
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
    // A pane beside another sits under its own h3; the single run sits
    // straight under the lab's h2, so its panels' headings are one level up.
    let sub = if p.compact { "h4" } else { "h3" };
    let side_name = if p.compact {
        format!("{}: key table, locks, ledger and responses at this step", p.scenario.title)
    } else {
        "Key table, locks, ledger and responses at this step".to_string()
    };
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
                <aside class="races-side-panels" aria-label={side_name}>
                    <div class="races-table">
                        <@{sub}>{ if p.scenario.is_sql { "idempotency_keys" } else { "key store" } }</@>
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
                        <@{sub}>{ "Locks and waits" }</@>
                        <ul class="races-locks">
                            if let Some(h) = frame.and_then(|f| f.advisory_holder) { <li>{ format!("T{} holds the advisory lock on the key", h + 1) }</li> }
                            { for waits.iter().map(|w| html! { <li class="wait">{ format!("T{} waits for T{}", w.waiter + 1, w.on + 1) }</li> }) }
                            if waits.is_empty() && frame.and_then(|f| f.advisory_holder).is_none() { <li class="note">{ "none" }</li> }
                        </ul>
                    </div>
                    <div class="races-ledger-box">
                        <@{sub}>{ "Payment provider's ledger" }</@>
                        <ol class="races-ledger" data-charges={charges.len().to_string()}>
                            { for charges.iter().map(|(st, a, total)| html! {
                                <li class={classes!((*total > 1).then_some("double"))}>
                                    { format!("charge #{total}: by T{} at step {st}", a + 1) }{ if *total > 1 { " ⚠ double charge" } else { "" } }
                                </li>
                            }) }
                        </ol>
                        if charges.is_empty() { <p class="note">{ "no charge yet" }</p> }
                        <@{sub}>{ "Responses" }</@>
                        <ul class="races-responses">
                            { for frame.map(|f| f.responses.clone()).unwrap_or_default().iter().enumerate().filter(|(_, r)| **r != Some(Response::NotARequest)).map(|(i, r)| html! {
                                <li>{ format!("T{}: {}", i + 1, r.map_or("(working)".to_string(), |r| r.label())) }</li>
                            }) }
                        </ul>
                    </div>
                </aside>
            </div>
            <p class="legend-text races-codes">
                { crate::components::gloss_once("Errors a lane can meet (PostgreSQL 15 SQLSTATE): ") }
                <Term word="23505" />{ " · " }
                <Term word="40001" />{ " · " }
                <Term word="25P02" />{ " · " }
                <Term word="40P01" />{ " · " }
                <Term word="55P03" />
            </p>
            <p class="legend-text">{ "Lane blocks: ✓ done · +1 row written · ∅ no row · 1 row returned · hatched bar “wait T1”: waiting for T1 · dashed outline: an error, a COMMIT that rolled back, or a second charge · thick outline: answered." }</p>
            if !p.compact { <EventLog lines={lines} current={step} /> }
        </div>
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
