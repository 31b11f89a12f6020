//! Browser component tests of the Keys lab (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use idemlab_sim::keys::{self, presets, KeysParams};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
async fn the_no_key_preset_renders_its_diagram_ledger_and_double_charges() {
    let root = mount_at("?area=keys&preset=no-key&step=999&predict=0");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let html = root.inner_html();
    assert!(html.contains("data-lab=\"keys\""), "keys lab did not render");
    assert!(html.contains("What the client believes") && html.contains("What the provider charged"));
    assert!(html.contains("charged AGAIN"), "the step-through should show the second charge");
    let key = root.query_selector(".counter.key").unwrap().expect("a key counter");
    assert_eq!(key.get_attribute("data-counter").as_deref(), Some("double_charges"));
    root.set_inner_html("");
}

#[wasm_bindgen_test]
async fn the_correct_preset_marks_charges_and_ends_with_a_completed_key() {
    let root = mount_at("?area=keys&preset=correct&step=999&predict=0");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let badge = root.query_selector("[data-badge]").unwrap().expect("a key badge");
    assert_eq!(badge.get_attribute("data-badge").as_deref(), Some("completed"));
    let key = root.query_selector(".counter.key").unwrap().expect("a key counter");
    assert_eq!(key.get_attribute("data-counter").as_deref(), Some("charges"));
    root.set_inner_html("");
}

#[wasm_bindgen_test]
async fn the_crash_window_preset_offers_a_jump_to_its_second_charge() {
    let root = mount_at("?area=keys&preset=crash-window");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let jump = root.query_selector("[data-jump]").unwrap().expect("a jump button");
    let params = presets::params_of("crash-window");
    let r = keys::run(&KeysParams { ops: 1, ..params }).unwrap();
    let want = keys::view::decisive_step(&r).expect("a decisive step");
    assert_eq!(jump.get_attribute("data-jump"), Some(want.to_string()));
    root.set_inner_html("");
}

#[wasm_bindgen_test]
fn keys_engine_timing_in_the_browser() {
    // Prints figures for the README; asserts nothing about time.
    for slug in ["correct", "no-key"] {
        let p = KeysParams { ops: 1_000, ..presets::params_of(slug) };
        let runs = 10;
        let t0 = idemlab_web::web::now_ms();
        for _ in 0..runs {
            let r = keys::run(&p).unwrap();
            assert_eq!(r.counters.intended, 1_000);
        }
        let per = (idemlab_web::web::now_ms() - t0) / f64::from(runs);
        console_log!("BENCH wasm keys/{slug}/1000-ops: {per:.3} ms per run");
    }
    let p = KeysParams { ops: 1, ..presets::params_of("correct") };
    let t0 = idemlab_web::web::now_ms();
    for _ in 0..200 {
        let r = keys::run(&p).unwrap();
        assert!(!keys::view::steps(&r).is_empty());
    }
    console_log!("BENCH wasm keys/correct/step-view: {:.3} ms per run", (idemlab_web::web::now_ms() - t0) / 200.0);
}
