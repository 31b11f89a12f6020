//! The delivery demonstration's knobs, declared once: `validate()`, the
//! permalink, `idemlab delivery` and the About page's controls read this
//! schema.

use crate::knob::{Group, Knob, KnobKind, Params, Unit};
use serde::{Deserialize, Serialize};

/// Knobs of the delivery demonstration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryParams {
    /// Messages the sender wants delivered.
    pub messages: u32,
    /// Chance that a message is lost on its way to the receiver, 0 to 1.
    pub message_loss: f64,
    /// Chance that an acknowledgement is lost on its way back, 0 to 1.
    pub ack_loss: f64,
    /// Whether the sender retries after a timeout (at-least-once) or gives up (at-most-once).
    pub retry: bool,
    /// Attempts per message at most, the first included.
    pub attempts_max: u32,
    /// Whether the receiver remembers message ids and skips duplicates.
    pub dedup: bool,
    /// The seed of the run.
    pub seed: u64,
}

fn pct_of(f: f64) -> u64 {
    (f * 100.0).round() as u64
}

fn frac_of(v: u64) -> f64 {
    v as f64 / 100.0
}

static KNOBS: [Knob<DeliveryParams>; 7] = [
    Knob {
        key: "retry",
        flag: "retry",
        label: "Retry on timeout (at-least-once)",
        unit: Unit::Count,
        kind: KnobKind::Flag,
        default: 1,
        group: Group::Main,
        help: "On, the sender sends again after each timeout (at-least-once); off, it gives up after one attempt (at-most-once).",
        get: |p| u64::from(p.retry),
        set: |p, v| p.retry = v == 1,
    },
    Knob {
        key: "dedup",
        flag: "dedup",
        label: "Receiver deduplicates by message id",
        unit: Unit::Count,
        kind: KnobKind::Flag,
        default: 0,
        group: Group::Main,
        help: "The receiver remembers the ids it applied and skips a repeat, acknowledging it again.",
        get: |p| u64::from(p.dedup),
        set: |p, v| p.dedup = v == 1,
    },
    Knob {
        key: "aloss",
        flag: "ack-loss",
        label: "Acknowledgement loss",
        unit: Unit::Percent,
        kind: KnobKind::Percent,
        default: 20,
        group: Group::Main,
        help: "Chance that the receiver's acknowledgement never reaches the sender.",
        get: |p| pct_of(p.ack_loss),
        set: |p, v| p.ack_loss = frac_of(v),
    },
    Knob {
        key: "mloss",
        flag: "message-loss",
        label: "Message loss",
        unit: Unit::Percent,
        kind: KnobKind::Percent,
        default: 20,
        group: Group::Main,
        help: "Chance that a message never reaches the receiver.",
        get: |p| pct_of(p.message_loss),
        set: |p, v| p.message_loss = frac_of(v),
    },
    Knob {
        key: "msgs",
        flag: "messages",
        label: "Messages",
        unit: Unit::Count,
        kind: KnobKind::Int { min: 1, max: 1_000, step: 1 },
        default: 20,
        group: Group::More,
        help: "How many messages the sender wants delivered.",
        get: |p| u64::from(p.messages),
        set: |p, v| p.messages = v as u32,
    },
    Knob {
        key: "attempts",
        flag: "attempts",
        label: "Attempts per message",
        unit: Unit::Count,
        kind: KnobKind::Int { min: 1, max: 20, step: 1 },
        default: 8,
        group: Group::More,
        help: "Attempts at most, the first included, before a retrying sender gives up.",
        get: |p| u64::from(p.attempts_max),
        set: |p, v| p.attempts_max = v as u32,
    },
    crate::seed_knob!(1),
];

impl Params for DeliveryParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn base() -> Self {
        DeliveryParams {
            messages: 1,
            message_loss: 0.0,
            ack_loss: 0.0,
            retry: true,
            attempts_max: 1,
            dedup: false,
            seed: 0,
        }
    }
}

impl Default for DeliveryParams {
    fn default() -> Self {
        Self::defaults()
    }
}
