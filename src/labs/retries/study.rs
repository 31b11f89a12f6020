//! The study view: the AWS backoff study's contention workload, work and
//! completion time against the number of clients, and one run's waves.
//!
//! The sweep runs in the Web Worker (`crate::offload`), one client count (five
//! points) at a time: the charts draw the points that have come, the status
//! line says how many, and Cancel stops the worker between client counts. The
//! headline, the table and the evidence wait for the whole sweep, since they
//! read the largest client count, which comes last. The waves are two single
//! runs, quick enough to draw on the page's thread at once.

use super::worker_status::{button, no_answer};
use super::RunRef;
use crate::components::{LineChart, Series};
use crate::offload::{Offloaded, SweepPointData};
use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::lab::{study_waves, WAVE_STRATEGIES};
use idemlab_sim::retries::occ::{self, SweepPoint};
use idemlab_sim::retries::{RetriesParams, RetriesRun};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`StudyView`].
#[derive(Properties, PartialEq, Clone)]
pub struct StudyProps {
    /// The lab's parameters (a study view).
    pub params: RetriesParams,
    /// The finished run, once the sweep is whole.
    pub finished: Option<RunRef>,
    /// Where the worker's sweep stands.
    pub state: Offloaded<Vec<SweepPointData>>,
    /// The learner asked for the sweep on this page (the worker did not answer).
    pub on_page: bool,
    /// Stops the worker's sweep.
    pub cancel: Callback<()>,
    /// Runs the sweep again from the start.
    pub rerun: Callback<()>,
    /// Runs the sweep on this page instead of in the worker.
    pub here: Callback<()>,
}

/// The study's name for a strategy ("none" is its "no backoff").
pub fn study_name(s: Strategy) -> &'static str {
    match s {
        Strategy::None => "No backoff",
        Strategy::Immediate => "Immediate",
        Strategy::Constant => "Constant",
        Strategy::Exponential => "Exponential",
        Strategy::FullJitter => "Full jitter",
        Strategy::EqualJitter => "Equal jitter",
        Strategy::Decorrelated => "Decorrelated",
    }
}

/// The headline sentence: full jitter against exponential at 100 clients.
pub fn headline(points: &[SweepPoint]) -> String {
    let at = |s: Strategy| points.iter().find(|pt| pt.clients == 100 && pt.strategy == s);
    match (at(Strategy::Exponential), at(Strategy::FullJitter)) {
        (Some(e), Some(f)) => format!(
            "At 100 clients, full jitter makes {:.0} writes against {:.0} for exponential backoff without jitter: {:.0} % {}. Here every retry is a write that collides with other clients' writes, so spreading retries cuts the work itself.",
            f.calls_mean,
            e.calls_mean,
            ((1.0 - f.calls_mean / e.calls_mean) * 100.0).abs(),
            if f.calls_mean <= e.calls_mean { "fewer" } else { "more" }
        ),
        _ => "Raise the largest client count to 100 to compare with the study's headline point.".to_string(),
    }
}

/// The work and time charts' lines for `points` (whole or partial), one per strategy.
fn sweep_series(points: &[SweepPoint]) -> (Vec<Series>, Vec<Series>) {
    let series = |f: fn(&SweepPoint) -> f64| -> Vec<Series> {
        occ::STUDY_STRATEGIES
            .iter()
            .map(|st| Series {
                name: study_name(*st).into(),
                points: points
                    .iter()
                    .filter(|pt| pt.strategy == *st)
                    .map(|pt| (f64::from(pt.clients), f(pt)))
                    .collect(),
            })
            .collect()
    };
    (series(|pt| pt.calls_mean), series(|pt| pt.time_ms_mean / 1000.0))
}

/// The points drawn now: the finished run's, else the worker's so far.
fn points_now(finished: Option<&RunRef>, state: &Offloaded<Vec<SweepPointData>>) -> Rc<Vec<SweepPoint>> {
    if let Some(RunRef(run)) = finished {
        if let Ok(RetriesRun::Study(s)) = &**run {
            return Rc::new(s.points.clone());
        }
    }
    let partial = match state {
        Offloaded::Running { partial, .. } | Offloaded::Cancelled { partial } => partial.as_deref(),
        Offloaded::Done(out) => Some(&**out),
        Offloaded::Idle | Offloaded::Failed(_) | Offloaded::NoAnswer => None,
    };
    Rc::new(partial.map(|points| points.iter().map(Into::into).collect()).unwrap_or_default())
}

