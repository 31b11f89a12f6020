//! Benchmarks of the outbox engine: `cargo bench -p idemlab-sim --bench outbox`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use idemlab_sim::outbox::{self, Mode, OutboxParams};

fn faulty(mode: Mode) -> OutboxParams {
    OutboxParams {
        mode,
        commands: 1_000,
        crash: 0.05,
        ack_lost: 0.05,
        relay_crash: 0.05,
        consumer_crash: 0.05,
        broker_duplicate: 0.02,
        ..Default::default()
    }
}

fn outbox_1000_commands(c: &mut Criterion) {
    for mode in [Mode::WriteThenPublish, Mode::OutboxPolling, Mode::OutboxInbox, Mode::LogTailing] {
        let p = faulty(mode);
        c.bench_function(&format!("outbox/mode{}-1000-commands", mode.number()), |b| {
            b.iter(|| outbox::run(black_box(&p)).unwrap())
        });
    }
}

fn outbox_view_at_every_step(c: &mut Criterion) {
    // What the page does when the learner scrubs: the frames are built once
    // per run, then each step is a lookup (`Frames::view_at`, O(log n)).
    let r = outbox::run(&OutboxParams { commands: 200, ..faulty(Mode::OutboxInbox) }).unwrap();
    c.bench_function("outbox/frames-build-200-commands", |b| b.iter(|| outbox::Frames::build(black_box(&r))));
    let frames = outbox::Frames::build(&r);
    let n = frames.steps();
    c.bench_function("outbox/view-at-end-200-commands", |b| b.iter(|| frames.view_at(black_box(n), 8)));
}

criterion_group!(benches, outbox_1000_commands, outbox_view_at_every_step);
criterion_main!(benches);
