//! Predict first at a lab's decisive steps, the same in every lab: the
//! "Predict before decisive steps" switch (on by default, `predict=0` turns
//! it off, `lock=predict` freezes it), and the one gate every move of the
//! cursor goes through. A lab gives its questions about its run, each in
//! front of a step; the gate decides which step is drawn:
//!
//! - a move that crosses an unanswered question's step (next, j, the
//!   scrubber, "Last step", a jump, playback) does not happen: the prompt
//!   appears, focus lands on it, and a polite status says "Step N waits for
//!   your prediction";
//! - a link that already stands at or past such a step (`step=` in a shared
//!   link, a host's `set` message, a lesson's stop) is drawn at the step just
//!   before it, with the prompt up: the counter shows that step and the note
//!   names the next one, so the screen agrees on one step number.
//!
//! Answering (or "Reveal (we voted)") posts the `prediction` event, reveals
//! the answer with its explanation, moves focus to the result and then lets
//! the asked-for step happen; the next unanswered question on the way asks in
//! turn. Answers are kept per run: a knob change, a preset or a new seed is a
//! new run and asks again.
//!
//! Each lab computes its [`Question`]s from its own run, so the right answer
//! is what the engine did, never a constant.

use super::predict::{verdict, Said};
use super::{LabAction, LabLink, PageMode, Predict};
use idemlab_sim::lab::Lab;
use yew::prelude::*;

/// A question about one run, computed from it by the lab.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// A stable id (the event's `detail.id`, the prompt's DOM id), unique
    /// among the run's questions.
    pub id: String,
    /// The question, in words about this run.
    pub question: String,
    /// The choices, in the order shown.
    pub choices: Vec<&'static str>,
    /// The index of the choice that says what the run did.
    pub answer: usize,
    /// What happened and why, naming the step where it shows.
    pub explain: String,
    /// The decisive step (as the step controls count, from 1): the prompt
    /// stands in front of it.
    pub step: usize,
}

/// What the gate decides for one render of a lab.
pub struct PredictGate {
    /// The "Predict before decisive steps" switch (nothing in a lesson's
    /// inline stop, which asks its own questions).
    pub switch: Html,
    /// The step callback to give the step controls: it asks before it moves.
    pub on_step: Callback<usize>,
    /// The prompt (asking, or answered and revealed), and the polite status
    /// that says which step waits; nothing when the run asks nothing.
    pub prompt: Html,
    /// A question of this run is still unanswered (with the switch on): what
    /// it is about should stay hidden, and the jump button stays neutral.
    pub hiding: bool,
    /// The step to draw: the link's, or the step just before the question
    /// the link would pass.
    pub step: usize,
    /// The step that waits for a prediction while the prompt asks (the step
    /// controls show Play, not Pause, meanwhile).
    pub waits: Option<usize>,
    /// The step an answer just let happen: its reveal is the one message
    /// for it, so the step controls do not announce it again.
    pub told: Option<usize>,
    /// The step of the first question not yet answered.
    first_open: Option<usize>,
}

impl PredictGate {
    /// The step of the first unanswered question, for the evidence gate
    /// ([`super::Gate::asks`]): the counters stay covered until it is answered.
    pub fn asks(&self) -> Option<usize> {
        self.first_open
    }

    /// The jump button's words: neutral while a question is unanswered, the
    /// lab's own words (which may name the outcome) after.
    pub fn jump_words(&self, revealed: &'static str) -> AttrValue {
        AttrValue::Static(if self.hiding { "Jump to the decisive step" } else { revealed })
    }
}

/// The first unanswered question (by index into `steps`, sorted) that a move
/// from `from` to `to` crosses: its step is after `from` and at or before
/// `to`. Moving back, or within the run between questions, crosses none.
pub fn crossed(steps: &[usize], done: &[bool], from: usize, to: usize) -> Option<usize> {
    debug_assert_eq!(steps.len(), done.len());
    steps.iter().zip(done).position(|(&s, &d)| !d && from < s && s <= to)
}

