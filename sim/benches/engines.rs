//! Benchmarks of the engines. Run with `cargo bench -p idemlab-sim`; the
//! README's Performance section quotes these figures.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use idemlab_sim::delivery;

fn delivery_1000_messages(c: &mut Criterion) {
    let p = delivery::DeliveryParams { messages: 1_000, ..Default::default() };
    c.bench_function("delivery/1000-messages", |b| b.iter(|| delivery::run(black_box(&p)).unwrap()));
}

criterion_group!(benches, delivery_1000_messages);
criterion_main!(benches);
