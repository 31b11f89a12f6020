//! The compare view: one fleet and seed under every strategy, side by side.
//! The sentence under the table is computed from the runs, so it says what
//! this run shows, including when jitter makes more calls, not fewer.
//!
//! The six fleets run in the Web Worker (`crate::offload`,
//! `Job::CompareStrategies`), one strategy at a time, and the worker sends
//! each strategy's figures (`StrategyFigures`), not its run: the table and
//! the charts fill in as they come. Until every strategy of a knob change is
//! in, the strategies not yet run again keep the previous knobs' rows and
//! lines, marked "previous knobs", so the picture never empties while a
//! slider is dragged; the sentence and the counters wait for the whole set.

pub use super::compare_figures::{use_compare_figures, CompareFigures, CompareState};
use super::worker_status::{button, no_answer};
use crate::components::{LineChart, Series};
use crate::shell::RunError;
use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::compare::StrategyFigures;
use idemlab_sim::retries::fleet;
use idemlab_sim::retries::COMPARE;
use yew::prelude::*;

/// Props of [`CompareView`].
#[derive(Properties, PartialEq, Clone)]
pub struct CompareProps {
    /// The figures to draw and where their run stands.
    pub figures: CompareFigures,
    /// The outage window to shade, in seconds.
    pub band: Option<(f64, f64)>,
    /// The seed every strategy shares.
    pub seed: u64,
    /// Runs the fleets on this page instead (the worker did not answer).
    pub here: Callback<()>,
    /// Runs the fleets again in the worker (after a stop).
    pub rerun: Callback<()>,
}

#[derive(PartialEq)]
struct Row {
    slug: &'static str,
    title: &'static str,
    cells: [String; 7],
    /// Of the previous knobs, standing in until this strategy runs again.
    stale: bool,
}

#[derive(PartialEq)]
struct CompareData {
    rows: Vec<Row>,
    load: Vec<Series>,
    ok: Vec<Series>,
    x_max: f64,
}

/// What full jitter changed against exponential backoff without jitter, in one sentence.
pub fn verdict(figures: &[StrategyFigures]) -> String {
    let find = |s: Strategy| figures.iter().find(|f| f.strategy == s);
    let (Some(full), Some(exp)) = (find(Strategy::FullJitter), find(Strategy::Exponential)) else {
        return String::new();
    };
    let (rf, re) = (&full.recovery, &exp.recovery);
    let (af, ae) = (full.totals.amplification(), exp.totals.amplification());
    format!(
        "After the outage, full jitter's offered load peaked at {:.2}× capacity against {:.2}× for exponential backoff without jitter ({}), and the server turned calls away for {:.1} s against {:.1} s. Over the whole run full jitter made {:.2} server calls per request against {:.2}: {}",
        rf.peak_ratio,
        re.peak_ratio,
        if rf.peak_ratio < re.peak_ratio { "lower" } else { "not lower, in this setup" },
        rf.overload_ms / 1000.0,
        re.overload_ms / 1000.0,
        af,
        ae,
        if af < ae - 0.005 {
            "fewer, here."
        } else {
            "jitter spread the calls out rather than cutting them (it waits half as long on average, so it retries more during an outage)."
        }
    )
}

/// The rows and lines drawn: this link's strategies so far, then the
/// previous knobs' for the strategies still to come, marked stale.
fn derive(f: &CompareFigures) -> CompareData {
    let fresh = f.fresh.iter().map(|x| (x, false));
    let standing_in = f.previous.iter().flat_map(|p| p.iter().skip(f.fresh.len())).map(|x| (x, true));
    let mut rows = Vec::new();
    let (mut load, mut ok) = (Vec::new(), Vec::new());
    for (run, stale) in fresh.chain(standing_in) {
        let bucket_s = run.bucket_us as f64 / 1e6;
        let xs = |i: usize| (i as f64 + 0.5) * bucket_s;
        let name = AttrValue::from(if stale {
            format!("{} (previous knobs)", run.strategy.title())
        } else {
            run.strategy.title().to_string()
        });
        let per_s = |v: &[u32]| {
            v.iter().take(fleet::BUCKETS).enumerate().map(|(i, c)| (xs(i), f64::from(*c) / bucket_s)).collect()
        };
        load.push(Series { name: name.clone(), points: per_s(&run.offered) });
        ok.push(Series { name, points: per_s(&run.successes) });
        let (t, rec) = (&run.totals, &run.recovery);
        rows.push(Row {
            slug: run.strategy.slug(),
            title: run.strategy.title(),
            cells: [
                format!("{:.2}×", rec.peak_ratio),
                if rec.recovered { format!("{:.1} s", rec.overload_ms / 1000.0) } else { "until the end".to_string() },
                rec.rejected_after.to_string(),
                format!("{:.2}×", t.amplification()),
                format!("{:.1} %", t.success_rate() * 100.0),
                t.wasted.to_string(),
                format!("{} ms", t.latency_ms_p99),
            ],
            stale,
        });
    }
    let x_max =
        f.fresh.first().or(f.previous.as_ref().and_then(|p| p.first())).map_or(1.0, |r| f64::from(r.duration_s));
    CompareData { rows, load, ok, x_max }
}

