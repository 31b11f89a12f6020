//! The step caption every lab shows under its step controls, and the one
//! polite announcement per step. Both come from the same words: the engine's
//! narration of the step the learner is on (each lab passes its own line),
//! and, at the last step, how the run ended. The step counter and the event
//! log are not live regions, so a step is spoken once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use yew::prelude::*;

/// What step 0 says in every lab.
pub const BEFORE_FIRST: &str = "Before the first step: nothing has happened yet.";

/// The caption's sentence at `step`: the lab's line, or at step 0 without
/// one the shared words for it.
pub fn caption_text(step: usize, caption: Option<&AttrValue>) -> AttrValue {
    match (step, caption) {
        (_, Some(c)) => c.clone(),
        (0, None) => AttrValue::Static(BEFORE_FIRST),
        (_, None) => AttrValue::Static("Nothing is recorded at this step."),
    }
}

/// The message a screen reader hears for `step`: the caption, and at the
/// last step the outcome.
pub fn announcement(label: &str, step: usize, steps: usize, text: &str, outcome: Option<&str>) -> String {
    let mut said = format!("{label} {step} of {steps}: {text}");
    if !said.ends_with(['.', '!', '?']) {
        said.push('.');
    }
    if let (true, Some(o)) = (step == steps && steps > 0, outcome) {
        said.push_str(&format!(" Outcome: {o}."));
    }
    said
}

/// The live message for this render: it changes only when the step moves to
/// the one the controls asked for (`asked`), so a knob change that sends the
/// cursor back to 0 says nothing here.
#[hook]
pub fn use_announcement<F: FnOnce() -> String>(step: usize, asked: Rc<Cell<Option<usize>>>, message: F) -> AttrValue {
    let last: Rc<RefCell<(usize, AttrValue)>> = use_memo((), move |_| RefCell::new((step, AttrValue::default())));
    let mut last = last.borrow_mut();
    if last.0 != step {
        last.0 = step;
        if asked.get() == Some(step) {
            asked.set(None);
            last.1 = AttrValue::from(message());
        }
    }
    last.1.clone()
}

/// Props of [`StepCaption`].
#[derive(Properties, PartialEq, Clone)]
pub struct StepCaptionProps {
    /// What the steps are called ("Step", "Record", "Time bucket").
    pub label: AttrValue,
    /// The current step.
    pub step: usize,
    /// The last step.
    pub steps: usize,
    /// The sentence for this step.
    pub text: AttrValue,
    /// How the run ended, shown at the last step.
    #[prop_or_default]
    pub outcome: Option<AttrValue>,
    /// The live message (see [`use_announcement`]).
    pub said: AttrValue,
}

/// One sentence under the step controls, and the visually hidden live region.
#[component]
pub fn StepCaption(p: &StepCaptionProps) -> Html {
    let at_end = p.step == p.steps && p.steps > 0;
    html! {
        <>
            <p class="step-caption" id="step-caption" data-step={p.step.to_string()}>
                <strong>{ format!("{} {}: ", p.label, p.step) }</strong>{ p.text.clone() }
                if let (true, Some(o)) = (at_end, &p.outcome) {
                    <span class="step-outcome"><strong>{ " Outcome: " }</strong>{ o.clone() }</span>
                }
            </p>
            <p class="visually-hidden" id="step-announce" role="status" aria-atomic="true">{ p.said.clone() }</p>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_step_is_announced_with_the_outcome_and_earlier_steps_without() {
        let last = announcement("Step", 8, 8, "T2 COMMIT → done", Some("2 charges, 2 rows: double charge"));
        assert_eq!(last, "Step 8 of 8: T2 COMMIT → done. Outcome: 2 charges, 2 rows: double charge.");
        let mid = announcement("Step", 3, 8, "T1 INSERT → 1 row written.", Some("2 charges"));
        assert_eq!(mid, "Step 3 of 8: T1 INSERT → 1 row written.");
    }

    #[test]
    fn step_zero_has_shared_words_unless_the_lab_gives_its_own() {
        assert_eq!(caption_text(0, None).as_str(), BEFORE_FIRST);
        assert_eq!(caption_text(0, Some(&AttrValue::from("x"))).as_str(), "x");
        assert_eq!(caption_text(2, Some(&AttrValue::from("y"))).as_str(), "y");
    }
}
