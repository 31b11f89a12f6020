//! The fleet view: offered load, outcomes, amplification, latency, the
//! budget and the delays over simulated time, with the outage shaded, and
//! step controls that scrub the run one time bucket a step. The chart data is
//! derived once per run; a step only moves the cursor.

use super::RunRef;
use crate::components::num::fixed;
use crate::components::{Bar, BarChart, EventLog, LineChart, Series, StepControls};
use idemlab_sim::retries::fleet::{self, FleetRun};
use idemlab_sim::retries::RetriesRun;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`FleetView`].
#[derive(Properties, PartialEq, Clone)]
pub struct FleetViewProps {
    /// The lab's run (a fleet run).
    pub run: RunRef,
    /// The step the link asks for.
    pub step: usize,
    /// The outage window to shade, in seconds.
    pub band: Option<(f64, f64)>,
    /// Whether an embedder locked the step.
    pub locked: bool,
    /// Where a step goes (through the predict-first gate).
    pub on_step: Callback<usize>,
    /// The predict-first prompt, when it is shown.
    pub prompt: Html,
    /// The step that waits for a prediction (playback stops there).
    pub waits: Option<usize>,
    /// The step an answered prediction's reveal speaks for (not announced again).
    #[prop_or_default]
    pub told: Option<usize>,
    /// Until the learner predicts: the time (s) from which the charts and
    /// the summary hide the run.
    pub hide_from: Option<f64>,
    /// Whether `run` is the previous knobs' while the worker runs the new ones.
    #[prop_or_default]
    pub stale: bool,
    /// Where `run` was computed: "page" or "worker".
    #[prop_or(AttrValue::Static("page"))]
    pub source: AttrValue,
    /// Whether the Web Worker has answered (later changes run there).
    #[prop_or_default]
    pub worker_ready: bool,
}

/// Everything the fleet view draws, derived once per run.
#[derive(PartialEq)]
struct FleetData {
    bucket_s: f64,
    x_max: f64,
    capacity: f64,
    load: Rc<[Bar]>,
    outcomes: Vec<Series>,
    amp: Vec<Series>,
    latency: Vec<Series>,
    tokens: Option<Vec<Series>>,
    delays: Rc<[Bar]>,
    delay_title: String,
    cap_ms: f64,
    lines: Vec<AttrValue>,
    summary: String,
    /// How the run ended, short, for the last bucket's caption and announcement.
    outcome: AttrValue,
}

fn per_s(count: u32, bucket_s: f64) -> f64 {
    f64::from(count) / bucket_s
}

fn derive(run: &FleetRun) -> FleetData {
    let b = &run.buckets;
    let bucket_s = b.bucket_us as f64 / 1e6;
    let x_max = f64::from(run.params.duration_s);
    let xs = |i: usize| (i as f64 + 0.5) * bucket_s;
    let line =
        |v: &[u32]| -> Vec<(f64, f64)> { v.iter().enumerate().map(|(i, c)| (xs(i), per_s(*c, bucket_s))).collect() };
    let load = (0..fleet::BUCKETS)
        .map(|i| Bar {
            x: xs(i),
            segments: vec![
                per_s(b.first_tries[i], bucket_s),
                per_s(b.retries[i], bucket_s),
                per_s(b.layer_calls[i], bucket_s),
            ],
        })
        .collect();
    let capacity = f64::from(run.params.capacity_rps);
    let outcomes = vec![
        Series { name: "succeeded".into(), points: line(&b.successes) },
        Series { name: "failed (gave up)".into(), points: line(&b.failures) },
        Series { name: "answered 503".into(), points: line(&b.rejected) },
        Series { name: "capacity".into(), points: vec![(0.0, capacity), (x_max, capacity)] },
    ];
    let amp = (0..fleet::BUCKETS)
        .map(|i| {
            (
                xs(i),
                f64::from(b.first_tries[i] + b.retries[i] + b.layer_calls[i]) / f64::from(b.first_tries[i]).max(1.0),
            )
        })
        .collect();
    let lat = |v: &[u64]| -> Vec<(f64, f64)> {
        v.iter().enumerate().filter(|(_, ms)| **ms > 0).map(|(i, ms)| (xs(i), *ms as f64 / 1000.0)).collect()
    };
    let delay_bin_ms = run.delay_bin_us as f64 / 1000.0;
    let lines = (0..fleet::BUCKETS)
        .map(|i| {
            AttrValue::from(format!(
                "{}–{} s: {}",
                fixed(i as f64 * bucket_s, 1),
                fixed((i + 1) as f64 * bucket_s, 1),
                b.words(i)
            ))
        })
        .collect();
    let t = &run.totals;
    let rec = run.recovery();
    FleetData {
        bucket_s,
        x_max,
        capacity,
        load,
        outcomes,
        amp: vec![Series { name: "amplification".into(), points: amp }],
        latency: vec![
            Series { name: "p50".into(), points: lat(&b.latency_ms_p50) },
            Series { name: "p99".into(), points: lat(&b.latency_ms_p99) },
        ],
        tokens: (run.params.budget_pct > 0).then(|| {
            vec![Series { name: "retries allowed".into(), points: b.budget_tokens.iter().enumerate().map(|(i, t)| (xs(i), f64::from(*t))).collect() }]
        }),
        delays: run
            .delay_hist
            .iter()
            .enumerate()
            .map(|(i, c)| Bar { x: (i as f64 + 0.5) * delay_bin_ms, segments: vec![f64::from(*c)] })
            .collect(),
        delay_title: format!("Delays chosen by {} (before Retry-After)", run.params.strategy.title()),
        cap_ms: run.params.cap_ms as f64,
        lines,
        outcome: AttrValue::from(format!(
            "{} requests: {} succeeded, {} failed; the server got {} calls, {:.2} per request",
            t.requests,
            t.successes,
            t.failures,
            t.server_calls,
            t.amplification()
        )),
        summary: format!(
            "{} requests: {} succeeded, {} failed ({} at the cap, {} retries refused by the budget, {} by gRPC throttling, {} first tries and {} retries rejected by adaptive throttling, {} not retryable). The server got {} calls: {:.2} per request{}. After the outage the offered load peaked at {:.0} calls/s, {:.2}× capacity{}.",
            t.requests, t.successes, t.failures, t.gave_up_attempt_cap, t.budget_refusals, t.grpc_refusals, t.adaptive_first_tries, t.adaptive_retries,
            t.gave_up_not_retryable, t.server_calls, t.amplification(),
            if t.duplicates > 0 { format!("; {} served again a request without a key, doing its work twice", t.duplicates) } else { String::new() },
            rec.peak_rps, rec.peak_ratio,
            if rec.rejected_after == 0 { ", and the queue never overflowed".to_string() }
            else if rec.recovered { format!("; the queue overflowed until {:.1} s after it", rec.overload_ms / 1000.0) }
            else { "; the queue was still overflowing when the run ended".to_string() }
        ),
    }
}

