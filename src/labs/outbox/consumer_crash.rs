//! Outbox's third predict-first question: the consumer crashes between its
//! two commits (an inbox marked first or applied first, the "(bug)"
//! presets), and the broker hands it the event again. The question stands in
//! front of that redelivery; the answer is what the consumer did with it,
//! read from the run's trace, with the same choices as the relay crash.

use super::question::CHOICES;
use crate::shell::Question;
use idemlab_sim::outbox::{OutboxRecord, OutboxRun};

/// Indexes into [`CHOICES`].
const AGAIN: usize = 0;
const SKIPPED: usize = 1;

/// The question about the run's first consumer crash between an inbox row
/// and its effect committed apart, when the event comes again and the
/// consumer applies or skips it; `None` otherwise.
pub fn question(run: &OutboxRun) -> Option<Question> {
    let recs = run.trace.records();
    let (crash_at, msg) = recs.iter().enumerate().find_map(|(i, s)| match s.record {
        OutboxRecord::ConsumerCrashedBeforeCommit { msg } => Some((i, msg)),
        _ => None,
    })?;
    // What the consumer committed for `msg` before it crashed: the inbox row or the effect.
    let marked = recs[..crash_at].iter().rev().find_map(|s| match s.record {
        OutboxRecord::InboxMarked { msg: m } if m == msg => Some(Some(true)),
        OutboxRecord::EffectApplied { msg: m, inbox: false, .. } if m == msg => Some(Some(false)),
        // The delivery it crashed handling, with neither committed yet.
        OutboxRecord::Delivered { msg: m, .. } if m == msg => Some(None),
        _ => None,
    })??;
    let delivered_at = recs
        .iter()
        .enumerate()
        .skip(crash_at + 1)
        .find_map(|(i, s)| matches!(s.record, OutboxRecord::Delivered { msg: m, .. } if m == msg).then_some(i))?;
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
    let (crash_step, step) = (crash_at + 1, out_at + 1);
    let effects =
        recs.iter().filter(|s| matches!(s.record, OutboxRecord::EffectApplied { msg: m, .. } if m == msg)).count();
    let (done, undone) = if marked {
        ("committing its inbox row for order", "applying the effect")
    } else {
        ("applying the effect of order", "committing its inbox row")
    };
    let question = format!(
        "The consumer crashed (step {crash_step}) after {done} {msg}'s event and before {undone}. The broker hands it the event again. What does it do?"
    );
    let explain = match answer {
        AGAIN => format!(
            "The effect committed without its inbox row, so the copy found no row and the consumer applied the effect again (step {step}): order {msg} was applied {effects} times."
        ),
        _ if effects == 0 => format!(
            "The inbox row committed without the effect, so the copy found the row and was skipped (step {step}): order {msg}'s effect was never applied, and never will be."
        ),
        _ => format!("The copy found the inbox row and was skipped (step {step}); order {msg}'s effect was applied {effects} time(s)."),
    };
    Some(Question {
        id: "outbox-consumer-crash".into(),
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
    fn marking_first_skips_the_copy_and_applying_first_applies_it_again() {
        let mark = question(&run_of("mark-first")).expect("a consumer crash and a redelivery");
        let apply = question(&run_of("apply-first")).expect("a consumer crash and a redelivery");
        assert_eq!((mark.answer, apply.answer), (SKIPPED, AGAIN));
        assert!(mark.explain.contains("never applied"), "{}", mark.explain);
        let run = run_of("apply-first");
        assert!(matches!(run.trace.records()[apply.step - 1].record, OutboxRecord::Delivered { .. }));
    }

    #[test]
    fn a_consumer_that_never_crashes_asks_nothing_here() {
        assert_eq!(question(&run_of("inbox")), None);
    }
}
