//! Browser tests of the Retries lab: it renders from a permalink, its
//! presets reproduce their golden trace hashes in wasm (tests/web.rs), and
//! the timed loops print the in-browser figures for the README (asserting
//! nothing about time). Native builds compile this file to nothing.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::knob::{KnobKind, Params};
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::{fleet, occ, RetriesLab, RetriesParams, StudyParams, View};
use idemlab_web::query::Query;
use idemlab_web::web;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

fn mount(search: &str) -> web_sys::Element {
    web::write_url(&Query::parse(search), false);
    let root = mount_point();
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    root
}

#[wasm_bindgen_test]
async fn the_budget_preset_renders_its_charts_and_marks_budget_refusals() {
    let root = mount("?area=retries&preset=budget&predict=0");
    next_frames().await;
    let html = root.inner_html();
    assert!(html.contains("data-lab=\"retries\""), "the lab did not render");
    assert!(html.contains("data-counter=\"amplification\""));
    let refusals = root.query_selector("[data-counter=\"budget_refusals\"]").unwrap().expect("budget refusals counter");
    let class = refusals.get_attribute("class").unwrap_or_default();
    assert!(class.split_whitespace().any(|c| c == "key"), "budget refusals should be the key counter here: {class}");
    assert!(root.query_selector_all("figure.chart").unwrap().length() >= 5, "charts missing");
    assert!(root.query_selector_all("figure.chart rect.band").unwrap().length() >= 5, "outage bands missing");
    assert!(!html.contains("could not start"));
    root.remove();
}

#[wasm_bindgen_test]
fn the_study_orderings_hold_in_wasm_too() {
    let r: Vec<_> = occ::STUDY_STRATEGIES
        .iter()
        .map(|&strategy| {
            occ::run(&occ::OccParams { clients: 100, runs: 30, strategy, seed: 4, ..Default::default() }).unwrap()
        })
        .collect();
    assert!(r[2].calls_mean() < 0.5 * r[1].calls_mean(), "full jitter does not halve exponential's calls");
    assert!(r[1].time_ms_mean() > r[2].time_ms_mean().max(r[3].time_ms_mean()).max(r[4].time_ms_mean()));
}

#[wasm_bindgen_test]
fn retries_engine_timings_in_the_browser() {
    // Prints figures for the README; asserts nothing about time.
    let base = occ::OccParams { clients: 100, runs: 100, ..Default::default() };
    let t0 = web::now_ms();
    let pts = occ::sweep(&base, &[100], &occ::STUDY_STRATEGIES).unwrap();
    assert_eq!(pts.len(), 5);
    console_log!("BENCH wasm retries/study-sweep-100x100x5: {:.1} ms per sweep", web::now_ms() - t0);
    for runs in [20, 100] {
        let p = RetriesParams {
            view: View::Study,
            study: StudyParams { runs, ..RetriesParams::defaults().study },
            ..Default::default()
        };
        let t0 = web::now_ms();
        RetriesLab::run(&p).unwrap();
        console_log!(
            "BENCH wasm retries/study-view (10..190 clients x {runs} runs x 5, plus waves): {:.1} ms",
            web::now_ms() - t0
        );
    }
    let p = fleet::FleetParams::default();
    let t0 = web::now_ms();
    let reps = 10;
    for _ in 0..reps {
        let r = fleet::run(&p).unwrap();
        assert!(r.totals.requests > 40_000);
    }
    let per = (web::now_ms() - t0) / f64::from(reps);
    console_log!("BENCH wasm retries/fleet-default (1000 clients, 60 s): {per:.1} ms per run");
}

/// An `input` event that bubbles, as a browser sends it (Yew listens at the root).
fn bubbling_input() -> web_sys::Event {
    let window = web_sys::window().unwrap();
    let ctor: js_sys::Function = js_sys::Reflect::get(&window, &"Event".into()).unwrap().unchecked_into();
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"bubbles".into(), &true.into()).unwrap();
    let args = js_sys::Array::of2(&"input".into(), &init);
    js_sys::Reflect::construct(&ctor, &args).unwrap().unchecked_into()
}

