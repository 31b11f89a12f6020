//! Browser tests of the Retries lab: it renders from a permalink, and the
//! timed loops print the in-browser figures for the README (asserting
//! nothing about time). Native builds compile this file to nothing.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::retries::{fleet, occ};
use idemlab_web::labs::retries;
use idemlab_web::query::Query;
use idemlab_web::web;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
async fn the_budget_preset_renders_its_charts_and_marks_budget_refusals() {
    web::write_url(&Query::parse("?area=retries&preset=budget"), false);
    let root = mount_point();
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let html = root.inner_html();
    assert!(html.contains("data-lab=\"retries\""), "the lab did not render");
    assert!(html.contains("data-counter=\"amplification\""));
    let refusals = root.query_selector("[data-counter=\"budget_refusals\"]").unwrap().expect("budget refusals counter");
    let class = refusals.get_attribute("class").unwrap_or_default();
    assert!(class.split_whitespace().any(|c| c == "key"), "budget refusals should be the key counter here: {class}");
    assert!(root.query_selector_all("figure.chart").unwrap().length() >= 5, "charts missing");
    assert!(!html.contains("could not start"));
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
    let reps = 5;
    for _ in 0..reps {
        let pts = occ::sweep(&base, &[100], &occ::STUDY_STRATEGIES).unwrap();
        assert_eq!(pts.len(), 5);
    }
    let per = (web::now_ms() - t0) / f64::from(reps);
    console_log!("BENCH wasm retries/study-sweep-100x100x5: {per:.1} ms per sweep");

    // The sweep chart as the lab draws it by default: 10..190 clients, 20 runs each.
    let mut q = Query::parse("area=retries&mode=study");
    let knobs = retries::study_knobs(&mut q);
    let t0 = web::now_ms();
    let pts = retries::study_sweep(&knobs).unwrap();
    let chart_ms = web::now_ms() - t0;
    assert_eq!(pts.len(), 19 * 5);
    console_log!("BENCH wasm retries/study-sweep-chart (10..190 clients x {} runs x 5): {chart_ms:.1} ms", knobs.runs);
    let full = retries::StudyKnobs { runs: 100, ..knobs };
    let t0 = web::now_ms();
    retries::study_sweep(&full).unwrap();
    console_log!("BENCH wasm retries/study-sweep-chart (10..190 clients x 100 runs x 5): {:.1} ms", web::now_ms() - t0);

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
