//! What an outbox run records: the outbox table's rows, the trace's records
//! with their narration, and the counters of a finished run.

use super::params::OutboxParams;
use crate::trace::Trace;
use serde::Serialize;

/// A row of the outbox table, with the columns Debezium's outbox event router reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct OutboxRow {
    /// `id`: the event's unique id, which the consumer deduplicates on.
    pub id: u32,
    /// `aggregatetype`: routes the event to a topic ("order" → topic `outbox.event.order`).
    pub aggregatetype: &'static str,
    /// `aggregateid`: the message key; one partition per key keeps per-aggregate order.
    pub aggregateid: u32,
    /// `type`: the event type.
    #[serde(rename = "type")]
    pub event_type: &'static str,
    /// `payload`: the event body as JSON text.
    pub payload: String,
}

/// Who published a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Publisher {
    /// The service itself (dual-write modes).
    Service,
    /// The relay (outbox modes).
    Relay,
}

impl Publisher {
    /// The publisher as the event log names it.
    fn noun(self) -> &'static str {
        match self {
            Publisher::Service => "service",
            Publisher::Relay => "relay",
        }
    }
}

/// Where a service crash struck.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPoint {
    /// After the first of two independent writes, before the second.
    BetweenWrites,
    /// Before the one transaction committed: both rows roll back together.
    BeforeCommit,
}

/// One thing that happened in an outbox run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboxRecord {
    /// The service received "place order" command `cmd` for aggregate `aggregate`.
    CommandReceived { cmd: u32, aggregate: u32 },
    /// The order row of `cmd` committed on its own (dual-write modes).
    OrderCommitted { cmd: u32, aggregate: u32 },
    /// The order row and its outbox row committed in one transaction.
    OrderAndOutboxCommitted { cmd: u32, row: OutboxRow },
    /// The database refused the commit; nothing of this transaction was written.
    CommitFailed { cmd: u32 },
    /// The service crashed while handling `cmd`.
    ServiceCrashed { cmd: u32, point: CrashPoint },
    /// The service answered the client: `ok` is what the client was told.
    Replied { cmd: u32, ok: bool },
    /// The service gave up publishing after its last attempt.
    PublishGaveUp { cmd: u32 },
    /// A publish found the broker unavailable; nothing was stored.
    PublishRefused { by: Publisher, msg: u32, attempt: u32 },
    /// A publish was stored but its acknowledgement was lost: the publisher sees a timeout.
    PublishAckLost { by: Publisher, msg: u32, aggregate: u32, attempt: u32 },
    /// A publish was stored and acknowledged.
    Published { by: Publisher, msg: u32, aggregate: u32, attempt: u32 },
    /// The broker stored the message a second time (it will be delivered twice).
    BrokerDuplicated { msg: u32, aggregate: u32 },
    /// The polling relay read the outbox table and found `unsent` rows to publish.
    RelayPolled { unsent: u32 },
    /// The polling relay marked the row sent.
    RelayMarked { msg: u32 },
    /// The polling relay crashed after publishing `msg` and before marking it.
    RelayCrashed { msg: u32 },
    /// The log-tailing relay read `rows` committed rows from the log, from position `from` on.
    LogRead { from: u32, rows: u32 },
    /// The log-tailing relay flushed its offset: rows before `offset` are done, even after a crash.
    OffsetFlushed { offset: u32 },
    /// The log-tailing relay crashed after publishing `msg`; it restarts from its last flushed offset.
    TailerCrashed { msg: u32, resume_from: u32 },
    /// The broker delivered `msg` to the consumer, for the `delivery`-th time.
    Delivered { msg: u32, aggregate: u32, delivery: u32 },
    /// The consumer applied the effect of `msg` (`uncommitted`: its order was not committed at that
    /// moment; `inbox`: with its inbox row in the same transaction).
    EffectApplied { msg: u32, duplicate: bool, uncommitted: bool, inbox: bool },
    /// The inbox insert of `msg` hit the primary key: the effect was skipped.
    InboxDuplicateSkipped { msg: u32 },
    /// The consumer committed the inbox row of `msg` in its own transaction (mark first or apply first).
    InboxMarked { msg: u32 },
    /// The consumer crashed after committing and before acking `msg`.
    ConsumerCrashed { msg: u32 },
    /// The consumer crashed while handling `msg`, before its last commit.
    ConsumerCrashedBeforeCommit { msg: u32 },
    /// The consumer acked `msg`; the broker moves on in that partition.
    Acked { msg: u32 },
    /// The broker gave up delivering `msg` after `deliveries_max` deliveries.
    DeadLettered { msg: u32 },
    /// The run reached its horizon with work left.
    HorizonReached,
}

