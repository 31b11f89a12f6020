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
//! Where each view's run comes from (the page, or the Web Worker, with the
//! previous fleet kept on screen by the shell while the worker computes a
//! change) is `retries/runs.rs`; the fleet view's page-then-worker rule is
//! `retries/fleet_runs.rs`; the compare view's and the study's progressive
//! figures are `retries/compare.rs` and `retries/study.rs`.

mod compare;
mod compare_figures;
mod evidence;
mod fleet;
mod fleet_runs;
mod page_parts;
mod question;
mod retry_table;
mod runs;
mod study;
mod worker_status;

use crate::query::Query;
use crate::shell::{apply, use_predict_gate, use_preset_hrefs, LabAction, LabLayout, LabProps, PresetBar, RunError};
use idemlab_sim::error::SimError;
use idemlab_sim::lab::Lab;
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
    // Set when the learner reaches for the controls: the worker wakes before the first change.
    let reached = use_state_eq(|| false);
    // Set when the learner asks for the study or the comparison on this page (the worker did not answer).
    let on_page = use_state(|| false);
    let runs = runs::use_retries_runs(p, *reached, *on_page);
    let (lab, view) = (&runs.link, runs.link.params.view);
    // A preset's link keeps the view (`mode`), so that knob stays in what the links depend on.
    let hrefs = use_preset_hrefs(lab, &["mode"], |q, a| next_link(q, a).unwrap_or_else(|| q.clone()).to_search());
    let tabs = page_parts::tabs(&p.query, lab, &runs.dispatch);
    let controls = page_parts::controls(lab, &runs.dispatch, reached.setter());
    let band = outage(&lab.params);
    // Predict first: the first bucket after the outage waits for the learner's prediction.
    let wave_q = use_memo(runs.run.clone().map(RunRef), |r| match r.as_ref().map(|r| &*r.0) {
        Some(Ok(RetriesRun::Fleet(f))) => question::question(f),
        Some(Ok(RetriesRun::Compare { .. } | RetriesRun::Study(_)) | Err(_)) | None => None,
    });
    let on_step = runs.dispatch.reform(LabAction::Step);
    let step = lab.step.min(idemlab_sim::retries::fleet::BUCKETS);
    let predict =
        use_predict_gate(lab, &runs.dispatch, step, (*wave_q).clone().into_iter().collect(), on_step, "Time bucket");
    let presets = html! {
        <PresetBar prefix="retries" presets={RetriesLab::presets()} current={lab.preset.map(|p| p.slug)} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={runs.dispatch.clone()} hide_lesson={predict.hiding} />
    };
    let mut gate = lab.gate(runs.outcome.clone(), None, None);
    gate.asks = predict.asks();
    // Until the learner predicts, the charts hide what follows the outage.
    let hide_from = band.filter(|_| predict.hiding && wave_q.is_some()).map(|(_, to)| to);
    let here = {
        let on_page = on_page.clone();
        Callback::from(move |()| on_page.set(true))
    };
    let study_view = |finished: Option<RunRef>| {
        let s = &runs.sweep;
        html! {
            <study::StudyView params={lab.params.clone()} finished={finished} state={s.state.clone()}
                on_page={*on_page} cancel={s.cancel.clone()} rerun={s.rerun.clone()} here={here.clone()} />
        }
    };
    let compare_view = html! {
        <compare::CompareView figures={runs.compared.clone()} band={band} seed={lab.params.fleet.seed}
            here={here.clone()} rerun={runs.compare_rerun.clone()} />
    };
    let view_html = match &runs.run {
        None if view == View::Compare => compare_view,
        None => study_view(None),
        Some(r) => match &**r {
            Err(e) => html! { <RunError error={e.to_string()} /> },
            Ok(RetriesRun::Fleet(_)) => html! {
                <fleet::FleetView run={RunRef(r.clone())} step={predict.step} waits={predict.waits} told={predict.told} band={band} locked={lab.locked("step")}
                    stale={runs.stale} source={AttrValue::Static(runs.from)} worker_ready={runs.worker_ready}
                    on_step={predict.on_step.clone()} prompt={predict.prompt.clone()} hide_from={hide_from} />
            },
            Ok(RetriesRun::Compare { .. }) => compare_view,
            Ok(RetriesRun::Study(_)) => study_view(Some(RunRef(r.clone()))),
        },
    };
    let picture = html! { <>{ tabs }{ view_html }</> };
    let evidence = evidence::evidence(&runs);
    html! {
        <LabLayout slug="retries" title={page_parts::TITLE} warnings={lab.query.warnings.clone()}
            intro={page_parts::intro(&lab.params)} presets={presets} picture={picture} controls={controls} evidence={evidence}
            sources={page_parts::sources()} gate={gate} head={predict.switch.clone()} />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::backoff::Strategy;
    use idemlab_sim::knob::Params;

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
        use crate::offload::{JobKind, JobRun, Slice, SweepJob};
        let mut p = RetriesParams::defaults();
        p.view = View::Study;
        (p.study.clients_max, p.study.runs, p.study.wave_clients, p.fleet.seed) = (40, 3, 30, 9);
        let mut job = JobRun::new(SweepJob { clients_max: 40, runs: 3, seed: 9 }.job());
        let out = loop {
            match job.step() {
                Slice::Progress { .. } => {}
                Slice::Finished(out) => break out.unwrap(),
            }
        };
        let ours = runs::study_from(&p, &SweepJob::reply_of(out).unwrap()).unwrap();
        let core = RetriesLab::run(&p).unwrap();
        assert_eq!(ours, core);
        assert_eq!(RetriesLab::trace_hash(&ours), RetriesLab::trace_hash(&core));
    }

    #[test]
    fn the_comparison_from_the_workers_figures_is_the_cores_run_compare() {
        use crate::offload::{CompareJob, JobKind, JobOutput, JobRun, Reply, Slice};
        use idemlab_sim::retries::compare::StrategyFigures;
        use idemlab_sim::retries::fleet::FleetRun;
        use idemlab_sim::retries::lab::compare_counters_of;
        let mut q = Query::parse("area=retries&preset=herd&mode=compare&seed=4");
        let p = idemlab_sim::lab::read_link::<RetriesLab>(&mut q).params;
        assert_eq!(p.view, View::Compare);
        let mut job = JobRun::new(CompareJob::new(&p.fleet).job());
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
        let Reply::Done { output: Ok(out), .. } = read else { panic!("{read:?}") };
        let figures = CompareJob::reply_of(out).unwrap();
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
    }

    #[test]
    fn a_compare_job_with_a_bad_knob_finishes_with_the_cores_reason() {
        use crate::offload::{CompareJob, JobKind, JobRun, Slice};
        use idemlab_sim::retries::fleet::FleetParams;
        let fleet = FleetParams { capacity_rps: 0, ..FleetParams::default() };
        let expected = idemlab_sim::retries::fleet::run(&fleet).unwrap_err().to_string();
        let Slice::Finished(Err(e)) = JobRun::new(CompareJob::new(&fleet).job()).step() else {
            panic!("a bad knob ran")
        };
        assert_eq!(e, expected);
    }

    #[test]
    fn a_locked_view_or_preset_is_frozen() {
        let q = Query::parse("area=retries&lock=mode,preset&embed=1");
        assert!(next_link(&q, &LabAction::SetKnob { key: "mode", value: 1 }).is_none());
        assert!(next_link(&q, &LabAction::Preset("herd")).is_none());
    }
}
