//! Where each Retries view's run comes from, handed to the shell as a run
//! source (`use_lab_from`), which keeps the previous run on screen while a
//! new one computes elsewhere.
//!
//! - Fleet: on the page at first, then in the worker (`fleet_runs.rs`);
//!   while the worker computes a change, the previous fleet stays, busy.
//! - Study: the worker's sweep, drawn as it comes (`study.rs`); the run is
//!   assembled from its points, with the points the core's `run_study` gives,
//!   when the sweep has finished.
//! - Compare: the worker's figures, drawn as they come (`compare.rs`); the
//!   page has no run, so an export builds the whole one when it asks.
//!
//! Study and compare run on the page instead when the learner asks for it
//! because the worker did not answer.

use super::compare::{use_compare_figures, CompareFigures};
use super::fleet_runs::{is_fleet, FleetRuns};
use super::{next_link, RunRef};
use crate::offload::{use_offload_on, use_page_worker, CompareJob, OffloadHandle, Offloaded, SweepJob, SweepPointData};
use crate::shell::{
    outcome_of_counters, use_lab_from, use_post_outcome, LabAction, LabLink, LabProps, LabState, RunResult, RunSource,
};
use idemlab_sim::error::SimError;
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::lab::{compare_counters_of, study_with_points};
use idemlab_sim::retries::{RetriesLab, RetriesParams, RetriesRun, View};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// The Retries page's run for one render, wherever it came from.
pub struct RetriesRuns {
    /// What the link says.
    pub link: LabLink<RetriesLab>,
    /// The run shown (`None` while the study sweeps or the compare view's fleets run in the worker).
    pub run: Option<RunResult<RetriesRun>>,
    /// The run shown is the previous knobs' fleet: the worker is computing the change.
    pub stale: bool,
    /// Where the run shown was made ("page" or "worker").
    pub from: &'static str,
    /// The outcome an embedding page hears (never of a stale or partial run).
    pub outcome: Option<serde_json::Value>,
    /// Sends an action through the Retries link rules.
    pub dispatch: Callback<LabAction>,
    /// Whether the worker has answered a fleet, so the next change waits for it.
    pub worker_ready: bool,
    /// The compare view's figures.
    pub compared: CompareFigures,
    /// The study sweep in the worker.
    pub sweep: OffloadHandle<Vec<SweepPointData>>,
    /// Runs the compare view's fleets again (after a stop).
    pub compare_rerun: Callback<()>,
    /// The whole run, for an export.
    pub whole_run: Callback<(), Option<RunResult<RetriesRun>>>,
}

/// The study run from the worker's sweep: the core adds the waves.
pub fn study_from(p: &RetriesParams, points: &[SweepPointData]) -> Result<RetriesRun, SimError> {
    study_with_points(p, points.iter().map(Into::into).collect()).map(RetriesRun::Study)
}

