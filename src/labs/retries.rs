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
//! The fleet and compare views run on the page's thread (about 10 ms). The
//! study view's sweep (up to 19 client counts × 5 strategies × 100 runs) runs
//! in the Web Worker (`crate::offload`), a client count at a time; the page
//! draws the points as they come and assembles the run, with the same points
//! the core's `run_study` gives, when the sweep has finished.

mod compare;
mod fleet;
mod question;
mod study;

use crate::components::{Counter, Evidence, ExportBar};
use crate::offload::{use_offload, Job, JobOutput, Offloaded};
use crate::query::Query;
use crate::shell::{
    apply, use_lab_outcome, use_predict_gate, KnobPanel, LabAction, LabLayout, LabLink, LabProps, PresetBar, RunError,
    SourcesPanel,
};
use idemlab_sim::error::SimError;
use idemlab_sim::knob::Params;
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::lab::study_with_points;
use idemlab_sim::retries::params::STUDY_KEYS;
use idemlab_sim::retries::{RetriesLab, RetriesParams, RetriesRun, View};
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
        JobOutput::Report(_) | JobOutput::Handler(_) => {
            Err(SimError::Internal("the worker answered the study sweep with something else"))
        }
    }
}

/// The Retries lab page.
#[component]
pub fn Retries(p: &LabProps) -> Html {
    let link = LabLink::<RetriesLab>::read(&p.query);
    let params = &link.params;
    let view = params.view;
    // The study sweep runs in the worker, unless the learner asked for it on
    // this page because the worker did not answer.
    let on_page = use_state(|| false);
    let valid = idemlab_sim::knob::validate(params);
    let job = (view == View::Study && !*on_page && valid.is_ok()).then_some(Job::StudySweep {
        clients_max: params.study.clients_max,
        runs: params.study.runs,
        seed: params.fleet.seed,
    });
    let sweep = use_offload(job);
    let finished = match &sweep.state {
        Offloaded::Done(out) => Some(out.clone()),
        Offloaded::Idle
        | Offloaded::Running { .. }
        | Offloaded::Failed(_)
        | Offloaded::Cancelled { .. }
        | Offloaded::NoAnswer => None,
    };
    // `None` while the worker is still sweeping.
    let run = use_memo((params.clone(), *on_page, finished), |(p, on_page, finished)| match p.view {
        View::Study if !on_page => match (idemlab_sim::knob::validate(p), finished) {
            (Err(e), _) => Some(Rc::new(Err(e))),
            (Ok(()), Some(out)) => Some(Rc::new(study_from(p, out))),
            (Ok(()), None) => None,
        },
        View::Study | View::Fleet | View::Compare => Some(Rc::new(RetriesLab::run(p))),
    });
    let run: Option<Rc<Result<RetriesRun, SimError>>> = (*run).clone();
    let outcome = use_lab_outcome(&link, run.as_deref());
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

    let hrefs: Vec<String> = RetriesLab::presets().iter().map(|pr| href(&LabAction::Preset(pr.slug))).collect();
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
    let controls = html! {
        <KnobPanel<RetriesParams> prefix="retries" params={params.clone()} query={lab.query.clone()} dispatch={dispatch.clone()} hide={hide} />
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
        let state = sweep.state.clone();
        let (cancel, rerun) = (sweep.cancel.clone(), sweep.rerun.clone());
        let here = {
            let on_page = on_page.clone();
            Callback::from(move |()| on_page.set(true))
        };
        html! {
            <>{ tabs.clone() }<study::StudyView params={params.clone()} finished={finished} state={state}
                on_page={*on_page} cancel={cancel} rerun={rerun} here={here} /></>
        }
    };
    let picture = match &run {
        None => study_view(None),
        Some(r) => match &**r {
            Err(e) => html! { <>{ tabs.clone() }<RunError error={e.to_string()} /></> },
            Ok(RetriesRun::Fleet(_)) => html! {
                <>{ tabs.clone() }<fleet::FleetView run={RunRef(r.clone())} step={lab.step} band={band} locked={lab.locked("step")}
                    on_step={predict.on_step.clone()} prompt={predict.prompt.clone()} hide_from={hide_from} /></>
            },
            Ok(RetriesRun::Compare { .. }) => html! {
                <>{ tabs.clone() }<compare::CompareView run={RunRef(r.clone())} band={band} seed={params.fleet.seed} /></>
            },
            Ok(RetriesRun::Study(_)) => study_view(Some(RunRef(r.clone()))),
        },
    };

    let evidence = match run.as_deref() {
        None => html! {
            <p class="note" role="status" data-testid="study-evidence-waits">{ "No counters yet: they read the points at the largest client count, which come last in the sweep (its status is above the charts)." }</p>
        },
        Some(Err(e)) => html! { <RunError error={e.to_string()} /> },
        Some(Ok(r)) => {
            let counters = Counter::from_core(&RetriesLab::counters(r), lab.key_counter());
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
            let make_report = lab.report_maker(run.clone());
            let trace_json = {
                let (run, make_report) = (run.clone(), make_report.clone());
                Callback::from(move |_| match run.as_deref() {
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
                <>
                    <Evidence title="Evidence for the whole run: what an operator's dashboard would show" belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
                    <ExportBar name={name} trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
                </>
            }
        }
    };

    let intro = html! {
        <>
            <p>{ "A retry is how at-least-once delivery happens, and a fleet of clients retrying at once is how a short outage becomes a longer one. Back off exponentially and add jitter, so that clients that failed together do not come back together; retry only what can succeed (network errors, timeouts, 5xx and 429, never another 4xx); honour Retry-After; and cap retries for the whole fleet, not only per request." }</p>
            <p class="retries-formula" data-testid="full-jitter-formula">
                { "Full jitter (Marc Brooker, AWS Architecture Blog, 2015): before retry n, sleep " }
                <code>{ "random_between(0, min(cap, base × 2^n))" }</code>
                { format!(". With the knobs above: base {} ms, cap {} ms.", params.fleet.base_ms, params.fleet.cap_ms) }
            </p>
            <p>{ "What jitter changes in this fleet: full jitter waits half as long on average as exponential backoff without jitter, so during an outage it can retry more, not less. Its gift is spreading the wave that reaches the server when the outage ends: a lower peak against capacity and a shorter overload. In the study's contention workload, where every retry collides with other clients' writes, jitter also cuts the total work." }</p>
            <p>{ "What a synchronised wave costs here: the server has a fixed capacity and a bounded queue, so a wave fills the queue (latency), overflows it (503s that are retried in turn) and, past the client timeout, makes the server do work nobody waits for. The server never slows down under overload itself; real servers often do, which makes waves worse than shown." }</p>
        </>
    };
    let sources = html! { <SourcesPanel sources={RetriesLab::sources()} /> };
    html! {
        <LabLayout slug="retries" title="Retries: backoff, jitter, Retry-After and budgets" warnings={lab.query.warnings.clone()}
            intro={intro} presets={presets_bar} picture={picture} controls={controls} evidence={evidence} sources={sources} gate={lab.gate(outcome, None, None)} head={predict.switch.clone()} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_locked_view_or_preset_is_frozen() {
        let q = Query::parse("area=retries&lock=mode,preset&embed=1");
        assert!(next_link(&q, &LabAction::SetKnob { key: "mode", value: 1 }).is_none());
        assert!(next_link(&q, &LabAction::Preset("herd")).is_none());
    }
}
