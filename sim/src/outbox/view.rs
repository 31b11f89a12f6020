//! The pipeline picture at a step, from frames built once per run.
//!
//! Every table the picture draws only grows (orders, outbox rows, inbox
//! rows, effects), a row's "sent" mark is set once, and each broker
//! partition is a FIFO queue. So [`Frames::build`] walks the trace once and
//! stores, for each row, the step that wrote it (and the step that marked it
//! or took it off its queue). The view at step `k` is then a binary search
//! per table plus the few rows shown: `O(log n)`, never a replay of the run.

use super::model::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// A message copy in a partition: the step it was stored, the step it left
/// (acked or dead-lettered), its id.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Copy {
    stored: usize,
    left: Option<usize>,
    msg: u32,
}

/// Everything the picture needs at any step, built once per run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frames {
    steps: usize,
    /// (step, order id, customer).
    orders: Vec<(usize, u32, u32)>,
    /// (step, row, step it was marked sent).
    outbox: Vec<(usize, OutboxRow, Option<usize>)>,
    /// First step at which each message (index id - 1) was in the broker.
    published_at: Vec<Option<usize>>,
    partitions: BTreeMap<u32, Vec<Copy>>,
    /// (step, message id).
    inbox: Vec<(usize, u32)>,
    /// (step, message id, duplicate, order not committed at that moment).
    effects: Vec<(usize, u32, bool, bool)>,
    /// (step, offset) of each flush of the log-tailing relay's offset.
    offsets: Vec<(usize, u32)>,
    /// The steps of crashes at the service, the relay and the consumer.
    crashes: [Vec<usize>; 3],
    /// The actor of each record and whether it is a crash.
    actors: Vec<(Actor, bool)>,
}

/// What each table and the broker hold at one step, the newest rows only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PipelineView {
    /// Order rows committed so far.
    pub orders_total: usize,
    /// The newest order rows: id, customer, whether its event is in the broker yet.
    pub orders: Vec<(u32, u32, bool)>,
    /// Outbox rows committed so far.
    pub outbox_total: usize,
    /// The newest outbox rows, whether each is marked sent (polling relay),
    /// and whether its event is in the broker.
    pub outbox: Vec<(OutboxRow, bool, bool)>,
    /// The log-tailing relay's last flushed offset (rows 1..offset are done).
    pub offset: u32,
    /// Each partition (key = customer) that has held a message: how many wait, and the first few.
    pub partitions: Vec<(u32, usize, Vec<u32>)>,
    /// Inbox rows so far.
    pub inbox_total: usize,
    /// The newest inbox rows (message ids).
    pub inbox: Vec<u32>,
    /// Effects applied so far.
    pub effects_total: usize,
    /// The newest effects: message id, whether a duplicate, whether its order was not committed then.
    pub effects: Vec<(u32, bool, bool)>,
    /// The actor of the current record and whether it crashed there.
    pub current: Option<(Actor, bool)>,
    /// Crashes so far at the service, the relay and the consumer.
    pub crashes: [usize; 3],
}

/// Messages shown per partition at most.
const QUEUE_SHOWN: usize = 8;

/// What the walk over the trace remembers between records.
struct Walk {
    /// The index of each partition's head copy (the first not yet gone).
    head: BTreeMap<u32, usize>,
    /// The position of each order's outbox row (index id - 1).
    row_of: Vec<Option<usize>>,
}

impl Frames {
    /// Walks the trace once.
    pub fn build(run: &OutboxRun) -> Frames {
        let records = run.trace.records();
        let n = run.params.commands as usize;
        let mut f = Frames { steps: records.len(), published_at: vec![None; n], ..Frames::default() };
        let mut walk = Walk { head: BTreeMap::new(), row_of: vec![None; n] };
        for (i, s) in records.iter().enumerate() {
            let step = i + 1;
            let r = &s.record;
            f.actors.push((r.actor(), r.is_crash()));
            if r.is_crash() {
                f.crashed(step, r.actor());
            }
            f.record(step, r, &mut walk);
        }
        f
    }

