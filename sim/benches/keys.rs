//! Benchmarks of the Keys engine: a batch of 1,000 operations for the correct
//! setup and for the no-key preset, and the single-operation step view. Run
//! with `cargo bench -p idemlab-sim --bench keys`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use idemlab_sim::keys::{self, presets, KeysParams};

fn keys_batches(c: &mut Criterion) {
    for slug in ["correct", "no-key"] {
        let p = KeysParams { ops: 1_000, ..presets::params_of(slug) };
        c.bench_function(&format!("keys/{slug}/1000-ops"), |b| b.iter(|| keys::run(black_box(&p)).unwrap()));
    }
    // The largest batch the schema allows (the ops knob's maximum).
    let p = KeysParams { ops: 5_000, ..presets::params_of("correct") };
    c.bench_function("keys/correct/5000-ops", |b| b.iter(|| keys::run(black_box(&p)).unwrap()));
}

fn keys_step_view(c: &mut Criterion) {
    let p = KeysParams { ops: 1, ..presets::params_of("correct") };
    c.bench_function("keys/correct/step-view", |b| {
        b.iter(|| {
            let r = keys::run(black_box(&p)).unwrap();
            (keys::view::steps(&r), keys::view::ledger(&r))
        })
    });
}

criterion_group!(benches, keys_batches, keys_step_view);
criterion_main!(benches);
