//! `OutboxLab`: the Outbox engine under the lab contract, with its evidence
//! counters and the sources of its modelling choices.

use super::{presets::PRESETS, run, OutboxParams, OutboxRun};
use crate::error::SimError;
use crate::lab::{Counter, Figure, Lab, Preset, Source};

/// The Outbox lab under the engine contract.
pub struct OutboxLab;

impl Lab for OutboxLab {
    const SLUG: &'static str = "outbox";
    type Params = OutboxParams;
    type Run = OutboxRun;

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
static SOURCES: [Source; 7] = [
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
        simplification: Some("Rows stay in the table and are marked sent; with Debezium an application usually deletes them, since the log already holds them."),
    },
    Source {
        choice: "The polling relay publishes a row and then marks it sent; a crash in between, or a publish whose ack was lost, sends the row again. Delivery is at least once.",
        reference: "microservices.io, pattern \"Polling publisher\"",
        simplification: Some("The relay polls at a fixed period and stops a batch at the first failure."),
    },
    Source {
        choice: "The broker keeps one partition per customer (the aggregateid key) and hands a partition's next message to the consumer only after the previous one was acked: order holds per customer, not across customers.",
        reference: "Debezium documentation, \"Outbox Event Router\" (aggregateid as the message key); Apache Kafka documentation, partitions and ordering",
        simplification: Some("One consumer, one message in flight per partition; a message is dead-lettered after a set number of deliveries."),
    },
    Source {
        choice: "The idempotent consumer inserts (consumer, message id) into an inbox table with a primary key in the same transaction as its effect; a duplicate hits the key and its effect is skipped.",
        reference: "microservices.io, pattern \"Idempotent consumer\"",
        simplification: None,
    },
    Source {
        choice: "A row still in the outbox when the run ends is pending, not lost: the relay would still send it. Nothing happens after the horizon, so every run ends.",
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
