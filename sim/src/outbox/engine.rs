//! The outbox engine: a discrete-event run of the service, its database, the
//! relay, the broker and the consumer, each with its own random stream.

use super::model::*;
use super::params::{Mode, OutboxParams};
use crate::error::SimError;
use crate::rng::{entity, SimRng};
use crate::sched::{RunLimits, Scheduler};
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

mod consumer;

#[derive(Debug)]
enum Event {
    /// A command reaches the service.
    Command { cmd: u32 },
    /// The service's database transaction of `cmd` (its first write, or its only one).
    Write { cmd: u32 },
    /// The service publishes the event of `cmd` (dual-write modes).
    ServicePublish { cmd: u32, attempt: u32 },
    /// The relay polls the outbox, or wakes up to read the log.
    RelayRun,
    /// The log-tailing relay's periodic offset flush.
    OffsetFlush,
    /// The broker delivers the head of the partition of `aggregate`.
    Deliver { aggregate: u32 },
}

/// How a publish call ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PublishOutcome {
    /// Nothing stored, error returned.
    Refused,
    /// Stored, but the publisher sees a timeout.
    AckLost,
    /// Stored and acknowledged.
    Acked,
}

/// A message in a broker partition.
#[derive(Clone, Copy, Debug)]
struct Message {
    id: u32,
    deliveries: u32,
}

/// Database work and network hops take fixed small times so runs read left to right.
const DB_US: u64 = 2_000;
const HOP_US: u64 = 1_000;
/// The service waits this long before retrying a failed publish.
const SERVICE_RETRY_US: u64 = 15_000;
/// A crashed relay restarts after this long.
const RELAY_RESTART_US: u64 = 50_000;
/// The log-tailing relay reads a commit this long after it is written.
const TAIL_US: u64 = 3_000;
/// The log-tailing relay retries a failed publish after this long.
const TAIL_RETRY_US: u64 = 20_000;
/// The broker redelivers an unacked message this long after a consumer crash.
const REDELIVERY_US: u64 = 30_000;
/// The relay's random stream (faults after publish).
const RELAY_STREAM: u64 = 16;
/// Trace records kept at most.
const TRACE_LEN_MAX: usize = 100_000;

/// The state of a run, owned by `run`.
struct World<'p> {
    p: &'p OutboxParams,
    sched: Scheduler<Event>,
    trace: Trace<OutboxRecord>,
    service_rng: SimRng,
    broker_rng: SimRng,
    relay_rng: SimRng,
    consumer_rng: SimRng,
    /// Aggregate of each command (index cmd - 1).
    aggregate_of: Vec<u32>,
    /// Position of each command in its aggregate's sequence.
    seq_of: Vec<u32>,
    accepted: Vec<bool>,
    told: Vec<Option<bool>>,
    believed_published: Vec<bool>,
    finished: u32,
    /// Committed outbox rows in commit order, and whether each is marked sent.
    outbox: Vec<OutboxRow>,
    marked: Vec<bool>,
    /// Indices of the rows not yet marked, so a poll does not scan the whole table.
    unmarked: BTreeSet<usize>,
    /// Publish attempts the relay made for each outbox row.
    relay_attempts: Vec<u32>,
    /// The log-tailing relay's position in memory: the next row it publishes.
    read_pos: usize,
    /// The log-tailing relay's flushed offset (durable): a restart resumes here.
    flushed: usize,
    last_flush_us: u64,
    flush_scheduled: bool,
    relay_scheduled: bool,
    partitions: BTreeMap<u32, VecDeque<Message>>,
    delivering: BTreeSet<u32>,
    first_published_us: BTreeMap<u32, u64>,
    committed_us: BTreeMap<u32, u64>,
    deliveries: BTreeMap<u32, u32>,
    effects: BTreeMap<u32, u32>,
    inbox: BTreeSet<u32>,
    dead: BTreeSet<u32>,
    highest_seq: BTreeMap<u32, u32>,
    highest_delivered: u32,
    c: OutboxCounters,
}

