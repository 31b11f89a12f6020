//! The outbox engine's tests.

use super::*;
use crate::error::SimError;

use crate::outbox::presets;

/// The setup these tests were written against: 40 commands over 4
/// customers, seed 1, every fault off.
/// Whether every accepted order got exactly one effect unless still
/// pending, and no order that never committed got any.
pub(super) fn r_orders_each_shipped_once(p: &OutboxParams) -> bool {
    let r = run(p).unwrap();
    r.orders.iter().all(|f| if f.accepted { f.effects == 1 || (f.effects == 0 && f.pending) } else { f.effects == 0 })
}

pub(super) fn quiet() -> OutboxParams {
    OutboxParams {
        commands: 40,
        aggregates: 4,
        seed: 1,
        ack_lost: 0.0,
        relay_crash: 0.0,
        consumer_crash: 0.0,
        ..OutboxParams::default()
    }
}

fn faulty(mode: Mode, seed: u64) -> OutboxParams {
    OutboxParams {
        mode,
        commands: 80,
        crash: 0.1,
        commit_fail: 0.05,
        broker_unavailable: 0.1,
        ack_lost: 0.1,
        relay_crash: 0.1,
        consumer_crash: 0.1,
        broker_duplicate: 0.05,
        seed,
        ..quiet()
    }
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for &mode in Mode::ALL {
        let p = faulty(mode, 9);
        assert_eq!(run(&p).unwrap().trace.stable_hash(), run(&p).unwrap().trace.stable_hash());
    }
}

#[test]
fn without_faults_every_mode_applies_every_order_once() {
    for &mode in Mode::ALL {
        let p = OutboxParams { mode, commands: 100, ..quiet() };
        let c = run(&p).unwrap().counters;
        assert_eq!(c.commands_accepted, 100, "{mode:?} {c:?}");
        assert_eq!(c.effects_applied, 100, "{mode:?} {c:?}");
        assert_eq!((c.events_lost, c.ghost_events, c.duplicate_effects), (0, 0, 0), "{mode:?}");
        assert!(!c.horizon_reached);
    }
}

#[test]
fn write_then_publish_crash_loses_the_event_the_service_committed() {
    let p = OutboxParams { mode: Mode::WriteThenPublish, commands: 100, crash: 0.2, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.events_lost > 0, "{c:?}");
    assert_eq!(c.events_lost, c.service_crashes);
    assert_eq!(c.ghost_events, 0);
}

#[test]
fn publish_then_write_crash_leaves_ghost_events_the_consumer_acts_on() {
    let p = OutboxParams { mode: Mode::PublishThenWrite, commands: 100, crash: 0.2, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.ghost_events > 0, "{c:?}");
    assert_eq!(c.ghost_effects, c.ghost_events);
    assert_eq!(c.events_lost, 0);
}

#[test]
fn publish_then_write_with_a_lost_ack_invents_an_event_for_a_failed_order() {
    // Every ack lost: the service times out each time, gives up and never
    // writes, but every attempt was stored: all ghosts, all duplicates.
    let p = OutboxParams { mode: Mode::PublishThenWrite, commands: 10, ack_lost: 1.0, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert_eq!(c.commands_accepted, 0);
    assert_eq!(c.ghost_events, 10);
    assert_eq!(c.clients_told_ok, 0);
    assert_eq!(c.effects_applied, 10 * p.publish_attempts_max);
}

#[test]
fn an_outbox_crash_rolls_back_the_order_and_its_event_together() {
    let p = OutboxParams { mode: Mode::OutboxPolling, commands: 100, crash: 0.3, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.service_crashes > 0);
    assert_eq!(c.commands_accepted + c.service_crashes, 100);
    assert_eq!(c.outbox_pending, 0);
    assert_eq!(c.effects_applied, c.commands_accepted);
    assert!(r_orders_each_shipped_once(&p));
}

#[test]
fn a_relay_crash_before_marking_publishes_the_row_again() {
    let p = OutboxParams { mode: Mode::OutboxPolling, commands: 60, relay_crash: 0.3, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.relay_crashes > 0);
    assert!(c.duplicate_deliveries >= c.relay_crashes, "{c:?}");
    assert!(c.duplicate_effects > 0);
}

#[test]
fn the_inbox_turns_redeliveries_into_dedup_hits() {
    let p = OutboxParams { mode: Mode::OutboxInbox, commands: 60, consumer_crash: 0.3, relay_crash: 0.2, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.inbox_dedup_hits > 0, "{c:?}");
    assert_eq!(c.duplicate_effects, 0);
    assert_eq!(c.inbox_dedup_hits, c.duplicate_deliveries);
}

#[test]
fn log_tailing_publishes_sooner_than_polling() {
    let poll = run(&OutboxParams { mode: Mode::OutboxInbox, commands: 100, ..quiet() }).unwrap();
    let tail = run(&OutboxParams { mode: Mode::LogTailing, commands: 100, ..quiet() }).unwrap();
    assert!(
        tail.counters.relay_lag_ms_mean < poll.counters.relay_lag_ms_mean,
        "{:?} {:?}",
        tail.counters,
        poll.counters
    );
}

#[test]
fn global_order_breaks_while_per_aggregate_order_holds() {
    let p = OutboxParams { mode: Mode::OutboxInbox, commands: 200, aggregates: 8, delay_ms_max: 200, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.reordered_deliveries > 0, "{c:?}");
    assert_eq!(c.aggregate_order_violations, 0);
}

#[test]
fn a_broker_that_is_always_down_leaves_rows_pending_not_lost() {
    let p =
        OutboxParams { mode: Mode::OutboxInbox, commands: 20, broker_unavailable: 1.0, horizon_ms: 5_000, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert!(c.horizon_reached);
    assert_eq!(c.outbox_pending, 20);
    assert_eq!(c.effects_lost, 0, "an unsent row is pending, not lost");
    assert_eq!(c.events_published, 0);
}

#[test]
fn a_consumer_that_always_crashes_dead_letters_instead_of_looping() {
    let p = OutboxParams { mode: Mode::OutboxInbox, commands: 5, consumer_crash: 1.0, ..quiet() };
    let c = run(&p).unwrap().counters;
    assert_eq!(c.dead_lettered, 5);
    assert_eq!(c.consumer_crashes, 5 * p.deliveries_max);
    assert!(!c.horizon_reached);
}

#[test]
fn the_event_budget_stops_a_run_with_an_error() {
    let p = OutboxParams { mode: Mode::OutboxPolling, commands: 100, events_max: 50, ..quiet() };
    assert_eq!(run(&p).unwrap_err(), SimError::EventBudgetExceeded { events_max: 50 });
}

#[test]
fn bad_knobs_are_refused_with_a_reason() {
    let p = OutboxParams { commands: 0, ..quiet() };
    assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "commands", .. })));
    let p = OutboxParams { relay_crash: f64::NAN, ..quiet() };
    assert!(matches!(run(&p), Err(SimError::InvalidParameter { .. })));
    let p = OutboxParams { horizon_ms: 0, ..quiet() };
    assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "horizon-ms", .. })));
}