/// Where a link at `at` is drawn: at `at`, or, when it stands at or past an
/// unanswered question's step, just before that step, with that question.
pub fn held(steps: &[usize], done: &[bool], at: usize) -> (usize, Option<usize>) {
    debug_assert!(steps.iter().all(|&s| s >= 1), "a question stands in front of a step from 1");
    match steps.iter().zip(done).position(|(&s, &d)| !d && s <= at) {
        Some(i) => (steps[i] - 1, Some(i)),
        None => (at, None),
    }
}

/// Whether a move from step `from` to step `to` must ask first, for a run
/// with one question at `decisive`.
pub fn must_ask(on: bool, answered: bool, decisive: usize, from: usize, to: usize) -> bool {
    on && crossed(&[decisive], &[answered], from, to).is_some()
}

/// The answers given on this page: the run, the question's id, what was said.
type Answers = Vec<(String, String, Said)>;

/// Moves focus to the step controls' next button (or, at the end, the first
/// enabled one): after a reveal, the learner goes on from there.
fn focus_step_controls() {
    let doc = web_sys::window().and_then(|w| w.document());
    let pick = ["button.forward:not([disabled])", "button.back:not([disabled])", "button.play"]
        .iter()
        .find_map(|sel| doc.as_ref()?.query_selector(&format!(".step-controls {sel}")).ok().flatten());
    if let Some(el) = pick.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()) {
        let _ = el.focus();
    }
}

