//! Outbox's predict-first question: the relay crash. The relay published an
//! event and crashed before marking its row sent (or before flushing its
//! offset past it), so the event goes out again; the question stands in
//! front of the consumer's second delivery of it. Everything it says is read
//! from the run's trace, the design and the inbox mode.

use crate::shell::Question;
use idemlab_sim::outbox::{Inbox, Mode, OutboxRecord, OutboxRun};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "The consumer applies the effect again: the order ships a second time.",
    "The consumer's inbox already holds the message id: the copy is skipped.",
    "The broker recognises the copy and drops it: the consumer never sees it twice.",
];

/// Indexes into [`CHOICES`].
const AGAIN: usize = 0;
const SKIPPED: usize = 1;

/// The question about the run's first relay crash, when the consumer is
/// later handed that event a second time and applies or skips it; `None`
/// otherwise (no relay crash, or the run ends first).
pub fn question(run: &OutboxRun) -> Option<Question> {
    let recs = run.trace.records();
    let (crash_at, msg, resume_from) = recs.iter().enumerate().find_map(|(i, s)| match s.record {
        OutboxRecord::RelayCrashed { msg } => Some((i, msg, None)),
        OutboxRecord::TailerCrashed { msg, resume_from } => Some((i, msg, Some(resume_from))),
        _ => None,
    })?;
    // The first delivery after the crash that hands the consumer `msg` a second time.
    let mut deliveries = 0;
    let delivered_at = recs.iter().enumerate().find_map(|(i, s)| {
        if let OutboxRecord::Delivered { msg: m, .. } = s.record {
            if m == msg {
                deliveries += 1;
                return (i > crash_at && deliveries >= 2).then_some(i);
            }
        }
        None
    })?;
    // What the consumer did with that copy.
    let (out_at, answer) = recs.iter().enumerate().skip(delivered_at + 1).find_map(|(i, s)| match s.record {
        OutboxRecord::EffectApplied { msg: m, duplicate: true, .. } if m == msg => Some(Some((i, AGAIN))),
        OutboxRecord::InboxDuplicateSkipped { msg: m } if m == msg => Some(Some((i, SKIPPED))),
        // Anything else the consumer does with this copy is not what the choices name.
        OutboxRecord::EffectApplied { msg: m, .. }
        | OutboxRecord::ConsumerCrashedBeforeCommit { msg: m }
        | OutboxRecord::Delivered { msg: m, .. }
            if m == msg =>
        {
            Some(None)
        }
        _ => None,
    })??;
    let step = out_at + 1;
    let effects =
        recs.iter().filter(|s| matches!(s.record, OutboxRecord::EffectApplied { msg: m, .. } if m == msg)).count();
    let times = match effects {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    };
    let p = &run.params;
    let explain = match (answer, p.mode.uses_inbox(), p.inbox) {
        (AGAIN, false, _) => format!(
            "Design {} has no inbox: the consumer cannot tell a copy from a new event, so it applied order {msg}'s effect again (step {step}): {times} in this run.",
            p.mode.number()
        ),
        (AGAIN, true, Inbox::ApplyFirst) => format!(
            "The copy found no inbox row for order {msg}: applying first commits the row after the effect, in a transaction of its own, and a crash between the two left the effect without its row. The effect was applied again (step {step}); {times} in this run."
        ),
        (AGAIN, true, _) => format!(
            "The copy found no inbox row for order {msg}, so the consumer applied the effect again (step {step}); {times} in this run."
        ),
        (_, _, Inbox::Atomic) => format!(
            "The inbox row (consumer, message id) was inserted in the same transaction as the first copy's effect, so the copy's insert hit the primary key and the consumer skipped it (step {step}). Order {msg}'s effect was applied {times} in this run."
        ),
        (_, _, Inbox::MarkFirst) => format!(
            "Marking first commits the inbox row before the effect, so the copy found the row and was skipped (step {step}). Order {msg}'s effect was applied {} in this run{}.",
            if effects == 0 { "never".to_string() } else { times.clone() },
            if effects == 0 { ": the row was marked, the effect lost in a crash, and every copy is skipped" } else { "" }
        ),
        (_, _, Inbox::ApplyFirst) => format!(
            "The first copy's effect and then its inbox row were committed, so the copy found the row and was skipped (step {step}). Order {msg}'s effect was applied {times} in this run."
        ),
    };
    let question = match (p.mode, resume_from) {
        (Mode::LogTailing, Some(from)) => format!(
            "The log-tailing relay crashed after publishing order {msg}'s event and before flushing its offset past it; it restarts from position {from} and publishes every row from there again. The consumer is now handed order {msg}'s event a second time. What does it do?"
        ),
        _ => format!(
            "The relay crashed after publishing order {msg}'s event and before marking its outbox row sent, so it publishes the row again. The consumer is now handed order {msg}'s event a second time. What does it do?"
        ),
    };
    Some(Question {
        id: "outbox-relay-crash".into(),
        question,
        choices: CHOICES.to_vec(),
        answer,
        explain,
        step: delivered_at + 1,
    })
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
    fn the_right_answer_follows_the_inbox() {
        let with = question(&run_of("inbox")).expect("a relay crash and a second delivery");
        let without = question(&run_of("duplicates")).expect("a relay crash and a second delivery");
        assert_eq!((with.answer, without.answer), (SKIPPED, AGAIN));
        assert!(with.explain.contains("primary key"), "{}", with.explain);
        assert!(without.explain.contains("no inbox"), "{}", without.explain);
        let run = run_of("inbox");
        assert!(matches!(run.trace.records()[with.step - 1].record, OutboxRecord::Delivered { .. }));
    }

    #[test]
    fn the_log_tailing_relay_names_the_position_it_restarts_from() {
        let q = question(&run_of("tailing")).expect("a tailer crash and a second delivery");
        assert!(q.question.contains("restarts from position"), "{}", q.question);
        assert_eq!(q.answer, SKIPPED);
    }

    #[test]
    fn a_design_without_a_relay_asks_nothing() {
        assert_eq!(question(&run_of("lost")), None);
    }
}
