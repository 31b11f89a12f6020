//! Retries: backoff, jitter, Retry-After and retry budgets for a fleet, and
//! the AWS backoff study's contended workload.
//!
//! Three views share one permalink: the fleet (every knob live, step
//! controls scrubbing simulated time one bucket a step), compare (one seed
//! under several strategies side by side) and the study sweep.

use crate::components::{
    Bar, BarChart, Counter, EventLog, Evidence, ExportBar, LineChart, LinkWarnings, Select, Series, Slider,
    StepControls, Toggle,
};
use crate::query::Query;
use crate::shell::LabProps;
use crate::web;
use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::fleet::{self, FleetParams, FleetRun};
use idemlab_sim::retries::occ::{self, OccParams};
use yew::prelude::*;

/// A teaching scenario: a name, what it shows, and the knobs it sets.
pub struct Preset {
    /// The value of `preset=` in the permalink.
    pub slug: &'static str,
    /// The button's label.
    pub title: &'static str,
    /// What to look for, in one or two sentences.
    pub lesson: &'static str,
    /// The knobs, starting from the defaults.
    pub apply: fn(&mut FleetParams),
}

/// Every preset; the first is the default screen.
pub const PRESETS: [Preset; 6] = [
    Preset {
        slug: "outage",
        title: "A short outage, full jitter",
        lesson: "The server is down from 20 s to 25 s. Retries pile up during the outage and arrive spread out afterwards, so the server absorbs them.",
        apply: |_| {},
    },
    Preset {
        slug: "herd",
        title: "Synchronised retries after an outage",
        lesson: "Exponential backoff without jitter: requests turned away together come back together. Look for the spikes of retries after recovery, at doubling intervals, each one overflowing the queue again.",
        apply: |p| {
            p.strategy = Strategy::Exponential;
            p.attempts_max = 8;
            p.base_ms = 250;
            p.cap_ms = 8_000;
            p.queue_max = 200;
            p.rate_rps = 900;
            p.retry_after_ms = 0;
        },
    },
    Preset {
        slug: "cap",
        title: "A per-request cap that still overloads",
        lesson: "Three attempts per request bounds one request, not the fleet. The retries of the outage arrive together on recovery and the queue grows past a timeout's worth of work (3,000 places, 500 ms timeout): the server now serves requests whose clients already gave up, they retry, and the overload feeds itself until the end, although the outage lasted 5 s.",
        apply: |p| {
            p.attempts_max = 3;
            p.rate_rps = 800;
            p.queue_max = 3_000;
            p.timeout_ms = 500;
            p.base_ms = 500;
            p.cap_ms = 4_000;
            p.retry_after_ms = 0;
        },
    },
    Preset {
        slug: "budget",
        title: "A retry budget that holds it",
        lesson: "The same fleet with a 10 % retry budget: during the outage the tokens run out, so retries are refused locally (counted below) instead of piling up for the recovery, and the fleet recovers at once.",
        apply: |p| {
            (PRESETS[2].apply)(p);
            p.budget_pct = 10;
            p.budget_burst = 100;
        },
    },
    Preset {
        slug: "ra-ignored",
        title: "Retry-After ignored",
        lesson: "The server is short of capacity and answers 503 with Retry-After: 2 s. These clients ignore it and retry after their short backoff, into the same full queue.",
        apply: |p| {
            p.rate_rps = 1_200;
            p.capacity_rps = 1_000;
            p.queue_max = 200;
            p.retry_after_ms = 2_000;
            p.honour_retry_after = false;
            p.attempts_max = 5;
            p.base_ms = 50;
            p.cap_ms = 1_000;
            p.outage_from_s = 0;
            p.outage_to_s = 0;
        },
    },
    Preset {
        slug: "ra-honoured",
        title: "Retry-After honoured",
        lesson: "The same overload, but clients wait at least the server's Retry-After: far fewer wasted calls reach the full queue.",
        apply: |p| {
            (PRESETS[4].apply)(p);
            p.honour_retry_after = true;
        },
    },
];

const STRATEGY_SLUGS: [&str; 7] = ["none", "immediate", "constant", "exponential", "full", "equal", "decorrelated"];
const MODES: [&str; 3] = ["fleet", "compare", "study"];
/// The strategies compare mode runs side by side.
const COMPARE: [Strategy; 6] = [
    Strategy::None,
    Strategy::Immediate,
    Strategy::Exponential,
    Strategy::FullJitter,
    Strategy::EqualJitter,
    Strategy::Decorrelated,
];

fn strategy_from(q: &mut Query, key: &str, default: Strategy) -> Strategy {
    if q.get(key).is_none() {
        return default;
    }
    Strategy::from_slug(q.choice(key, &STRATEGY_SLUGS)).unwrap_or(default)
}

