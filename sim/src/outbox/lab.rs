//! `OutboxLab`: the Outbox engine under the lab contract, with its evidence
//! counters and the sources of its modelling choices.

use super::{presets::PRESETS, run, OutboxParams, OutboxRun};
use crate::error::SimError;
use crate::lab::{Counter, Figure, Lab, Preset, Source};

/// The Outbox lab under the engine contract.
pub struct OutboxLab;

impl Lab for OutboxLab {
    type Params = OutboxParams;
    type Run = OutboxRun;
    /// The predict-first switch (`predict=0` turns it off), a lock name like Races'.
    const EXTRA_KEYS: &'static [&'static str] = &["predict"];
    const RENAMED_KEYS: &'static [(&'static str, &'static str)] = &[("mode", "design")];

    fn presets() -> &'static [Preset] {
        &PRESETS
    }

    fn run(params: &OutboxParams) -> Result<OutboxRun, SimError> {
        run(params)
    }

    fn counters(run: &OutboxRun) -> Vec<Counter> {
        counters(run)
    }

    fn trace_hash(run: &OutboxRun) -> u64 {
        run.trace.stable_hash()
    }

    fn sources() -> &'static [Source] {
        &SOURCES
    }
}

/// The modelling choices of the Outbox lab and where each comes from.
static SOURCES: [Source; 11] = [
    Source {
        choice: "Two independent writes (commit the order, publish the event) are never atomic: committing first loses the event when the service dies in between, publishing first emits an event for an order that never commits (a ghost).",
        reference: "Chris Richardson, microservices.io, pattern \"Transactional outbox\" (the dual-write problem it solves)",
        simplification: Some("The service crashes only between its two writes; a crash anywhere else is like a failed request."),
    },
    Source {
        choice: "In the outbox designs the order row and the outbox row commit in one local transaction; a crash or failed commit rolls both back.",
        reference: "microservices.io, \"Transactional outbox\"; Debezium documentation, \"Outbox Event Router\"",
        simplification: None,
    },
    Source {
        choice: "The outbox table has the columns Debezium's outbox event router reads: id (the consumer's dedup id), aggregatetype (the topic), aggregateid (the message key), type and payload.",
        reference: "Debezium documentation, \"Outbox Event Router\" (default column names)",
        simplification: Some("Rows stay in the table. The polling relay marks them sent; the log-tailing relay leaves them untouched (with Debezium an application often deletes them at once, since the log already holds them)."),
    },
    Source {
        choice: "The polling relay publishes a row and then marks it sent; a crash in between, or a publish whose ack was lost, sends the row again. Delivery is at least once.",
        reference: "microservices.io, pattern \"Polling publisher\"",
        simplification: Some("The relay polls at a fixed period and stops a batch at the first failure."),
    },
    Source {
        choice: "The log-tailing relay reads commits from the database's log and never writes to the outbox table: its progress is an offset, kept in memory and flushed at an interval (a knob). A crash restarts it at the last flushed offset, so every row published since then is published again.",
        reference: "Debezium documentation, PostgreSQL connector (offsets stored by Kafka Connect); Kafka Connect worker setting offset.flush.interval.ms (60 s by default)",
        simplification: Some("The default interval is far shorter than Kafka Connect's 60 s, so a short run shows it; a flush happens when due after a publish, or on a timer."),
    },
    Source {
        choice: "In the dual-write designs the service makes a limited number of publish attempts (a knob, the first attempt included); a timeout and a refusal look alike to it. In design 1 a lost ack on the last attempt tells the client \"failed\" for an order that ships; in design 2 a lost ack followed by an acked retry is a duplicate, and only a service that gives up, or dies before its commit, leaves a ghost.",
        reference: "The lab's own model of a publisher that cannot tell a lost ack from a refusal (Kafka's producer documentation: a retry after a lost ack can write the message twice unless the producer is idempotent)",
        simplification: Some("The publisher is not an idempotent producer, so the broker keeps both copies."),
    },
    Source {
        choice: "The broker keeps one partition per customer (the aggregateid key) and hands a partition's next message to the consumer only after the previous one was acked: order holds per customer, not across customers.",
        reference: "Debezium documentation, \"Outbox Event Router\" (aggregateid as the message key); Apache Kafka documentation, partitions and ordering",
        simplification: Some("One consumer, one message in flight per partition; a message is dead-lettered after a set number of deliveries. Each customer has a partition of its own; Kafka hashes keys onto a fixed number of partitions, so customers share partitions and one customer's stuck message also holds up the others on its partition."),
    },
    Source {
        choice: "The idempotent consumer inserts (consumer, message id) into an inbox table with a primary key in the same transaction as its effect; a duplicate hits the key and its effect is skipped.",
        reference: "microservices.io, pattern \"Idempotent consumer\"",
        simplification: None,
    },
    Source {
        choice: "Two inbox variants that break the rule, to show why it matters: mark first (the inbox row commits, then the effect; a crash between loses the effect, since the retry finds the row and skips) and apply first (the effect commits, then the inbox row; a crash between applies the effect twice).",
        reference: "microservices.io, \"Idempotent consumer\" (the inbox row and the effect share one transaction)",
        simplification: Some("A consumer crash before its commit strikes between the two transactions of a split inbox, and before the one transaction otherwise."),
    },
    Source {
        choice: "Lag is measured per design: outbox lag from commit to first publish in designs 3 to 5, publish latency from receipt to first publish in designs 1 and 2, where there is no outbox.",
        reference: "The lab's own accounting",
        simplification: None,
    },
    Source {
        choice: "An order's event is lost when it committed, was never published and is not waiting in the outbox; an order is never shipped when it committed, got no effect and nothing is pending (outbox, broker or dead-letter queue). A row still unsent when the run ends is pending: the relay would still send it. Nothing happens after the horizon, so every run ends.",
        reference: "The lab's own accounting",
        simplification: Some("Database and broker never lose committed data; only the three processes crash."),
    },
];

