//! Browser component tests of the Outbox lab (wasm-bindgen-test, headless
//! Chromium). Native builds compile this file to nothing.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::outbox::{self, Mode, OutboxParams};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
async fn the_outbox_lab_renders_its_pipeline_tables_and_key_counter() {
    set_url("?area=outbox&preset=duplicates");
    let root = mount_point();
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let html = root.inner_html();
    assert!(html.contains("data-lab=\"outbox\""), "outbox lab did not render");
    for table in ["orders", "outbox", "effects"] {
        assert!(html.contains(&format!("data-table=\"{table}\"")), "table {table} missing");
    }
    assert!(html.contains("aggregatetype"), "the outbox table lacks Debezium's columns");
    let key = root.query_selector(".counter.key").unwrap().expect("a key counter");
    assert_eq!(key.get_attribute("data-counter").as_deref(), Some("duplicate_effects"));
    root.set_inner_html("");
    set_url("?");
}

#[wasm_bindgen_test]
fn outbox_engine_timing_in_the_browser() {
    // Prints figures for the README; asserts behaviour, nothing about time.
    for (mode, runs) in [(Mode::WriteThenPublish, 20), (Mode::OutboxInbox, 20), (Mode::LogTailing, 20)] {
        let p = OutboxParams {
            mode,
            commands: 1_000,
            crash: 0.05,
            ack_lost: 0.05,
            relay_crash: 0.05,
            consumer_crash: 0.05,
            ..Default::default()
        };
        let t0 = idemlab_web::web::now_ms();
        for _ in 0..runs {
            let r = outbox::run(&p).unwrap();
            assert_eq!(r.counters.commands, 1_000);
        }
        let per = (idemlab_web::web::now_ms() - t0) / f64::from(runs);
        console_log!("BENCH wasm outbox/mode{}-1000-commands: {per:.3} ms per run", mode.number());
    }
    // The UI's default preset run plus replaying the view at every step.
    let p = OutboxParams {
        mode: Mode::OutboxInbox,
        commands: 200,
        relay_crash: 0.15,
        consumer_crash: 0.1,
        ack_lost: 0.05,
        seed: 3,
        ..Default::default()
    };
    let t0 = idemlab_web::web::now_ms();
    let r = outbox::run(&p).unwrap();
    let v = outbox::view_at(&r, r.trace.len());
    let per = idemlab_web::web::now_ms() - t0;
    assert_eq!(v.effects.len() as u32, r.counters.effects_applied);
    console_log!("BENCH wasm outbox/ui-200-commands-run-and-view: {per:.3} ms");
}