/// The fleet over simulated time.
#[component]
pub fn FleetView(p: &FleetViewProps) -> Html {
    let data = use_memo(p.run.clone(), |r| match &*r.0 {
        Ok(RetriesRun::Fleet(run)) => Some(derive(run)),
        Ok(RetriesRun::Compare { .. } | RetriesRun::Study(_)) | Err(_) => None,
    });
    let Some(d) = &*data else { return Html::default() };
    let steps = fleet::BUCKETS;
    let step = p.step.min(steps);
    let cursor = (step > 0).then_some(step as f64 * d.bucket_s);
    let mask = p.hide_from;
    html! {
        <section class="retries-fleet" aria-label="The fleet over time" aria-busy={p.stale.then_some("true")} data-run={p.source.clone()}
            data-worker={if p.worker_ready { "ready" } else { "cold" }}>
            <StepControls step={step} steps={steps} on_step={p.on_step.clone()} disabled={p.locked} label="Time bucket" waits={p.waits} told={p.told}
                caption={Some(match step.checked_sub(1) {
                    None => AttrValue::from("Before the first bucket: step through the run bucket by bucket (PageDown, → or j). The shaded band is the outage."),
                    Some(i) => d.lines.get(i).cloned().unwrap_or_default(),
                })}
                outcome={mask.is_none().then(|| d.outcome.clone())} />
            { p.prompt.clone() }
            <div class="retries-charts">
                <BarChart title="Offered load at the server, per second: first tries, then retries, then layer calls stacked" x_label="time (s)" y_label="calls per second"
                    stack_names={vec!["first tries".into(), "client retries".into(), "layer retries".into()]} bars={d.load.clone()} x_max={d.x_max} cursor_x={cursor}
                    band={p.band} mask_from={mask} hline={Some((d.capacity, AttrValue::from("server capacity")))} />
                <LineChart title="Successes and failures per second, against the server's capacity" x_label="time (s)" y_label="requests per second" cursor_x={cursor} x_max={Some(d.x_max)}
                    series={d.outcomes.clone()} band={p.band} mask_from={mask} />
                <LineChart title="Amplification: server calls per first try, per bucket" x_label="time (s)" y_label="calls per first try" cursor_x={cursor} x_max={Some(d.x_max)}
                    series={d.amp.clone()} band={p.band} mask_from={mask} />
                <LineChart title="Completion latency of successful requests" x_label="time (s)" y_label="latency (s)" cursor_x={cursor} x_max={Some(d.x_max)}
                    series={d.latency.clone()} band={p.band} mask_from={mask} />
                if let Some(tokens) = &d.tokens {
                    <LineChart title="Retries the budgets allow at the end of each bucket, summed over every budget" x_label="time (s)" y_label="retries" cursor_x={cursor} x_max={Some(d.x_max)}
                        series={tokens.clone()} band={p.band} mask_from={mask} />
                }
                <BarChart title={d.delay_title.clone()} x_label="delay (ms)" y_label="retries" stack_names={vec!["retries".into()]} bars={d.delays.clone()} x_max={d.cap_ms} />
            </div>
            if mask.is_some() {
                <p class="retries-summary hidden-until-predicted">{ "The summary of the run after the outage is hidden until you predict: step onto the end of the outage." }</p>
            } else {
                <p class="retries-summary">{ d.summary.clone() }</p>
            }
            if d.tokens.is_none() {
                <p class="note">{ "No retry budget is set, so the budget chart is hidden: set one with the slider above. The delay histogram has no time axis, so no outage band." }</p>
            }
            <EventLog lines={d.lines.clone()} current={step} />
        </section>
    }
}
