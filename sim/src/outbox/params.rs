//! The Outbox lab's knobs, declared once: the engine's `validate()`, the
//! permalink, the CLI and the page's controls all read this schema.

use crate::error::SimError;
use crate::knob::{self, frac_of, pct_of, Knob, Params, Unit};
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

static KNOBS: [Knob<OutboxParams>; 21] = [
    Knob::choice(
        "design",
        "design",
        "Design",
        Mode::CHOICES,
        3,
        "How the service gets the order and its event out, and whether the consumer deduplicates.",
        |p| p.mode.index() as u64,
        |p, v| p.mode = Mode::from_index(v),
    ),
    Knob::percent("crash", "crash", "Service crash between writes", 0, "Chance the service dies between its two writes; in the outbox designs there is one transaction, so a crash rolls both rows back.", |p| pct_of(p.crash), |p, v| p.crash = frac_of(v)),
    Knob::percent("acklost", "ack-lost", "Publish stored, ack lost", 5, "Chance a publish reaches the broker but its acknowledgement does not: the publisher sees a timeout and sends again.", |p| pct_of(p.ack_lost), |p, v| p.ack_lost = frac_of(v)),
    Knob::percent("rcrash", "relay-crash", "Relay crash after publish, before mark or flush", 15, "Chance the relay dies after the broker stored a row and before it recorded that (marked the row, or flushed its offset in design 5): it sends the row again.", |p| pct_of(p.relay_crash), |p, v| p.relay_crash = frac_of(v)),
    Knob::percent("ccrash", "consumer-crash", "Consumer crash after effect, before ack", 10, "Chance the consumer dies after committing the effect and before acking: the broker delivers the message again.", |p| pct_of(p.consumer_crash), |p, v| p.consumer_crash = frac_of(v)),
    Knob::choice(
        "inbox",
        "inbox",
        "Consumer's inbox row (designs 4, 5)",
        Inbox::CHOICES,
        0,
        "In the effect's own transaction, or in a transaction of its own before or after the effect.",
        |p| p.inbox.index() as u64,
        |p, v| p.inbox = Inbox::from_index(v),
    ),
    Knob::percent("ccrashb", "consumer-crash-before", "Consumer crash before its commit", 0, "Chance the consumer dies while handling a message, before its last commit: whatever it had not committed is gone, and the broker delivers again.", |p| pct_of(p.consumer_crash_before), |p, v| p.consumer_crash_before = frac_of(v)),
    Knob::more(Knob::count("cmds", "commands", "Commands (place order)", Unit::Count, (1, 1_000, 1), 12, "How many place-order commands the service handles.", |p| p.commands as u64, |p, v| p.commands = v as u32)),
    Knob::more(Knob::count("aggs", "aggregates", "Customers (partitions)", Unit::Count, (1, 16, 1), 3, "Orders spread over this many customers; the customer id is the message key, one broker partition each.", |p| p.aggregates as u64, |p, v| p.aggregates = v as u32)),
    Knob::more(Knob::percent("cfail", "commit-fail", "DB commit fails", 0, "Chance the service's database refuses the commit; nothing of that transaction is written.", |p| pct_of(p.commit_fail), |p, v| p.commit_fail = frac_of(v))),
    Knob::more(Knob::percent("unavail", "broker-unavailable", "Broker unavailable", 0, "Chance a publish finds the broker down: nothing is stored and the publisher tries again later.", |p| pct_of(p.broker_unavailable), |p, v| p.broker_unavailable = frac_of(v))),
    Knob::more(Knob::percent("dup", "broker-duplicate", "Broker stores a message twice", 0, "Chance the broker stores a published message twice, so it is delivered twice.", |p| pct_of(p.broker_duplicate), |p, v| p.broker_duplicate = frac_of(v))),
    Knob::more(Knob::count("delay", "delay-ms-max", "Delivery delay, max", Unit::Ms, (1, 1_000, 1), 30, "Each delivery waits 1 ms to this long; partitions drift apart, so global order breaks while per-customer order holds.", |p| p.delay_ms_max, |p, v| p.delay_ms_max = v)),
    Knob::more(Knob::count("att", "publish-attempts", "Publish attempts, at most (designs 1, 2)", Unit::Count, (1, 10, 1), 3, "In the dual-write designs the service makes up to this many publish attempts, the first included; a timeout and a refusal look alike to it.", |p| p.publish_attempts_max as u64, |p, v| p.publish_attempts_max = v as u32)),
    Knob::more(Knob::count("dlv", "deliveries-max", "Deliveries before dead-lettering", Unit::Count, (1, 50, 1), 10, "The broker delivers one message at most this many times, then parks it in a dead-letter queue.", |p| p.deliveries_max as u64, |p, v| p.deliveries_max = v as u32)),
    Knob::more(Knob::count("poll", "poll-ms", "Relay poll period (designs 3, 4)", Unit::Ms, (10, 5_000, 10), 100, "The polling relay reads the outbox table this often.", |p| p.poll_ms, |p, v| p.poll_ms = v)),
    Knob::more(Knob::count("oflush", "offset-flush", "Relay offset flush interval (design 5)", Unit::Ms, (0, 10_000, 10), 200, "How often the log-tailing relay stores its offset, as Kafka Connect's offset.flush.interval.ms (60 s by default there); a crash re-sends every row since the last flush. 0 flushes after every publish.", |p| p.offset_flush_ms, |p, v| p.offset_flush_ms = v)),
    Knob::more(Knob::count("batch", "batch", "Relay batch, rows at most", Unit::Count, (1, 1_000, 1), 50, "Rows the relay publishes per read at most.", |p| p.batch_max as u64, |p, v| p.batch_max = v as u32)),
    Knob::more(Knob::count("gap", "gap-ms", "Time between commands", Unit::Ms, (1, 1_000, 1), 20, "Commands arrive this far apart.", |p| p.command_gap_ms, |p, v| p.command_gap_ms = v)),
    Knob::more(Knob::count("horizon", "horizon-ms", "Run horizon", Unit::Ms, (1_000, 3_600_000, 1_000), 120_000, "Nothing happens after this simulated time; work left then is counted as pending.", |p| p.horizon_ms, |p, v| p.horizon_ms = v)),
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
