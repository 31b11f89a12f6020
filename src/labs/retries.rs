//! Retries: backoff, jitter, Retry-After and retry budgets for a fleet, and
//! the AWS backoff study's contention workload. Params, presets, the run and
//! the counters come from the core (`idemlab_sim::retries`) through the lab
//! shell; this file lays out the page and the three views' tabs. The views'
//! charts live in `retries/`.
//!
//! A preset keeps the current view, and switching view keeps the preset: the
//! view is a knob (so a link reproduces the run it shows), and these two
//! actions write the other one back into the link.
//!
//! The fleet view's first run, and its first knob change, run on the page's
//! thread (about 10 ms); later changes run in the Web Worker while the
//! previous run stays on screen, marked busy (`retries/fleet_runs.rs`). The compare view's
//! six fleets (60 to 100 ms together) run in the Web Worker
//! (`crate::offload`), a strategy at a time, and the page draws each
//! strategy's figures as they come (`retries/compare.rs`); its counters come
//! from those figures through the core's own function, and an export builds
//! the whole run when it is asked for. The study view's sweep (up to 19
//! client counts × 5 strategies × 100 runs) runs in the worker too, a client
//! count at a time; the page draws the points as they come and assembles the
//! run, with the same points the core's `run_study` gives, when the sweep has
//! finished.

mod compare;
mod fleet;
mod fleet_runs;
mod question;
mod retry_table;
mod study;
mod worker_status;

use crate::components::{Counter, Evidence, ExportBar};
use crate::offload::{use_offload, Job, JobOutput, Offloaded};
use crate::query::Query;
use crate::shell::{
    apply, outcome_of, outcome_of_counters, use_post_outcome, use_predict_gate, use_preset_hrefs, KnobPanel, LabAction,
    LabLayout, LabLink, LabProps, PresetBar, RunError, SourcesPanel,
};
use idemlab_sim::error::SimError;
use idemlab_sim::knob::Params;
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::fleet::FleetParams;
use idemlab_sim::retries::lab::{compare_counters_of, study_with_points};
use idemlab_sim::retries::params::STUDY_KEYS;
use idemlab_sim::retries::{RetriesLab, RetriesParams, RetriesRun, View, COMPARE};
use std::rc::Rc;
use yew::prelude::*;

/// A run shared with the views, compared by identity: a new run is a new
/// `Rc`, so a view re-derives its chart data only when the run changed.
#[derive(Clone)]
pub struct RunRef(pub Rc<Result<RetriesRun, SimError>>);

impl PartialEq for RunRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// The link after `action`, keeping the view across a preset and the preset
/// across a change of view. `None` when a lock refuses it.
pub fn next_link(q: &Query, action: &LabAction) -> Option<Query> {
    let mut read_q = q.clone();
    let read = idemlab_sim::lab::read_link::<RetriesLab>(&mut read_q);
    let mut next = apply::<RetriesLab>(q, action)?;
    match action {
        LabAction::Preset(_) => next.set("mode", read.params.view.slug()),
        LabAction::SetKnob { key: "mode", .. } => {
            if let Some(pr) = read.preset {
                next.set("preset", pr.slug);
            }
        }
        LabAction::SetKnob { .. }
        | LabAction::NewSeed(_)
        | LabAction::Step(_)
        | LabAction::Extra { .. }
        | LabAction::Then(_) => {}
    }
    Some(next)
}

/// The outage window, in seconds, when there is one.
pub fn outage(p: &RetriesParams) -> Option<(f64, f64)> {
    let f = &p.fleet;
    (f.outage_to_s > f.outage_from_s).then(|| (f64::from(f.outage_from_s), f64::from(f.outage_to_s)))
}

/// The study run from the worker's sweep: the core adds the waves.
fn study_from(p: &RetriesParams, out: &JobOutput) -> Result<RetriesRun, SimError> {
    match out {
        JobOutput::Sweep(points) => {
            study_with_points(p, points.iter().map(Into::into).collect()).map(RetriesRun::Study)
        }
        JobOutput::Report(_) | JobOutput::Handler(_) | JobOutput::Compare(_) | JobOutput::Fleet(_) => {
            Err(SimError::Internal("the worker answered the study sweep with something else"))
        }
    }
}