/// Which actor a record belongs to, for the pipeline picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The order service.
    Service,
    /// The service's database.
    ServiceDb,
    /// The relay.
    Relay,
    /// The broker.
    Broker,
    /// The consumer.
    Consumer,
    /// The consumer's database.
    ConsumerDb,
}

impl OutboxRecord {
    /// The actor where the record happens (where a crash marker is drawn).
    pub fn actor(&self) -> Actor {
        match self {
            OutboxRecord::CommandReceived { .. }
            | OutboxRecord::ServiceCrashed { .. }
            | OutboxRecord::Replied { .. }
            | OutboxRecord::PublishGaveUp { .. } => Actor::Service,
            OutboxRecord::OrderCommitted { .. }
            | OutboxRecord::OrderAndOutboxCommitted { .. }
            | OutboxRecord::CommitFailed { .. } => Actor::ServiceDb,
            OutboxRecord::PublishRefused { by, .. }
            | OutboxRecord::PublishAckLost { by, .. }
            | OutboxRecord::Published { by, .. } => match by {
                Publisher::Service => Actor::Service,
                Publisher::Relay => Actor::Relay,
            },
            OutboxRecord::RelayPolled { .. }
            | OutboxRecord::RelayMarked { .. }
            | OutboxRecord::RelayCrashed { .. }
            | OutboxRecord::LogRead { .. }
            | OutboxRecord::OffsetFlushed { .. }
            | OutboxRecord::TailerCrashed { .. } => Actor::Relay,
            OutboxRecord::BrokerDuplicated { .. }
            | OutboxRecord::Delivered { .. }
            | OutboxRecord::DeadLettered { .. }
            | OutboxRecord::HorizonReached => Actor::Broker,
            OutboxRecord::EffectApplied { .. }
            | OutboxRecord::InboxDuplicateSkipped { .. }
            | OutboxRecord::InboxMarked { .. } => Actor::ConsumerDb,
            OutboxRecord::ConsumerCrashed { .. }
            | OutboxRecord::ConsumerCrashedBeforeCommit { .. }
            | OutboxRecord::Acked { .. } => Actor::Consumer,
        }
    }