/// Reads the preset and the fleet's knobs from the permalink; explicit knobs
/// override the preset's.
pub fn fleet_params(q: &mut Query) -> (&'static Preset, FleetParams) {
    let slugs: Vec<&str> = PRESETS.iter().map(|p| p.slug).collect();
    let slug = q.choice("preset", &slugs);
    let preset = PRESETS.iter().find(|p| p.slug == slug).unwrap_or(&PRESETS[0]);
    let mut d = FleetParams::default();
    (preset.apply)(&mut d);
    let duration_s = q.int("dur", d.duration_s.into(), 10, 300) as u32;
    let outage_from_s = q.int("of", d.outage_from_s.into(), 0, duration_s.into()) as u32;
    let outage_to_s = (q.int("ot", d.outage_to_s.into(), 0, duration_s.into()) as u32).max(outage_from_s);
    let p = FleetParams {
        clients: q.int("n", d.clients.into(), 10, 10_000) as u32,
        rate_rps: q.int("rate", d.rate_rps.into(), 50, 5_000) as u32,
        duration_s,
        strategy: strategy_from(q, "s", d.strategy),
        base_ms: q.int("base", d.base_ms as i64, 5, 2_000) as u64,
        cap_ms: q.int("cap", d.cap_ms as i64, 100, 30_000) as u64,
        attempts_max: q.int("att", d.attempts_max.into(), 1, 10) as u32,
        timeout_ms: q.int("to", d.timeout_ms as i64, 0, 10_000) as u64,
        budget_pct: q.int("bud", d.budget_pct.into(), 0, 50) as u32,
        budget_burst: q.int("burst", d.budget_burst.into(), 1, 1_000) as u32,
        honour_retry_after: q.flag("ra", d.honour_retry_after),
        capacity_rps: q.int("capy", d.capacity_rps.into(), 100, 5_000) as u32,
        queue_max: q.int("qmax", d.queue_max.into(), 0, 5_000) as u32,
        retry_after_ms: q.int("rams", d.retry_after_ms as i64, 0, 10_000) as u64,
        error_rate: q.pct("err", (d.error_rate * 100.0).round() as i64),
        client_error_rate: q.pct("cerr", (d.client_error_rate * 100.0).round() as i64),
        outage_from_s,
        outage_to_s,
        layers: q.int("lay", d.layers.into(), 0, 4) as u32,
        layer_retries: q.int("lk", d.layer_retries.into(), 0, 5) as u32,
        seed: q.seed("seed", d.seed),
    };
    (preset, p)
}

/// Study knobs: the largest client count, runs per point, base, cap, and
/// the client count and strategy of the waves chart.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyKnobs {
    /// The sweep runs 10, 20, ... up to this many clients.
    pub clients_max: u32,
    /// Runs per point.
    pub runs: u32,
    /// The seed.
    pub seed: u64,
    /// Clients of the waves chart.
    pub wave_clients: u32,
}

/// Reads the study's knobs.
pub fn study_knobs(q: &mut Query) -> StudyKnobs {
    StudyKnobs {
        clients_max: (q.int("sn", 190, 10, 190) as u32) / 10 * 10,
        runs: q.int("sr", 20, 1, 100) as u32,
        seed: q.seed("seed", 1),
        wave_clients: q.int("wn", 100, 10, 190) as u32,
    }
}

/// The study sweep the chart draws: every strategy of the study at 10, 20,
/// ... `clients_max` clients.
pub fn study_sweep(k: &StudyKnobs) -> Result<Vec<occ::SweepPoint>, idemlab_sim::SimError> {
    let base = OccParams { runs: k.runs, seed: k.seed, ..Default::default() };
    let clients: Vec<u32> = (1..=k.clients_max / 10).map(|i| i * 10).collect();
    occ::sweep(&base, &clients, &occ::STUDY_STRATEGIES)
}

fn per_s(count: u32, bucket_s: f64) -> f64 {
    f64::from(count) / bucket_s
}