/// Waits until `done` holds, yielding to the page between checks.
async fn until(done: impl Fn() -> bool) {
    for _ in 0..2_000 {
        if done() {
            return;
        }
        let p = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        if done() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
}

#[wasm_bindgen_test]
async fn every_fleet_slider_from_input_to_the_end_of_the_render() {
    // One BENCH line per slider at the default settings: the median of 5
    // changes, from dispatching
    // the input event to the slider's value shown by the re-rendered page.
    // Prints figures only; a change that never renders fails the test.
    let root = mount("?area=retries");
    next_frames().await;
    let mut worst = (0.0f64, "");
    for k in RetriesParams::knobs() {
        let KnobKind::Int { min, max, step } = k.kind else { continue };
        let Some(input) = root.query_selector(&format!("#retries-{}", k.key)).unwrap() else { continue };
        let input: web_sys::HtmlInputElement = input.dyn_into().unwrap();
        let output = root.query_selector(&format!("output[for=\"retries-{}\"]", k.key)).unwrap().unwrap();
        let mut times = Vec::new();
        for i in 0..5u64 {
            // Values that keep every relation valid: near the default, on the step.
            let v = (k.default + (i + 1) * step).min(max).max(min);
            let v = if v == (k.get)(&RetriesParams::defaults()) && v > min { v - step } else { v };
            let shown = format!("{v}{}", k.unit.suffix());
            input.set_value(&v.to_string());
            let t0 = web::now_ms();
            input.dispatch_event(&bubbling_input()).unwrap();
            until(|| output.text_content().unwrap_or_default() == shown).await;
            let ms = web::now_ms() - t0;
            if output.text_content().unwrap_or_default() == shown {
                times.push(ms);
            }
        }
        // Back to the default, so every slider is measured from the default settings.
        let shown = format!("{}{}", k.default, k.unit.suffix());
        input.set_value(&k.default.to_string());
        input.dispatch_event(&bubbling_input()).unwrap();
        until(|| output.text_content().unwrap_or_default() == shown).await;
        if times.is_empty() {
            // A value the relations refuse (an outage past the run, say) leaves the slider where it was.
            console_log!("BENCH wasm retries/slider-{}: no render (value refused)", k.key);
            continue;
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        if median > worst.0 {
            worst = (median, k.key);
        }
        console_log!(
            "BENCH wasm retries/slider-{}: {median:.1} ms median input to render ({} changes)",
            k.key,
            times.len()
        );
    }
    console_log!("BENCH wasm retries/slider-worst: {:.1} ms ({})", worst.0, worst.1);
    root.remove();
}

/// The compare view's six fleets come from the Web Worker as figures: this
/// reads the worker's replies back as the page does (gloo-worker's codec),
/// checks they are unchanged, and prints what decoding them costs the page.
#[wasm_bindgen_test]
fn the_workers_compare_replies_read_back_in_the_page_and_their_decoding_is_timed() {
    use gloo_worker::{Bincode, Codec};
    use idemlab_web::offload::{CompareJob, JobKind, JobOutput, JobRun, Reply, Slice};
    let mut q = Query::parse("area=retries&preset=herd&mode=compare");
    let p = idemlab_sim::lab::read_link::<RetriesLab>(&mut q).params;
    let mut job = JobRun::new(CompareJob::new(&p.fleet).job());
    // Every reply the page gets for one knob change: five progress replies and the last.
    let mut replies = Vec::new();
    loop {
        match job.step() {
            Slice::Progress { done, total, partial } => replies.push(Reply::Progress { id: 1, done, total, partial }),
            Slice::Finished(output) => {
                replies.push(Reply::Done { id: 1, output });
                break;
            }
        }
    }
    assert_eq!(replies.len(), 6);
    let Some(Reply::Done { output: Ok(JobOutput::Compare(figures)), .. }) = replies.last() else {
        panic!("no figures")
    };
    assert_eq!(figures.len(), 6);
    let encoded: Vec<wasm_bindgen::JsValue> = replies.iter().map(|r| Bincode::encode(r.clone())).collect();
    let bytes: u32 = encoded.iter().map(|e| e.clone().unchecked_into::<js_sys::Uint8Array>().length()).sum();
    for (e, r) in encoded.iter().zip(&replies) {
        assert_eq!(&Bincode::decode::<Reply>(e.clone()), r);
    }
    let rounds = 50;
    let t0 = web::now_ms();
    for _ in 0..rounds {
        for e in &encoded {
            std::hint::black_box(Bincode::decode::<Reply>(e.clone()));
        }
    }
    let per = (web::now_ms() - t0) / f64::from(rounds);
    console_log!(
        "BENCH wasm retries/compare-replies-decode: {per:.3} ms for the 6 replies of one knob change ({bytes} bytes)"
    );
}
