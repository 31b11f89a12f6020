//! Benchmarks of the Keys engine: a batch of 1,000 operations for the correct
//! setup and for the no-key preset, and the single-operation step view. Run
//! with `cargo bench -p idemlab-sim --bench keys`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use idemlab_sim::keys::{self, KeysParams, Preset};

fn keys_batches(c: &mut Criterion) {
    for preset in [Preset::Correct, Preset::NoKey] {
        let p = KeysParams { ops: 1_000, ..preset.params() };
        c.bench_function(&format!("keys/{}/1000-ops", preset.slug()), |b| b.iter(|| keys::run(black_box(&p)).unwrap()));
    }
    let p = KeysParams { ops: 10_000, ..Preset::Correct.params() };
    c.bench_function("keys/correct/10000-ops", |b| b.iter(|| keys::run(black_box(&p)).unwrap()));
}

fn keys_step_view(c: &mut Criterion) {
    let p = KeysParams { ops: 1, ..Preset::Correct.params() };
    c.bench_function("keys/correct/step-view", |b| {
        b.iter(|| {
            let r = keys::run(black_box(&p)).unwrap();
            (keys::view::steps(&r), keys::view::ledger(&r))
        })
    });
}

criterion_group!(benches, keys_batches, keys_step_view);
criterion_main!(benches);