/// The status line: how many strategies are in, or why none are.
fn status(p: &CompareProps, stale_rows: usize) -> Html {
    let n = COMPARE.len();
    let done = p.figures.fresh.len();
    match &p.figures.state {
        CompareState::Done { on_page } => html! {
            <p class="note compare-status" role="status" data-state="done">{ format!("All {n} strategies computed {}.", if *on_page { "on this page" } else { crate::offload::where_jobs_run() }) }</p>
        },
        CompareState::Computing => html! {
            <p class="note compare-status" role="status" data-state="running">
                { format!("Running the fleets {}, the page stays responsive: {done} of {n} strategies", crate::offload::where_jobs_run()) }
                { if stale_rows > 0 { "; rows and lines marked \u{201c}previous knobs\u{201d} are from before your change." } else { "." } }
            </p>
        },
        CompareState::Stopped => html! {
            <p class="note compare-status" role="status" data-state="cancelled">
                { format!("Stopped at {done} of {n} strategies. ") }{ button("Run them again", "compare-rerun", &p.rerun) }
            </p>
        },
        CompareState::Failed(e) => html! { <RunError error={e.clone()} /> },
        CompareState::NoAnswer => no_answer(
            "compare-no-worker",
            "the fleets",
            "the comparison",
            "Or run the six fleets on this page: each knob change will then block it for a moment. ".to_string(),
            "compare-here",
            &p.here,
        ),
    }
}

/// One seed, several strategies side by side.
#[component]
pub fn CompareView(p: &CompareProps) -> Html {
    let data = use_memo(p.figures.clone(), derive);
    // The sentence reads the whole set: this link's, else the previous one, marked.
    let said = use_memo(p.figures.clone(), |f| match (f.whole(), &f.previous) {
        (Some(w), _) => Some((verdict(w), false)),
        (None, Some(prev)) => Some((verdict(prev), true)),
        (None, None) => None,
    });
    let stale_rows = data.rows.iter().filter(|r| r.stale).count();
    let head = [
        "Peak after the outage (× capacity)",
        "Turning calls away after it",
        "503 after it",
        "Server calls per request",
        "Succeeded",
        "Wasted",
        "p99",
    ];
    let state = match &p.figures.state {
        CompareState::Done { .. } => "done",
        CompareState::Computing | CompareState::NoAnswer | CompareState::Stopped | CompareState::Failed(_) => "pending",
    };
    html! {
        <section class="retries-compare" aria-label="Strategies side by side" data-state={state} aria-busy={(state != "done").then_some("true")}>
            <p>{ format!("The same fleet, seed {}, under {} strategies; every other knob is the one set below.", p.seed, COMPARE.len()) }</p>
            { status(p, stale_rows) }
            if let Some((text, stale)) = &*said {
                <p class={classes!("retries-verdict", stale.then_some("stale"))} data-testid="compare-verdict" data-stale={stale.to_string()}>
                    if *stale { <strong>{ "Previous knobs: " }</strong> }{ text.clone() }
                </p>
            }
            if !data.rows.is_empty() {
                <div class="table-scroll">
                    <table class="retries-table">
                        <caption>{ "Per strategy: the operator's view" }</caption>
                        <thead><tr><th scope="col">{ "Strategy" }</th>{ for head.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                        <tbody>{ for data.rows.iter().map(|r| html! {
                            <tr data-strategy={r.slug} data-stale={r.stale.to_string()} class={classes!(r.stale.then_some("stale"))}>
                                <th scope="row">{ r.title }if r.stale { <span class="stale-tag">{ " (previous knobs)" }</span> }</th>
                                { for r.cells.iter().map(|c| html! { <td>{ c.clone() }</td> }) }
                            </tr>
                        }) }</tbody>
                    </table>
                </div>
                <div class="retries-charts">
                    <LineChart title="Offered load at the server per strategy (all calls)" x_label="time (s)" y_label="calls per second" series={data.load.clone()} x_max={Some(data.x_max)} band={p.band} />
                    <LineChart title="Successes per second per strategy" x_label="time (s)" y_label="requests per second" series={data.ok.clone()} x_max={Some(data.x_max)} band={p.band} />
                </div>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::super::compare_figures::keep_whole;
    use super::*;
    use crate::offload::CompareJob;
    use crate::shell::Keep;
    use idemlab_sim::retries::fleet::FleetRun;
    use idemlab_sim::retries::lab::run_compare;
    use std::rc::Rc;

    fn figures(seed: u64) -> Vec<StrategyFigures> {
        let p = fleet::FleetParams { duration_s: 30, outage_from_s: 10, outage_to_s: 14, seed, ..Default::default() };
        run_compare(&p).unwrap().iter().map(FleetRun::figures).collect()
    }

    #[test]
    fn a_partial_comparison_keeps_the_last_whole_one_standing_in_marked_stale() {
        let mut keep = Keep::default();
        let (old, new) = (figures(1), figures(2));
        let job = |seed| CompareJob::new(&fleet::FleetParams { seed, ..Default::default() });
        let first = keep_whole(&mut keep, job(1), Rc::new(old.clone()), CompareState::Done { on_page: false });
        assert_eq!((first.whole().is_some(), first.previous.is_none()), (true, true));
        let partial = keep_whole(&mut keep, job(2), Rc::new(new[..2].to_vec()), CompareState::Computing);
        assert!(partial.whole().is_none(), "two of six is not whole");
        let d = derive(&partial);
        assert_eq!(d.rows.len(), COMPARE.len(), "every strategy has a row");
        assert_eq!(d.rows.iter().map(|r| r.stale).collect::<Vec<_>>(), [false, false, true, true, true, true]);
        assert_eq!(d.rows.iter().map(|r| r.slug).collect::<Vec<_>>(), COMPARE.map(Strategy::slug));
        assert!(d.load[2].name.ends_with("(previous knobs)") && !d.load[1].name.ends_with(")"));
        assert_eq!(d.rows[2].cells[3], format!("{:.2}×", old[2].totals.amplification()));
        let done = keep_whole(&mut keep, job(2), Rc::new(new.clone()), CompareState::Done { on_page: false });
        assert!(done.previous.is_none() && derive(&done).rows.iter().all(|r| !r.stale));
        assert_eq!(keep.of(job(2).fleet()).map(|f| &**f), Some(&new), "the newest whole one is kept");
    }
}