    /// A crash of a process at `step` (databases and the broker are modelled
    /// as durable, so they have no crash row).
    fn crashed(&mut self, step: usize, actor: Actor) {
        let slot = match actor {
            Actor::Service => Some(0),
            Actor::Relay => Some(1),
            Actor::Consumer => Some(2),
            Actor::ServiceDb | Actor::Broker | Actor::ConsumerDb => None,
        };
        if let Some(slot) = slot {
            self.crashes[slot].push(step);
        }
    }

    /// What one record adds to the tables, partitions and effects.
    fn record(&mut self, step: usize, r: &OutboxRecord, walk: &mut Walk) {
        match r {
            OutboxRecord::OrderCommitted { cmd, aggregate } => self.orders.push((step, *cmd, *aggregate)),
            OutboxRecord::OrderAndOutboxCommitted { cmd, row } => {
                self.orders.push((step, *cmd, row.aggregateid));
                if let Some(slot) = walk.row_of.get_mut((*cmd - 1) as usize) {
                    *slot = Some(self.outbox.len());
                }
                self.outbox.push((step, row.clone(), None));
            }
            OutboxRecord::RelayMarked { msg } => {
                if let Some(row) =
                    walk.row_of.get((*msg - 1) as usize).copied().flatten().and_then(|i| self.outbox.get_mut(i))
                {
                    row.2.get_or_insert(step);
                }
            }
            OutboxRecord::Published { msg, aggregate, .. }
            | OutboxRecord::PublishAckLost { msg, aggregate, .. }
            | OutboxRecord::BrokerDuplicated { msg, aggregate } => {
                if let Some(at) = self.published_at.get_mut((*msg - 1) as usize) {
                    at.get_or_insert(step);
                }
                self.partitions.entry(*aggregate).or_default().push(Copy { stored: step, left: None, msg: *msg });
            }
            OutboxRecord::Acked { msg } | OutboxRecord::DeadLettered { msg } => {
                // The message leaves the partition whose head it is.
                for (key, q) in self.partitions.iter_mut() {
                    let h = walk.head.entry(*key).or_insert(0);
                    if q.get(*h).map(|c| c.msg) == Some(*msg) {
                        q[*h].left = Some(step);
                        *h += 1;
                        break;
                    }
                }
            }
            OutboxRecord::EffectApplied { msg, duplicate, uncommitted, inbox } => {
                if *inbox {
                    self.inbox.push((step, *msg));
                }
                self.effects.push((step, *msg, *duplicate, *uncommitted));
            }
            OutboxRecord::InboxMarked { msg } => self.inbox.push((step, *msg)),
            OutboxRecord::OffsetFlushed { offset } => self.offsets.push((step, *offset)),
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

    /// How many steps the run has.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The picture after the first `step` records, with the newest `shown`
    /// rows of each table.
    pub fn view_at(&self, step: usize, shown: usize) -> PipelineView {
        let k = step.min(self.steps);
        let upto = |steps: &[usize]| steps.partition_point(|s| *s <= k);
        let orders_total = self.orders.partition_point(|(s, _, _)| *s <= k);
        let outbox_total = self.outbox.partition_point(|(s, _, _)| *s <= k);
        let inbox_total = self.inbox.partition_point(|(s, _)| *s <= k);
        let effects_total = self.effects.partition_point(|(s, _, _, _)| *s <= k);
        let newest = |total: usize| total.saturating_sub(shown)..total;
        let in_broker = |id: u32| self.published_at.get((id - 1) as usize).copied().flatten().is_some_and(|s| s <= k);
        PipelineView {
            orders_total,
            orders: self.orders[newest(orders_total)].iter().map(|(_, id, c)| (*id, *c, in_broker(*id))).collect(),
            outbox_total,
            outbox: self.outbox[newest(outbox_total)]
                .iter()
                .map(|(_, r, sent)| (r.clone(), sent.is_some_and(|s| s <= k), in_broker(r.id)))
                .collect(),
            offset: self.offsets[..self.offsets.partition_point(|(s, _)| *s <= k)].last().map_or(0, |(_, o)| *o),
            partitions: self
                .partitions
                .iter()
                .filter(|(_, q)| q.first().is_some_and(|c| c.stored <= k))
                .map(|(key, q)| {
                    // FIFO: copies leave in the order they were stored, so
                    // both ends of the waiting range are found by bisection.
                    let lo = q.partition_point(|c| c.left.is_some_and(|l| l <= k));
                    let hi = q.partition_point(|c| c.stored <= k).max(lo);
                    (*key, hi - lo, q[lo..hi].iter().take(QUEUE_SHOWN).map(|c| c.msg).collect())
                })
                .collect(),
            inbox_total,
            inbox: self.inbox[newest(inbox_total)].iter().map(|(_, m)| *m).collect(),
            effects_total,
            effects: self.effects[newest(effects_total)].iter().map(|(_, m, d, g)| (*m, *d, *g)).collect(),
            current: k.checked_sub(1).and_then(|i| self.actors.get(i).copied()),
            crashes: [upto(&self.crashes[0]), upto(&self.crashes[1]), upto(&self.crashes[2])],
        }
    }
}

/// The step a learner should see first, and whether it is a failure: the
/// first record that breaks the design's promise (an event lost between two
/// writes, an effect for an order that never commits, a duplicate effect, a
/// client told "failed" for an order that ships, a consumer crash that loses
/// an effect for good), or else the first duplicate the inbox caught. Steps
/// count from 1 (the step after that record).
pub fn decisive_step(run: &OutboxRun) -> Option<(usize, bool)> {
    let records = run.trace.records();
    let fate = |id: &u32| run.orders.get((*id - 1) as usize).copied().unwrap_or_default();
    let failure = records.iter().position(|s| match &s.record {
        OutboxRecord::ServiceCrashed { point, .. } => *point == CrashPoint::BetweenWrites,
        OutboxRecord::EffectApplied { msg, duplicate, uncommitted, .. } => {
            *duplicate || (*uncommitted && !fate(msg).accepted)
        }
        OutboxRecord::Replied { cmd, ok } => !*ok && fate(cmd).effects > 0,
        OutboxRecord::ConsumerCrashedBeforeCommit { msg } => {
            let f = fate(msg);
            f.accepted && f.effects == 0 && !f.pending
        }
        OutboxRecord::CommandReceived { .. }
        | OutboxRecord::OrderCommitted { .. }
        | OutboxRecord::OrderAndOutboxCommitted { .. }
        | OutboxRecord::CommitFailed { .. }
        | OutboxRecord::PublishGaveUp { .. }
        | OutboxRecord::PublishRefused { .. }
        | OutboxRecord::PublishAckLost { .. }
        | OutboxRecord::Published { .. }
        | OutboxRecord::BrokerDuplicated { .. }
        | OutboxRecord::RelayPolled { .. }
        | OutboxRecord::RelayMarked { .. }
        | OutboxRecord::RelayCrashed { .. }
        | OutboxRecord::LogRead { .. }
        | OutboxRecord::OffsetFlushed { .. }
        | OutboxRecord::TailerCrashed { .. }
        | OutboxRecord::Delivered { .. }
        | OutboxRecord::InboxDuplicateSkipped { .. }
        | OutboxRecord::InboxMarked { .. }
        | OutboxRecord::ConsumerCrashed { .. }
        | OutboxRecord::Acked { .. }
        | OutboxRecord::DeadLettered { .. }
        | OutboxRecord::HorizonReached => false,
    });
    if let Some(i) = failure {
        return Some((i + 1, true));
    }
    records.iter().position(|s| matches!(s.record, OutboxRecord::InboxDuplicateSkipped { .. })).map(|i| (i + 1, false))
}
