//! Browser figures for "write your own handler": parsing and exploring a
//! 3-lane handler in wasm32, as the editor does on every edit.
#![cfg(target_arch = "wasm32")]

use idemlab_sim::races::{corpus, explore, handler_scenario, EXPLORE_SCHEDULES_MAX};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn exploring_a_three_lane_handler_in_the_browser_is_timed() {
    // Prints a figure for the README; asserts only what the explorer found.
    let runs = 5;
    let t0 = idemlab_web::web::now_ms();
    let mut total = 0;
    for _ in 0..runs {
        let s = handler_scenario(corpus::BENCH_HANDLER, 3).unwrap();
        let x = explore(&s, EXPLORE_SCHEDULES_MAX).unwrap();
        assert_eq!(x.double_charges, 0);
        total = x.total;
    }
    let per = (idemlab_web::web::now_ms() - t0) / runs as f64;
    console_log!(
        "BENCH wasm races/handler 3 lanes x 8 statements ({total} schedules): {per:.1} ms per parse and exploration"
    );
}