/// The Retries runs: `reached` once the learner reached for the controls
/// (the worker wakes), `on_page` once they asked for the study or the
/// comparison on the page.
#[hook]
pub fn use_retries_runs(p: &LabProps, reached: bool, on_page: bool) -> RetriesRuns {
    let params = LabLink::<RetriesLab>::read(&p.query).params;
    let (view, valid) = (params.view, idemlab_sim::knob::validate(&params).is_ok());
    let worker = use_page_worker();
    let fleet_runs = use_mut_ref(FleetRuns::default);
    let fleet_want = (view == View::Fleet && valid).then(|| params.fleet.clone());
    let fleet_job = fleet_runs.borrow_mut().job(fleet_want.as_ref(), reached);
    let fleet = use_offload_on(&worker, fleet_job);
    let off_page = valid && !on_page;
    let f = &params.fleet;
    let sweep_job = (view == View::Study && off_page).then_some(SweepJob {
        clients_max: params.study.clients_max,
        runs: params.study.runs,
        seed: f.seed,
    });
    let sweep = use_offload_on(&worker, sweep_job);
    let compare = use_offload_on(&worker, (view == View::Compare && off_page).then(|| CompareJob::new(f)));
    let swept = match &sweep.state {
        Offloaded::Done(points) => Some(points.clone()),
        Offloaded::Idle
        | Offloaded::Running { .. }
        | Offloaded::Failed(_)
        | Offloaded::Cancelled { .. }
        | Offloaded::NoAnswer => None,
    };
    let study = use_memo((params.clone(), swept), |(p, s)| s.as_ref().map(|s| Rc::new(study_from(p, s))));
    let elsewhere = |run, from, stand_in| RunSource::Elsewhere { run, for_link: true, from, stand_in };
    let source = match view {
        _ if !valid || on_page => RunSource::Page,
        View::Fleet => match fleet_runs.borrow_mut().fresh(f, &fleet.state) {
            Some((run, from)) => elsewhere(Some(run), from, None),
            None => elsewhere(None, "worker", Some(is_fleet as fn(&RetriesRun) -> bool)),
        },
        View::Study => elsewhere((*study).clone(), "worker", None),
        View::Compare => elsewhere(None, "worker", None),
    };
    let dispatch = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |a: LabAction| {
            if let Some(next) = next_link(&q, &a) {
                on_query.emit(next);
            }
        })
    };
    let (link, run, stale, from, outcome, dispatch) = match use_lab_from::<RetriesLab>(p, source, Some(dispatch)) {
        LabState::Ready(c) => (c.link, Some(c.run), c.stale, c.from, c.outcome, c.dispatch),
        LabState::Loading { link, dispatch } => (link, None, false, "worker", None, dispatch),
    };
    let compared = use_compare_figures(f, run.clone().map(RunRef), &compare.state);
    // The compare view's outcome: the counters of the worker's whole comparison, never of a partial or previous one.
    let compare_outcome = match (&run, view) {
        (None, View::Compare) => compared.whole().map(|f| outcome_of_counters(link.preset, &compare_counters_of(f))),
        (Some(_) | None, _) => None,
    };
    use_post_outcome::<RetriesLab>(compare_outcome.clone(), !link.embed || link.reveal);
    let worker_ready = fleet_runs.borrow().worker_ready();
    let whole_run = use_whole_run(&link.params, run.clone(), fleet_runs);
    RetriesRuns {
        link,
        run,
        stale,
        from,
        outcome: outcome.or(compare_outcome),
        dispatch,
        worker_ready,
        compared,
        sweep,
        compare_rerun: compare.rerun,
        whole_run,
    }
}

/// The whole run for an export, built when one asks: a fleet drawn from the
/// worker has no records here, and in the compare view the page holds only
/// the worker's figures, while the report's trace hash and the trace download
/// need the runs (the last one built is kept).
#[hook]
fn use_whole_run(
    params: &RetriesParams,
    run: Option<RunResult<RetriesRun>>,
    fleet_runs: Rc<RefCell<FleetRuns>>,
) -> Callback<(), Option<RunResult<RetriesRun>>> {
    let built = use_mut_ref(|| None::<(RetriesParams, RunResult<RetriesRun>)>);
    let params = params.clone();
    Callback::from(move |()| {
        let fleet_here = params.view == View::Fleet && idemlab_sim::knob::validate(&params).is_ok();
        if fleet_here {
            if let Some(r) = fleet_runs.borrow().whole(&params.fleet) {
                return Some(r);
            }
        } else if let Some(r) = &run {
            return Some(r.clone());
        }
        if params.view == View::Study {
            return None;
        }
        let mut b = built.borrow_mut();
        match &*b {
            Some((p, r)) if *p == params => Some(r.clone()),
            Some(_) | None => {
                let r = Rc::new(RetriesLab::run(&params));
                *b = Some((params.clone(), r.clone()));
                Some(r)
            }
        }
    })
}
