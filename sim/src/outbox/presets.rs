//! One preset per design, as knob overrides over the schema's defaults
//! (`params.rs`). The first, the outbox with an inbox under relay and
//! consumer crashes, is the schema's defaults themselves: the landing setup.
//! The dual-write presets turn the relay and consumer faults off (those
//! designs have no relay) and crash the service between its writes instead.

use super::OutboxCounters;
use crate::lab::Preset;

/// Every preset, in the order the lab shows them; the first is the landing setup.
pub static PRESETS: [Preset; 7] = [
    Preset {
        slug: "inbox",
        title: "4 · Outbox, polling relay, inbox",
        chip: "4 · Outbox, polling relay, inbox",
        lesson: "Relay and consumer crashes deliver events twice; the inbox row (consumer, message id) is inserted in the effect's own transaction, so every duplicate hits the primary key and is skipped. At-least-once delivery plus dedup gives one effect per order.",
        buggy: false,
        key_counter: "duplicate_effects",
        knobs: &[],
    },
    Preset {
        slug: "lost",
        title: "1 · Commit, then publish",
        chip: "1 · Commit, then publish",
        lesson: "The order commits, the service dies before publishing, and nobody ever sends the event: it is lost, and no retry can find it.",
        buggy: true,
        key_counter: "events_lost",
        knobs: &[("design", "1"), ("crash", "15"), ("acklost", "0"), ("rcrash", "0"), ("ccrash", "0")],
    },
    Preset {
        slug: "ghost",
        title: "2 · Publish, then commit",
        chip: "2 · Publish, then commit",
        lesson: "The event goes out first; when the service then dies or its commit fails, the consumer ships an order that does not exist: a ghost.",
        buggy: true,
        key_counter: "ghost_events",
        knobs: &[("design", "2"), ("crash", "15"), ("cfail", "5"), ("acklost", "0"), ("rcrash", "0"), ("ccrash", "0")],
    },
    Preset {
        slug: "duplicates",
        title: "3 · Outbox, polling relay, no dedup",
        chip: "3 · Outbox, polling relay, no dedup",
        lesson: "Order and outbox row commit together, so nothing is lost or invented; but the relay publishes before it marks, and the consumer acks after its effect, so events arrive twice and are applied twice.",
        buggy: true,
        key_counter: "duplicate_effects",
        knobs: &[("design", "3")],
    },
    Preset {
        slug: "tailing",
        title: "5 · Outbox, log tailing, inbox",
        chip: "5 · Outbox, log tailing, inbox",
        lesson: "A relay that tails the database log (as Debezium does) picks a commit up within milliseconds instead of waiting for the next poll, so the outbox lag drops. It never writes to the outbox table: it keeps an offset and flushes it now and then, so a crash sends every row since the last flush again. The inbox absorbs them all.",
        buggy: false,
        key_counter: "duplicate_effects",
        knobs: &[("design", "5")],
    },
    Preset {
        slug: "mark-first",
        title: "4 · Outbox, polling relay, inbox – marked first (bug)",
        chip: "4 · Outbox, polling relay, inbox – marked first (bug)",
        lesson: "The consumer commits its inbox row, then the effect, in two transactions. A crash between them leaves the row without the effect; the redelivery finds the row and skips: the order never ships.",
        buggy: true,
        key_counter: "effects_lost",
        knobs: &[("inbox", "mark-first"), ("ccrashb", "20")],
    },
    Preset {
        slug: "apply-first",
        title: "4 · Outbox, polling relay, inbox – applied first (bug)",
        chip: "4 · Outbox, polling relay, inbox – applied first (bug)",
        lesson: "The consumer commits the effect, then its inbox row, in two transactions. A crash between them leaves the effect without the row; the redelivery finds no row and ships again.",
        buggy: true,
        key_counter: "duplicate_effects",
        knobs: &[("inbox", "apply-first"), ("ccrashb", "20")],
    },
];

/// Whether `c` shows what the preset `slug` is about.
pub fn shows_its_point(slug: &str, c: &OutboxCounters) -> bool {
    match slug {
        "lost" => c.events_lost > 0,
        "ghost" => c.ghost_events > 0,
        "duplicates" => c.duplicate_effects > 0,
        "inbox" | "tailing" => c.duplicate_effects == 0 && c.effects_lost == 0 && c.inbox_dedup_hits > 0,
        "mark-first" => c.effects_lost > 0,
        "apply-first" => c.duplicate_effects > 0,
        _ => false,
    }
}
