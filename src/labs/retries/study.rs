//! The study view: the AWS backoff study's contention workload, work and
//! completion time against the number of clients, and one run's waves.

use super::RunRef;
use crate::components::{LineChart, Series};
use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::lab::WAVE_STRATEGIES;
use idemlab_sim::retries::occ::{self, SweepPoint};
use idemlab_sim::retries::RetriesRun;
use yew::prelude::*;

/// Props of [`StudyView`].
#[derive(Properties, PartialEq, Clone)]
pub struct StudyProps {
    /// The lab's run (a study run).
    pub run: RunRef,
    /// Runs per point.
    pub runs: u32,
    /// Clients of the waves chart.
    pub wave_clients: u32,
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

/// The study sweep and its waves.
#[component]
pub fn StudyView(p: &StudyProps) -> Html {
    let RunRef(run) = &p.run;
    let Ok(RetriesRun::Study(s)) = &**run else { return Html::default() };
    let series = |f: fn(&SweepPoint) -> f64| -> Vec<Series> {
        occ::STUDY_STRATEGIES
            .iter()
            .map(|st| Series {
                name: study_name(*st).into(),
                points: s
                    .points
                    .iter()
                    .filter(|pt| pt.strategy == *st)
                    .map(|pt| (f64::from(pt.clients), f(pt)))
                    .collect(),
            })
            .collect()
    };
    let rows = s.points.iter().filter(|pt| pt.clients == s.clients_max).map(|pt| {
        html! {
            <tr data-strategy={pt.strategy.slug()}><th scope="row">{ study_name(pt.strategy) }</th>
                <td>{ format!("{:.0}", pt.calls_mean) }</td><td>{ format!("{:.0} ms", pt.time_ms_mean) }</td></tr>
        }
    });
    // 50 ms per point: five of the engine's 10 ms buckets.
    let waves: Vec<Series> = s
        .waves
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
    let x_max = Some(f64::from(s.clients_max));
    html! {
        <section class="retries-study" aria-label="The backoff study">
            <p>{ "The workload of Marc Brooker's study (AWS Architecture Blog, 2015), not the fleet: N clients each update one row once under optimistic concurrency. An attempt is a read (one round trip) and a conditional write (one more); a failed write means back off, then read again. Every message hop takes |Normal(10 ms, 2 ms)|; base 5 ms, cap 2000 ms; the first backoff uses n = 1. Calls count writes; time is when the last client finished. Here \"none\" is the study's \"no backoff\": read again at once." }</p>
            <p class="retries-headline" data-testid="study-headline">{ headline(&s.points) }</p>
            <div class="retries-charts">
                <LineChart title="Work: writes (calls) per run against clients" x_label="clients" y_label="calls per run" series={series(|pt| pt.calls_mean)} x_max={x_max} />
                <LineChart title="Time until the last client finished" x_label="clients" y_label="time (s)" series={series(|pt| pt.time_ms_mean / 1000.0)} x_max={x_max} />
                <LineChart title={format!("Writes reaching the server per 50 ms, one run of {} clients: synchronised waves without jitter", p.wave_clients)}
                    x_label="time (s)" y_label="writes per 50 ms" series={waves} />
            </div>
            <div class="table-scroll">
                <table class="retries-table">
                    <caption>{ format!("At {} clients, mean of {} runs", s.clients_max, p.runs) }</caption>
                    <thead><tr><th scope="col">{ "Strategy" }</th><th scope="col">{ "Calls" }</th><th scope="col">{ "Time" }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p class="note">{ "What it shows: exponential backoff without jitter is worst on both work and time; full and equal jitter do about the same work and decorrelated somewhat more; equal jitter takes longer than full. No strategy removes the roughly N² growth of work: contention on one row is the real problem. The study's charts have no outage, so no band is shaded." }</p>
        </section>
    }
}