fn fmt_pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// The evidence counters of a fleet run.
pub fn counters(run: &FleetRun) -> Vec<Counter> {
    let t = &run.totals;
    let budget = run.params.budget_pct > 0;
    let amp = Counter::new(
        "amplification",
        "Retry amplification (server calls per request)",
        format!("{:.2}×", t.amplification()),
    )
    .bad_if(t.amplification() > 1.5);
    let refusals = Counter::new("budget_refusals", "Retries refused by the budget", t.budget_refusals);
    vec![
        Counter::new("requests", "Logical requests", t.requests),
        Counter::new("success_rate", "Succeeded", fmt_pct(t.success_rate())).bad_if(t.success_rate() < 0.95),
        if budget { amp } else { amp.key() },
        Counter::new("attempts_per_request", "Client attempts per request", format!("{:.2}", t.attempts_per_request())),
        if budget { refusals.key() } else { refusals },
        Counter::new("retries", "Client retries", t.retries),
        Counter::new("layer_calls", "Extra calls from retrying layers", t.layer_calls).bad_if(t.layer_calls > 0),
        Counter::new("rejected", "Answered 503 (overload or outage)", t.rejected_overload + t.rejected_outage),
        Counter::new("wasted", "Served after the client gave up (wasted)", t.wasted).bad_if(t.wasted > 0),
        Counter::new("timeouts", "Client timeouts", t.timeouts),
        Counter::new("gave_up_cap", "Gave up at the attempt cap", t.gave_up_attempt_cap),
        Counter::new("not_retryable", "4xx, not retried", t.gave_up_not_retryable),
        Counter::new("p50", "Latency p50", format!("{} ms", t.latency_ms_p50)),
        Counter::new("p99", "Latency p99", format!("{} ms", t.latency_ms_p99)),
    ]
}

/// The Retries lab.
#[component]
pub fn Retries(p: &LabProps) -> Html {
    let mut q = p.query.clone();
    let mode = q.choice("mode", &MODES);
    let (preset, params) = fleet_params(&mut q);
    let knobs = study_knobs(&mut q);
    let _ = q.int("step", fleet::BUCKETS as i64, 0, fleet::BUCKETS as i64);
    let warnings = html! { <LinkWarnings warnings={q.warnings.clone()} /> };

    let set_mode = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |m: String| on_query.emit(q.with("mode", m)))
    };
    let presets = html! {
        <nav class="retries-presets" aria-label="Presets">
            <span>{ "Presets:" }</span>
            { for PRESETS.iter().map(|pr| {
                let current = pr.slug == preset.slug;
                let mut link = Query::default();
                link.set("area", "retries");
                link.set("preset", pr.slug);
                if mode != "fleet" { link.set("mode", mode); }
                let (on_query, target) = (p.on_query.clone(), link.clone());
                let onclick = Callback::from(move |e: MouseEvent| { e.prevent_default(); on_query.emit(target.clone()); });
                html! {
                    <a href={link.to_search()} class={classes!("retries-preset", current.then_some("current"))}
                       aria-current={current.then_some("true")} data-preset={pr.slug} {onclick}>{ pr.title }</a>
                }
            }) }
        </nav>
    };
    let tabs = html! {
        <div class="retries-tabs" role="tablist" aria-label="View">
            { for [("fleet", "Fleet"), ("compare", "Compare strategies"), ("study", "Backoff study sweep")].iter().map(|(m, label)| {
                let cb = set_mode.clone();
                let m2 = m.to_string();
                html! {
                    <button type="button" role="tab" aria-selected={(mode == *m).to_string()} data-mode={*m}
                        class={classes!("retries-tab", (mode == *m).then_some("current"))}
                        onclick={Callback::from(move |_| cb.emit(m2.clone()))}>{ *label }</button>
                }
            }) }
        </div>
    };
    let body = match mode {
        "compare" => html! { <CompareView params={params.clone()} /> },
        "study" => html! { <StudyView knobs={knobs.clone()} query={p.query.clone()} on_query={p.on_query.clone()} /> },
        _ => html! { <FleetView params={params.clone()} query={p.query.clone()} on_query={p.on_query.clone()} /> },
    };
    html! {
        <section class="lab retries-lab" data-lab="retries">
            { warnings }
            <h2>{ "Retries: backoff, jitter, Retry-After and budgets" }</h2>
            <div class="prose">
                <p>{ "A retry is how at-least-once delivery happens, and a fleet of clients retrying at once is how a small outage becomes a long one. Back off exponentially and add jitter, so that clients that failed together do not come back together; retry only what can succeed (network errors, timeouts, 5xx and 429, never another 4xx); honour Retry-After; and cap retries for the whole fleet, not only per request." }</p>
            </div>
            { presets }
            if mode != "study" { <p class="retries-lesson"><strong>{ format!("{}: ", preset.title) }</strong>{ preset.lesson }</p> }
            { tabs }
            { body }
        </section>
    }
}

/// Props of the views that write the permalink.
#[derive(Properties, PartialEq, Clone)]
struct FleetViewProps {
    params: FleetParams,
    query: Query,
    on_query: Callback<Query>,
}