/// Runs the outbox lab.
pub fn run(params: &OutboxParams) -> Result<OutboxRun, SimError> {
    params.validate()?;
    let p = params;
    let n = p.commands as usize;
    let mut client = SimRng::stream(p.seed, entity::CLIENT_BASE);
    let mut aggregate_of = Vec::with_capacity(n);
    let mut seq_of = Vec::with_capacity(n);
    let mut next_seq: BTreeMap<u32, u32> = BTreeMap::new();
    for _ in 0..n {
        let a = client.between_u64(1, u64::from(p.aggregates)) as u32;
        let s = next_seq.entry(a).or_insert(0);
        *s += 1;
        aggregate_of.push(a);
        seq_of.push(*s);
    }
    let mut w = World {
        p,
        sched: Scheduler::new(RunLimits { events_max: p.events_max, queue_len_max: 100_000 }),
        trace: Trace::with_limit(TRACE_LEN_MAX),
        service_rng: SimRng::stream(p.seed, entity::SERVER),
        broker_rng: SimRng::stream(p.seed, entity::BROKER),
        relay_rng: SimRng::stream(p.seed, RELAY_STREAM),
        consumer_rng: SimRng::stream(p.seed, entity::CONSUMER),
        aggregate_of,
        seq_of,
        accepted: vec![false; n],
        told: vec![None; n],
        believed_published: vec![false; n],
        finished: 0,
        outbox: Vec::new(),
        marked: Vec::new(),
        unmarked: BTreeSet::new(),
        relay_attempts: Vec::new(),
        read_pos: 0,
        flushed: 0,
        last_flush_us: 0,
        flush_scheduled: false,
        relay_scheduled: false,
        partitions: BTreeMap::new(),
        delivering: BTreeSet::new(),
        first_published_us: BTreeMap::new(),
        committed_us: BTreeMap::new(),
        deliveries: BTreeMap::new(),
        effects: BTreeMap::new(),
        inbox: BTreeSet::new(),
        dead: BTreeSet::new(),
        highest_seq: BTreeMap::new(),
        highest_delivered: 0,
        c: OutboxCounters { commands: p.commands, ..Default::default() },
    };
    let gap = SimDuration::from_ms(p.command_gap_ms);
    for cmd in 1..=p.commands {
        w.sched.schedule_at(SimTime::ZERO + SimDuration(gap.0 * u64::from(cmd - 1)), Event::Command { cmd })?;
    }
    if p.mode.uses_outbox() && p.mode != Mode::LogTailing {
        w.sched.schedule_at(SimTime::from_ms(p.poll_ms), Event::RelayRun)?;
        w.relay_scheduled = true;
    }
    let horizon = SimTime::from_ms(p.horizon_ms);
    while let Some((now, ev)) = w.sched.pop()? {
        if now > horizon {
            w.c.horizon_reached = true;
            w.trace.push(horizon, OutboxRecord::HorizonReached);
            break;
        }
        w.step(now, ev)?;
    }
    w.c.events_processed = w.sched.events_popped();
    Ok(w.finish())
}

