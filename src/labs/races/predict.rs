//! Predict first on the Races page: stepping forward into a decisive step
//! asks the learner first (when `predict=` is on, in step mode), and the
//! answer is kept in the link (`said=step:choice`) so the feedback survives
//! a reload.

use crate::query::Query;
use crate::shell::LabAction;
use crate::web;
use idemlab_sim::races::{why, RaceRun};
use std::rc::Rc;
use yew::prelude::*;

/// The learner's predictions so far: the schedule and the step each was made at.
pub type Answered = UseStateHandle<Vec<(Vec<u8>, usize)>>;

/// What a `said=` value records: the step a prediction was made at and the choice.
fn said_of(q: &Query) -> Option<(usize, usize)> {
    let (step, choice) = q.get("said")?.split_once(':')?;
    Some((step.parse().ok()?, choice.parse().ok()?))
}

/// The step controls' callback: a step forward into a decisive step not yet
/// predicted opens the question (`asking`) instead of moving.
pub fn on_step(
    d: &Callback<LabAction>,
    run: &Rc<RaceRun>,
    step: usize,
    predict: bool,
    asking: &UseStateHandle<Option<usize>>,
    answered: &Answered,
) -> Callback<usize> {
    let (d, frames, asking, answered) = (d.clone(), run.clone(), asking.clone(), answered.clone());
    Callback::from(move |to: usize| {
        let decisive = to == step + 1 && frames.frames.get(to - 1).is_some_and(|f| f.prediction.is_some());
        let seen = answered.iter().any(|(k, st)| *k == frames.schedule && *st == to);
        if predict && decisive && !seen {
            asking.set(Some(to));
            return;
        }
        // Setting state that does not change would cost a second render.
        if asking.is_some() {
            asking.set(None);
        }
        d.emit(LabAction::Step(to));
    })
}

/// The question before decisive step `asking`, with a button per option.
pub fn prompt(
    d: &Callback<LabAction>,
    run: &Rc<RaceRun>,
    asking: &UseStateHandle<Option<usize>>,
    answered: &Answered,
) -> Option<Html> {
    let to = (**asking)?;
    let pr = run.frames.get(to - 1)?.prediction.clone()?;
    let choose = |i: usize| {
        let (d, asking, answered, sched, q) =
            (d.clone(), asking.clone(), answered.clone(), run.schedule.clone(), pr.clone());
        // The same detail as every lab's prediction: a stable id (the
        // scenario, the schedule and the step), the question, the answer.
        let id = format!("{}-{}-step-{to}", run.scenario, sched.iter().map(u8::to_string).collect::<String>());
        Callback::from(move |_: MouseEvent| {
            let mut a = (*answered).clone();
            a.push((sched.clone(), to));
            answered.set(a);
            web::post_event(
                "prediction",
                "races",
                serde_json::json!({ "id": id, "step": to, "question": q.question, "answer": q.options[i], "correct": i == q.answer }),
            );
            asking.set(None);
            d.emit(LabAction::Then(vec![
                LabAction::Extra { key: "said", value: format!("{to}:{i}") },
                LabAction::Step(to),
            ]));
        })
    };
    Some(html! {
        <div class="races-predict-prompt" role="dialog" aria-label="Predict first" id="races-prompt">
            <p><strong>{ "Predict first: " }</strong>{ pr.question.clone() }</p>
            <div class="races-options">
                { for pr.options.iter().enumerate().map(|(i, o)| html! { <button type="button" data-option={i.to_string()} onclick={choose(i)}>{ *o }</button> }) }
            </div>
        </div>
    })
}

/// Whether the learner's prediction at `step` (from `said=`) was right, and why.
pub fn feedback(q: &Query, run: &RaceRun, step: usize) -> Option<Html> {
    let (at, said) = said_of(q)?;
    if at != step || step == 0 {
        return None;
    }
    let pr = run.frames.get(step - 1)?.prediction.clone()?;
    let right = said == pr.answer;
    let reason = why(run, step).map(|w| format!(" Why: {w}")).unwrap_or_default();
    Some(html! {
        <p class={classes!("races-feedback", if right { "right" } else { "wrong" })} id="races-feedback" role="status">
            <strong>{ if right { "✓ You predicted it. " } else { "✗ Not quite. " } }</strong>
            { format!("You said “{}”. What happened: {}.{reason}", pr.options.get(said).copied().unwrap_or("?"), pr.options[pr.answer]) }
        </p>
    })
}
