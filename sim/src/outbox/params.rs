//! The Outbox lab's knobs, declared once: the engine's `validate()`, the
//! permalink, the CLI and the page's controls all read this schema.

use crate::error::SimError;
use crate::knob::{self, Group, Knob, KnobKind, Params, Unit};
use serde::{Deserialize, Serialize};

crate::choice_enum! {
    /// How the service gets its change and its event out. The slug is the
    /// design's number, as the lab, the CLI (`--mode 4`) and old links name it.
    pub enum Mode {
        /// 1: commit the order, then publish the event (dual write).
        WriteThenPublish = ("1", "1 · Commit, then publish"),
        /// 2: publish the event, then commit the order (dual write).
        PublishThenWrite = ("2", "2 · Publish, then commit"),
        /// 3: order and outbox row in one transaction, polling relay, consumer without dedup.
        OutboxPolling = ("3", "3 · Outbox, polling relay, no dedup"),
        /// 4: as 3, with an idempotent consumer (inbox).
        OutboxInbox = ("4", "4 · Outbox, polling relay, inbox"),
        /// 5: as 4, with a relay that tails the database log instead of polling.
        LogTailing = ("5", "5 · Outbox, log tailing, inbox"),
    }
}

impl Mode {
    /// The mode's number, 1 to 5, as the lab and the CLI number them.
    pub fn number(self) -> u8 {
        self.index() as u8 + 1
    }

    /// The mode with number `n`, if there is one.
    pub fn from_number(n: u8) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.number() == n)
    }

    /// Whether the order and the event are written in one transaction.
    pub fn uses_outbox(self) -> bool {
        match self {
            Mode::WriteThenPublish | Mode::PublishThenWrite => false,
            Mode::OutboxPolling | Mode::OutboxInbox | Mode::LogTailing => true,
        }
    }

    /// Whether the consumer deduplicates with an inbox table.
    pub fn uses_inbox(self) -> bool {
        match self {
            Mode::WriteThenPublish | Mode::PublishThenWrite | Mode::OutboxPolling => false,
            Mode::OutboxInbox | Mode::LogTailing => true,
        }
    }
}

crate::choice_enum! {
    /// Where the consumer's inbox row goes, relative to the effect's transaction.
    pub enum Inbox {
        /// The inbox row and the effect commit in one transaction (correct).
        Atomic = ("atomic", "One transaction with the effect (correct)"),
        /// The inbox row commits first, the effect after: a crash between loses the effect.
        MarkFirst = ("mark-first", "Mark first, then apply (bug: loses)"),
        /// The effect commits first, the inbox row after: a crash between duplicates the effect.
        ApplyFirst = ("apply-first", "Apply first, then mark (bug: duplicates)"),
    }
}

/// Knobs of an outbox run. Probabilities are fractions from 0 to 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxParams {
    /// Which design the service and consumer use.
    pub mode: Mode,
    /// "Place order" commands sent to the service.
    pub commands: u32,
    /// Distinct aggregates (orders' customers) the commands spread over; one broker partition each.
    pub aggregates: u32,
    /// Time between two commands, in milliseconds.
    pub command_gap_ms: u64,
    /// Chance the service crashes between its two writes (in the outbox modes: before its one commit).
    pub crash: f64,
    /// Chance the database commit fails.
    pub commit_fail: f64,
    /// Chance a publish finds the broker unavailable (nothing is stored).
    pub broker_unavailable: f64,
    /// Chance a publish goes through but its acknowledgement is lost (the publisher sees a timeout).
    pub ack_lost: f64,
    /// Chance the relay crashes after publishing a row and before marking it sent.
    pub relay_crash: f64,
    /// Chance the consumer crashes after committing its effect and before acking (the broker redelivers).
    pub consumer_crash: f64,
    /// Chance the consumer crashes while handling a message, before its last commit.
    pub consumer_crash_before: f64,
    /// Where the consumer's inbox row goes (designs 4 and 5).
    pub inbox: Inbox,
    /// How often the log-tailing relay flushes its offset, in milliseconds; 0 flushes after every publish.
    pub offset_flush_ms: u64,
    /// Chance the broker stores a published message twice (delivered twice).
    pub broker_duplicate: f64,
    /// Largest delivery delay per message in milliseconds (the smallest is 1 ms); partitions drift apart.
    pub delay_ms_max: u64,
    /// Publish attempts by the service in the dual-write modes, the first included.
    pub publish_attempts_max: u32,
    /// Deliveries of one message at most before the broker dead-letters it.
    pub deliveries_max: u32,
    /// The polling relay's period, in milliseconds.
    pub poll_ms: u64,
    /// Rows the relay publishes per poll at most.
    pub batch_max: u32,
    /// Nothing happens after this simulated time, in milliseconds.
    pub horizon_ms: u64,
    /// Events the run may process at most (an engine limit, not a knob).
    pub events_max: u64,
    /// The seed of the run.
    pub seed: u64,
}

