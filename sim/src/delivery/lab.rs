//! The delivery demonstration under the engine contract: its presets, its
//! counters and the sources of its modelling choices.

use super::{DeliveryCounters, DeliveryParams, DeliveryRun};
use crate::error::SimError;
use crate::lab::{Counter, Figure, Lab, Preset, Source};

/// The About page's demonstration as a lab.
pub struct DeliveryLab;

/// Every preset; the first is the schema's defaults, the landing setup.
pub static PRESETS: [Preset; 3] = [
    Preset {
        slug: "at-least-once",
        title: "At-least-once: retry, no dedup",
        chip: "At-least-once: retry, no dedup",
        lesson: "The sender retries until it hears an acknowledgement. A lost acknowledgement looks like a lost message, so the receiver gets some messages twice and applies their effect twice.",
        buggy: true,
        key_counter: "duplicate_effects",
        knobs: &[],
    },
    Preset {
        slug: "at-most-once",
        title: "At-most-once: no retry",
        chip: "At-most-once: no retry",
        lesson: "The sender sends each message once and gives up at its timeout. Nothing is applied twice, but every lost message is an effect that never happens.",
        buggy: true,
        key_counter: "never_applied",
        knobs: &[("retry", "0")],
    },
    Preset {
        slug: "effectively-once",
        title: "Effectively-once: retry + dedup",
        chip: "Effectively-once: retry + dedup",
        lesson: "The sender retries and the receiver remembers the ids it applied: a repeat is acknowledged again but not applied. Every acknowledged message took effect exactly once.",
        buggy: false,
        key_counter: "duplicate_effects",
        knobs: &[("dedup", "1")],
    },
];

/// The modelling choices of the demonstration.
pub static SOURCES: [Source; 3] = [
    Source {
        choice: "The sender learns of a delivery only through an acknowledgement; when none comes before its timeout it either gives up (at-most-once) or sends again (at-least-once).",
        reference: "The lab's reference notes (FACTS.md), 'Outbox and inbox': delivery over a lossy hop is at least once, so duplicates are normal.",
        simplification: Some("One sender, one receiver, a fixed 40 ms timeout and a one-way delay drawn uniformly from 5 to 15 ms; a retry goes out at once, with no backoff."),
    },
    Source {
        choice: "With dedup on, the receiver records each message id it applied and skips a repeat, acknowledging it again so the sender can stop.",
        reference: "Idempotent consumer (inbox): the id goes into a processed-messages table with a primary key, in the same transaction as the effect (FACTS.md, 'Outbox and inbox').",
        simplification: Some("Recording the id and applying the effect are one atomic step and the memory never expires; the Outbox lab shows an inbox outside the effect's transaction."),
    },
    Source {
        choice: "At-least-once delivery plus deduplication gives an effect that happens once: effectively once, never exactly-once delivery.",
        reference: "FACTS.md, 'Outbox and inbox': at-least-once delivery plus dedup = effectively once.",
        simplification: None,
    },
];

impl Lab for DeliveryLab {
    type Params = DeliveryParams;
    type Run = DeliveryRun;

    fn presets() -> &'static [Preset] {
        &PRESETS
    }

    fn run(params: &DeliveryParams) -> Result<DeliveryRun, SimError> {
        super::run(params)
    }

    fn counters(run: &DeliveryRun) -> Vec<Counter> {
        counters(&run.counters)
    }

    fn trace_hash(run: &DeliveryRun) -> u64 {
        run.trace.stable_hash()
    }

    fn sources() -> &'static [Source] {
        &SOURCES
    }
}

/// The evidence counters of a delivery run, in display order.
pub fn counters(c: &DeliveryCounters) -> Vec<Counter> {
    let n = |x: u32| Figure::Count(u64::from(x));
    vec![
        Counter::new("intended", "Messages intended", n(c.intended)),
        Counter::new("attempts", "Attempts sent", n(c.attempts)),
        Counter::new("confirmed", "Sender saw acknowledged", n(c.sender_confirmed)),
        Counter::new("applied", "Effects applied", n(c.effects_applied)),
        Counter::new("duplicate_effects", "Effects applied twice or more", n(c.duplicate_effects))
            .bad_if(c.duplicate_effects > 0),
        Counter::new("never_applied", "Messages never applied", n(c.never_applied)).bad_if(c.never_applied > 0),
        Counter::new("gave_up_but_applied", "Given up on, but applied", n(c.gave_up_but_applied)),
        Counter::new("dedup_hits", "Duplicates skipped by dedup", n(c.duplicates_skipped)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knob::Params;

    #[test]
    fn the_first_preset_is_the_schemas_defaults() {
        assert_eq!(DeliveryLab::preset_params(&PRESETS[0]), DeliveryParams::defaults());
    }

    #[test]
    fn every_preset_shows_its_lesson_on_its_key_counter() {
        for pr in DeliveryLab::presets() {
            let run = DeliveryLab::run(&DeliveryLab::preset_params(pr)).unwrap();
            let c = &run.counters;
            let shows = match pr.slug {
                "at-least-once" => c.duplicate_effects > 0,
                "at-most-once" => c.never_applied > 0 && c.duplicate_effects == 0,
                "effectively-once" => c.duplicate_effects == 0 && c.duplicates_skipped > 0,
                other => panic!("no check for preset {other}"),
            };
            assert!(shows, "{}: {c:?}", pr.slug);
            assert!(DeliveryLab::counters(&run).iter().any(|k| k.id == pr.key_counter), "{}", pr.slug);
        }
    }
}
