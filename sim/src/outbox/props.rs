//! Property tests of the outbox engine: what every design promises per
//! order, under every fault, and the inbox variants found to break it.

use super::tests::quiet;
use super::*;
use proptest::prelude::*;

/// Faults drawn for the property tests, in whole percents as the schema takes them.
fn knobs() -> impl Strategy<Value = (u64, [f64; 8])> {
    let pct = |max: u64| (0..=max).prop_map(|v| v as f64 / 100.0);
    (any::<u64>(), [pct(50), pct(30), pct(50), pct(50), pct(50), pct(50), pct(30), pct(50)])
}

fn with_knobs(mode: Mode, inbox: Inbox, k: (u64, [f64; 8])) -> OutboxParams {
    let (
        seed,
        [crash, commit_fail, broker_unavailable, ack_lost, relay_crash, consumer_crash, broker_duplicate, before],
    ) = k;
    OutboxParams {
        mode,
        inbox,
        commands: 40,
        aggregates: 5,
        crash,
        commit_fail,
        broker_unavailable,
        ack_lost,
        relay_crash,
        consumer_crash,
        consumer_crash_before: before,
        broker_duplicate,
        delay_ms_max: 80,
        deliveries_max: 50,
        offset_flush_ms: 100,
        seed,
        ..quiet()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn with_an_atomic_inbox_every_accepted_order_ships_exactly_once_unless_still_pending(
        k in knobs(), tail in any::<bool>()
    ) {
        let mode = if tail { Mode::LogTailing } else { Mode::OutboxInbox };
        let p = with_knobs(mode, Inbox::Atomic, k);
        let r = run(&p).unwrap();
        for (i, f) in r.orders.iter().enumerate() {
            if f.accepted {
                prop_assert!(f.effects == 1 || (f.effects == 0 && f.pending), "order {} {:?} seed {}", i + 1, f, p.seed);
            } else {
                prop_assert_eq!(f.effects, 0, "order {} never committed, seed {}", i + 1, p.seed);
            }
        }
        let c = &r.counters;
        prop_assert_eq!((c.duplicate_effects, c.effects_lost, c.aggregate_order_violations), (0, 0, 0));
    }

    #[test]
    fn without_dedup_every_accepted_order_ships_at_least_once_unless_still_pending(k in knobs()) {
        let p = with_knobs(Mode::OutboxPolling, Inbox::Atomic, k);
        let r = run(&p).unwrap();
        for f in &r.orders {
            if f.accepted {
                prop_assert!(f.effects >= 1 || f.pending, "{:?} seed {}", f, p.seed);
            } else {
                prop_assert_eq!(f.effects, 0);
            }
        }
        prop_assert_eq!(r.counters.aggregate_order_violations, 0);
    }

    #[test]
    fn dual_writes_lose_or_ghost_events_for_some_seed_whenever_crashes_can_happen(
        crash in (1u64..=100).prop_map(|v| v as f64 / 100.0), first_seed in any::<u32>(), publish_first in any::<bool>()
    ) {
        let mode = if publish_first { Mode::PublishThenWrite } else { Mode::WriteThenPublish };
        let found = (u64::from(first_seed)..u64::from(first_seed) + 500).find(|&seed| {
            let p = OutboxParams { mode, commands: 20, crash, seed, ..quiet() };
            let c = run(&p).unwrap().counters;
            c.events_lost + c.ghost_events > 0
        });
        prop_assert!(found.is_some(), "no seed lost or ghosted an event with crash {}", crash);
    }
}

#[test]
fn an_inbox_marked_before_the_effect_is_found_to_lose_an_order() {
    let lost = (0..200u64).find(|&seed| {
        let p = OutboxParams { inbox: Inbox::MarkFirst, consumer_crash_before: 0.2, seed, ..quiet() };
        let r = run(&p).unwrap();
        r.counters.effects_lost > 0 && r.orders.iter().any(|f| f.accepted && f.effects == 0 && !f.pending)
    });
    assert!(lost.is_some(), "mark-first never lost an effect in 200 seeds");
}

#[test]
fn an_inbox_marked_after_the_effect_is_found_to_duplicate_one() {
    let dup = (0..200u64).find(|&seed| {
        let p = OutboxParams { inbox: Inbox::ApplyFirst, consumer_crash_before: 0.2, seed, ..quiet() };
        run(&p).unwrap().counters.duplicate_effects > 0
    });
    assert!(dup.is_some(), "apply-first never duplicated an effect in 200 seeds");
}

#[test]
fn a_consumer_crash_before_its_commit_is_harmless_with_an_atomic_inbox() {
    let p = OutboxParams { consumer_crash_before: 0.3, commands: 60, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.consumer_crashes > 0);
    assert_eq!((c.effects_lost, c.duplicate_effects), (0, 0));
    assert_eq!(c.effects_applied, c.commands_accepted);
}

#[test]
fn the_log_tailing_relay_never_marks_the_outbox_and_flushes_an_offset() {
    let r = run(&OutboxParams { mode: Mode::LogTailing, commands: 20, ..quiet() }).unwrap();
    let records = r.trace.records();
    assert!(!records
        .iter()
        .any(|s| matches!(s.record, OutboxRecord::RelayMarked { .. } | OutboxRecord::RelayPolled { .. })));
    let last = records.iter().rev().find_map(|s| match s.record {
        OutboxRecord::OffsetFlushed { offset } => Some(offset),
        _ => None,
    });
    assert_eq!(last, Some(20), "the offset ends past the last row");
    let end = Frames::build(&r).view_at(records.len(), 6);
    assert!(end.outbox.iter().all(|(_, marked, in_broker)| !*marked && *in_broker));
    assert_eq!(end.offset, 20);
}

#[test]
fn a_tailing_relay_crash_resends_every_row_since_the_last_flush() {
    // A long flush interval: a crash re-sends more than the row it was on.
    let p = OutboxParams { mode: Mode::LogTailing, commands: 60, relay_crash: 0.1, offset_flush_ms: 2_000, ..quiet() };
    let r = run(&p).unwrap();
    let resent_per_crash: Vec<u32> = r
        .trace
        .records()
        .iter()
        .filter_map(|s| match s.record {
            OutboxRecord::TailerCrashed { msg, resume_from } => Some(msg - resume_from),
            _ => None,
        })
        .collect();
    assert!(resent_per_crash.iter().any(|n| *n > 1), "{resent_per_crash:?}");
    assert!(r.counters.duplicate_deliveries >= resent_per_crash.iter().sum::<u32>());
    // Flushing after every publish, a crash re-sends only the row it was on.
    let every = run(&OutboxParams { offset_flush_ms: 0, ..p }).unwrap();
    for s in every.trace.records() {
        if let OutboxRecord::TailerCrashed { msg, resume_from } = s.record {
            assert_eq!(msg - resume_from, 1);
        }
    }
}

#[test]
fn in_design_1_a_lost_ack_on_the_last_attempt_tells_the_client_failed_for_an_order_that_ships() {
    let p = OutboxParams { mode: Mode::WriteThenPublish, commands: 10, ack_lost: 1.0, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert_eq!(c.clients_told_ok, 0);
    assert_eq!(c.commands_accepted, 10);
    assert_eq!(c.told_failed_but_shipped, 10);
    assert_eq!(c.effects_applied, 10 * p.publish_attempts_max);
}

#[test]
fn in_design_2_a_lost_ack_then_an_acked_retry_is_a_duplicate_not_a_ghost() {
    let p = OutboxParams { mode: Mode::PublishThenWrite, commands: 40, ack_lost: 0.3, ..quiet() };
    let r = run(&p).unwrap();
    let retried: Vec<&OrderFate> = r.orders.iter().filter(|f| f.accepted && f.effects > 1).collect();
    assert!(!retried.is_empty(), "no order was retried after a lost ack");
    assert!(retried.iter().all(|f| f.told == Some(true)));
    // Ghosts are exactly the published orders that never committed.
    let ghosts = r.orders.iter().filter(|f| !f.accepted && f.published).count() as u32;
    assert_eq!(r.counters.ghost_events, ghosts);
    assert!(r.counters.duplicate_effects > 0);
}