    /// Whether the record is a crash (drawn as a crash marker where it strikes).
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            OutboxRecord::ServiceCrashed { .. }
                | OutboxRecord::RelayCrashed { .. }
                | OutboxRecord::TailerCrashed { .. }
                | OutboxRecord::ConsumerCrashed { .. }
                | OutboxRecord::ConsumerCrashedBeforeCommit { .. }
        )
    }

    /// Whether the record is bad news (a fault or a wrong effect), for the log's mark.
    pub fn is_bad(&self) -> bool {
        match self {
            OutboxRecord::ServiceCrashed { .. }
            | OutboxRecord::CommitFailed { .. }
            | OutboxRecord::PublishGaveUp { .. }
            | OutboxRecord::PublishRefused { .. }
            | OutboxRecord::PublishAckLost { .. }
            | OutboxRecord::BrokerDuplicated { .. }
            | OutboxRecord::RelayCrashed { .. }
            | OutboxRecord::TailerCrashed { .. }
            | OutboxRecord::ConsumerCrashed { .. }
            | OutboxRecord::ConsumerCrashedBeforeCommit { .. }
            | OutboxRecord::DeadLettered { .. }
            | OutboxRecord::HorizonReached => true,
            OutboxRecord::EffectApplied { duplicate, uncommitted, .. } => *duplicate || *uncommitted,
            OutboxRecord::CommandReceived { .. }
            | OutboxRecord::OrderCommitted { .. }
            | OutboxRecord::OrderAndOutboxCommitted { .. }
            | OutboxRecord::Replied { .. }
            | OutboxRecord::Published { .. }
            | OutboxRecord::RelayPolled { .. }
            | OutboxRecord::RelayMarked { .. }
            | OutboxRecord::LogRead { .. }
            | OutboxRecord::OffsetFlushed { .. }
            | OutboxRecord::Delivered { .. }
            | OutboxRecord::InboxDuplicateSkipped { .. }
            | OutboxRecord::InboxMarked { .. }
            | OutboxRecord::Acked { .. } => false,
        }
    }

    /// One sentence for the event log.
    pub fn describe(&self) -> String {
        let who = |by: &Publisher| by.noun();
        match self {
            OutboxRecord::CommandReceived { cmd, aggregate } => {
                format!("Service receives “place order” #{cmd} for customer {aggregate}.")
            }
            OutboxRecord::OrderCommitted { cmd, .. } => format!("DB commits order #{cmd} (orders table only)."),
            OutboxRecord::OrderAndOutboxCommitted { cmd, row } => {
                format!("DB commits order #{cmd} and outbox row id={} in ONE transaction.", row.id)
            }
            OutboxRecord::CommitFailed { cmd } => format!("DB commit of order #{cmd} FAILS: nothing is written."),
            OutboxRecord::ServiceCrashed { cmd, point } => service_crash_line(*cmd, *point),
            OutboxRecord::Replied { cmd, ok: true } => format!("Service tells the client: order #{cmd} placed."),
            OutboxRecord::Replied { cmd, ok: false } => format!("Service tells the client: order #{cmd} failed."),
            OutboxRecord::PublishGaveUp { cmd } => {
                format!("Service gives up publishing event #{cmd}: that was its last allowed attempt.")
            }
            OutboxRecord::PublishRefused { by, msg, attempt } => {
                format!(
                    "The {} publishes event #{msg} (attempt {attempt}): broker unavailable, nothing stored.",
                    who(by)
                )
            }
            OutboxRecord::PublishAckLost { by, msg, attempt, .. } => format!(
                "The {} publishes event #{msg} (attempt {attempt}): stored, but the ack is lost; it sees a timeout.",
                who(by)
            ),
            OutboxRecord::Published { by, msg, attempt, .. } => {
                format!("The {} publishes event #{msg} (attempt {attempt}): stored and acked.", who(by))
            }
            OutboxRecord::BrokerDuplicated { msg, .. } => format!("Broker stores event #{msg} twice."),
            OutboxRecord::RelayPolled { unsent } => format!("Relay reads the outbox: {unsent} unsent row(s)."),
            OutboxRecord::RelayMarked { msg } => format!("Relay marks outbox row {msg} sent."),
            OutboxRecord::RelayCrashed { msg } => {
                format!("⚡ Relay CRASHES after publishing row {msg}, before marking it: it will publish it again.")
            }
            OutboxRecord::LogRead { from, rows } => {
                format!("Relay reads {rows} committed row(s) from the DB log, from position {from} on.")
            }
            OutboxRecord::OffsetFlushed { offset } => {
                format!("Relay flushes its offset to {offset}: rows 1..{offset} are done, even after a crash (it never writes to the outbox table).")
            }
            OutboxRecord::TailerCrashed { msg, resume_from } => format!(
                "⚡ Relay CRASHES after publishing row {msg}: it restarts from its last flushed offset {resume_from} and publishes every row after it again."
            ),
            OutboxRecord::Delivered { msg, aggregate, delivery } => {
                format!("Broker delivers event #{msg} (key customer {aggregate}), delivery {delivery}.")
            }
            OutboxRecord::EffectApplied { msg, duplicate, uncommitted, inbox } => {
                effect_line(*msg, *duplicate, *uncommitted, *inbox)
            }
            OutboxRecord::InboxDuplicateSkipped { msg } => {
                format!("Inbox insert (shipping, {msg}) hits the primary key: duplicate skipped.")
            }
            OutboxRecord::InboxMarked { msg } => {
                format!("Consumer commits inbox row (shipping, {msg}) in its own transaction, apart from the effect.")
            }
            OutboxRecord::ConsumerCrashedBeforeCommit { msg } => format!(
                "⚡ Consumer CRASHES handling event #{msg}, before its last commit: what it had not committed is gone; the broker will redeliver."
            ),
            OutboxRecord::ConsumerCrashed { msg } => {
                format!("⚡ Consumer CRASHES after committing event #{msg}, before acking: the broker will redeliver.")
            }
            OutboxRecord::Acked { msg } => format!("Consumer acks event #{msg}."),
            OutboxRecord::DeadLettered { msg } => {
                format!("Broker dead-letters event #{msg} after too many deliveries.")
            }
            OutboxRecord::HorizonReached => "The run reaches its horizon with work left.".to_string(),
        }
    }
}

