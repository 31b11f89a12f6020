//! The page's two other modes: side by side (the scenario beside its twin
//! under one schedule) and play scheduler (the learner picks who steps).

use super::run_panel::RunPanel;
use crate::shell::{LabAction, RunError};
use idemlab_sim::races::{join_schedule, runnable_after, RaceRun, RacesLab, Scenario};
use std::rc::Rc;
use yew::prelude::*;

/// The twin's scenario, its run, and the schedule entries it skipped.
pub type Twin = Option<(Rc<Scenario>, Result<Rc<RaceRun>, idemlab_sim::SimError>, Vec<String>)>;

/// The scenario beside its twin. While the pair's question is unanswered
/// (`asks`, its step), the banner names no outcome and neither pane is
/// marked worse: both would say which side charges twice.
pub fn side(run: &Rc<RaceRun>, s: &Rc<Scenario>, twin: &Twin, step: usize, asks: Option<usize>) -> Html {
    let Some((t, r2, skipped)) = twin else {
        return html! { <RunError error="the side-by-side run is missing; reload the page" /> };
    };
    let r2 = match r2 {
        Ok(r2) => r2,
        Err(e) => return html! { <RunError error={idemlab_sim::races::limits::refusal_words(e)} /> },
    };
    let (c1, c2) = (run.outcome.charges, r2.outcome.charges);
    let differs = c1 != c2 && asks.is_none();
    html! {
        <>
            <p class={classes!("races-compare", differs.then_some("races-differs"))} id="races-compare" role="status">
                { if let Some(d) = asks {
                    format!("Both sides run the same schedule. How many times each side charges shows with the answer to the prediction at step {d}.")
                } else if differs {
                    format!("⚠ The outcomes differ under the same schedule: {c1} charge{} on the left, {c2} on the right.", if c1 == 1 { "" } else { "s" })
                } else {
                    format!("Same number of charges on both sides under this schedule ({c1}).")
                } }
            </p>
            <div class="races-side">
                <div class={classes!("races-pane", (differs && c1 > 1).then_some("races-worse"))} data-pane="left">
                    <h3>{ pane_title(s.number, s.title, asks.is_some()) }</h3>
                    <RunPanel run={run.clone()} scenario={s.clone()} step={step.min(run.frames.len())} compact=true asks={asks} />
                </div>
                <div class={classes!("races-pane", (differs && c2 > 1).then_some("races-worse"))} data-pane="right">
                    <h3>{ pane_title(t.number, t.title, asks.is_some()) }</h3>
                    <RunPanel run={r2.clone()} scenario={t.clone()} step={step.min(r2.frames.len())} compact=true asks={asks} />
                    if !skipped.is_empty() { <p class="note">{ format!("The same schedule drives this side; where it named a transaction that was waiting or finished here, that entry was skipped ({}).", skipped.join("; ")) }</p> }
                </div>
            </div>
        </>
    }
}

/// The learner as the scheduler.
pub fn scheduler(
    q: &crate::query::Query,
    d: &Callback<LabAction>,
    run: &Rc<RaceRun>,
    s: &Rc<Scenario>,
    steps: usize,
) -> Html {
    let next = runnable_after(s, &run.schedule).unwrap_or_default();
    let go = |sch: Vec<u8>, enabled: bool| {
        let refused =
            crate::shell::apply::<RacesLab>(q, &LabAction::Extra { key: "schedule", value: join_schedule(&sch) })
                .is_none();
        let d = d.clone();
        (
            Callback::from(move |_: MouseEvent| {
                d.emit(LabAction::Extra { key: "schedule", value: join_schedule(&sch) })
            }),
            !enabled || refused,
        )
    };
    html! {
        <>
            <div class="races-scheduler" role="group" aria-label="Choose who goes next">
                <span>{ if next.is_empty() { "Every transaction has finished. " } else { "You are the scheduler: who takes the next step? " } }</span>
                { for (1..=s.programs.len() as u8).map(|n| {
                    let mut sch = run.schedule.clone();
                    sch.push(n);
                    let can = next.contains(&n);
                    let (onclick, disabled) = go(sch, can);
                    html! { <button type="button" class="races-go" data-actor={n.to_string()} disabled={disabled} {onclick}
                        title={if can { "" } else { "waiting or finished" }}>{ format!("{} ▶", s.programs[n as usize - 1].name) }</button> }
                }) }
                {{
                    let mut sch = run.schedule.clone();
                    sch.pop();
                    let (onclick, disabled) = go(sch, !run.schedule.is_empty());
                    html! { <button type="button" class="races-undo" disabled={disabled} {onclick}>{ "Undo" }</button> }
                }}
            </div>
            <RunPanel run={run.clone()} scenario={s.clone()} step={steps} compact=false />
        </>
    }
}

/// A pane's heading; while the pair's prediction waits, without the
/// title's verdict ("(the fix)"), which would answer it.
fn pane_title(number: u8, title: &str, asks: bool) -> String {
    let title = if asks { super::predict::unjudged(title) } else { title };
    if number == 0 {
        title.to_string()
    } else {
        format!("{number}. {title}")
    }
}
