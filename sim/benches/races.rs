//! How long exploring a races scenario's whole schedule space takes.

use criterion::{criterion_group, criterion_main, Criterion};
use idemlab_sim::races::{explore, scenario, EXPLORE_STATES_MAX, SCENARIO_IDS};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    // The largest scenario by schedule count is the speed target (under 20 ms in the browser).
    for id in SCENARIO_IDS {
        let s = scenario(id).expect("scenario");
        c.bench_function(&format!("races/explore/{id}"), |b| {
            b.iter(|| explore(black_box(&s), EXPLORE_STATES_MAX).expect("explore"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