/// The event log's sentence for a service crash.
fn service_crash_line(cmd: u32, point: CrashPoint) -> String {
    match point {
        CrashPoint::BetweenWrites => format!("⚡ Service CRASHES handling #{cmd}, between its two writes."),
        CrashPoint::BeforeCommit => {
            format!("⚡ Service CRASHES before committing #{cmd}: order and outbox row roll back together.")
        }
    }
}

/// The event log's sentence for a consumer's effect.
fn effect_line(msg: u32, duplicate: bool, uncommitted: bool, inbox: bool) -> String {
    let mut s = if inbox {
        format!("Consumer inserts inbox (shipping, {msg}) and applies its effect in one transaction")
    } else {
        format!("Consumer applies the effect of event #{msg}")
    };
    if duplicate {
        s.push_str(": a DUPLICATE effect");
    }
    if uncommitted {
        s.push_str(": its order is NOT committed yet (a ghost if it never commits)");
    }
    s.push('.');
    s
}

/// Counters of an outbox run: what the service believes beside what happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounters {
    /// Commands sent to the service.
    pub commands: u32,
    /// Commands whose order row committed.
    pub commands_accepted: u32,
    /// Commands whose client was told "placed".
    pub clients_told_ok: u32,
    /// Commands whose client was told "failed", whose order was shipped all the same.
    pub told_failed_but_shipped: u32,
    /// What the service believes: events it saw acked (dual write) or committed to the outbox.
    pub service_believes_published: u32,
    /// Publish calls made, by the service or the relay.
    pub publish_attempts: u32,
    /// Distinct events stored by the broker.
    pub events_published: u32,
    /// Committed orders whose event was never published and is not pending in an outbox.
    pub events_lost: u32,
    /// Committed orders never shipped, with nothing pending (outbox, broker or dead-letter queue).
    pub effects_lost: u32,
    /// Events published for an order that never committed.
    pub ghost_events: u32,
    /// Effects the consumer applied for ghost events.
    pub ghost_effects: u32,
    /// Deliveries beyond the first of the same event.
    pub duplicate_deliveries: u32,
    /// Effects applied, duplicates included.
    pub effects_applied: u32,
    /// Effects applied beyond the first for the same event.
    pub duplicate_effects: u32,
    /// Duplicates the inbox recognised and skipped.
    pub inbox_dedup_hits: u32,
    /// Service crashes.
    pub service_crashes: u32,
    /// Relay crashes.
    pub relay_crashes: u32,
    /// Consumer crashes (after the commit, and before it).
    pub consumer_crashes: u32,
    /// Events the broker gave up on.
    pub dead_lettered: u32,
    /// First deliveries that came after an event with a larger id (global order broken).
    pub reordered_deliveries: u32,
    /// First deliveries older than an event already delivered for the same aggregate.
    pub aggregate_order_violations: u32,
    /// Outbox rows still unsent at the end (they are not lost: the relay would still send them).
    pub outbox_pending: u32,
    /// Messages still waiting in the broker at the end.
    pub broker_pending: u32,
    /// Largest time to first publish, in milliseconds: from commit in the outbox designs (outbox lag),
    /// from receipt in the dual-write designs (publish latency).
    pub relay_lag_ms_max: u64,
    /// Mean time to first publish, in milliseconds (rounded down), measured as the max is.
    pub relay_lag_ms_mean: u64,
    /// Whether the horizon cut the run short.
    pub horizon_reached: bool,
    /// Events the scheduler processed.
    pub events_processed: u64,
}

/// What became of one order, at the end of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OrderFate {
    /// Its order row committed.
    pub accepted: bool,
    /// What its client was told, if anything ("placed" is true).
    pub told: Option<bool>,
    /// The broker stored its event at least once.
    pub published: bool,
    /// Effects the consumer applied for it.
    pub effects: u32,
    /// Its event is still on its way: an unsent outbox row, a message in the
    /// broker, or a message in the dead-letter queue.
    pub pending: bool,
}

/// A finished outbox run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutboxRun {
    /// The knobs it ran with.
    pub params: OutboxParams,
    /// What became of each order (index: order id - 1).
    pub orders: Vec<OrderFate>,
    /// Everything that happened, in order.
    pub trace: Trace<OutboxRecord>,
    /// The evidence.
    pub counters: OutboxCounters,
}
