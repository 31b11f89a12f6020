//! About's predict-first question: what happens to a message's effect at the
//! run's decisive moment. With retries, the first copy of a message the
//! receiver had already applied (applied again, or skipped by a receiver
//! that remembers ids); without, the first message the sender gives up on
//! (applied once before its acknowledgement was lost, or never). Read from
//! the run's trace: the answer is what the receiver did.

use crate::shell::Question;
use idemlab_sim::delivery::{DeliveryRecord, DeliveryRun, Leg};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "It happens twice: the receiver applies the copy again.",
    "It happens once: the receiver remembers the message id and skips the copy.",
    "It never happens: no attempt reached the receiver.",
    "It happens once: an attempt was applied, and only its acknowledgement was lost.",
];

/// Indexes into [`CHOICES`].
const TWICE: usize = 0;
const SKIPPED: usize = 1;
const NEVER: usize = 2;
const ONCE: usize = 3;

/// The question about the run's first decisive record, when it has one.
/// Messages are numbered from 1, as the strip shows them.
pub fn question(run: &DeliveryRun) -> Option<Question> {
    let recs = run.trace.records();
    let (at, msg, attempt, copy) = recs.iter().enumerate().find_map(|(i, s)| match s.record {
        DeliveryRecord::Applied { msg, attempt, duplicate: true } => Some((i, msg, attempt, Some(TWICE))),
        DeliveryRecord::SkippedDuplicate { msg, attempt } => Some((i, msg, attempt, Some(SKIPPED))),
        DeliveryRecord::GaveUp { msg } => Some((i, msg, 0, None)),
        _ => None,
    })?;
    let (n, step) = (msg + 1, at + 1);
    let before = &recs[..at];
    let applied_at = before
        .iter()
        .position(|s| matches!(s.record, DeliveryRecord::Applied { msg: m, .. } if m == msg))
        .map(|i| i + 1);
    let (question, answer, explain) = match (copy, applied_at) {
        (Some(answer), first) => {
            let first = first.map_or_else(String::new, |f| format!(" (step {f})"));
            let explain = if answer == TWICE {
                format!("Nothing at the receiver remembers message #{n}: attempt {attempt} was applied again (step {step}), so its effect happened twice, and the sender cannot tell.")
            } else {
                format!("The receiver keeps the ids it has applied: it found message #{n}'s id and skipped attempt {attempt} (step {step}), acknowledging it again. The effect happened once.")
            };
            (
                format!("The receiver has already applied message #{n}{first}, but the sender heard no acknowledgement in time and sent it again. Attempt {attempt} arrives at the receiver. What happens to message #{n}'s effect?"),
                answer,
                explain,
            )
        }
        (None, Some(a)) => (
            format!("The sender hears nothing back for message #{n} and, with retries off, gives up. What happens to message #{n}'s effect?"),
            ONCE,
            format!("An attempt of message #{n} was applied at step {a}; the network lost its acknowledgement, so the sender gave up (step {step}) on a message that had arrived. At-most-once: this time the effect happened, once."),
        ),
        (None, None) => {
            let lost = before.iter().any(|s| matches!(s.record, DeliveryRecord::Dropped { msg: m, leg: Leg::Message, .. } if m == msg));
            debug_assert!(lost, "a message never applied was lost on the way");
            (
                format!("The sender hears nothing back for message #{n} and, with retries off, gives up. What happens to message #{n}'s effect?"),
                NEVER,
                format!("The network lost message #{n} on its way, and the sender gave up (step {step}) without sending it again: its effect never happens. At-most-once loses it."),
            )
        }
    };
    Some(Question { id: "about-effect".into(), question, choices: CHOICES.to_vec(), answer, explain, step })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::delivery::DeliveryLab;
    use idemlab_sim::lab::Lab;

    fn answer_of(slug: &str) -> usize {
        let run =
            DeliveryLab::run(&DeliveryLab::preset_params(DeliveryLab::preset(slug).expect("preset"))).expect("run");
        let q = question(&run).expect("every preset has a decisive moment");
        assert!(q.step >= 1 && q.step <= run.trace.records().len());
        q.answer
    }

    #[test]
    fn each_preset_asks_and_the_run_gives_the_answer() {
        assert_eq!(answer_of("at-least-once"), TWICE);
        assert_eq!(answer_of("effectively-once"), SKIPPED);
        assert!([NEVER, ONCE].contains(&answer_of("at-most-once")));
    }
}
