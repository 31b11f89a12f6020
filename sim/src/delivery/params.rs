//! The delivery demonstration's knobs, declared once: `validate()`, the
//! permalink, `idemlab about` and the About page's controls read this
//! schema.

use crate::knob::{frac_of, pct_of, Knob, Params, Unit};
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

static KNOBS: [Knob<DeliveryParams>; 7] = [
    Knob::switch(
        "retry",
        "retry",
        "Retry on timeout (at-least-once)",
        true,
        "On, the sender sends again after each timeout (at-least-once); off, it gives up after one attempt (at-most-once).",
        |p| u64::from(p.retry),
        |p, v| p.retry = v == 1,
    ),
    Knob::switch(
        "dedup",
        "dedup",
        "Receiver deduplicates by message id",
        false,
        "The receiver remembers the ids it applied and skips a repeat, acknowledging it again.",
        |p| u64::from(p.dedup),
        |p, v| p.dedup = v == 1,
    ),
    Knob::percent(
        "aloss",
        "ack-loss",
        "Acknowledgement loss",
        20,
        "Chance that the receiver's acknowledgement never reaches the sender.",
        |p| pct_of(p.ack_loss),
        |p, v| p.ack_loss = frac_of(v),
    ),
    Knob::percent(
        "mloss",
        "message-loss",
        "Message loss",
        20,
        "Chance that a message never reaches the receiver.",
        |p| pct_of(p.message_loss),
        |p, v| p.message_loss = frac_of(v),
    ),
    Knob::more(Knob::count(
        "msgs",
        "messages",
        "Messages",
        Unit::Count,
        (1, 1_000, 1),
        20,
        "How many messages the sender wants delivered.",
        |p| u64::from(p.messages),
        |p, v| p.messages = v as u32,
    )),
    Knob::more(Knob::count(
        "attempts",
        "attempts",
        "Attempts per message",
        Unit::Count,
        (1, 20, 1),
        8,
        "Attempts at most, the first included, before a retrying sender gives up.",
        |p| u64::from(p.attempts_max),
        |p, v| p.attempts_max = v as u32,
    )),
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