/// The worker's job for the compare view: the fleet under every compared
/// strategy. The fleet's own strategy does not change the comparison, so the
/// job leaves it out: changing it in the compare view reruns nothing.
pub fn compare_job(fleet: &FleetParams) -> Job {
    Job::CompareStrategies { fleet: FleetParams { strategy: COMPARE[0], ..fleet.clone() } }
}

/// The Retries lab page.
impl super::LabPage for idemlab_sim::retries::RetriesLab {
    const PREDICTS_FIRST: bool = true;
    const SUMMARY: &'static str = "full-jitter backoff, Retry-After, what to retry, and a retry budget for the fleet.";
    const PRESET_KEEPS: &'static [&'static str] = &["mode"];
    fn next_link(q: &Query, action: &LabAction) -> Option<Query> {
        next_link(q, action)
    }
    fn page(props: LabProps) -> Html {
        html! { <Retries ..props /> }
    }
}

#[component]
pub fn Retries(p: &LabProps) -> Html {
    let link = LabLink::<RetriesLab>::read(&p.query);
    let params = &link.params;
    let view = params.view;
    // The study sweep and the compare view's fleets run in the worker, unless
    // the learner asked for them on this page because the worker did not answer.
    let on_page = use_state(|| false);
    let valid = idemlab_sim::knob::validate(params);
    // The fleet view's runs: on this page at first, then in the worker (`retries/fleet_runs.rs`).
    let fleet_runs = use_mut_ref(fleet_runs::FleetRuns::default);
    let fleet_want = (view == View::Fleet && valid.is_ok()).then(|| params.fleet.clone());
    // Set when the learner reaches for the controls: the worker wakes before the first change.
    let reached = use_state_eq(|| false);
    let fleet_job = fleet_runs.borrow_mut().job(fleet_want.as_ref(), *reached);
    let job = match view {
        View::Fleet => fleet_job,
        _ if *on_page || valid.is_err() => None,
        View::Study => Some(Job::StudySweep {
            clients_max: params.study.clients_max,
            runs: params.study.runs,
            seed: params.fleet.seed,
        }),
        View::Compare => Some(compare_job(&params.fleet)),
    };
    let work = use_offload(job);
    let finished = match &work.state {
        Offloaded::Done(out) if view == View::Study => Some(out.clone()),
        Offloaded::Done(_)
        | Offloaded::Idle
        | Offloaded::Running { .. }
        | Offloaded::Failed(_)
        | Offloaded::Cancelled { .. }
        | Offloaded::NoAnswer => None,
    };
    // `None` while the worker is still sweeping, and in the compare view
    // while the worker runs the fleets: that view draws the worker's figures.
    let run = use_memo((params.clone(), *on_page, finished), |(p, on_page, finished)| match p.view {
        View::Study | View::Compare if !on_page => match (idemlab_sim::knob::validate(p), finished) {
            (Err(e), _) => Some(Rc::new(Err(e))),
            (Ok(()), Some(out)) => Some(Rc::new(study_from(p, out))),
            (Ok(()), None) => None,
        },
        // A fleet with valid knobs comes from `fleet_runs` below.
        View::Fleet if idemlab_sim::knob::validate(p).is_ok() => None,
        View::Study | View::Fleet | View::Compare => Some(Rc::new(RetriesLab::run(p))),
    });
    let fleet_shown = fleet_want.as_ref().map(|f| fleet_runs.borrow_mut().shown(f, &work.state));
    let run: Option<Rc<Result<RetriesRun, SimError>>> = match &fleet_shown {
        Some(s) => Some(s.run.clone()),
        None => (*run).clone(),
    };
    // While the worker runs the fleet of a knob change, the previous run stays on screen.
    let fleet_stale = fleet_shown.as_ref().is_some_and(|s| s.stale);
    let compared = compare::use_compare_figures(run.clone().map(RunRef), &work.state);
    // The outcome an embedding page hears: the run's counters, or in the
    // compare view the counters of the worker's whole comparison, never of
    // a partial or previous one.
    let outcome = match (run.as_deref(), view) {
        (Some(Ok(_)), _) if fleet_stale => None,
        (Some(Ok(r)), _) => Some(outcome_of::<RetriesLab>(link.preset, r)),
        (None, View::Compare) => compared.whole().map(|f| outcome_of_counters(link.preset, &compare_counters_of(f))),
        (Some(Err(_)) | None, _) => None,
    };
    use_post_outcome::<RetriesLab>(outcome.clone(), !link.embed || link.reveal);
    // The whole run for an export, built when one asks: in the compare view
    // the page holds only the worker's figures, and the report's trace hash
    // and the trace download need the runs (the last one built is kept).
    let built = use_mut_ref(|| None::<(RetriesParams, Rc<Result<RetriesRun, SimError>>)>);
    let whole_run = {
        let (run, params, fleet_runs) = (run.clone(), params.clone(), fleet_runs.clone());
        Callback::from(move |()| -> Option<Rc<Result<RetriesRun, SimError>>> {
            // A fleet drawn from the worker (or still computing there) has no records here.
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
    };
    let lab = &link;
    let dispatch = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |a: LabAction| {
            if let Some(next) = next_link(&q, &a) {
                on_query.emit(next);
            }
        })
    };
    let href = |a: &LabAction| next_link(&p.query, a).unwrap_or_else(|| lab.query.clone()).to_search();

    // A preset's link keeps the view (`mode`), so that knob stays in what the links depend on.
    let hrefs = use_preset_hrefs(lab, &["mode"], |q, a| next_link(q, a).unwrap_or_else(|| q.clone()).to_search());
    let presets_bar = html! {
        <PresetBar prefix="retries" presets={RetriesLab::presets()} current={lab.preset.map(|p| p.slug)} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={dispatch.clone()} />
    };
    let tabs = html! {
        <div class="retries-tabs" role="tablist" aria-label="View">
            { for View::ALL.iter().map(|&v| {
                let action = LabAction::SetKnob { key: "mode", value: v.index() as u64 };
                let d = dispatch.clone();
                let onclick = Callback::from(move |e: MouseEvent| { e.prevent_default(); d.emit(action.clone()); });
                html! {
                    <a href={href(&LabAction::SetKnob { key: "mode", value: v.index() as u64 })} role="tab"
                        aria-selected={(v == view).to_string()} data-mode={v.slug()} aria-disabled={lab.locked("mode").then_some("true")}
                        class={classes!("retries-tab", (v == view).then_some("current"))} {onclick}>{ v.title() }</a>
                }
            }) }
        </div>
    };
    let hide: Vec<&'static str> = match view {
        View::Fleet | View::Compare => {
            let mut h = vec!["mode"];
            h.extend(STUDY_KEYS);
            h
        }
        View::Study => {
            RetriesParams::knobs().iter().map(|k| k.key).filter(|k| !STUDY_KEYS.contains(k) && *k != "seed").collect()
        }
    };
    let reach = {
        let reached = reached.setter();
        Callback::from(move |_: Event| reached.set(true))
    };
    let controls = html! {
        <div class="retries-controls-reach" onpointerdown={reach.reform(Event::from)} onfocusin={reach.reform(Event::from)}>
            <KnobPanel<RetriesParams> prefix="retries" params={params.clone()} query={lab.query.clone()} dispatch={dispatch.clone()} hide={hide} />
        </div>
    };

    let band = outage(params);
    // Predict first: the first bucket after the outage waits for the learner's prediction.
    let wave_q = use_memo(run.clone().map(RunRef), |r| match r.as_ref().map(|r| &*r.0) {
        Some(Ok(RetriesRun::Fleet(f))) => question::question(f),
        Some(Ok(RetriesRun::Compare { .. } | RetriesRun::Study(_)) | Err(_)) | None => None,
    });
    let on_step = dispatch.reform(LabAction::Step);
    let step = lab.step.min(idemlab_sim::retries::fleet::BUCKETS);
    let predict = use_predict_gate(lab, &dispatch, step, (*wave_q).clone(), on_step);
    // Until the learner predicts, the charts hide what follows the outage.
    let hide_from = band.filter(|_| predict.hiding && wave_q.is_some()).map(|(_, to)| to);
    let study_view = |finished: Option<RunRef>| {
        let state = work.state.clone();
        let (cancel, rerun) = (work.cancel.clone(), work.rerun.clone());
        let here = {
            let on_page = on_page.clone();
            Callback::from(move |()| on_page.set(true))
        };
        html! {
            <>{ tabs.clone() }<study::StudyView params={params.clone()} finished={finished} state={state}
                on_page={*on_page} cancel={cancel} rerun={rerun} here={here} /></>
        }
    };
    let compare_view = {
        let here = {
            let on_page = on_page.clone();
            Callback::from(move |()| on_page.set(true))
        };
        html! {
            <>{ tabs.clone() }<compare::CompareView figures={compared.clone()} band={band} seed={params.fleet.seed}
                here={here} rerun={work.rerun.clone()} /></>
        }
    };
    let picture = match &run {
        None if view == View::Compare => compare_view.clone(),
        None => study_view(None),
        Some(r) => match &**r {
            Err(e) => html! { <>{ tabs.clone() }<RunError error={e.to_string()} /></> },
            Ok(RetriesRun::Fleet(_)) => html! {
                <>{ tabs.clone() }<fleet::FleetView run={RunRef(r.clone())} step={lab.step} band={band} locked={lab.locked("step")}
                    stale={fleet_stale} source={AttrValue::Static(fleet_shown.as_ref().map_or("page", |s| s.source))}
                    worker_ready={fleet_shown.as_ref().is_some_and(|s| s.worker_ready)}
                    on_step={predict.on_step.clone()} prompt={predict.prompt.clone()} hide_from={hide_from} /></>
            },
            Ok(RetriesRun::Compare { .. }) => compare_view.clone(),
            Ok(RetriesRun::Study(_)) => study_view(Some(RunRef(r.clone()))),
        },
    };

    // The counters shown: the run's, or the compare view's whole comparison
    // from the worker; while a newer one computes, the previous knobs'
    // counters stay, under a title that says so.
    let key = lab.key_counter();
    let counters: Result<(Vec<Counter>, bool), Html> = match (run.as_deref(), view) {
        (Some(Err(e)), _) => Err(html! { <RunError error={e.to_string()} /> }),
        (Some(Ok(r)), _) => Ok((Counter::from_core(&RetriesLab::counters(r), key), false)),
        (None, View::Compare) => match (compared.whole(), &compared.previous, &compared.state) {
            (Some(f), _, _) => Ok((Counter::from_core(&compare_counters_of(f), key), false)),
            (None, _, compare::CompareState::Failed(e)) => Err(html! { <RunError error={e.clone()} /> }),
            (None, Some(prev), _) => Ok((Counter::from_core(&compare_counters_of(prev), key), true)),
            (None, None, _) => Err(html! {
                <p class="note" role="status" data-testid="compare-evidence-waits">{ "No counters yet: they come with the last of the six strategies (its status is above the table)." }</p>
            }),
        },
        (None, View::Fleet | View::Study) => Err(html! {
            <p class="note" role="status" data-testid="study-evidence-waits">{ "No counters yet: they read the points at the largest client count, which come last in the sweep (its status is above the charts)." }</p>
        }),
    };
    let evidence = match counters {
        Err(note) => note,
        Ok((counters, stale)) => {
            let f = &params.fleet;
            let belief = match view {
                View::Fleet => format!(
                    "each client makes at most {} attempts per request, so the server sees at most {}× the load, and backing off protects a recovering server.",
                    f.attempts_max,
                    u64::from(f.attempts_max) * f.calls_per_attempt_max()
                ),
                View::Compare => "jitter makes fewer calls than plain exponential backoff.".to_string(),
                View::Study => "backoff with jitter removes the cost of contention.".to_string(),
            };
            let title = if stale {
                format!(
                    "Evidence for the previous knobs: the fleets of your change are still running ({} of {} strategies)",
                    compared.fresh.len(),
                    COMPARE.len()
                )
            } else {
                "Evidence for the whole run: what an operator's dashboard would show".to_string()
            };
            let make_report = lab.report_maker_with(whole_run.clone());
            let trace_json = {
                let (whole_run, make_report) = (whole_run.clone(), make_report.clone());
                Callback::from(move |_| match whole_run.emit(()).as_deref() {
                    Some(Ok(r)) => {
                        serde_json::to_string_pretty(&serde_json::json!({ "report": make_report.emit(()), "run": r }))
                            .unwrap_or_default()
                    }
                    Some(Err(e)) => e.to_string(),
                    None => String::new(),
                })
            };
            let name = format!("retries-{}-{}", view.slug(), lab.preset.map_or("custom", |p| p.slug));
            html! {
                <div class={classes!("retries-evidence", stale.then_some("stale"), fleet_stale.then_some("busy"))}
                     data-stale={(stale || fleet_stale).to_string()} aria-busy={fleet_stale.then_some("true")}>
                    if fleet_stale {
                        // Shown only if the worker takes a while (the style sheet waits 0.15 s), so a drag does not flicker.
                        <p class="busy-note" role="status">{ "Evidence for the previous knobs: the run of your change is still computing in a Web Worker." }</p>
                    }
                    <Evidence title={title} belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
                    <ExportBar name={name} trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
                </div>
            }
        }
    };

    let intro = html! {
        <>
            <p>{ "A retry is how at-least-once delivery happens, and a fleet of clients retrying at once is how a short outage becomes a longer one. Back off exponentially and add jitter, so that clients that failed together do not come back together; retry only what the retry table below allows (408, 429, 500, 502, 503, 504; a network error or a timeout only when the request is idempotent or carries an Idempotency-Key, RFC 9110 9.2.2); honour Retry-After; and bound retries beyond one request: with a budget per client, as Finagle and gRPC keep them, whose floors add up over many quiet clients." }</p>
            <p class="retries-formula" data-testid="full-jitter-formula">
                { "Full jitter (Marc Brooker, AWS Architecture Blog, 2015): before retry n, sleep " }
                <code>{ "random_between(0, min(cap, base × 2^n))" }</code>
                { format!(". With the knobs above: base {} ms, cap {} ms.", params.fleet.base_ms, params.fleet.cap_ms) }
            </p>
            <p>{ "What jitter changes in this fleet: full jitter waits half as long on average as exponential backoff without jitter, so during an outage it can retry more, not less. Its gift is spreading the wave that reaches the server when the outage ends: a lower peak against capacity and a shorter overload. In the study's contention workload, where every retry collides with other clients' writes, jitter also cuts the total work." }</p>
            <p>{ "What a synchronised wave costs here: the server has a fixed capacity and a bounded queue, so a wave fills the queue (latency), overflows it (503s that are retried in turn) and, past the client timeout, makes the server do work nobody waits for. The server never slows down under overload itself; real servers often do, which makes waves worse than shown." }</p>
        </>
    };
    let sources = html! { <><SourcesPanel sources={RetriesLab::sources()} /><retry_table::RetryTable /></> };
    html! {
        <LabLayout slug="retries" title="Retries: backoff, jitter, Retry-After and budgets" warnings={lab.query.warnings.clone()}
            intro={intro} presets={presets_bar} picture={picture} controls={controls} evidence={evidence} sources={sources} gate={lab.gate(outcome, None, None)} head={predict.switch.clone()} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::backoff::Strategy;

    #[test]
    fn a_preset_keeps_the_view_and_a_view_keeps_the_preset() {
        let q = Query::parse("area=retries&preset=herd&mode=compare");
        let next = next_link(&q, &LabAction::Preset("wave")).unwrap();
        assert_eq!((next.get("preset"), next.get("mode")), (Some("wave"), Some("compare")));
        let next = next_link(&q, &LabAction::SetKnob { key: "mode", value: View::Fleet.index() as u64 }).unwrap();
        assert_eq!((next.get("preset"), next.get("mode")), (Some("herd"), Some("fleet")));
        let mut back = Query::parse(&next.to_search());
        let read = idemlab_sim::lab::read_link::<RetriesLab>(&mut back);
        assert_eq!(read.preset.map(|p| p.slug), Some("herd"));
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    }

    #[test]
    fn the_study_from_the_workers_sweep_is_the_cores_run_study() {
        use crate::offload::{JobRun, Slice};
        let mut p = RetriesParams::defaults();
        p.view = View::Study;
        (p.study.clients_max, p.study.runs, p.study.wave_clients, p.fleet.seed) = (40, 3, 30, 9);
        let mut job = JobRun::new(Job::StudySweep { clients_max: 40, runs: 3, seed: 9 });
        let out = loop {
            match job.step() {
                Slice::Progress { .. } => {}
                Slice::Finished(out) => break out.unwrap(),
            }
        };
        let ours = study_from(&p, &out).unwrap();
        let core = RetriesLab::run(&p).unwrap();
        assert_eq!(ours, core);
        assert_eq!(RetriesLab::trace_hash(&ours), RetriesLab::trace_hash(&core));
    }

    #[test]
    fn the_comparison_from_the_workers_figures_is_the_cores_run_compare() {
        use crate::offload::{JobRun, Reply, Slice};
        use idemlab_sim::retries::compare::StrategyFigures;
        use idemlab_sim::retries::fleet::FleetRun;
        let mut q = Query::parse("area=retries&preset=herd&mode=compare&seed=4");
        let p = idemlab_sim::lab::read_link::<RetriesLab>(&mut q).params;
        assert_eq!(p.view, View::Compare);
        let mut job = JobRun::new(compare_job(&p.fleet));
        let mut progress = Vec::new();
        let out = loop {
            match job.step() {
                Slice::Progress { done, total, partial: JobOutput::Compare(f) } => {
                    assert_eq!(f.len(), done as usize, "each slice posts the strategies so far");
                    progress.push((done, total));
                }
                Slice::Progress { partial, .. } => panic!("not figures: {partial:?}"),
                Slice::Finished(out) => break out.unwrap(),
            }
        };
        assert_eq!(progress, [(1, 6), (2, 6), (3, 6), (4, 6), (5, 6)], "one strategy per slice");
        // What the page reads is what gloo-worker's codec gives back.
        let reply = Reply::Done { id: 3, output: Ok(out) };
        let read: Reply = bincode::deserialize(&bincode::serialize(&reply).unwrap()).unwrap();
        assert_eq!(read, reply);
        let Reply::Done { output: Ok(JobOutput::Compare(figures)), .. } = read else { panic!("{read:?}") };
        let core = RetriesLab::run(&p).unwrap();
        let RetriesRun::Compare { runs } = &core else { panic!("not a comparison") };
        let core_figures: Vec<StrategyFigures> = runs.iter().map(FleetRun::figures).collect();
        assert_eq!(figures, core_figures);
        assert_eq!(compare_counters_of(&figures), RetriesLab::counters(&core), "the evidence is the core's");
        let said = compare::verdict(&figures);
        let (full, exp) = (runs[3].recovery(), runs[2].recovery());
        assert_eq!((runs[3].params.strategy, runs[2].params.strategy), (Strategy::FullJitter, Strategy::Exponential));
        assert!(
            said.contains(&format!("peaked at {:.2}× capacity against {:.2}×", full.peak_ratio, exp.peak_ratio)),
            "{said}"
        );
        assert!(said.contains(&format!("{:.2} server calls per request", runs[3].totals.amplification())), "{said}");
        // The export builds the whole run for the link: the core's, with its trace hash.
        let rebuilt = RetriesLab::run(&p).unwrap();
        assert_eq!(RetriesLab::trace_hash(&rebuilt), RetriesLab::trace_hash(&core));
        // The fleet's own strategy is not part of the job.
        let other = FleetParams { strategy: Strategy::Constant, ..p.fleet.clone() };
        assert_eq!(compare_job(&other), compare_job(&p.fleet));
    }

    #[test]
    fn a_compare_job_with_a_bad_knob_finishes_with_the_cores_reason() {
        use crate::offload::{JobRun, Slice};
        let fleet = FleetParams { capacity_rps: 0, ..FleetParams::default() };
        let expected = idemlab_sim::retries::fleet::run(&fleet).unwrap_err().to_string();
        let Slice::Finished(Err(e)) = JobRun::new(compare_job(&fleet)).step() else { panic!("a bad knob ran") };
        assert_eq!(e, expected);
    }

    #[test]
    fn a_locked_view_or_preset_is_frozen() {
        let q = Query::parse("area=retries&lock=mode,preset&embed=1");
        assert!(next_link(&q, &LabAction::SetKnob { key: "mode", value: 1 }).is_none());
        assert!(next_link(&q, &LabAction::Preset("herd")).is_none());
    }
}