#[test]
fn the_view_shows_rows_as_they_are_written() {
    let r = run(&OutboxParams { mode: Mode::OutboxInbox, commands: 5, ..quiet() }).unwrap();
    let f = Frames::build(&r);
    assert_eq!(f.view_at(0, 6), PipelineView::default());
    let end = f.view_at(r.trace.len(), 6);
    assert_eq!((end.orders_total, end.outbox_total, end.inbox_total, end.effects_total), (5, 5, 5, 5));
    assert!(end.outbox.iter().all(|(_, sent, in_broker)| *sent && *in_broker));
    assert!(end.orders.iter().all(|(_, _, in_broker)| *in_broker));
    assert!(end.partitions.iter().all(|(_, waiting, _)| *waiting == 0));
    assert_eq!(end.outbox[0].0.aggregatetype, "order");
}

/// The picture by replaying the first `step` records from scratch: the
/// slow reference the frames must agree with.
fn replayed(r: &OutboxRun, step: usize, shown: usize) -> PipelineView {
    let mut orders = Vec::new();
    let mut outbox: Vec<(OutboxRow, bool)> = Vec::new();
    let mut offset = 0;
    let mut published = std::collections::BTreeSet::new();
    let mut parts: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
    let (mut inbox, mut effects, mut crashes) = (Vec::new(), Vec::new(), [0usize; 3]);
    for s in r.trace.records().iter().take(step) {
        if s.record.is_crash() {
            match s.record.actor() {
                Actor::Service => crashes[0] += 1,
                Actor::Relay => crashes[1] += 1,
                Actor::Consumer => crashes[2] += 1,
                Actor::ServiceDb | Actor::Broker | Actor::ConsumerDb => {}
            }
        }
        match &s.record {
            OutboxRecord::OrderCommitted { cmd, aggregate } => orders.push((*cmd, *aggregate)),
            OutboxRecord::OrderAndOutboxCommitted { cmd, row } => {
                orders.push((*cmd, row.aggregateid));
                outbox.push((row.clone(), false));
            }
            OutboxRecord::RelayMarked { msg } => {
                if let Some(x) = outbox.iter_mut().find(|(row, _)| row.id == *msg) {
                    x.1 = true;
                }
            }
            OutboxRecord::Published { msg, aggregate, .. }
            | OutboxRecord::PublishAckLost { msg, aggregate, .. }
            | OutboxRecord::BrokerDuplicated { msg, aggregate } => {
                published.insert(*msg);
                parts.entry(*aggregate).or_default().push(*msg);
            }
            OutboxRecord::Acked { msg } | OutboxRecord::DeadLettered { msg } => {
                if let Some(q) = parts.values_mut().find(|q| q.first() == Some(msg)) {
                    q.remove(0);
                }
            }
            OutboxRecord::EffectApplied { msg, duplicate, uncommitted, inbox: with_inbox } => {
                if *with_inbox {
                    inbox.push(*msg);
                }
                effects.push((*msg, *duplicate, *uncommitted));
            }
            OutboxRecord::InboxMarked { msg } => inbox.push(*msg),
            OutboxRecord::OffsetFlushed { offset: o } => offset = *o,
            OutboxRecord::CommandReceived { .. }
            | OutboxRecord::CommitFailed { .. }
            | OutboxRecord::ServiceCrashed { .. }
            | OutboxRecord::Replied { .. }
            | OutboxRecord::PublishGaveUp { .. }
            | OutboxRecord::PublishRefused { .. }
            | OutboxRecord::RelayPolled { .. }
            | OutboxRecord::RelayCrashed { .. }
            | OutboxRecord::LogRead { .. }
            | OutboxRecord::TailerCrashed { .. }
            | OutboxRecord::Delivered { .. }
            | OutboxRecord::InboxDuplicateSkipped { .. }
            | OutboxRecord::ConsumerCrashed { .. }
            | OutboxRecord::ConsumerCrashedBeforeCommit { .. }
            | OutboxRecord::HorizonReached => {}
        }
    }
    let newest = |n: usize| n.saturating_sub(shown);
    PipelineView {
        orders_total: orders.len(),
        orders: orders[newest(orders.len())..].iter().map(|(id, c)| (*id, *c, published.contains(id))).collect(),
        outbox_total: outbox.len(),
        outbox: outbox[newest(outbox.len())..]
            .iter()
            .map(|(row, sent)| (row.clone(), *sent, published.contains(&row.id)))
            .collect(),
        offset,
        partitions: parts.iter().map(|(k, q)| (*k, q.len(), q.iter().take(8).copied().collect())).collect(),
        inbox_total: inbox.len(),
        inbox: inbox[newest(inbox.len())..].to_vec(),
        effects_total: effects.len(),
        effects: effects[newest(effects.len())..].to_vec(),
        current: step.checked_sub(1).map(|i| {
            let rec = &r.trace.records()[i].record;
            (rec.actor(), rec.is_crash())
        }),
        crashes,
    }
}