/// The knobs, grouped as an operator thinks of them.
fn controls(params: &FleetParams, query: &Query, on_query: &Callback<Query>) -> Html {
    let set = |key: &'static str| {
        let (q, on_query) = (query.clone(), on_query.clone());
        Callback::from(move |v: i64| on_query.emit(q.with(key, v)))
    };
    let set_flag = |key: &'static str| {
        let (q, on_query) = (query.clone(), on_query.clone());
        Callback::from(move |v: bool| on_query.emit(q.with(key, u8::from(v))))
    };
    let set_strategy = {
        let (q, on_query) = (query.clone(), on_query.clone());
        Callback::from(move |v: String| on_query.emit(q.with("s", v)))
    };
    let new_seed = {
        let (q, on_query) = (query.clone(), on_query.clone());
        Callback::from(move |_| on_query.emit(q.with("seed", web::fresh_seed())))
    };
    let lk = |k: &str| query.locked(k);
    let p = params;
    let strategies: Vec<(AttrValue, AttrValue)> =
        Strategy::ALL.iter().map(|s| (AttrValue::from(s.slug()), AttrValue::from(s.title()))).collect();
    html! {
        <div class="retries-controls">
            <fieldset class="controls">
                <legend>{ "Retry policy" }</legend>
                <Select id="retries-s" label="Backoff strategy" options={strategies} value={AttrValue::from(p.strategy.slug())} disabled={lk("s")} on_change={set_strategy} />
                <Slider id="retries-base" label="Backoff base" unit=" ms" value={p.base_ms as i64} min={5} max={2_000} step={5} disabled={lk("base")} on_change={set("base")} />
                <Slider id="retries-cap" label="Backoff cap" unit=" ms" value={p.cap_ms as i64} min={100} max={30_000} step={100} disabled={lk("cap")} on_change={set("cap")} />
                <Slider id="retries-att" label="Attempts per request (cap)" value={p.attempts_max as i64} min={1} max={10} disabled={lk("att")} on_change={set("att")} />
                <Slider id="retries-to" label="Client timeout (0 = wait forever)" unit=" ms" value={p.timeout_ms as i64} min={0} max={10_000} step={100} disabled={lk("to")} on_change={set("to")} />
                <Slider id="retries-bud" label="Fleet retry budget (0 = none)" unit=" %" value={p.budget_pct as i64} min={0} max={50} disabled={lk("bud")} on_change={set("bud")}
                    help={Some(AttrValue::from("Each request earns this share of a token; a retry spends one (Finagle-style)."))} />
                <Slider id="retries-burst" label="Budget tokens at most" value={p.budget_burst as i64} min={1} max={1_000} disabled={lk("burst")} on_change={set("burst")} />
                <Toggle id="retries-ra" label="Honour Retry-After" checked={p.honour_retry_after} disabled={lk("ra")} on_change={set_flag("ra")} />
            </fieldset>
            <fieldset class="controls">
                <legend>{ "Fleet and server" }</legend>
                <Slider id="retries-n" label="Clients" value={p.clients as i64} min={10} max={10_000} step={10} disabled={lk("n")} on_change={set("n")} />
                <Slider id="retries-rate" label="Arrival rate (fleet)" unit=" req/s" value={p.rate_rps as i64} min={50} max={5_000} step={50} disabled={lk("rate")} on_change={set("rate")} />
                <Slider id="retries-dur" label="Simulated time" unit=" s" value={p.duration_s as i64} min={10} max={300} step={10} disabled={lk("dur")} on_change={set("dur")} />
                <Slider id="retries-capy" label="Server capacity" unit=" req/s" value={p.capacity_rps as i64} min={100} max={5_000} step={50} disabled={lk("capy")} on_change={set("capy")} />
                <Slider id="retries-qmax" label="Server queue bound" value={p.queue_max as i64} min={0} max={5_000} step={50} disabled={lk("qmax")} on_change={set("qmax")} />
                <Slider id="retries-rams" label="Retry-After on 503 (0 = none)" unit=" ms" value={p.retry_after_ms as i64} min={0} max={10_000} step={100} disabled={lk("rams")} on_change={set("rams")} />
                <Slider id="retries-err" label="Random 5xx rate" unit=" %" value={(p.error_rate * 100.0).round() as i64} min={0} max={100} disabled={lk("err")} on_change={set("err")} />
                <Slider id="retries-cerr" label="Random 4xx rate (never retried)" unit=" %" value={(p.client_error_rate * 100.0).round() as i64} min={0} max={100} disabled={lk("cerr")} on_change={set("cerr")} />
                <Slider id="retries-of" label="Outage from" unit=" s" value={p.outage_from_s as i64} min={0} max={p.duration_s as i64} disabled={lk("of")} on_change={set("of")} />
                <Slider id="retries-ot" label="Outage until" unit=" s" value={p.outage_to_s as i64} min={0} max={p.duration_s as i64} disabled={lk("ot")} on_change={set("ot")} />
                <Slider id="retries-lay" label="Retrying layers in between" value={p.layers as i64} min={0} max={4} disabled={lk("lay")} on_change={set("lay")} />
                <Slider id="retries-lk" label="Retries per layer" value={p.layer_retries as i64} min={0} max={5} disabled={lk("lk")} on_change={set("lk")}
                    help={Some(AttrValue::from(format!("Up to (k+1)^N = {} server calls per client attempt.", p.calls_per_attempt_max())))} />
                <div class="control seed">
                    <span>{ format!("Seed {}", p.seed) }</span>
                    <button type="button" onclick={new_seed} disabled={lk("seed")}>{ "New seed" }</button>
                </div>
            </fieldset>
        </div>
    }
}

