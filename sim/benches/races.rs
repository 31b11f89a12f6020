//! How long exploring a races scenario's whole schedule space takes: the
//! shipped scenarios, then 3-lane handlers up to 16 statements a lane (the
//! page's target is under 100 ms in its Web Worker), then 4 lanes.

#![allow(clippy::print_stdout, reason = "a bench prints the sizes of what it times")]

use criterion::{criterion_group, criterion_main, Criterion};
use idemlab_sim::races::{
    corpus, explore, handler_scenario, scenario, Scenario, EXPLORE_STATES_MAX, SCENARIO_IDS, SIXTEEN_READS,
    TWO_EIGHT_STATEMENT_TRANSACTIONS,
};
use std::hint::black_box;

/// The handlers timed beyond the shipped scenarios: name and scenario.
fn handlers() -> Vec<(String, Scenario)> {
    let select_then_insert = scenario("select-then-insert").expect("scenario").sql;
    let mut out: Vec<(String, Scenario)> = [
        ("select-then-insert-3-lanes", select_then_insert),
        ("bench-handler-3-lanes", corpus::BENCH_HANDLER),
        ("two-8-statement-transactions-3-lanes", TWO_EIGHT_STATEMENT_TRANSACTIONS),
        ("sixteen-reads-3-lanes", SIXTEEN_READS),
    ]
    .into_iter()
    .map(|(name, text)| (name.to_string(), handler_scenario(text, 3).expect("handler")))
    .collect();
    // Four lanes of the shipped SELECT-then-INSERT (LANE sections: a handler
    // without them runs in 2 or 3 lanes).
    let four: String = (1..=4).map(|i| format!("LANE T{i}\n{select_then_insert}\n")).collect();
    out.push(("select-then-insert-4-lanes".into(), handler_scenario(&four, 4).expect("4 lanes")));
    out
}

fn bench(c: &mut Criterion) {
    for id in SCENARIO_IDS {
        let s = scenario(id).expect("scenario");
        c.bench_function(&format!("races/explore/{id}"), |b| {
            b.iter(|| explore(black_box(&s), EXPLORE_STATES_MAX).expect("explore"))
        });
    }
    for (name, s) in handlers() {
        let x = explore(&s, EXPLORE_STATES_MAX).expect("explore");
        println!("races/explore/{name}: {} schedules, {} states, {} classes", x.total, x.states, x.classes.len());
        c.bench_function(&format!("races/explore/{name}"), |b| {
            b.iter(|| explore(black_box(&s), EXPLORE_STATES_MAX).expect("explore"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
