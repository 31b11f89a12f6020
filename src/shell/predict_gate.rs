//! Predict first at a lab's decisive step, the same in every lab: the
//! "Predict before decisive steps" switch (on by default, `predict=0` turns
//! it off, `lock=predict` freezes it, as in Races), and the gate in front of
//! the step controls. When the learner moves from before the decisive step
//! to it or past it (next step, j, the scrubber, "Last step", playback) with
//! the switch on and the question unanswered, the step does not move: the
//! shared [`Predict`] prompt appears instead, and focus lands on it. Picking a
//! choice posts the `prediction` event, reveals the answer with its
//! explanation and then lets the step happen. The answer is kept per run: a
//! knob change, a preset or a new seed is a new run and asks again.
//!
//! Each lab computes its [`Question`] from its own run, so the right answer
//! is what the engine did, never a constant.

use super::{LabAction, LabLink, PageMode, Predict};
use idemlab_sim::lab::Lab;
use yew::prelude::*;

/// A question about one run, computed from it by the lab.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// A stable id (the event's `detail.id`, the prompt's DOM id).
    pub id: &'static str,
    /// The question, in words about this run.
    pub question: String,
    /// The choices, in the order shown. The same list for every run of a
    /// lab, so only the right one changes with the run.
    pub choices: &'static [&'static str],
    /// The index of the choice that says what the run did.
    pub answer: usize,
    /// What happened and why, naming the step where it shows.
    pub explain: String,
    /// The decisive step (as the step controls count): the prompt stands in
    /// front of it.
    pub step: usize,
}

/// What the gate decides for one render of a lab.
pub struct PredictGate {
    /// The "Predict before decisive steps" switch (nothing in a lesson's
    /// inline stop, which asks its own questions).
    pub switch: Html,
    /// The step callback to give the step controls: it asks before it moves.
    pub on_step: Callback<usize>,
    /// The prompt (asking, or answered and revealed), or nothing.
    pub prompt: Html,
    /// The switch is on, the question unanswered and the cursor before the
    /// decisive step: what the question is about should stay hidden.
    pub hiding: bool,
}

/// Whether a move from step `from` to step `to` must ask first: the switch
/// is on, the question is unanswered, and the move reaches the decisive
/// step from before it. Moving back, or within the run after it, never asks.
pub fn must_ask(on: bool, answered: bool, decisive: usize, from: usize, to: usize) -> bool {
    on && !answered && from < decisive && to >= decisive
}

/// The gate of one lab: `step` is the cursor, `question` the lab's question
/// about its run, `inner` the lab's own step callback. A lab drawn inline in
/// a guided lesson's stop (an embed's picture without `embed=` in its own
/// link) has no switch and does not ask: the lesson asks its own questions.
#[hook]
pub fn use_predict_gate<L>(
    lab: &LabLink<L>,
    dispatch: &Callback<LabAction>,
    step: usize,
    question: Option<Question>,
    inner: Callback<usize>,
) -> PredictGate
where
    L: Lab + 'static,
{
    let area = L::SLUG;
    let run_key = lab.run_key();
    let mode = use_context::<PageMode>().unwrap_or_default();
    let inline = mode.embed && !lab.embed;
    let on = lab.predict_first().0 && !inline;
    let switch = if inline { Html::default() } else { lab.predict_switch(dispatch, question.as_ref().map(|q| q.step)) };
    // The step the learner asked for while the prompt waits for an answer.
    let asking = use_state_eq(|| None::<usize>);
    // The choice made, with the run it was made in.
    let answered = use_state_eq(|| None::<(String, usize)>);
    let node = use_node_ref();
    // A new run asks again; a prompt left open by the old run goes.
    {
        let asking = asking.clone();
        use_effect_with(run_key.clone(), move |_| asking.set(None));
    }
    let picked = (*answered).as_ref().filter(|(k, _)| *k == run_key).map(|(_, i)| *i);
    let question = question.filter(|_| on);
    let pending = question.is_some() && asking.is_some() && picked.is_none();
    // Focus lands on the prompt when it appears and again when it reveals.
    {
        let node = node.clone();
        use_effect_with((pending, picked.is_some()), move |(pending, revealed)| {
            if *pending || *revealed {
                if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    let Some(q) = question else {
        return PredictGate { switch, on_step: inner, prompt: Html::default(), hiding: false };
    };
    let shown = pending || (picked.is_some() && step >= q.step);
    let on_step = {
        let (asking, inner, decisive, answered_now) = (asking.clone(), inner.clone(), q.step, picked.is_some());
        Callback::from(move |to: usize| {
            if must_ask(true, answered_now, decisive, step, to) {
                asking.set(Some(to));
                return;
            }
            asking.set(None);
            inner.emit(to);
        })
    };
    let on_answer = {
        let (asking, answered, inner, key) = (asking.clone(), answered.clone(), inner.clone(), run_key.clone());
        Callback::from(move |(i, _right): (usize, bool)| {
            answered.set(Some((key.clone(), i)));
            if let Some(to) = *asking {
                asking.set(None);
                inner.emit(to);
            }
        })
    };
    let prompt = if shown {
        html! {
            <div class="predict-gate" ref={node} tabindex="-1" data-step={q.step.to_string()}
                 data-state={if picked.is_some() { "revealed" } else { "asking" }}>
                <Predict lab={area} id={q.id} question={q.question.clone()}
                    choices={q.choices.iter().map(|c| AttrValue::Static(c)).collect::<Vec<_>>()}
                    answer={q.answer} explain={q.explain.clone()} step={Some(q.step)} picked={picked} on_answer={on_answer} />
                if pending {
                    <p class="hint">{ format!("Step {} waits for your prediction; the step controls still move back.", q.step) }</p>
                }
            </div>
        }
    } else {
        Html::default()
    };
    PredictGate { switch, on_step, prompt, hiding: picked.is_none() && step < q.step }
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
}
