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
use serde::Serialize;
use std::collections::BTreeSet;

mod lab;
mod params;

pub use lab::DeliveryLab;
pub use params::DeliveryParams;

impl DeliveryParams {
    /// Checks the knobs against the schema, with a message a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        crate::knob::validate(self)
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

    let c = tally(params, attempts, &acked, &gave_up, &applied_count, &trace);
    Ok(DeliveryRun { params: params.clone(), trace, counters: c })
}

/// The run's counters from each message's fate: acked or given up (never
/// both), and how many times its effect applied.
fn tally(
    params: &DeliveryParams,
    attempts: u32,
    acked: &[bool],
    gave_up: &[bool],
    applied_count: &[u32],
    trace: &Trace<DeliveryRecord>,
) -> DeliveryCounters {
    let mut c = DeliveryCounters { intended: params.messages, attempts, ..Default::default() };
    for i in 0..params.messages as usize {
        debug_assert!(!(acked[i] && gave_up[i]), "message {i} is either acked or given up");
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
    debug_assert_eq!(c.distinct_applied + c.never_applied, c.intended, "every message applied or not");
    debug_assert_eq!(
        c.effects_applied,
        c.distinct_applied + c.duplicate_effects,
        "each effect is a first or a duplicate"
    );
    c
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
        assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "ack-loss", .. })));
    }

    proptest! {
        #[test]
        fn retries_with_dedup_apply_every_confirmed_message_exactly_once(
            seed in any::<u64>(), loss in 0u32..60, ack in 0u32..60
        ) {
            let (loss, ack) = (f64::from(loss) / 100.0, f64::from(ack) / 100.0);
            let p = DeliveryParams { messages: 50, message_loss: loss, ack_loss: ack, dedup: true, seed, ..Default::default() };
            let c = run(&p).unwrap().counters;
            prop_assert_eq!(c.duplicate_effects, 0);
            // A confirmed message was applied; dedup cannot invent an effect.
            prop_assert!(c.distinct_applied >= c.sender_confirmed);
            prop_assert_eq!(c.effects_applied, c.distinct_applied);
        }
    }
}
