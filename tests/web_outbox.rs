//! Browser component tests of the Outbox lab (wasm-bindgen-test, headless
//! Chromium), and its browser benchmarks: a slider change and a step, from
//! the input event to the end of the re-render. The benchmarks print BENCH
//! lines and assert only behaviour, never time. Native builds compile this
//! file to nothing.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::lab::Lab;
use idemlab_sim::outbox::{self, Mode, OutboxLab, OutboxParams};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
async fn the_outbox_lab_renders_its_pipeline_tables_and_key_counter() {
    let root = mount_at("?area=outbox&preset=duplicates&step=9999&predict=0");
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
    // At the last record every committed order is a row of the orders table.
    let run = OutboxLab::run(&OutboxLab::preset_params(OutboxLab::preset("duplicates").unwrap())).unwrap();
    let orders = root.query_selector("[data-table=\"orders\"]").unwrap().unwrap();
    assert_eq!(orders.get_attribute("data-rows"), Some(run.counters.commands_accepted.to_string()));
    root.set_inner_html("");
    set_url("?");
}

/// Lets Yew finish the render `cond` waits for: microtasks first (Yew
/// schedules with them), then timer turns; `cond` must hold at the end.
async fn settle(cond: impl Fn() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)).await.unwrap();
    }
    for _ in 0..20 {
        if cond() {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(0).await;
    }
    assert!(cond(), "the page did not re-render");
}

fn text_of(root: &web_sys::Element, sel: &str) -> String {
    root.query_selector(sel).unwrap().and_then(|e| e.text_content()).unwrap_or_default()
}

/// Records the time of the last DOM mutation under `root`: a
/// MutationObserver's callback runs right after the render's DOM writes, so
/// it marks the end of the re-render, whatever Yew's scheduling delay.
fn watch_mutations(root: &web_sys::Element) {
    let install = js_sys::Function::new_with_args(
        "root",
        "window.__outboxLastMutation = 0; new MutationObserver(() => { window.__outboxLastMutation = performance.now(); }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });",
    );
    install.call1(&wasm_bindgen::JsValue::NULL, root).unwrap();
}

fn last_mutation_ms() -> f64 {
    let w = web_sys::window().unwrap();
    js_sys::Reflect::get(&w, &"__outboxLastMutation".into()).unwrap().as_f64().unwrap_or(0.0)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

#[wasm_bindgen_test]
async fn outbox_slider_and_step_timing_in_the_browser() {
    let root = mount_at("?area=outbox&predict=0");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    watch_mutations(&root);
    // A slider: the landing setup's ack-lost slider, moved seven times.
    let mut times = Vec::new();
    for i in 0..7 {
        let v = 6 + i % 2;
        let input: web_sys::HtmlInputElement =
            root.query_selector("#outbox-acklost").unwrap().expect("the ack-lost slider").dyn_into().unwrap();
        let t0 = idemlab_web::web::now_ms();
        input.set_value(&v.to_string());
        input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
        let want = format!("{v} %");
        settle(|| text_of(&root, "output[for=\"outbox-acklost\"]") == want).await;
        times.push(last_mutation_ms() - t0);
    }
    console_log!(
        "BENCH wasm outbox/slider-ack-lost: {:.2} ms median of 7 (input event to the render's last DOM write)",
        median(times)
    );
    // A step: the next-step button, twenty times from record 0.
    let mut times = Vec::new();
    for k in 1..=20 {
        let button: web_sys::HtmlElement =
            root.query_selector(".step-controls .forward").unwrap().expect("a next-step button").dyn_into().unwrap();
        let t0 = idemlab_web::web::now_ms();
        button.click();
        let want = format!("Record {k} /");
        settle(|| text_of(&root, ".step-count").starts_with(&want)).await;
        times.push(last_mutation_ms() - t0);
    }
    console_log!("BENCH wasm outbox/step: {:.2} ms median of 20 (click to the render's last DOM write)", median(times));
    // A step deep into a long run: 1,000 commands, the cursor near the end.
    set_url("?");
    root.set_inner_html("");
    let root = mount_at("?area=outbox&cmds=1000&step=5000&predict=0");
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    watch_mutations(&root);
    let mut times = Vec::new();
    for _ in 0..20 {
        let before = text_of(&root, ".step-count");
        let button: web_sys::HtmlElement =
            root.query_selector(".step-controls .forward").unwrap().expect("a next-step button").dyn_into().unwrap();
        let t0 = idemlab_web::web::now_ms();
        button.click();
        settle(|| text_of(&root, ".step-count") != before).await;
        times.push(last_mutation_ms() - t0);
    }
    console_log!("BENCH wasm outbox/step-1000-commands-at-record-5000: {:.2} ms median of 20", median(times));
    root.set_inner_html("");
    set_url("?");
}

#[wasm_bindgen_test]
fn outbox_engine_timing_in_the_browser() {
    // Prints figures for the README; asserts behaviour, nothing about time.
    for (mode, runs) in [(Mode::WriteThenPublish, 20), (Mode::OutboxInbox, 20), (Mode::LogTailing, 20)] {
        let p = OutboxParams { mode, commands: 1_000, crash: 0.05, ..OutboxParams::default() };
        let t0 = idemlab_web::web::now_ms();
        for _ in 0..runs {
            let r = outbox::run(&p).unwrap();
            assert_eq!(r.counters.commands, 1_000);
        }
        let per = (idemlab_web::web::now_ms() - t0) / f64::from(runs);
        console_log!("BENCH wasm outbox/mode{}-1000-commands: {per:.3} ms per run", mode.number());
    }
    // Building the frames of a long run, and reading one view from them.
    let r = outbox::run(&OutboxParams { commands: 1_000, ..OutboxParams::default() }).unwrap();
    let t0 = idemlab_web::web::now_ms();
    let f = outbox::Frames::build(&r);
    let build = idemlab_web::web::now_ms() - t0;
    let t0 = idemlab_web::web::now_ms();
    let mut rows = 0;
    for k in 0..1_000 {
        rows += f.view_at(r.trace.len() * k / 1_000, 6).orders_total;
    }
    let per = (idemlab_web::web::now_ms() - t0) / 1_000.0;
    assert!(rows > 0);
    console_log!("BENCH wasm outbox/frames-build-1000-commands: {build:.3} ms; view at a step: {per:.4} ms");
}