impl World<'_> {
    fn step(&mut self, now: SimTime, ev: Event) -> Result<(), SimError> {
        match ev {
            Event::Command { cmd } => {
                let aggregate = self.aggregate_of[(cmd - 1) as usize];
                self.trace.push(now, OutboxRecord::CommandReceived { cmd, aggregate });
                match self.p.mode {
                    Mode::PublishThenWrite => {
                        self.sched.schedule_in(SimDuration(HOP_US), Event::ServicePublish { cmd, attempt: 1 })?
                    }
                    Mode::WriteThenPublish | Mode::OutboxPolling | Mode::OutboxInbox | Mode::LogTailing => {
                        self.sched.schedule_in(SimDuration(DB_US), Event::Write { cmd })?
                    }
                }
            }
            Event::Write { cmd } => self.service_write(now, cmd)?,
            Event::ServicePublish { cmd, attempt } => self.service_publish(now, cmd, attempt)?,
            Event::RelayRun if self.p.mode == Mode::LogTailing => self.tail_run(now)?,
            Event::RelayRun => self.relay_run(now)?,
            Event::OffsetFlush => {
                self.flush_scheduled = false;
                if self.flushed < self.read_pos {
                    self.flush(now);
                }
            }
            Event::Deliver { aggregate } => self.deliver(now, aggregate)?,
        }
        Ok(())
    }

    /// The service's database transaction. Both faults are drawn every time,
    /// so that turning one knob does not shift the other's draws.
    fn service_write(&mut self, now: SimTime, cmd: u32) -> Result<(), SimError> {
        let crash = self.service_rng.chance(self.p.crash);
        let commit_fails = self.service_rng.chance(self.p.commit_fail);
        match self.p.mode {
            Mode::WriteThenPublish => {
                if commit_fails {
                    self.commit_failed(now, cmd);
                    return Ok(());
                }
                self.commit_order(now, cmd);
                if crash {
                    // The order is in the database; the process that was
                    // about to publish its event is gone. Nobody will.
                    self.service_crashed(now, cmd, CrashPoint::BetweenWrites);
                    return Ok(());
                }
                self.sched.schedule_in(SimDuration(HOP_US), Event::ServicePublish { cmd, attempt: 1 })?;
            }
            Mode::PublishThenWrite => {
                // The event is already in the broker: whatever happens now,
                // the consumer will act on it.
                if crash {
                    self.service_crashed(now, cmd, CrashPoint::BetweenWrites);
                } else if commit_fails {
                    self.commit_failed(now, cmd);
                } else {
                    self.commit_order(now, cmd);
                    self.reply(now, cmd, true);
                }
            }
            Mode::OutboxPolling | Mode::OutboxInbox | Mode::LogTailing => {
                if crash {
                    self.service_crashed(now, cmd, CrashPoint::BeforeCommit);
                } else if commit_fails {
                    self.commit_failed(now, cmd);
                } else {
                    self.commit_with_outbox_row(now, cmd)?;
                }
            }
        }
        Ok(())
    }

    fn service_crashed(&mut self, now: SimTime, cmd: u32, point: CrashPoint) {
        self.trace.push(now, OutboxRecord::ServiceCrashed { cmd, point });
        self.c.service_crashes += 1;
        self.finished += 1;
    }

    fn commit_failed(&mut self, now: SimTime, cmd: u32) {
        self.trace.push(now, OutboxRecord::CommitFailed { cmd });
        self.reply(now, cmd, false);
    }

    /// The order alone commits (the dual-write designs).
    fn commit_order(&mut self, now: SimTime, cmd: u32) {
        let i = (cmd - 1) as usize;
        debug_assert!(!self.accepted[i], "order {cmd} commits once");
        self.trace.push(now, OutboxRecord::OrderCommitted { cmd, aggregate: self.aggregate_of[i] });
        self.accepted[i] = true;
        self.committed_us.insert(cmd, now.as_us());
    }

    /// The order and its outbox row commit in one transaction; the service
    /// answers, and a log-tailing relay asleep is woken.
    fn commit_with_outbox_row(&mut self, now: SimTime, cmd: u32) -> Result<(), SimError> {
        let i = (cmd - 1) as usize;
        debug_assert!(!self.accepted[i], "order {cmd} commits once");
        let row = OutboxRow {
            id: cmd,
            aggregatetype: "order",
            aggregateid: self.aggregate_of[i],
            event_type: "OrderPlaced",
            payload: format!("{{\"order\":{cmd}}}"),
        };
        self.trace.push(now, OutboxRecord::OrderAndOutboxCommitted { cmd, row: row.clone() });
        self.outbox.push(row);
        self.unmarked.insert(self.marked.len());
        self.marked.push(false);
        self.relay_attempts.push(0);
        debug_assert!(self.marked.len() == self.outbox.len(), "one mark per outbox row");
        self.accepted[i] = true;
        self.believed_published[i] = true;
        self.committed_us.insert(cmd, now.as_us());
        self.reply(now, cmd, true);
        if self.p.mode == Mode::LogTailing && !self.relay_scheduled {
            self.relay_scheduled = true;
            self.sched.schedule_in(SimDuration(TAIL_US), Event::RelayRun)?;
        }
        Ok(())
    }

    fn reply(&mut self, now: SimTime, cmd: u32, ok: bool) {
        self.trace.push(now, OutboxRecord::Replied { cmd, ok });
        self.told[(cmd - 1) as usize] = Some(ok);
        self.finished += 1;
    }

    /// One publish call against the broker: both faults drawn every time.
    fn publish(&mut self, now: SimTime, by: Publisher, msg: u32, attempt: u32) -> Result<PublishOutcome, SimError> {
        let refused = self.broker_rng.chance(self.p.broker_unavailable);
        let ack_lost = self.broker_rng.chance(self.p.ack_lost);
        let twice = self.broker_rng.chance(self.p.broker_duplicate);
        self.c.publish_attempts += 1;
        let aggregate = self.aggregate_of[(msg - 1) as usize];
        if refused {
            self.trace.push(now, OutboxRecord::PublishRefused { by, msg, attempt });
            return Ok(PublishOutcome::Refused);
        }
        self.append(now, msg, aggregate)?;
        if twice {
            self.trace.push(now, OutboxRecord::BrokerDuplicated { msg, aggregate });
            self.append(now, msg, aggregate)?;
        }
        if ack_lost {
            self.trace.push(now, OutboxRecord::PublishAckLost { by, msg, aggregate, attempt });
            Ok(PublishOutcome::AckLost)
        } else {
            self.trace.push(now, OutboxRecord::Published { by, msg, aggregate, attempt });
            Ok(PublishOutcome::Acked)
        }
    }

    /// Appends a message to its partition and wakes the partition if idle.
    fn append(&mut self, now: SimTime, msg: u32, aggregate: u32) -> Result<(), SimError> {
        self.first_published_us.entry(msg).or_insert(now.as_us());
        self.partitions.entry(aggregate).or_default().push_back(Message { id: msg, deliveries: 0 });
        if self.delivering.insert(aggregate) {
            let d = self.delivery_delay();
            self.sched.schedule_in(d, Event::Deliver { aggregate })?;
        }
        Ok(())
    }

    fn delivery_delay(&mut self) -> SimDuration {
        SimDuration(self.broker_rng.between_u64(1_000, self.p.delay_ms_max * 1_000))
    }

    fn service_publish(&mut self, now: SimTime, cmd: u32, attempt: u32) -> Result<(), SimError> {
        let outcome = self.publish(now, Publisher::Service, cmd, attempt)?;
        let i = (cmd - 1) as usize;
        match outcome {
            PublishOutcome::Acked => {
                self.believed_published[i] = true;
                match self.p.mode {
                    Mode::WriteThenPublish => self.reply(now, cmd, true),
                    Mode::PublishThenWrite => self.sched.schedule_in(SimDuration(DB_US), Event::Write { cmd })?,
                    Mode::OutboxPolling | Mode::OutboxInbox | Mode::LogTailing => {
                        return Err(SimError::Internal("the service published in an outbox mode"))
                    }
                }
            }
            // A timeout and a refusal look the same to the service: it retries
            // both, which is how a lost ack turns into a duplicate.
            PublishOutcome::Refused | PublishOutcome::AckLost => {
                if attempt < self.p.publish_attempts_max {
                    self.sched.schedule_in(
                        SimDuration(SERVICE_RETRY_US),
                        Event::ServicePublish { cmd, attempt: attempt + 1 },
                    )?;
                } else {
                    self.trace.push(now, OutboxRecord::PublishGaveUp { cmd });
                    // Write-then-publish: the order exists but the client hears
                    // of a failure. Publish-then-write: the service never writes.
                    self.reply(now, cmd, false);
                }
            }
        }
        Ok(())
    }

    /// The polling relay publishes unsent rows in commit order, marking each
    /// after it is acknowledged; any failure stops the batch until the next poll.
    fn relay_run(&mut self, now: SimTime) -> Result<(), SimError> {
        self.relay_scheduled = false;
        let pending: Vec<usize> = self.unmarked.iter().copied().take(self.p.batch_max as usize).collect();
        self.trace.push(now, OutboxRecord::RelayPolled { unsent: pending.len() as u32 });
        let mut crashed = false;
        for k in pending {
            debug_assert!(!self.marked[k], "the polling relay publishes only rows not yet marked");
            let msg = self.outbox[k].id;
            self.relay_attempts[k] += 1;
            let outcome = self.publish(now, Publisher::Relay, msg, self.relay_attempts[k])?;
            match outcome {
                PublishOutcome::Refused | PublishOutcome::AckLost => break,
                PublishOutcome::Acked => {
                    if self.relay_rng.chance(self.p.relay_crash) {
                        self.trace.push(now, OutboxRecord::RelayCrashed { msg });
                        self.c.relay_crashes += 1;
                        crashed = true;
                        break;
                    }
                    self.marked[k] = true;
                    self.unmarked.remove(&k);
                    self.trace.push(now, OutboxRecord::RelayMarked { msg });
                }
            }
        }
        if !self.unmarked.is_empty() || self.finished < self.p.commands {
            // The polling relay keeps its period; after a crash it comes back
            // when it has restarted, whichever is later.
            let period = self.p.poll_ms * 1_000;
            let next = if crashed { period.max(RELAY_RESTART_US) } else { period };
            self.relay_scheduled = true;
            self.sched.schedule_in(SimDuration(next), Event::RelayRun)?;
        }
        Ok(())
    }

    /// The log-tailing relay reads committed rows from the log after its
    /// position and publishes them in order. It never writes to the outbox
    /// table: its progress is an offset, kept in memory and flushed every
    /// `offset_flush_ms`. A crash loses the position, so the relay resumes
    /// at the last flushed offset and publishes every row after it again.
    fn tail_run(&mut self, now: SimTime) -> Result<(), SimError> {
        self.relay_scheduled = false;
        let from = self.read_pos;
        let pending: Vec<usize> = (from..self.outbox.len()).take(self.p.batch_max as usize).collect();
        self.trace.push(now, OutboxRecord::LogRead { from: from as u32 + 1, rows: pending.len() as u32 });
        let mut retry_in: Option<u64> = None;
        for k in pending {
            let msg = self.outbox[k].id;
            self.relay_attempts[k] += 1;
            let outcome = self.publish(now, Publisher::Relay, msg, self.relay_attempts[k])?;
            match outcome {
                PublishOutcome::Refused | PublishOutcome::AckLost => {
                    retry_in = Some(TAIL_RETRY_US);
                    break;
                }
                PublishOutcome::Acked => {
                    if self.relay_rng.chance(self.p.relay_crash) {
                        let resume_from = self.flushed as u32;
                        self.trace.push(now, OutboxRecord::TailerCrashed { msg, resume_from });
                        self.c.relay_crashes += 1;
                        self.read_pos = self.flushed;
                        retry_in = Some(RELAY_RESTART_US);
                        break;
                    }
                    self.read_pos = k + 1;
                    self.flush_when_due(now)?;
                }
            }
        }
        debug_assert!(self.positions_hold(), "tailer: flushed {} <= read {}", self.flushed, self.read_pos);
        // The tailing relay sleeps until the next commit wakes it, unless it
        // has rows left to retry or more than a batch to read.
        if self.read_pos < self.outbox.len() {
            self.relay_scheduled = true;
            self.sched.schedule_in(SimDuration(retry_in.unwrap_or(TAIL_US)), Event::RelayRun)?;
        }
        Ok(())
    }

    /// Flushes the offset now if the interval has passed (or is 0), else
    /// makes sure a flush is scheduled when it has.
    fn flush_when_due(&mut self, now: SimTime) -> Result<(), SimError> {
        let due = self.last_flush_us + self.p.offset_flush_ms * 1_000;
        if now.as_us() >= due {
            self.flush(now);
        } else if !self.flush_scheduled {
            self.flush_scheduled = true;
            self.sched.schedule_at(SimTime::ZERO + SimDuration(due), Event::OffsetFlush)?;
        }
        Ok(())
    }

    /// The log-tailing relay's positions: the durable offset never passes
    /// the position read, which never passes the log's end.
    fn positions_hold(&self) -> bool {
        self.flushed <= self.read_pos && self.read_pos <= self.outbox.len()
    }

    fn flush(&mut self, now: SimTime) {
        // A flush only moves the durable offset forward; only a crash moves the
        // read position back, and only to the flushed offset.
        debug_assert!(self.positions_hold(), "flush: flushed {} <= read {}", self.flushed, self.read_pos);
        self.flushed = self.read_pos;
        self.last_flush_us = now.as_us();
        self.trace.push(now, OutboxRecord::OffsetFlushed { offset: self.flushed as u32 });
    }
}