/// The evidence counters of a run, in display order.
pub fn counters(r: &OutboxRun) -> Vec<Counter> {
    let c = &r.counters;
    let n = |x: u32| Figure::Count(u64::from(x));
    let dual = !r.params.mode.uses_outbox();
    let (lag_mean, lag_max) = if dual {
        ("Publish latency, mean (receipt → first publish)", "Publish latency, max")
    } else {
        ("Outbox lag, mean (commit → first publish)", "Outbox lag, max")
    };
    vec![
        Counter::new("commands", "Commands sent", n(c.commands)),
        Counter::new("accepted", "Orders committed (evidence)", n(c.commands_accepted)),
        Counter::new("believed", "Service believes published", n(c.service_believes_published)),
        Counter::new("events_lost", "Events lost: committed, never published", n(c.events_lost))
            .bad_if(c.events_lost > 0),
        Counter::new("ghost_events", "Ghost events: published, order never committed", n(c.ghost_events))
            .bad_if(c.ghost_events > 0),
        Counter::new("effects_lost", "Orders never shipped, nothing pending", n(c.effects_lost))
            .bad_if(c.effects_lost > 0),
        Counter::new("told_failed_but_shipped", "Client told \"failed\", but shipped", n(c.told_failed_but_shipped))
            .bad_if(c.told_failed_but_shipped > 0),
        Counter::new("duplicate_deliveries", "Duplicate deliveries", n(c.duplicate_deliveries)),
        Counter::new("duplicate_effects", "Duplicate effects applied", n(c.duplicate_effects))
            .bad_if(c.duplicate_effects > 0),
        Counter::new("dedup_hits", "Inbox dedup hits", n(c.inbox_dedup_hits)),
        Counter::new("lag_mean", lag_mean, Figure::Ms(c.relay_lag_ms_mean as f64)),
        Counter::new("lag_max", lag_max, Figure::Ms(c.relay_lag_ms_max as f64)),
        Counter::new("outbox_pending", "Outbox rows still unsent", n(c.outbox_pending)).bad_if(c.outbox_pending > 0),
        Counter::new("reordered", "Deliveries out of global order", n(c.reordered_deliveries)),
        Counter::new("order_violations", "Per-customer order violations", n(c.aggregate_order_violations))
            .bad_if(c.aggregate_order_violations > 0),
    ]
}