/// The fleet view: charts over simulated time, scrubbed by the step controls.
#[component]
fn FleetView(p: &FleetViewProps) -> Html {
    let run = use_memo(p.params.clone(), fleet::run);
    {
        let run = run.clone();
        use_effect_with(p.params.clone(), move |params| {
            if let Ok(r) = &*run {
                let t = &r.totals;
                web::post_event(
                    "outcome",
                    "retries",
                    serde_json::json!({
                        "strategy": params.strategy.slug(), "amplification": t.amplification(),
                        "success_rate": t.success_rate(), "budget_refusals": t.budget_refusals,
                    }),
                );
            }
            || ()
        });
    }
    let mut q = p.query.clone();
    let steps = fleet::BUCKETS;
    let step = q.int("step", steps as i64, 0, steps as i64) as usize;
    let on_step = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |s: usize| on_query.emit(q.with("step", s)))
    };
    let controls = controls(&p.params, &p.query, &p.on_query);
    let result = match &*run {
        Err(e) => html! { <p class="error" role="alert">{ format!("This run could not start: {e}") }</p> },
        Ok(run) => fleet_charts(run, step, &p.query),
    };
    html! {
        <>
            { controls }
            <StepControls {step} {steps} {on_step} label="Time bucket" />
            { result }
        </>
    }
}

