//! The compare view: one fleet and seed under every strategy, side by side.
//! The sentence under the table is computed from the runs, so it says what
//! this run shows, including when jitter makes more calls, not fewer.

use super::RunRef;
use crate::components::{LineChart, Series};
use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::fleet::{self, FleetRun};
use idemlab_sim::retries::RetriesRun;
use yew::prelude::*;

/// Props of [`CompareView`].
#[derive(Properties, PartialEq, Clone)]
pub struct CompareProps {
    /// The lab's run (a compare run).
    pub run: RunRef,
    /// The outage window to shade, in seconds.
    pub band: Option<(f64, f64)>,
    /// The seed every strategy shares.
    pub seed: u64,
}

#[derive(PartialEq)]
struct Row {
    slug: &'static str,
    title: &'static str,
    cells: [String; 7],
}

#[derive(PartialEq)]
struct CompareData {
    rows: Vec<Row>,
    load: Vec<Series>,
    ok: Vec<Series>,
    x_max: f64,
    verdict: String,
}

/// What full jitter changed against exponential backoff without jitter, in one sentence.
pub fn verdict(runs: &[FleetRun]) -> String {
    let find = |s: Strategy| runs.iter().find(|r| r.params.strategy == s);
    let (Some(full), Some(exp)) = (find(Strategy::FullJitter), find(Strategy::Exponential)) else {
        return String::new();
    };
    let (rf, re) = (full.recovery(), exp.recovery());
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

fn derive(runs: &[FleetRun]) -> CompareData {
    let mut rows = Vec::new();
    let (mut load, mut ok) = (Vec::new(), Vec::new());
    for run in runs {
        let b = &run.buckets;
        let bucket_s = b.bucket_us as f64 / 1e6;
        let xs = |i: usize| (i as f64 + 0.5) * bucket_s;
        let name = AttrValue::from(run.params.strategy.title());
        load.push(Series {
            name: name.clone(),
            points: (0..fleet::BUCKETS)
                .map(|i| (xs(i), f64::from(b.first_tries[i] + b.retries[i] + b.layer_calls[i]) / bucket_s))
                .collect(),
        });
        ok.push(Series {
            name,
            points: (0..fleet::BUCKETS).map(|i| (xs(i), f64::from(b.successes[i]) / bucket_s)).collect(),
        });
        let (t, rec) = (&run.totals, run.recovery());
        rows.push(Row {
            slug: run.params.strategy.slug(),
            title: run.params.strategy.title(),
            cells: [
                format!("{:.2}×", rec.peak_ratio),
                if rec.recovered { format!("{:.1} s", rec.overload_ms / 1000.0) } else { "until the end".to_string() },
                rec.rejected_after.to_string(),
                format!("{:.2}×", t.amplification()),
                format!("{:.1} %", t.success_rate() * 100.0),
                t.wasted.to_string(),
                format!("{} ms", t.latency_ms_p99),
            ],
        });
    }
    let x_max = runs.first().map_or(1.0, |r| f64::from(r.params.duration_s));
    CompareData { rows, load, ok, x_max, verdict: verdict(runs) }
}

/// One seed, several strategies side by side.
#[component]
pub fn CompareView(p: &CompareProps) -> Html {
    let data = use_memo(p.run.clone(), |r| match &*r.0 {
        Ok(RetriesRun::Compare { runs }) => Some(derive(runs)),
        Ok(RetriesRun::Fleet(_) | RetriesRun::Study(_)) | Err(_) => None,
    });
    let Some(d) = &*data else { return Html::default() };
    let head = [
        "Peak after the outage (× capacity)",
        "Turning calls away after it",
        "503 after it",
        "Server calls per request",
        "Succeeded",
        "Wasted",
        "p99",
    ];
    html! {
        <section class="retries-compare" aria-label="Strategies side by side">
            <p>{ format!("The same fleet, seed {}, under {} strategies; every other knob is the one set below.", p.seed, d.rows.len()) }</p>
            <p class="retries-verdict" data-testid="compare-verdict">{ d.verdict.clone() }</p>
            <div class="table-scroll">
                <table class="retries-table">
                    <caption>{ "Per strategy: the operator's view" }</caption>
                    <thead><tr><th scope="col">{ "Strategy" }</th>{ for head.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                    <tbody>{ for d.rows.iter().map(|r| html! {
                        <tr data-strategy={r.slug}><th scope="row">{ r.title }</th>{ for r.cells.iter().map(|c| html! { <td>{ c.clone() }</td> }) }</tr>
                    }) }</tbody>
                </table>
            </div>
            <div class="retries-charts">
                <LineChart title="Offered load at the server per strategy (all calls)" x_label="time (s)" y_label="calls per second" series={d.load.clone()} x_max={Some(d.x_max)} band={p.band} />
                <LineChart title="Successes per second per strategy" x_label="time (s)" y_label="requests per second" series={d.ok.clone()} x_max={Some(d.x_max)} band={p.band} />
            </div>
        </section>
    }
}
