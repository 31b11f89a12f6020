//! Predict first on the Races page: the questions the engine attaches to the
//! run's decisive frames (what happens to the waiting transaction, who
//! charges), given to the shared gate (`crate::shell::use_predict_gate`),
//! which asks before any move crosses one of them.

use crate::shell::Question;
use idemlab_sim::races::{why, RaceRun};

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
