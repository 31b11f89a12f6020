//! Browser component tests: run by wasm-bindgen-test in headless Chromium
//! (`scripts/test`, layer 2). Native builds compile this file to nothing.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::golden;

#[path = "../sim/golden/cases.rs"]
mod golden_cases;
use idemlab_web::query::{Area, Query};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
fn wasm_trace_hashes_equal_the_native_golden_file() {
    // The same file is checked by `cargo test` natively, so equality here
    // proves the engines give identical traces on both targets.
    let kept = golden::parse(golden::GOLDEN_FILE);
    let computed = golden_cases::cases();
    assert!(!kept.is_empty());
    assert_eq!(kept.len(), computed.len());
    for (k, c) in kept.iter().zip(&computed) {
        assert_eq!(k, c, "wasm32 trace differs from native for {}", c.name);
    }
}

#[wasm_bindgen_test]
fn every_preset_permalink_gives_in_wasm_the_trace_hash_idemlab_url_gives_natively() {
    // `cli/tests/url.rs` checks the same file against `idemlab url`; equal
    // hashes on both sides prove that a permalink reproduces the run.
    let kept = include_str!("../sim/golden/permalinks.txt");
    let mut checked = 0;
    for line in kept.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (link, hash) = line.split_once(' ').expect("link and hash");
        let report = idemlab_sim::labs::run_permalink(link).expect("the link runs");
        assert_eq!(report.trace_hash, hash.trim(), "wasm32 differs from idemlab url for {link}");
        checked += 1;
    }
    assert_eq!(checked, idemlab_sim::labs::preset_links().len());
}

#[wasm_bindgen_test]
fn a_link_with_a_handler_gives_in_wasm_the_trace_hash_idemlab_url_gives_natively() {
    // `cli/tests/url.rs` keeps these hashes from `idemlab url`; the parser
    // (compiled into this test through the dev-dependency's default feature)
    // and the engine give the same run here.
    let kept = include_str!("../sim/golden/handler-links.txt");
    let mut checked = 0;
    for line in kept.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (link, hash) = line.split_once(' ').expect("link and hash");
        let report = idemlab_sim::labs::run_permalink(link).expect("the link runs");
        assert_eq!(report.trace_hash, hash.trim(), "wasm32 differs from idemlab url for {link}");
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[wasm_bindgen_test]
fn hostile_permalinks_parse_without_panicking_in_wasm() {
    let mut q = Query::parse("?area=%00%ZZ&seed=18446744073709551616&step=-5&schedule=9,9,9");
    assert_eq!(q.area(), Area::About);
    assert_eq!(q.seed("seed", 3), 3);
    assert!(!q.warnings.is_empty());
}

#[wasm_bindgen_test]
async fn the_app_renders_its_navigation_and_the_about_demo() {
    // With predict-first on (the default), About covers the counters that
    // would answer its question until it is answered; with it off, they are drawn.
    let root = mount_at("?area=about");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let html = root.inner_html();
    for area in Area::ALL.iter() {
        assert!(html.contains(&format!("data-area=\"{}\"", area.slug())), "nav lacks {}", area.slug());
    }
    assert!(html.contains("aria-checked=\"true\""), "predict-first is not on by default");
    assert!(html.contains("The evidence is covered"), "about did not say its evidence waits for the prediction");
    assert!(!html.contains("data-counter=\"duplicate_effects\""), "about showed its counters before the answer");

    let root = mount_at("?area=about&predict=0");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let html = root.inner_html();
    assert!(!html.contains("The evidence is covered"), "about covered its evidence with predict=0");
    assert!(html.contains("data-counter=\"duplicate_effects\""), "about demo did not render its counters");
}

#[wasm_bindgen_test]
fn delivery_engine_timing_in_the_browser() {
    // Prints a figure for the README; asserts nothing about time.
    let p = idemlab_sim::delivery::DeliveryParams { messages: 1_000, ..Default::default() };
    let t0 = idemlab_web::web::now_ms();
    let runs = 20;
    for _ in 0..runs {
        let r = idemlab_sim::delivery::run(&p).unwrap();
        assert_eq!(r.counters.intended, 1_000);
    }
    let per = (idemlab_web::web::now_ms() - t0) / runs as f64;
    console_log!("BENCH wasm delivery/1000-messages: {per:.3} ms per run");
}
