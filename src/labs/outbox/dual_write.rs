//! Outbox's second predict-first question: the dual write (designs 1 and 2)
//! fails between its two writes. One write has happened (the order row
//! committed, or the event stored in the broker) and the other never will:
//! the service crashes, or the database refuses the commit. The question
//! stands in front of that failure; the answer is the order's fate as the
//! run counted it (lost, a ghost shipment, or the writes still agreeing).

use crate::shell::Question;
use idemlab_sim::outbox::{CrashPoint, OutboxRecord, OutboxRun, Publisher};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "The event is lost: the order stays in the database, nobody publishes its event, and it never ships.",
    "The consumer ships an order that was never committed: a ghost shipment.",
    "The order ships once: the two writes still agree.",
    "Nothing ships and no order is stored: the two writes still agree.",
];

/// Indexes into [`CHOICES`].
const LOST: usize = 0;
const GHOST: usize = 1;
const ONCE: usize = 2;
const NEITHER: usize = 3;

/// The first write of `cmd` done before `at`: the order row committed
/// (`true`) or its event stored by the service (`false`).
fn first_write(recs: &[idemlab_sim::trace::Stamped<OutboxRecord>], cmd: u32, at: usize) -> Option<bool> {
    recs[..at].iter().rev().find_map(|s| match s.record {
        OutboxRecord::OrderCommitted { cmd: c, .. } if c == cmd => Some(true),
        OutboxRecord::Published { by: Publisher::Service, msg, .. }
        | OutboxRecord::PublishAckLost { by: Publisher::Service, msg, .. }
            if msg == cmd =>
        {
            Some(false)
        }
        _ => None,
    })
}

/// The question about the run's first failure between the two writes of a
/// dual write, when one write had already happened; `None` otherwise (an
/// outbox design, or no such failure).
pub fn question(run: &OutboxRun) -> Option<Question> {
    if run.params.mode.uses_outbox() {
        return None;
    }
    let recs = run.trace.records();
    let (at, cmd, order_first, crash) = recs.iter().enumerate().find_map(|(i, s)| {
        let (cmd, crash) = match s.record {
            OutboxRecord::ServiceCrashed { cmd, point: CrashPoint::BetweenWrites } => (cmd, true),
            OutboxRecord::CommitFailed { cmd } => (cmd, false),
            _ => return None,
        };
        first_write(recs, cmd, i).map(|order_first| (i, cmd, order_first, crash))
    })?;
    let fate = run.orders.get(cmd.checked_sub(1)? as usize).copied()?;
    let answer = match (fate.accepted, fate.effects) {
        (true, 0) if !fate.pending => LOST,
        (false, 1..) => GHOST,
        (true, 1..) => ONCE,
        (false, 0) => NEITHER,
        // Still on its way when the run ended: no fate the choices name.
        (true, 0) => return None,
    };
    let step = at + 1;
    let failure = if crash { "the service crashes" } else { "the database refuses the order's commit" };
    let question = if order_first {
        format!("Order #{cmd} has committed in the service's database; its event is not published yet. Now {failure}, between the two writes. What becomes of order #{cmd}?")
    } else {
        format!("Order #{cmd}'s event is already in the broker; the order row is not committed yet. Now {failure}, between the two writes. What becomes of order #{cmd}?")
    };
    let applied_at = recs
        .iter()
        .position(|s| matches!(s.record, OutboxRecord::EffectApplied { msg, .. } if msg == cmd))
        .map(|i| i + 1);
    let told = match fate.told {
        Some(true) => " Its client was told the order was placed.",
        Some(false) => " Its client was told the order failed.",
        None => "",
    };
    let explain = match (answer, applied_at) {
        (LOST, _) => format!(
            "The order row committed, then {failure} before the event was published (step {step}). Nothing else knew the event was owed, so no retry can find it: order #{cmd} is in the database and never ships.{told}"
        ),
        (GHOST, Some(a)) => format!(
            "The event was stored before the order existed, and {failure} (step {step}), so order #{cmd} was never committed; the consumer shipped it anyway at step {a}: a ghost.{told}"
        ),
        (ONCE, _) => format!("Order #{cmd} committed and its event was applied once, in spite of the failure at step {step}."),
        _ => format!(
            "Neither write of order #{cmd} survived the failure at step {step}: no order row, no event applied, and the two agree."
        ),
    };
    Some(Question { id: "outbox-dual-write".into(), question, choices: CHOICES.to_vec(), answer, explain, step })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::lab::Lab;
    use idemlab_sim::outbox::OutboxLab;

    fn run_of(slug: &str) -> OutboxRun {
        OutboxLab::run(&OutboxLab::preset_params(OutboxLab::preset(slug).expect("preset"))).expect("run")
    }

    #[test]
    fn commit_then_publish_asks_at_the_crash_and_the_run_says_the_event_is_lost() {
        let run = run_of("lost");
        let q = question(&run).expect("a crash between the writes");
        assert_eq!(q.answer, LOST, "{}", q.explain);
        assert!(matches!(run.trace.records()[q.step - 1].record, OutboxRecord::ServiceCrashed { .. }));
        assert!(q.question.contains("has committed"), "{}", q.question);
    }

    #[test]
    fn publish_then_commit_asks_at_its_first_failure_and_the_run_ships_a_ghost() {
        let run = run_of("ghost");
        let q = question(&run).expect("a failure after the publish");
        assert_eq!(q.answer, GHOST, "{}", q.explain);
        assert!(q.question.contains("already in the broker"), "{}", q.question);
        let applied = q.explain.contains("shipped it anyway");
        assert!(applied, "{}", q.explain);
    }

    #[test]
    fn an_outbox_design_asks_nothing_here() {
        assert_eq!(question(&run_of("duplicates")), None);
    }
}
