//! The smallest demonstration of the unit's first point: over a lossy network
//! a sender can choose at-most-once (give up) or at-least-once (retry until
//! acknowledged), never exactly-once. A lost acknowledgement is
//! indistinguishable, for the sender, from a lost message, so a sender that
//! retries will sometimes deliver twice. Deduplication at the receiver turns
//! at-least-once delivery into an effect that happens once.

use crate::error::SimError;
use crate::rng::{entity, SimRng};
use crate::sched::{RunLimits, Scheduler};
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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

impl Default for DeliveryParams {
    fn default() -> Self {
        DeliveryParams {
            messages: 20,
            message_loss: 0.2,
            ack_loss: 0.2,
            retry: true,
            attempts_max: 8,
            dedup: false,
            seed: 1,
        }
    }
}

impl DeliveryParams {
    /// Upper bound on messages per run.
    pub const MESSAGES_MAX: u32 = 10_000;
    /// Upper bound on attempts per message.
    pub const ATTEMPTS_MAX: u32 = 50;

    /// Checks the knobs, with a message a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.messages == 0 || self.messages > Self::MESSAGES_MAX {
            return Err(SimError::InvalidParameter {
                name: "messages",
                reason: format!("must be between 1 and {}", Self::MESSAGES_MAX),
            });
        }
        if self.attempts_max == 0 || self.attempts_max > Self::ATTEMPTS_MAX {
            return Err(SimError::InvalidParameter {
                name: "attempts_max",
                reason: format!("must be between 1 and {}", Self::ATTEMPTS_MAX),
            });
        }
        for (name, p) in [("message_loss", self.message_loss), ("ack_loss", self.ack_loss)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(SimError::InvalidParameter { name, reason: "must be between 0 and 1".into() });
            }
        }
        Ok(())
    }
}

/// Which way a lost packet was travelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    /// Sender to receiver.
    Message,
    /// Receiver back to sender.
    Ack,
}

/// One thing that happened in a delivery run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeliveryRecord {
    /// The sender sent attempt `attempt` of message `msg`.
    Sent { msg: u32, attempt: u32 },
    /// The network dropped a packet.
    Dropped { msg: u32, attempt: u32, leg: Leg },
    /// The receiver got the message and applied its effect.
    Applied { msg: u32, attempt: u32, duplicate: bool },
    /// The receiver got a message it had seen and skipped its effect.
    SkippedDuplicate { msg: u32, attempt: u32 },
    /// The sender got an acknowledgement.
    Acked { msg: u32, attempt: u32 },
    /// The sender's timer fired with no acknowledgement.
    TimedOut { msg: u32, attempt: u32 },
    /// The sender stopped trying.
    GaveUp { msg: u32 },
}

/// Counters of a delivery run: what the sender believes beside what happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryCounters {
    /// Messages the sender wanted delivered.
    pub intended: u32,
    /// Attempts sent over the network.
    pub attempts: u32,
    /// Messages the sender saw acknowledged (what it believes).
    pub sender_confirmed: u32,
    /// Messages the sender gave up on.
    pub sender_gave_up: u32,
    /// Effects the receiver applied, duplicates included.
    pub effects_applied: u32,
    /// Distinct messages whose effect was applied at least once.
    pub distinct_applied: u32,
    /// Effects applied more than once for the same message.
    pub duplicate_effects: u32,
    /// Duplicates the receiver recognised and skipped.
    pub duplicates_skipped: u32,
    /// Messages whose effect never happened.
    pub never_applied: u32,
    /// Messages the sender gave up on although the receiver had applied them.
    pub gave_up_but_applied: u32,
}

/// A finished delivery run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeliveryRun {
    /// The knobs it ran with.
    pub params: DeliveryParams,
    /// Everything that happened, in order.
    pub trace: Trace<DeliveryRecord>,
    /// The evidence.
    pub counters: DeliveryCounters,
}

#[derive(Debug)]
enum Event {
    Send { msg: u32, attempt: u32 },
    Arrive { msg: u32, attempt: u32 },
    AckArrive { msg: u32, attempt: u32 },
    Timeout { msg: u32, attempt: u32 },
}

/// One-way network delay bounds, and the sender's timeout, in microseconds.
const HOP_US_MIN: u64 = 5_000;
const HOP_US_MAX: u64 = 15_000;
const TIMEOUT: SimDuration = SimDuration::from_ms(40);
/// Messages start 2 ms apart so the timeline reads left to right.
const SEND_SPACING: SimDuration = SimDuration::from_ms(2);

