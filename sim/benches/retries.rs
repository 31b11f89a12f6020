//! Benchmarks of the Retries lab's engines. Run with
//! `cargo bench -p idemlab-sim --bench retries`; the README's Performance
//! section quotes these figures.
//!
//! - `retries/study-sweep-100x100x5`: the AWS backoff study's point at 100
//!   clients, 100 runs each, under the five strategies of the study's own
//!   simulator (none, exponential, full, equal, decorrelated). That Python
//!   simulator takes about 4.4 s for this on our machines; the target is
//!   under 45 ms.
//! - `retries/fleet-default`: the lab's default fleet (1,000 clients, 60 s
//!   simulated), which one slider drag re-runs.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use idemlab_sim::retries::{fleet, occ};

fn study_sweep(c: &mut Criterion) {
    let base = occ::OccParams { clients: 100, runs: 100, ..Default::default() };
    c.bench_function("retries/study-sweep-100x100x5", |b| {
        b.iter(|| occ::sweep(black_box(&base), &[100], &occ::STUDY_STRATEGIES).unwrap())
    });
}

fn fleet_default(c: &mut Criterion) {
    let p = fleet::FleetParams::default();
    c.bench_function("retries/fleet-default", |b| b.iter(|| fleet::run(black_box(&p)).unwrap()));
}

criterion_group!(benches, study_sweep, fleet_default);
criterion_main!(benches);