fn fleet_charts(run: &FleetRun, step: usize, query: &Query) -> Html {
    let b = &run.buckets;
    let bucket_s = b.bucket_us as f64 / 1e6;
    let x_max = run.params.duration_s as f64;
    let cursor = (step > 0).then_some(step as f64 * bucket_s);
    let xs = |i: usize| (i as f64 + 0.5) * bucket_s;
    let bars: Vec<Bar> = (0..fleet::BUCKETS)
        .map(|i| Bar {
            x: xs(i),
            segments: vec![
                per_s(b.first_tries[i], bucket_s),
                per_s(b.retries[i], bucket_s),
                per_s(b.layer_calls[i], bucket_s),
            ],
        })
        .collect();
    let line =
        |v: &[u32]| -> Vec<(f64, f64)> { v.iter().enumerate().map(|(i, c)| (xs(i), per_s(*c, bucket_s))).collect() };
    let capacity = vec![(0.0, f64::from(run.params.capacity_rps)), (x_max, f64::from(run.params.capacity_rps))];
    let amp: Vec<(f64, f64)> = (0..fleet::BUCKETS)
        .map(|i| {
            let first = f64::from(b.first_tries[i]).max(1.0);
            (xs(i), f64::from(b.first_tries[i] + b.retries[i] + b.layer_calls[i]) / first)
        })
        .collect();
    let lat = |v: &[u64]| -> Vec<(f64, f64)> {
        v.iter().enumerate().filter(|(_, ms)| **ms > 0).map(|(i, ms)| (xs(i), *ms as f64 / 1000.0)).collect()
    };
    let delay_bin_ms = run.delay_bin_us as f64 / 1000.0;
    let delays: Vec<Bar> = run
        .delay_hist
        .iter()
        .enumerate()
        .map(|(i, c)| Bar { x: (i as f64 + 0.5) * delay_bin_ms, segments: vec![f64::from(*c)] })
        .collect();
    let tokens: Vec<(f64, f64)> = b.budget_tokens.iter().enumerate().map(|(i, t)| (xs(i), f64::from(*t))).collect();
    let lines: Vec<AttrValue> = (0..fleet::BUCKETS)
        .map(|i| {
            AttrValue::from(format!(
                "{:.1}–{:.1} s: {} first tries, {} retries, {} layer calls, {} answered 503, {} succeeded, {} failed, {} budget refusals, {} wasted",
                i as f64 * bucket_s,
                (i + 1) as f64 * bucket_s,
                b.first_tries[i],
                b.retries[i],
                b.layer_calls[i],
                b.rejected[i],
                b.successes[i],
                b.failures[i],
                b.budget_refusals[i],
                b.wasted[i]
            ))
        })
        .collect();
    let counters = counters(run);
    let t = &run.totals;
    let belief = format!(
        "each client made at most {} attempts per request, so the server sees at most {}× the load.",
        run.params.attempts_max,
        u64::from(run.params.attempts_max) * run.params.calls_per_attempt_max()
    );
    let trace_json = {
        let run = run.clone();
        Callback::from(move |_| serde_json::to_string_pretty(&run).unwrap_or_default())
    };
    let budget_chart = (run.params.budget_pct > 0).then(|| html! {
        <LineChart title="Budget level (tokens at the end of each bucket)" x_label="time (s)" y_label="tokens" cursor_x={cursor} x_max={Some(x_max)}
            series={vec![Series { name: "tokens".into(), points: tokens }]} />
    });
    html! {
        <>
            <p class="retries-readout" aria-live="polite">{
                if step == 0 { "Step through the run bucket by bucket with the step controls (← → or j k).".to_string() }
                else { lines[step - 1].to_string() }
            }</p>
            <Evidence title="Belief versus evidence" belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
            <p class="retries-summary">{ format!(
                "{} requests: {} succeeded, {} failed ({} at the cap, {} refused by the budget, {} not retryable). The server got {} calls: {:.2} per request.",
                t.requests, t.successes, t.failures, t.gave_up_attempt_cap, t.budget_refusals, t.gave_up_not_retryable, t.server_calls, t.amplification()
            ) }</p>
            <div class="retries-charts">
                <BarChart title="Offered load at the server, per second: first tries, then retries, then layer calls stacked" x_label="time (s)" y_label="calls per second"
                    stack_names={vec!["first tries".into(), "client retries".into(), "layer retries".into()]} bars={bars} x_max={x_max} cursor_x={cursor} />
                <LineChart title="Successes and failures per second, against the server's capacity" x_label="time (s)" y_label="requests per second" cursor_x={cursor} x_max={Some(x_max)}
                    series={vec![
                        Series { name: "succeeded".into(), points: line(&b.successes) },
                        Series { name: "failed (gave up)".into(), points: line(&b.failures) },
                        Series { name: "answered 503".into(), points: line(&b.rejected) },
                        Series { name: "capacity".into(), points: capacity },
                    ]} />
                <LineChart title="Amplification: server calls per first try, per bucket" x_label="time (s)" y_label="calls per first try" cursor_x={cursor} x_max={Some(x_max)}
                    series={vec![Series { name: "amplification".into(), points: amp }]} />
                <LineChart title="Completion latency of successful requests" x_label="time (s)" y_label="latency (s)" cursor_x={cursor} x_max={Some(x_max)}
                    series={vec![Series { name: "p50".into(), points: lat(&b.latency_ms_p50) }, Series { name: "p99".into(), points: lat(&b.latency_ms_p99) }]} />
                { budget_chart.unwrap_or_default() }
                <BarChart title={format!("Delays chosen by {} (before Retry-After)", run.params.strategy.title())} x_label="delay (ms)" y_label="retries"
                    stack_names={vec!["retries".into()]} bars={delays} x_max={run.params.cap_ms as f64} />
            </div>
            if run.params.budget_pct == 0 {
                <p class="note">{ "No retry budget is set, so the budget chart is hidden: set one with the slider above." }</p>
            }
            <EventLog lines={lines} current={step} />
            <ExportBar name="retries-fleet" trace_json={trace_json} counters={counters} query={query.clone()} />
        </>
    }
}

/// Props of [`CompareView`].
#[derive(Properties, PartialEq, Clone)]
struct CompareProps {
    params: FleetParams,
}