/// The status line of the sweep: progress and Cancel, or why it stopped.
fn status(p: &StudyProps, drawn: usize) -> Html {
    let total = p.params.study_clients().len() * occ::STUDY_STRATEGIES.len();
    if p.finished.is_some() {
        let wher = if p.on_page { "on this page" } else { crate::offload::where_jobs_run() };
        return html! {
            <p class="study-status" role="status" data-state="done">{ format!("All {total} points computed {wher}.") }</p>
        };
    }
    match &p.state {
        Offloaded::Idle | Offloaded::Running { .. } | Offloaded::Done(_) => html! {
            <p class="study-status" role="status" data-state="running">
                { format!("Sweeping {}, the page stays responsive: {drawn} of {total} points. ", crate::offload::where_jobs_run()) }
                { button("Cancel", "study-cancel", &p.cancel) }
            </p>
        },
        Offloaded::Cancelled { .. } => html! {
            <p class="study-status" role="status" data-state="cancelled">
                { format!("Cancelled at {drawn} of {total} points; the charts show those. ") }
                { button("Run the sweep again", "study-rerun", &p.rerun) }
            </p>
        },
        Offloaded::Failed(e) => html! {
            <p class="error" role="alert" data-state="failed">{ format!("The sweep could not run: {e}") }</p>
        },
        Offloaded::NoAnswer => no_answer(
            "study-no-worker",
            "the sweep",
            "the figure",
            format!(
                "Or run the sweep on this page: it will not respond for a while ({} runs per point). ",
                p.params.study.runs
            ),
            "study-here",
            &p.here,
        ),
    }
}

/// The study sweep and its waves.
#[component]
pub fn StudyView(p: &StudyProps) -> Html {
    let s = &p.params.study;
    let points = points_now(p.finished.as_ref(), &p.state);
    let charts = use_memo(points.clone(), |pts| sweep_series(pts));
    let waves = use_memo((p.params.fleet.seed, s.wave_clients, s.runs), {
        let params = p.params.clone();
        move |_| study_waves(&params)
    });
    let finished = p.finished.as_ref().and_then(|RunRef(r)| match &**r {
        Ok(RetriesRun::Study(s)) => Some(s.clone()),
        Ok(RetriesRun::Fleet(_) | RetriesRun::Compare { .. }) | Err(_) => None,
    });
    // 50 ms per point: five of the engine's 10 ms buckets.
    let waves: Html = match &*waves {
        Ok(waves) => {
            let series: Vec<Series> = waves
                .iter()
                .zip(WAVE_STRATEGIES)
                .map(|(r, st)| Series {
                    name: study_name(st).into(),
                    points: r
                        .first_run_writes
                        .chunks(5)
                        .enumerate()
                        .map(|(i, c)| ((i as f64 * 50.0 + 25.0) / 1000.0, f64::from(c.iter().sum::<u32>())))
                        .collect(),
                })
                .collect();
            html! {
                <LineChart title={format!("Writes reaching the server per 50 ms, one run of {} clients: synchronised waves without jitter", s.wave_clients)}
                    x_label="time (s)" y_label="writes per 50 ms" series={series} />
            }
        }
        Err(e) => html! { <p class="error" role="alert">{ format!("The waves could not run: {e}") }</p> },
    };
    let x_max = Some(f64::from(s.clients_max));
    let (work, time) = (&charts.0, &charts.1);
    html! {
        <section class="retries-study" aria-label="The backoff study" aria-busy={finished.is_none().then_some("true")}>
            <p>{ "The workload of Marc Brooker's study (AWS Architecture Blog, 2015), not the fleet: N clients each update one row once under optimistic concurrency. An attempt is a read (one round trip) and a conditional write (one more); a failed write means back off, then read again. Every message hop takes |Normal(10 ms, 2 ms)|; base 5 ms, cap 2000 ms; the first backoff uses n = 1. Calls count writes; time is when the last client finished. Here \"none\" is the study's \"no backoff\": read again at once." }</p>
            { status(p, points.len()) }
            if let Some(run) = &finished {
                <p class="retries-headline" data-testid="study-headline">{ headline(&run.points) }</p>
            }
            <div class="retries-charts">
                <LineChart title="Work: writes (calls) per run against clients" x_label="clients" y_label="calls per run" series={work.clone()} x_max={x_max} />
                <LineChart title="Time until the last client finished" x_label="clients" y_label="time (s)" series={time.clone()} x_max={x_max} />
                { waves }
            </div>
            if let Some(run) = &finished {
                <div class="table-scroll">
                    <table class="retries-table">
                        <caption>{ format!("At {} clients, mean of {} runs", run.clients_max, s.runs) }</caption>
                        <thead><tr><th scope="col">{ "Strategy" }</th><th scope="col">{ "Calls" }</th><th scope="col">{ "Time" }</th></tr></thead>
                        <tbody>{ for run.points.iter().filter(|pt| pt.clients == run.clients_max).map(|pt| html! {
                            <tr data-strategy={pt.strategy.slug()}><th scope="row">{ study_name(pt.strategy) }</th>
                                <td>{ format!("{:.0}", pt.calls_mean) }</td><td>{ format!("{:.0} ms", pt.time_ms_mean) }</td></tr>
                        }) }</tbody>
                    </table>
                </div>
            }
            <p class="note">{ "What it shows: of the backoff strategies, exponential without jitter does the most work and takes the longest (the blog ranks it against the jittered ones); full and equal jitter do about the same work and decorrelated somewhat more; equal jitter takes longer than full. No backoff, also plotted, does more work than any of them but finishes first, as no client ever waits. No strategy removes the roughly N² growth of work: contention on one row is the real problem. The study's charts have no outage, so no band is shaded." }</p>
        </section>
    }
}