/// The gate of one lab: `step` is the link's cursor, `questions` the lab's
/// questions about its run, `inner` the lab's own step callback, `label` what
/// a step is called on its counter ("Step", "Time bucket"). A lab drawn
/// inline in a guided lesson's stop (an embed's picture without `embed=` in
/// its own link) has no switch and does not ask: the lesson asks its own
/// question, and opens the stop before it.
#[hook]
pub fn use_predict_gate<L>(
    lab: &LabLink<L>,
    dispatch: &Callback<LabAction>,
    step: usize,
    questions: Vec<Question>,
    inner: Callback<usize>,
    label: &'static str,
) -> PredictGate
where
    L: Lab + 'static,
{
    let area = L::SLUG;
    let run_key = lab.run_key();
    let mode = use_context::<PageMode>().unwrap_or_default();
    let inline = mode.embed && !lab.embed;
    let on = lab.predict_first().0 && !inline;
    let mut questions = questions;
    questions.sort_by_key(|q| q.step);
    let first_step = questions.first().map(|q| q.step);
    let switch = if inline { Html::default() } else { lab.predict_switch(dispatch, first_step) };
    // The step the learner asked for while the prompt waits for an answer.
    let asking = use_state_eq(|| None::<usize>);
    // A blocked move while the prompt asks: the status says it again.
    let nudges = use_state_eq(|| 0u32);
    let answers = use_state_eq(Answers::new);
    // The step the last answer let happen, until the next move.
    let told = use_state_eq(|| None::<usize>);
    // An answered question folds to one line at the next move, so the caption
    // and the picture stand together again on a phone (issue 23); its button
    // opens it until the move after.
    let folded = use_state_eq(|| false);
    let node = use_node_ref();
    // A new run asks again; a prompt left open by the old run goes.
    {
        let asking = asking.clone();
        use_effect_with(run_key.clone(), move |_| asking.set(None));
    }
    let questions: Vec<Question> = if on { questions } else { Vec::new() };
    let said: Vec<Option<Said>> = questions
        .iter()
        .map(|q| answers.iter().find(|(k, id, _)| *k == run_key && *id == q.id).map(|(_, _, s)| *s))
        .collect();
    let steps: Vec<usize> = questions.iter().map(|q| q.step).collect();
    let done: Vec<bool> = said.iter().map(Option::is_some).collect();
    let (shown, hold) = held(&steps, &done, step);
    let (pending, target) = match (hold, *asking) {
        (Some(i), _) => (Some(i), step),
        (None, Some(to)) => (crossed(&steps, &done, shown, to), to),
        (None, None) => (None, step),
    };
    // Focus lands on the question when it starts asking (its digit keys answer there).
    {
        let node = node.clone();
        use_effect_with(pending.map(|i| steps[i]), move |waiting| {
            if waiting.is_some() {
                let question =
                    node.cast::<web_sys::Element>().and_then(|g| g.query_selector(".predict").ok().flatten());
                if let Some(el) = question.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    let _ = el.focus();
                }
            }
        });
    }
    let on_step = {
        let (asking, nudges, inner, steps, done, told, folded) =
            (asking.clone(), nudges.clone(), inner.clone(), steps.clone(), done.clone(), told.clone(), folded.clone());
        Callback::from(move |to: usize| {
            told.set(None);
            folded.set(true);
            if let Some(i) = crossed(&steps, &done, shown, to) {
                if asking.is_some() || hold.is_some() {
                    nudges.set(*nudges + 1);
                }
                asking.set(Some(to));
                // The cursor goes as far as the question: the counter then
                // stands on the step just before the one that waits.
                if steps[i] - 1 != shown {
                    inner.emit(steps[i] - 1);
                }
                return;
            }
            asking.set(None);
            inner.emit(to);
        })
    };
    // After an answer, the caption above the prompt names the step it let
    // happen; on a phone the focus on the reveal (below) would push it out of
    // view. This runs after the prompt's own focus effect (a child's run first).
    use_effect_with(answers.len(), |n| {
        if *n > 0 {
            crate::web::bring_into_view("step-caption");
        }
    });
    // The question asking, else the last one answered at or before the step drawn.
    let current = pending.or_else(|| (0..questions.len()).rev().find(|&i| done[i] && steps[i] <= shown));
    let hiding = done.iter().any(|d| !d);
    let status = match pending {
        Some(i) => {
            format!("{label} {} waits for your prediction.{}", steps[i], if *nudges % 2 == 1 { "\u{a0}" } else { "" })
        }
        None => String::new(),
    };
    let live = (!questions.is_empty()).then(|| {
        html! { <p class="predict-status visually-hidden" role="status" aria-live="polite">{ status }</p> }
    });
    let prompt = current.map(|i| {
        let q = &questions[i];
        let record: std::rc::Rc<dyn Fn(Said)> = {
            let (asking, answers, inner, key, id, told, folded) =
                (asking.clone(), answers.clone(), inner.clone(), run_key.clone(), q.id.clone(), told.clone(), folded.clone());
            std::rc::Rc::new(move |s: Said| {
                folded.set(false);
                let mut a = (*answers).clone();
                a.push((key.clone(), id.clone(), s));
                answers.set(a);
                asking.set(None);
                if target != step {
                    told.set(Some(target));
                    inner.emit(target);
                }
            })
        };
        let on_answer = {
            let r = record.clone();
            Callback::from(move |(i, _right): (usize, bool)| r(Said::Choice(i)))
        };
        let on_reveal = Callback::from(move |()| record(Said::Room));
        let back = Callback::from(|e: KeyboardEvent| {
            if e.key() == "Escape" {
                focus_step_controls();
            }
        });
        let picked = match said[i] {
            Some(Said::Choice(k)) => Some(k),
            Some(Said::Room) | None => None,
        };
        // Folded, one line stands for the answered question; the prompt stays
        // mounted (the style sheet hides it), so opening it moves nothing else.
        let fold = *folded && pending.is_none();
        let unfold = {
            let folded = folded.clone();
            Callback::from(move |_: MouseEvent| folded.set(false))
        };
        let at = format!("{} {}", label.to_ascii_lowercase(), q.step);
        let summary = said[i].map(|s| match s {
            Said::Room => format!("The question before {at}: revealed without a recorded answer."),
            Said::Choice(_) => format!("Your prediction before {at}: {}", verdict(s, q.answer)),
        });
        html! {
            <div class="predict-gate" ref={node.clone()} tabindex="-1" data-step={q.step.to_string()} onkeydown={back}
                 data-state={if said[i].is_some() { "revealed" } else { "asking" }} data-folded={fold.to_string()}>
                if fold {
                    <p class="predict-folded"><button type="button" class="predict-unfold" aria-expanded="false" onclick={unfold}>
                        { summary.unwrap_or_default() }{ " " }<span class="predict-unfold-more">{ "Show it" }</span>
                    </button></p>
                }
                <Predict lab={area} id={q.id.clone()} question={q.question.clone()}
                    choices={q.choices.iter().map(|c| AttrValue::Static(c)).collect::<Vec<_>>()}
                    answer={q.answer} explain={q.explain.clone()} step={Some(q.step)} picked={picked}
                    revealed={said[i] == Some(Said::Room)} on_answer={on_answer} on_reveal={Some(on_reveal)} />
                if said[i].is_none() {
                    <p class="hint">{ format!("{label} {} waits for your prediction; the step controls still move back.", q.step) }</p>
                } else {
                    <p class="predict-after"><button type="button" class="predict-continue" onclick={Callback::from(|_| focus_step_controls())}>{ "Back to the step controls" }</button></p>
                }
            </div>
        }
    });
    let prompt = html! { <>{ live }{ prompt }</> };
    let first_open = (0..steps.len()).find(|&i| !done[i]).map(|i| steps[i]);
    let told = *told;
    PredictGate { switch, on_step, prompt, hiding, step: shown, waits: pending.map(|i| steps[i]), told, first_open }
}

