//! Browser tests of the races lab: the explorer's speed in wasm32 and the page
//! rendering a double charge from a permalink.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::races::{
    corpus, explore, handler_scenario, scenario, EXPLORE_STATES_MAX, SCENARIO_IDS, SIXTEEN_READS,
    TWO_EIGHT_STATEMENT_TRANSACTIONS,
};
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
        .max_by_key(|s| explore(s, EXPLORE_STATES_MAX).map(|x| x.total).unwrap_or(0))
        .unwrap();
    let runs = 30;
    let t0 = idemlab_web::web::now_ms();
    let mut total = 0;
    for _ in 0..runs {
        let x = explore(&largest, EXPLORE_STATES_MAX).unwrap();
        assert_eq!(x.double_charges, 0);
        total = x.total;
    }
    let per = (idemlab_web::web::now_ms() - t0) / runs as f64;
    console_log!("BENCH wasm races/explore/{} ({total} schedules): {per:.3} ms per exploration", largest.id);
}

#[wasm_bindgen_test]
fn explorer_timing_of_three_and_four_lane_handlers_in_the_browser() {
    // Prints figures for the README (issue 25's target: a handler of 3 lanes
    // of up to 16 statements in under 100 ms); asserts only what the explorer found.
    let sti = scenario("select-then-insert").unwrap().sql;
    let four: String = (1..=4).map(|i| format!("LANE T{i}\n{sti}\n")).collect();
    let handlers = [
        ("select-then-insert", sti, 3),
        ("bench-handler", corpus::BENCH_HANDLER, 3),
        ("two-8-statement-transactions", TWO_EIGHT_STATEMENT_TRANSACTIONS, 3),
        ("sixteen-reads", SIXTEEN_READS, 3),
        ("select-then-insert", four.as_str(), 4),
    ];
    for (name, text, lanes) in handlers {
        let s = handler_scenario(text, lanes).unwrap();
        let runs = 5;
        let t0 = idemlab_web::web::now_ms();
        let mut found = None;
        for _ in 0..runs {
            found = Some(explore(&s, EXPLORE_STATES_MAX).unwrap());
        }
        let per = (idemlab_web::web::now_ms() - t0) / runs as f64;
        let x = found.unwrap();
        assert_eq!(x.classes.iter().map(|c| c.count).sum::<u128>(), x.total);
        console_log!(
            "BENCH wasm races/explore/{name} in {lanes} lanes ({} schedules, {} states): {per:.1} ms per exploration",
            x.total,
            x.states
        );
    }
}

#[wasm_bindgen_test]
fn the_explorer_finds_the_double_charge_in_wasm_too() {
    let x = explore(&scenario("select-then-insert").unwrap(), EXPLORE_STATES_MAX).unwrap();
    assert_eq!((x.double_charges, x.total), (68, 70));
}

#[wasm_bindgen_test]
async fn a_permalink_at_the_end_of_the_counterexample_shows_two_charges_in_the_ledger() {
    idemlab_web::web::write_url(
        &Query::parse("?area=races&scenario=select-then-insert&schedule=1,1,1,2,1,2,2,2&step=8&predict=0"),
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
