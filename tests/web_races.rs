//! Browser tests of the races lab: the explorer's speed in wasm32 and the page
//! rendering a double charge from a permalink.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::races::{explore, scenario, EXPLORE_SCHEDULES_MAX, SCENARIO_IDS};
use idemlab_web::query::Query;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

#[wasm_bindgen_test]
fn explorer_timing_of_the_largest_scenario_in_the_browser() {
    // Prints a figure for the README; asserts only what the explorer found.
    let largest = SCENARIO_IDS
        .iter()
        .filter_map(|id| scenario(id))
        .max_by_key(|s| explore(s, EXPLORE_SCHEDULES_MAX).map(|x| x.total).unwrap_or(0))
        .unwrap();
    let runs = 30;
    let t0 = idemlab_web::web::now_ms();
    let mut total = 0;
    for _ in 0..runs {
        let x = explore(&largest, EXPLORE_SCHEDULES_MAX).unwrap();
        assert_eq!(x.double_charges, 0);
        total = x.total;
    }
    let per = (idemlab_web::web::now_ms() - t0) / runs as f64;
    console_log!("BENCH wasm races/explore/{} ({total} schedules): {per:.3} ms per exploration", largest.id);
}

#[wasm_bindgen_test]
fn the_explorer_finds_the_double_charge_in_wasm_too() {
    let x = explore(&scenario("select-then-insert").unwrap(), EXPLORE_SCHEDULES_MAX).unwrap();
    assert_eq!((x.double_charges, x.total), (68, 70));
}

#[wasm_bindgen_test]
async fn a_permalink_at_the_end_of_the_counterexample_shows_two_charges_in_the_ledger() {
    idemlab_web::web::write_url(
        &Query::parse("?area=races&scenario=select-then-insert&schedule=1,1,1,2,1,2,2,2&step=8"),
        false,
    );
    let root = mount_point();
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let html = root.inner_html();
    assert!(html.contains("data-lab=\"races\""), "the races lab did not render");
    assert!(html.contains("data-charges=\"2\""), "the ledger does not show two charges");
    assert!(html.contains("double charge in 68 of 70 interleavings"), "the explorer summary is missing");
}