#[test]
fn the_frames_agree_with_a_replay_from_the_start_at_every_step() {
    for &mode in Mode::ALL {
        let p = OutboxParams {
            commands: 30,
            broker_duplicate: 0.1,
            consumer_crash_before: 0.1,
            inbox: Inbox::MarkFirst,
            offset_flush_ms: 50,
            ..faulty(mode, 5)
        };
        let r = run(&p).unwrap();
        let f = Frames::build(&r);
        for step in 0..=r.trace.len() {
            assert_eq!(f.view_at(step, 6), replayed(&r, step, 6), "{mode:?} step {step}");
        }
    }
}

#[test]
fn a_test_finds_a_seed_where_mode_3_applies_an_effect_twice() {
    let found = (0..200u64).find(|&seed| {
        let p = OutboxParams {
            mode: Mode::OutboxPolling,
            commands: 30,
            relay_crash: 0.05,
            consumer_crash: 0.05,
            seed,
            ..quiet()
        };
        run(&p).unwrap().counters.duplicate_effects > 0
    });
    assert!(found.is_some(), "no seed in 0..200 duplicated an effect in mode 3");
}

#[test]
fn every_preset_shows_its_point_and_the_first_is_the_schema_defaults() {
    use crate::lab::Lab;
    assert_eq!(OutboxLab::preset_params(&OutboxLab::presets()[0]), OutboxParams::default());
    for pr in OutboxLab::presets() {
        let mut p = OutboxParams::default();
        crate::knob::apply_strict(&mut p, pr.knobs).unwrap();
        let r = run(&p).unwrap();
        assert!(presets::shows_its_point(pr.slug, &r.counters), "{}: {:?}", pr.slug, r.counters);
        let ids: Vec<&str> = OutboxLab::counters(&r).iter().map(|c| c.id).collect();
        assert!(ids.contains(&pr.key_counter), "{}: no counter {}", pr.slug, pr.key_counter);
        assert!(pr.title.starts_with(p.mode.title()), "the preset and the design list name {:?} alike", p.mode);
    }
}

#[test]
fn the_jump_lands_on_the_record_that_breaks_the_promise() {
    use crate::lab::Lab;
    for pr in OutboxLab::presets() {
        let r = run(&OutboxLab::preset_params(pr)).unwrap();
        let (step, failure) = decisive_step(&r).unwrap_or_else(|| panic!("{} has no decisive step", pr.slug));
        let rec = &r.trace.records()[step - 1].record;
        assert_eq!(failure, pr.buggy, "{}: {rec:?}", pr.slug);
        let fits = match pr.slug {
            "lost" | "ghost" => matches!(
                rec,
                OutboxRecord::ServiceCrashed { .. }
                    | OutboxRecord::EffectApplied { .. }
                    | OutboxRecord::Replied { ok: false, .. }
            ),
            "duplicates" | "apply-first" => matches!(rec, OutboxRecord::EffectApplied { duplicate: true, .. }),
            "mark-first" => matches!(rec, OutboxRecord::ConsumerCrashedBeforeCommit { .. }),
            _ => matches!(rec, OutboxRecord::InboxDuplicateSkipped { .. }),
        };
        assert!(fits, "{} jumps to {rec:?}", pr.slug);
    }
}