fn pct_of(f: f64) -> u64 {
    (f * 100.0).round() as u64
}

fn frac_of(v: u64) -> f64 {
    v as f64 / 100.0
}

/// A percentage knob: the same shape for every fault.
macro_rules! pct_knob {
    ($key:literal, $flag:literal, $label:literal, $default:literal, $group:expr, $help:literal, $field:ident) => {
        Knob {
            key: $key,
            flag: $flag,
            label: $label,
            unit: Unit::Percent,
            kind: KnobKind::Percent,
            default: $default,
            group: $group,
            help: $help,
            get: |p| pct_of(p.$field),
            set: |p, v| p.$field = frac_of(v),
        }
    };
}

/// A whole-number knob.
macro_rules! int_knob {
    ($key:literal, $flag:literal, $label:literal, $unit:expr, $min:literal, $max:literal, $step:literal, $default:literal, $group:expr, $help:literal, $field:ident, $ty:ty) => {
        Knob {
            key: $key,
            flag: $flag,
            label: $label,
            unit: $unit,
            kind: KnobKind::Int { min: $min, max: $max, step: $step },
            default: $default,
            group: $group,
            help: $help,
            get: |p| p.$field as u64,
            set: |p, v| p.$field = v as $ty,
        }
    };
}

static KNOBS: [Knob<OutboxParams>; 21] = [
    Knob {
        key: "mode",
        flag: "mode",
        label: "Design",
        unit: Unit::Count,
        kind: KnobKind::Choice(Mode::CHOICES),
        default: 3,
        group: Group::Main,
        help: "How the service gets the order and its event out, and whether the consumer deduplicates.",
        get: |p| p.mode.index() as u64,
        set: |p, v| p.mode = Mode::from_index(v),
    },
    pct_knob!("crash", "crash", "Service crash between writes", 0, Group::Main,
        "Chance the service dies between its two writes; in the outbox designs there is one transaction, so a crash rolls both rows back.", crash),
    pct_knob!("acklost", "ack-lost", "Publish stored, ack lost", 5, Group::Main,
        "Chance a publish reaches the broker but its acknowledgement does not: the publisher sees a timeout and sends again.", ack_lost),
    pct_knob!("rcrash", "relay-crash", "Relay crash after publish, before mark or flush", 15, Group::Main,
        "Chance the relay dies after the broker stored a row and before it recorded that (marked the row, or flushed its offset in design 5): it sends the row again.", relay_crash),
    pct_knob!("ccrash", "consumer-crash", "Consumer crash after effect, before ack", 10, Group::Main,
        "Chance the consumer dies after committing the effect and before acking: the broker delivers the message again.", consumer_crash),
    Knob {
        key: "inbox",
        flag: "inbox",
        label: "Consumer's inbox row (designs 4, 5)",
        unit: Unit::Count,
        kind: KnobKind::Choice(Inbox::CHOICES),
        default: 0,
        group: Group::Main,
        help: "In the effect's own transaction, or in a transaction of its own before or after the effect.",
        get: |p| p.inbox.index() as u64,
        set: |p, v| p.inbox = Inbox::from_index(v),
    },
    pct_knob!("ccrashb", "consumer-crash-before", "Consumer crash before its commit", 0, Group::Main,
        "Chance the consumer dies while handling a message, before its last commit: whatever it had not committed is gone, and the broker delivers again.", consumer_crash_before),
    int_knob!("cmds", "commands", "Commands (place order)", Unit::Count, 1, 1_000, 1, 12, Group::More,
        "How many place-order commands the service handles.", commands, u32),
    int_knob!("aggs", "aggregates", "Customers (partitions)", Unit::Count, 1, 16, 1, 3, Group::More,
        "Orders spread over this many customers; the customer id is the message key, one broker partition each.", aggregates, u32),
    pct_knob!("cfail", "commit-fail", "DB commit fails", 0, Group::More,
        "Chance the service's database refuses the commit; nothing of that transaction is written.", commit_fail),
    pct_knob!("unavail", "broker-unavailable", "Broker unavailable", 0, Group::More,
        "Chance a publish finds the broker down: nothing is stored and the publisher tries again later.", broker_unavailable),
    pct_knob!("dup", "broker-duplicate", "Broker stores a message twice", 0, Group::More,
        "Chance the broker stores a published message twice, so it is delivered twice.", broker_duplicate),
    int_knob!("delay", "delay-ms-max", "Delivery delay, max", Unit::Ms, 1, 1_000, 1, 30, Group::More,
        "Each delivery waits 1 ms to this long; partitions drift apart, so global order breaks while per-customer order holds.", delay_ms_max, u64),
    int_knob!("att", "publish-attempts", "Publish attempts, at most (designs 1, 2)", Unit::Count, 1, 10, 1, 3, Group::More,
        "In the dual-write designs the service makes up to this many publish attempts, the first included; a timeout and a refusal look alike to it.", publish_attempts_max, u32),
    int_knob!("dlv", "deliveries-max", "Deliveries before dead-lettering", Unit::Count, 1, 50, 1, 10, Group::More,
        "The broker delivers one message at most this many times, then parks it in a dead-letter queue.", deliveries_max, u32),
    int_knob!("poll", "poll-ms", "Relay poll period (designs 3, 4)", Unit::Ms, 10, 5_000, 10, 100, Group::More,
        "The polling relay reads the outbox table this often.", poll_ms, u64),
    int_knob!("oflush", "offset-flush", "Relay offset flush interval (design 5)", Unit::Ms, 0, 10_000, 10, 200, Group::More,
        "How often the log-tailing relay stores its offset, as Kafka Connect's offset.flush.interval.ms (60 s by default there); a crash re-sends every row since the last flush. 0 flushes after every publish.", offset_flush_ms, u64),
    int_knob!("batch", "batch", "Relay batch, rows at most", Unit::Count, 1, 1_000, 1, 50, Group::More,
        "Rows the relay publishes per read at most.", batch_max, u32),
    int_knob!("gap", "gap-ms", "Time between commands", Unit::Ms, 1, 1_000, 1, 20, Group::More,
        "Commands arrive this far apart.", command_gap_ms, u64),
    int_knob!("horizon", "horizon-ms", "Run horizon", Unit::Ms, 1_000, 3_600_000, 1_000, 120_000, Group::More,
        "Nothing happens after this simulated time; work left then is counted as pending.", horizon_ms, u64),
    crate::seed_knob!(3),
];

