//! The Retries evidence: the run's counters, or in the compare view the
//! counters of the worker's whole comparison; while a newer one computes,
//! the previous knobs' counters stay, under a title (and, for a fleet, the
//! shell's busy note) that says so.

use super::compare::CompareState;
use super::runs::RetriesRuns;
use crate::components::{Counter, Evidence, ExportBar};
use crate::shell::{Busy, RunError};
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::lab::compare_counters_of;
use idemlab_sim::retries::{RetriesLab, View, COMPARE};
use yew::prelude::*;

/// The counters shown and whether they are of the previous knobs, or a note saying why there are none.
fn counters(r: &RetriesRuns) -> Result<(Vec<Counter>, bool), Html> {
    let key = r.link.key_counter();
    let compared = &r.compared;
    match (r.run.as_deref(), r.link.params.view) {
        (Some(Err(e)), _) => Err(html! { <RunError error={e.to_string()} /> }),
        (Some(Ok(run)), _) => Ok((Counter::from_core(&RetriesLab::counters(run), key), false)),
        (None, View::Compare) => match (compared.whole(), &compared.previous, &compared.state) {
            (Some(f), _, _) => Ok((Counter::from_core(&compare_counters_of(f), key), false)),
            (None, _, CompareState::Failed(e)) => Err(html! { <RunError error={e.clone()} /> }),
            (None, Some(prev), _) => Ok((Counter::from_core(&compare_counters_of(prev), key), true)),
            (None, None, _) => Err(html! {
                <p class="note" role="status" data-testid="compare-evidence-waits">{ "No counters yet: they come with the last of the six strategies (its status is above the table)." }</p>
            }),
        },
        (None, View::Fleet | View::Study) => Err(html! {
            <p class="note" role="status" data-testid="study-evidence-waits">{ "No counters yet: they read the points at the largest client count, which come last in the sweep (its status is above the charts)." }</p>
        }),
    }
}

/// What the learner believes before looking, per view.
fn belief(r: &RetriesRuns) -> String {
    let f = &r.link.params.fleet;
    match r.link.params.view {
        View::Fleet => format!(
            "each client makes at most {} attempts per request, so the server sees at most {}× the load, and backing off protects a recovering server.",
            f.attempts_max,
            u64::from(f.attempts_max) * f.calls_per_attempt_max()
        ),
        View::Compare => "jitter makes fewer calls than plain exponential backoff.".to_string(),
        View::Study => "backoff with jitter removes the cost of contention.".to_string(),
    }
}

/// The evidence box with its export bar.
pub fn evidence(r: &RetriesRuns) -> Html {
    let (counters, previous) = match counters(r) {
        Err(note) => return note,
        Ok(c) => c,
    };
    let lab = &r.link;
    let title = if previous {
        format!(
            "Evidence for the previous knobs: the fleets of your change are still running ({} of {} strategies)",
            r.compared.fresh.len(),
            COMPARE.len()
        )
    } else {
        "Evidence for the whole run: what an operator's dashboard would show".to_string()
    };
    let make_report = lab.report_maker_with(r.whole_run.clone());
    let trace_json = {
        let (whole_run, make_report) = (r.whole_run.clone(), make_report.clone());
        Callback::from(move |_| match whole_run.emit(()).as_deref() {
            Some(Ok(run)) => {
                serde_json::to_string_pretty(&serde_json::json!({ "report": make_report.emit(()), "run": run }))
                    .unwrap_or_default()
            }
            Some(Err(e)) => e.to_string(),
            None => String::new(),
        })
    };
    let name = format!("retries-{}-{}", lab.params.view.slug(), lab.preset.map_or("custom", |p| p.slug));
    html! {
        <Busy class="retries-evidence" stale={r.stale} previous={previous}>
            <Evidence title={title} belief={Some(AttrValue::from(belief(r)))} counters={counters.clone()} />
            <ExportBar name={name} trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
        </Busy>
    }
}
