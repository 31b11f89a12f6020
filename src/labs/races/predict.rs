//! Predict first on the Races page: the questions the engine attaches to the
//! run's decisive frames (what happens to the waiting transaction, who
//! charges), given to the shared gate (`crate::shell::use_predict_gate`),
//! which asks before any move crosses one of them.

use crate::shell::Question;
use idemlab_sim::races::{decisive_step, why, RaceRun};

/// Every question of `run`, one per frame that decides something, in step
/// order. The explanation names what happened and why, from the engine.
pub fn questions(run: &RaceRun) -> Vec<Question> {
    let schedule: String = run.schedule.iter().map(u8::to_string).collect();
    run.frames
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let pr = f.prediction.as_ref()?;
            let step = i + 1;
            let happened = pr.options.get(pr.answer).copied().unwrap_or("?");
            let reason = why(run, step).map(|w| format!(" Why: {w}")).unwrap_or_default();
            Some(Question {
                // The same id as before the shared gate: scenario, schedule, step.
                id: format!("{}-{schedule}-step-{step}", run.scenario),
                question: pr.question.clone(),
                choices: pr.options.clone(),
                answer: pr.answer,
                explain: format!("What happened at step {step}: {happened}.{reason}"),
                step,
            })
        })
        .collect()
}

/// The choices of the side-by-side question, the same for every pair; the
/// two runs pick the right one.
pub const PAIR_CHOICES: &[&str] = &["The left side only", "The right side only", "Both sides", "Neither side"];

/// The index into [`PAIR_CHOICES`] for which sides charged twice.
fn pair_answer(left_twice: bool, right_twice: bool) -> usize {
    match (left_twice, right_twice) {
        (true, false) => 0,
        (false, true) => 1,
        (true, true) => 2,
        (false, false) => 3,
    }
}

/// A side's charges in words, with the step of its second charge.
fn side_words(side: &str, title: &str, run: &RaceRun) -> String {
    let n = run.outcome.charges;
    let times = match n {
        0 => "never charged".to_string(),
        1 => "charged once".to_string(),
        n => format!("charged {n} times"),
    };
    match decisive_step(run) {
        Some(d) => {
            let reason = why(run, d).map(|w| format!(" ({w})")).unwrap_or_default();
            format!("The {side} side ({title}) {times}: its second charge is step {d}{reason}.")
        }
        None => format!("The {side} side ({title}) {times}."),
    }
}

/// A scenario's title without a verdict on it ("… (the fix)"), for the
/// words shown before the prediction is answered.
pub fn unjudged(title: &str) -> &str {
    match title.rfind(" (") {
        Some(i) if title.ends_with(')') && title[i..].contains("fix") => &title[..i],
        _ => title,
    }
}

#[cfg(test)]
#[test]
fn a_title_loses_its_verdict_and_keeps_the_rest() {
    assert_eq!(
        unjudged("INSERT … ON CONFLICT DO NOTHING RETURNING (the fix)"),
        "INSERT … ON CONFLICT DO NOTHING RETURNING"
    );
    assert_eq!(unjudged("SELECT, then INSERT, no unique index"), "SELECT, then INSERT, no unique index");
    assert_eq!(unjudged("Advisory lock (per key)"), "Advisory lock (per key)");
}

/// The one question of side-by-side mode: under the same schedule, which
/// side charges twice. It stands in front of the pair's decisive step, the
/// first second charge on either side; when neither side charges twice, in
/// front of the last step, where both runs have ended.
pub fn pair_question(left: &RaceRun, left_title: &str, right: &RaceRun, right_title: &str) -> Question {
    let (left_title, right_title) = (unjudged(left_title), unjudged(right_title));
    let (dl, dr) = (decisive_step(left), decisive_step(right));
    let last = left.frames.len().max(right.frames.len()).max(1);
    let step = dl.into_iter().chain(dr).min().unwrap_or(last);
    debug_assert!(step >= 1 && step <= last, "the pair's question stands in front of one of its steps");
    let schedule: String = left.schedule.iter().map(u8::to_string).collect();
    Question {
        id: format!("races-pair-{}-{}-{schedule}", left.scenario, right.scenario),
        question: format!(
            "Both sides run the same schedule: {left_title} on the left, {right_title} on the right. Which side charges the card twice?"
        ),
        choices: PAIR_CHOICES.to_vec(),
        answer: pair_answer(dl.is_some(), dr.is_some()),
        explain: format!("{} {}", side_words("left", left_title, left), side_words("right", right_title, right)),
        step,
    }
}