impl Params for OutboxParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn base() -> Self {
        OutboxParams {
            mode: Mode::OutboxInbox,
            commands: 1,
            aggregates: 1,
            command_gap_ms: 20,
            crash: 0.0,
            commit_fail: 0.0,
            broker_unavailable: 0.0,
            ack_lost: 0.0,
            relay_crash: 0.0,
            consumer_crash: 0.0,
            consumer_crash_before: 0.0,
            inbox: Inbox::Atomic,
            offset_flush_ms: 0,
            broker_duplicate: 0.0,
            delay_ms_max: 30,
            publish_attempts_max: 3,
            deliveries_max: 10,
            poll_ms: 100,
            batch_max: 50,
            horizon_ms: 120_000,
            events_max: EVENTS_MAX_DEFAULT,
            seed: 0,
        }
    }
}

/// The event budget of a run unless a test lowers it.
pub const EVENTS_MAX_DEFAULT: u64 = 500_000;

impl Default for OutboxParams {
    fn default() -> Self {
        Self::defaults()
    }
}

impl OutboxParams {
    /// Upper bound on the event budget.
    pub const EVENTS_MAX: u64 = 5_000_000;

    /// Checks the knobs against the schema and the event budget, with a
    /// message a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        knob::validate(self)?;
        if self.events_max == 0 || self.events_max > Self::EVENTS_MAX {
            return Err(SimError::InvalidParameter {
                name: "events_max",
                reason: format!("must be between 1 and {}", Self::EVENTS_MAX),
            });
        }
        Ok(())
    }
}