/// One seed, several strategies side by side.
#[component]
fn CompareView(p: &CompareProps) -> Html {
    let runs = use_memo(p.params.clone(), |params| {
        COMPARE
            .iter()
            .map(|&strategy| (strategy, fleet::run(&FleetParams { strategy, ..params.clone() })))
            .collect::<Vec<_>>()
    });
    let mut load = Vec::new();
    let mut ok = Vec::new();
    let mut rows = Vec::new();
    for (strategy, r) in runs.iter() {
        match r {
            Err(e) => rows.push(
                html! { <tr><th scope="row">{ strategy.title() }</th><td colspan="6">{ e.to_string() }</td></tr> },
            ),
            Ok(run) => {
                let b = &run.buckets;
                let bucket_s = b.bucket_us as f64 / 1e6;
                let xs = |i: usize| (i as f64 + 0.5) * bucket_s;
                load.push(Series {
                    name: strategy.title().into(),
                    points: (0..fleet::BUCKETS)
                        .map(|i| (xs(i), per_s(b.first_tries[i] + b.retries[i] + b.layer_calls[i], bucket_s)))
                        .collect(),
                });
                ok.push(Series {
                    name: strategy.title().into(),
                    points: (0..fleet::BUCKETS).map(|i| (xs(i), per_s(b.successes[i], bucket_s))).collect(),
                });
                let t = &run.totals;
                rows.push(html! {
                    <tr data-strategy={strategy.slug()}>
                        <th scope="row">{ strategy.title() }</th>
                        <td>{ format!("{:.2}×", t.amplification()) }</td>
                        <td>{ fmt_pct(t.success_rate()) }</td>
                        <td>{ t.rejected_overload + t.rejected_outage }</td>
                        <td>{ t.wasted }</td>
                        <td>{ t.budget_refusals }</td>
                        <td>{ format!("{} ms", t.latency_ms_p99) }</td>
                    </tr>
                });
            }
        }
    }
    html! {
        <div class="retries-compare">
            <p>{ format!("The same fleet, seed {}, under {} strategies. Change any knob in the Fleet view; this view keeps it.", p.params.seed, COMPARE.len()) }</p>
            <table class="retries-table">
                <caption>{ "Per strategy: the operator's view" }</caption>
                <thead><tr><th scope="col">{ "Strategy" }</th><th scope="col">{ "Amplification" }</th><th scope="col">{ "Succeeded" }</th>
                    <th scope="col">{ "Answered 503" }</th><th scope="col">{ "Wasted" }</th><th scope="col">{ "Budget refusals" }</th><th scope="col">{ "p99" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <div class="retries-charts">
                <LineChart title="Offered load at the server per strategy (all calls)" x_label="time (s)" y_label="calls per second" series={load} x_max={Some(f64::from(p.params.duration_s))} />
                <LineChart title="Successes per second per strategy" x_label="time (s)" y_label="requests per second" series={ok} x_max={Some(f64::from(p.params.duration_s))} />
            </div>
        </div>
    }
}

/// Props of [`StudyView`].
#[derive(Properties, PartialEq, Clone)]
struct StudyProps {
    knobs: StudyKnobs,
    query: Query,
    on_query: Callback<Query>,
}

/// The AWS study: work and completion time against the number of clients.
#[component]
fn StudyView(p: &StudyProps) -> Html {
    let k = &p.knobs;
    let sweep = use_memo(k.clone(), study_sweep);
    let waves = use_memo((k.wave_clients, k.seed), |(n, seed)| {
        [occ::STUDY_STRATEGIES[1], occ::STUDY_STRATEGIES[2]]
            .iter()
            .map(|&strategy| occ::run(&OccParams { clients: *n, runs: 1, strategy, seed: *seed, ..Default::default() }))
            .collect::<Vec<_>>()
    });
    let set = |key: &'static str| {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |v: i64| on_query.emit(q.with(key, v)))
    };
    let result = match &*sweep {
        Err(e) => html! { <p class="error" role="alert">{ format!("The sweep could not run: {e}") }</p> },
        Ok(points) => {
            let series = |f: fn(&occ::SweepPoint) -> f64| -> Vec<Series> {
                occ::STUDY_STRATEGIES
                    .iter()
                    .map(|s| Series {
                        name: study_name(*s).into(),
                        points: points
                            .iter()
                            .filter(|pt| pt.strategy == *s)
                            .map(|pt| (f64::from(pt.clients), f(pt)))
                            .collect(),
                    })
                    .collect()
            };
            let at = |n: u32, s: Strategy| points.iter().find(|pt| pt.clients == n && pt.strategy == s);
            let headline = match (at(100, Strategy::Exponential), at(100, Strategy::FullJitter)) {
                (Some(e), Some(f)) => format!(
                    "At 100 clients, full jitter makes {:.0} calls against {:.0} for exponential backoff without jitter: {:.0} % fewer.",
                    f.calls_mean, e.calls_mean, (1.0 - f.calls_mean / e.calls_mean) * 100.0
                ),
                _ => "Raise the largest client count to 100 to compare with the study's headline point.".to_string(),
            };
            let rows = points.iter().filter(|pt| pt.clients == k.clients_max).map(|pt| html! {
                <tr data-strategy={pt.strategy.slug()}><th scope="row">{ study_name(pt.strategy) }</th>
                    <td>{ format!("{:.0}", pt.calls_mean) }</td><td>{ format!("{:.0} ms", pt.time_ms_mean) }</td></tr>
            });
            html! {
                <>
                    <p class="retries-headline" data-testid="study-headline">{ headline }</p>
                    <div class="retries-charts">
                        <LineChart title="Work: writes (calls) per run against clients" x_label="clients" y_label="calls per run" series={series(|pt| pt.calls_mean)} x_max={Some(f64::from(k.clients_max))} />
                        <LineChart title="Time until the last client finished" x_label="clients" y_label="time (s)" series={series(|pt| pt.time_ms_mean / 1000.0)} x_max={Some(f64::from(k.clients_max))} />
                    </div>
                    <table class="retries-table">
                        <caption>{ format!("At {} clients, mean of {} runs", k.clients_max, k.runs) }</caption>
                        <thead><tr><th scope="col">{ "Strategy" }</th><th scope="col">{ "Calls" }</th><th scope="col">{ "Time" }</th></tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </>
            }
        }
    };
    let wave_series: Vec<Series> = waves
        .iter()
        .zip([Strategy::Exponential, Strategy::FullJitter])
        .filter_map(|(r, s)| r.as_ref().ok().map(|r| (r, s)))
        .map(|(r, s)| {
            // 50 ms per point: five of the engine's 10 ms buckets.
            let pts = r
                .first_run_writes
                .chunks(5)
                .enumerate()
                .map(|(i, c)| ((i as f64 * 50.0 + 25.0) / 1000.0, f64::from(c.iter().sum::<u32>())))
                .collect();
            Series { name: study_name(s).into(), points: pts }
        })
        .collect();
    html! {
        <div class="retries-study">
            <p>{ "The workload of Marc Brooker's study (AWS Architecture Blog, 2015): N clients each update one row once under optimistic concurrency. An attempt is a read (one round trip) and a conditional write (one more); a failed write means back off, then read again. Every message hop takes |Normal(10 ms, 2 ms)|; base 5 ms, cap 2000 ms; the first backoff uses n = 1. Calls count writes; time is when the last client finished. Here \"none\" is the study's \"no backoff\": read again at once." }</p>
            <div class="controls">
                <Slider id="retries-sn" label="Clients up to" value={k.clients_max as i64} min={10} max={190} step={10} disabled={p.query.locked("sn")} on_change={set("sn")} />
                <Slider id="retries-sr" label="Runs per point" value={k.runs as i64} min={1} max={100} disabled={p.query.locked("sr")} on_change={set("sr")}
                    help={Some(AttrValue::from("The study used 100; fewer keeps the chart quick to recompute."))} />
                <Slider id="retries-wn" label="Clients in the waves chart" value={k.wave_clients as i64} min={10} max={190} step={10} disabled={p.query.locked("wn")} on_change={set("wn")} />
            </div>
            { result }
            <div class="retries-charts">
                <LineChart title={format!("Writes reaching the server per 50 ms, one run of {} clients: synchronised waves without jitter", k.wave_clients)}
                    x_label="time (s)" y_label="writes per 50 ms" series={wave_series} />
            </div>
            <p class="note">{ "What it shows: exponential backoff without jitter is worst on both work and time; full and equal jitter do about the same work and decorrelated somewhat more; equal jitter takes longer than full. No strategy removes the roughly N² growth of work: contention on one row is the real problem." }</p>
        </div>
    }
}

