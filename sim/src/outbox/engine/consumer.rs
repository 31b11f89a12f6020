//! The consumer's side of a run: deliveries, the inbox variants, crashes
//! and redelivery, and the accounting at the end of the run.

use super::{Event, World, REDELIVERY_US};
use crate::error::SimError;
use crate::outbox::model::*;
use crate::outbox::params::{Inbox, Mode};
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeSet;

impl World<'_> {
    /// The broker hands the head of a partition to the consumer. The consumer
    /// applies the effect (and, with an inbox, inserts the inbox row in the
    /// same transaction), then acks; the next message of the partition is
    /// delivered only after the ack, which is what keeps per-aggregate order.
    pub(super) fn deliver(&mut self, now: SimTime, aggregate: u32) -> Result<(), SimError> {
        // Both faults are drawn every time, so turning one knob does not
        // shift the other's draws.
        let crash = self.consumer_rng.chance(self.p.consumer_crash);
        let crash_before_commit = self.consumer_rng.chance(self.p.consumer_crash_before);
        let Some(head) = self.partitions.get_mut(&aggregate).and_then(|q| q.front_mut()) else {
            return Err(SimError::Internal("a delivery was scheduled for an empty partition"));
        };
        head.deliveries += 1;
        let (msg, delivery) = (head.id, head.deliveries);
        self.trace.push(now, OutboxRecord::Delivered { msg, aggregate, delivery });
        let seen = self.deliveries.entry(msg).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            self.c.duplicate_deliveries += 1;
        } else {
            if msg < self.highest_delivered {
                self.c.reordered_deliveries += 1;
            }
            self.highest_delivered = self.highest_delivered.max(msg);
            let seq = self.seq_of[(msg - 1) as usize];
            let top = self.highest_seq.entry(aggregate).or_insert(0);
            if seq < *top {
                self.c.aggregate_order_violations += 1;
            }
            *top = (*top).max(seq);
        }
        let with_inbox = self.p.mode.uses_inbox();
        if with_inbox && self.inbox.contains(&msg) {
            self.trace.push(now, OutboxRecord::InboxDuplicateSkipped { msg });
            self.c.inbox_dedup_hits += 1;
        } else if crash_before_commit {
            // What was committed before the crash stays; the rest is gone.
            match (with_inbox, self.p.inbox) {
                (true, Inbox::MarkFirst) => self.mark_inbox(now, msg),
                (true, Inbox::ApplyFirst) => self.apply_effect(now, msg, false),
                (true, Inbox::Atomic) | (false, Inbox::Atomic | Inbox::MarkFirst | Inbox::ApplyFirst) => {}
            }
            self.trace.push(now, OutboxRecord::ConsumerCrashedBeforeCommit { msg });
            return self.after_consumer_crash(now, aggregate, msg, delivery);
        } else {
            match (with_inbox, self.p.inbox) {
                (false, Inbox::Atomic | Inbox::MarkFirst | Inbox::ApplyFirst) => self.apply_effect(now, msg, false),
                (true, Inbox::Atomic) => {
                    self.inbox.insert(msg);
                    self.apply_effect(now, msg, true);
                }
                (true, Inbox::MarkFirst) => {
                    self.mark_inbox(now, msg);
                    self.apply_effect(now, msg, false);
                }
                (true, Inbox::ApplyFirst) => {
                    self.apply_effect(now, msg, false);
                    self.mark_inbox(now, msg);
                }
            }
        }
        if crash {
            self.trace.push(now, OutboxRecord::ConsumerCrashed { msg });
            return self.after_consumer_crash(now, aggregate, msg, delivery);
        }
        self.trace.push(now, OutboxRecord::Acked { msg });
        self.next_in_partition(aggregate)
    }

    /// The consumer commits the inbox row of `msg` in a transaction of its own.
    fn mark_inbox(&mut self, now: SimTime, msg: u32) {
        self.inbox.insert(msg);
        self.trace.push(now, OutboxRecord::InboxMarked { msg });
    }

    /// The consumer commits the effect of `msg` (with its inbox row when `inbox`).
    fn apply_effect(&mut self, now: SimTime, msg: u32, inbox: bool) {
        let count = self.effects.entry(msg).or_insert(0);
        *count += 1;
        let duplicate = *count > 1;
        let uncommitted = !self.accepted[(msg - 1) as usize];
        self.trace.push(now, OutboxRecord::EffectApplied { msg, duplicate, uncommitted, inbox });
    }

    /// Without an ack the broker delivers `msg` again later, or dead-letters
    /// it after its last allowed delivery.
    fn after_consumer_crash(&mut self, now: SimTime, aggregate: u32, msg: u32, delivery: u32) -> Result<(), SimError> {
        self.c.consumer_crashes += 1;
        if delivery < self.p.deliveries_max {
            self.sched.schedule_in(SimDuration(REDELIVERY_US), Event::Deliver { aggregate })?;
            return Ok(());
        }
        self.trace.push(now, OutboxRecord::DeadLettered { msg });
        self.c.dead_lettered += 1;
        self.dead.insert(msg);
        self.next_in_partition(aggregate)
    }

    /// The head of the partition is done: the next message, if any, follows.
    fn next_in_partition(&mut self, aggregate: u32) -> Result<(), SimError> {
        let queue = self.partitions.get_mut(&aggregate).ok_or(SimError::Internal("partition vanished"))?;
        queue.pop_front();
        if queue.is_empty() {
            self.delivering.remove(&aggregate);
        } else {
            let d = self.delivery_delay();
            self.sched.schedule_in(d, Event::Deliver { aggregate })?;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> OutboxRun {
        let n = self.p.commands as usize;
        let tailing = self.p.mode == Mode::LogTailing;
        let in_broker: BTreeSet<u32> = self.partitions.values().flat_map(|q| q.iter().map(|m| m.id)).collect();
        // An outbox row is pending while the relay would still send it:
        // unmarked (polling) or never published (tailing).
        let mut row_pending = vec![false; n];
        for (k, row) in self.outbox.iter().enumerate() {
            let sent = if tailing { self.first_published_us.contains_key(&row.id) } else { self.marked[k] };
            row_pending[(row.id - 1) as usize] = !sent;
        }
        let mut orders = Vec::with_capacity(n);
        let c = &mut self.c;
        for (i, &in_outbox) in row_pending.iter().enumerate() {
            let cmd = (i + 1) as u32;
            let published = self.first_published_us.contains_key(&cmd);
            let effects = self.effects.get(&cmd).copied().unwrap_or(0);
            let fate = OrderFate {
                accepted: self.accepted[i],
                told: self.told[i],
                published,
                effects,
                pending: in_outbox || in_broker.contains(&cmd) || self.dead.contains(&cmd),
            };
            c.commands_accepted += u32::from(fate.accepted);
            c.clients_told_ok += u32::from(fate.told == Some(true));
            c.told_failed_but_shipped += u32::from(fate.told == Some(false) && effects > 0);
            c.service_believes_published += u32::from(self.believed_published[i]);
            // Lost, in every design: committed, never published, and not
            // waiting in an outbox (a pending row would still be sent).
            if fate.accepted && !published && !in_outbox {
                c.events_lost += 1;
            }
            if fate.accepted && effects == 0 && !fate.pending {
                c.effects_lost += 1;
            }
            if !fate.accepted && published {
                c.ghost_events += 1;
            }
            c.effects_applied += effects;
            c.duplicate_effects += effects.saturating_sub(1);
            if !fate.accepted {
                c.ghost_effects += effects.min(1);
            }
            orders.push(fate);
        }
        c.outbox_pending = row_pending.iter().filter(|p| **p).count() as u32;
        c.events_published = self.first_published_us.len() as u32;

        c.broker_pending = self.partitions.values().map(|q| q.len() as u32).sum();
        let lags: Vec<u64> = self
            .first_published_us
            .iter()
            .filter_map(|(id, at)| self.committed_us.get(id).map(|c| at.saturating_sub(*c)))
            .collect();
        let lags: Vec<u64> = if self.p.mode.uses_outbox() {
            lags
        } else {
            // In the dual-write modes the service publishes in its own request:
            // there is no relay, so the lag is measured from receipt instead.
            self.first_published_us
                .iter()
                .map(|(id, at)| at.saturating_sub(u64::from(*id - 1) * self.p.command_gap_ms * 1_000))
                .collect()
        };
        c.relay_lag_ms_max = lags.iter().copied().max().unwrap_or(0) / 1_000;
        c.relay_lag_ms_mean = if lags.is_empty() { 0 } else { lags.iter().sum::<u64>() / lags.len() as u64 / 1_000 };
        OutboxRun { params: self.p.clone(), orders, trace: self.trace, counters: self.c }
    }
}