/// Runs the delivery demonstration.
pub fn run(params: &DeliveryParams) -> Result<DeliveryRun, SimError> {
    params.validate()?;
    let mut net = SimRng::stream(params.seed, entity::NETWORK);
    let mut sched = Scheduler::new(RunLimits::default());
    let mut trace = Trace::with_limit(20_000);
    let n = params.messages as usize;
    let mut acked = vec![false; n];
    let mut applied_count = vec![0u32; n];
    let mut seen: BTreeSet<u32> = BTreeSet::new();
    let mut attempts = 0u32;
    let mut gave_up = vec![false; n];

    for msg in 0..params.messages {
        sched.schedule_at(
            SimTime::ZERO + SimDuration(SEND_SPACING.0 * u64::from(msg)),
            Event::Send { msg, attempt: 1 },
        )?;
    }
    while let Some((now, ev)) = sched.pop()? {
        match ev {
            Event::Send { msg, attempt } => {
                attempts += 1;
                trace.push(now, DeliveryRecord::Sent { msg, attempt });
                sched.schedule_in(TIMEOUT, Event::Timeout { msg, attempt })?;
                if net.chance(params.message_loss) {
                    trace.push(now, DeliveryRecord::Dropped { msg, attempt, leg: Leg::Message });
                } else {
                    let hop = SimDuration(net.between_u64(HOP_US_MIN, HOP_US_MAX));
                    sched.schedule_in(hop, Event::Arrive { msg, attempt })?;
                }
            }
            Event::Arrive { msg, attempt } => {
                let i = msg as usize;
                if params.dedup && !seen.insert(msg) {
                    trace.push(now, DeliveryRecord::SkippedDuplicate { msg, attempt });
                } else {
                    applied_count[i] += 1;
                    trace.push(now, DeliveryRecord::Applied { msg, attempt, duplicate: applied_count[i] > 1 });
                }
                // The receiver acknowledges every copy, duplicates included:
                // the sender needs an answer either way.
                if net.chance(params.ack_loss) {
                    trace.push(now, DeliveryRecord::Dropped { msg, attempt, leg: Leg::Ack });
                } else {
                    let hop = SimDuration(net.between_u64(HOP_US_MIN, HOP_US_MAX));
                    sched.schedule_in(hop, Event::AckArrive { msg, attempt })?;
                }
            }
            Event::AckArrive { msg, attempt } => {
                let i = msg as usize;
                if !acked[i] && !gave_up[i] {
                    acked[i] = true;
                    trace.push(now, DeliveryRecord::Acked { msg, attempt });
                }
            }
            Event::Timeout { msg, attempt } => {
                let i = msg as usize;
                if acked[i] || gave_up[i] {
                    continue;
                }
                trace.push(now, DeliveryRecord::TimedOut { msg, attempt });
                if params.retry && attempt < params.attempts_max {
                    sched.schedule_in(SimDuration::ZERO, Event::Send { msg, attempt: attempt + 1 })?;
                } else {
                    gave_up[i] = true;
                    trace.push(now, DeliveryRecord::GaveUp { msg });
                }
            }
        }
    }

    let mut c = DeliveryCounters { intended: params.messages, attempts, ..Default::default() };
    for i in 0..n {
        c.sender_confirmed += u32::from(acked[i]);
        c.sender_gave_up += u32::from(gave_up[i]);
        c.effects_applied += applied_count[i];
        c.distinct_applied += u32::from(applied_count[i] > 0);
        c.duplicate_effects += applied_count[i].saturating_sub(1);
        c.never_applied += u32::from(applied_count[i] == 0);
        c.gave_up_but_applied += u32::from(gave_up[i] && applied_count[i] > 0);
    }
    c.duplicates_skipped =
        trace.records().iter().filter(|r| matches!(r.record, DeliveryRecord::SkippedDuplicate { .. })).count() as u32;
    Ok(DeliveryRun { params: params.clone(), trace, counters: c })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_same_seed_gives_the_same_trace() {
        let p = DeliveryParams { messages: 200, ..Default::default() };
        assert_eq!(run(&p).unwrap().trace.stable_hash(), run(&p).unwrap().trace.stable_hash());
    }

    #[test]
    fn at_least_once_without_dedup_applies_some_effect_twice() {
        let p = DeliveryParams { messages: 200, dedup: false, ..Default::default() };
        let c = run(&p).unwrap().counters;
        assert!(c.duplicate_effects > 0, "{c:?}");
    }

    #[test]
    fn at_most_once_loses_some_effects() {
        let p = DeliveryParams { messages: 200, retry: false, ..Default::default() };
        let c = run(&p).unwrap().counters;
        assert!(c.never_applied > 0, "{c:?}");
        assert_eq!(c.duplicate_effects, 0);
    }

    #[test]
    fn bad_knobs_are_refused_with_a_reason() {
        let p = DeliveryParams { messages: 0, ..Default::default() };
        assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "messages", .. })));
        let p = DeliveryParams { ack_loss: f64::NAN, ..Default::default() };
        assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "ack_loss", .. })));
    }

    proptest! {
        #[test]
        fn retries_with_dedup_apply_every_confirmed_message_exactly_once(
            seed in any::<u64>(), loss in 0.0f64..0.6, ack in 0.0f64..0.6
        ) {
            let p = DeliveryParams { messages: 50, message_loss: loss, ack_loss: ack, dedup: true, seed, ..Default::default() };
            let c = run(&p).unwrap().counters;
            prop_assert_eq!(c.duplicate_effects, 0);
            // A confirmed message was applied; dedup cannot invent an effect.
            prop_assert!(c.distinct_applied >= c.sender_confirmed);
            prop_assert_eq!(c.effects_applied, c.distinct_applied);
        }
    }
}