impl<L: Lab> LabLink<L> {
    /// Names the run for the gate: the link without the cursor and the
    /// switch, so a knob, a preset or a seed makes a new run.
    pub fn run_key(&self) -> String {
        let mut q = self.query.clone();
        q.warnings.clear();
        for k in ["step", "predict", "said"] {
            q.remove(k);
        }
        q.to_search()
    }

    /// The "Predict before decisive steps: on/off" switch, the same words and
    /// look in every lab. It is a link (the state lives in `predict=`), and
    /// `lock=predict` makes it inert. `decisive` is the step it guards, when
    /// the run has one.
    pub fn predict_switch(&self, dispatch: &Callback<LabAction>, decisive: Option<usize>) -> Html {
        let (on, _) = self.predict_first();
        let action = LabAction::Extra { key: "predict", value: if on { "0" } else { "1" }.into() };
        let refused = super::apply::<L>(&self.query, &action).is_none();
        let href = self.href(&action);
        let onclick = {
            let d = dispatch.clone();
            Callback::from(move |e: MouseEvent| {
                e.prevent_default();
                if !refused {
                    d.emit(action.clone());
                }
            })
        };
        html! {
            <p class="predict-switch-row">
                <a href={href} id="predict-switch" class="predict-switch" role="switch" aria-checked={on.to_string()}
                   aria-disabled={refused.then_some("true")} data-step={decisive.map(|d| d.to_string())} {onclick}>
                    { if on { "Predict before decisive steps: on" } else { "Predict before decisive steps: off" } }
                </a>
                if decisive.is_none() {
                    <span class="hint">{ " (nothing to ask in this run)" }</span>
                }
            </p>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_move_onto_or_past_the_decisive_step_from_before_it_asks() {
        assert!(must_ask(true, false, 5, 4, 5), "the next step onto it");
        assert!(must_ask(true, false, 5, 0, 12), "the last step, past it");
        assert!(!must_ask(true, false, 5, 4, 4));
        assert!(!must_ask(true, false, 5, 6, 7), "after it, the moment has passed");
        assert!(!must_ask(true, false, 5, 6, 2), "back");
        assert!(!must_ask(true, true, 5, 4, 5), "answered");
        assert!(!must_ask(false, false, 5, 4, 5), "switched off");
    }

    #[test]
    fn a_move_across_two_questions_asks_the_first_unanswered_one() {
        let steps = [2, 4];
        assert_eq!(crossed(&steps, &[false, false], 0, 9), Some(0));
        assert_eq!(crossed(&steps, &[true, false], 0, 9), Some(1));
        assert_eq!(crossed(&steps, &[true, false], 1, 3), None, "between the two");
        assert_eq!(crossed(&steps, &[true, true], 0, 9), None);
    }

    #[test]
    fn a_link_past_an_unanswered_question_is_drawn_just_before_it() {
        let steps = [4, 7];
        assert_eq!(held(&steps, &[false, false], 999), (3, Some(0)), "a lesson's step=999");
        assert_eq!(held(&steps, &[false, false], 4), (3, Some(0)), "a host's set onto the step");
        assert_eq!(held(&steps, &[true, false], 8), (6, Some(1)), "the next question waits in turn");
        assert_eq!(held(&steps, &[false, false], 3), (3, None), "before the question: drawn as asked");
        assert_eq!(held(&steps, &[true, true], 8), (8, None));
        assert_eq!(held(&[], &[], 8), (8, None), "a run with no question");
    }
}