fn study_name(s: Strategy) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_runs() {
        for pr in &PRESETS {
            let mut q = Query::parse(&format!("area=retries&preset={}", pr.slug));
            let (got, p) = fleet_params(&mut q);
            assert_eq!(got.slug, pr.slug);
            assert!(q.warnings.is_empty(), "{:?}", q.warnings);
            p.validate().unwrap_or_else(|e| panic!("{}: {e}", pr.slug));
        }
    }

    #[test]
    fn explicit_knobs_override_the_preset_and_hostile_ones_warn() {
        let mut q = Query::parse("preset=herd&s=full&att=99&of=50&ot=10&dur=30");
        let (_, p) = fleet_params(&mut q);
        assert_eq!(p.strategy, Strategy::FullJitter);
        assert_eq!(p.attempts_max, 10);
        assert!(p.outage_to_s >= p.outage_from_s);
        assert!(!q.warnings.is_empty());
    }

    #[test]
    fn the_budget_preset_refuses_retries_and_succeeds_more_than_the_cap_preset() {
        let run_of = |slug: &str| {
            let mut q = Query::parse(&format!("preset={slug}"));
            fleet::run(&fleet_params(&mut q).1).unwrap().totals
        };
        let cap = run_of("cap");
        let budget = run_of("budget");
        assert!(budget.budget_refusals > 0);
        assert!(budget.success_rate() > cap.success_rate(), "cap {cap:?} budget {budget:?}");
        assert!(budget.amplification() < cap.amplification());
    }

    #[test]
    fn honouring_retry_after_sends_fewer_retries() {
        let run_of = |slug: &str| {
            let mut q = Query::parse(&format!("preset={slug}"));
            fleet::run(&fleet_params(&mut q).1).unwrap().totals
        };
        assert!(run_of("ra-honoured").retries < run_of("ra-ignored").retries);
    }
}
