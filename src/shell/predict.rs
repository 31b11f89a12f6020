//! Predict first, for every lab and for the guided lessons: one question,
//! numbered choices, and a reveal that says whether the answer was right and
//! why. A room can vote: the keys 1 to n pick a choice (focus moves onto it),
//! Enter confirms it, and "Reveal (we voted)" shows the answer without
//! recording one (where the page offers it). Answering posts a `prediction`
//! event to an embedding page: `{ source: "idemlab", type: "prediction",
//! area, detail: { id, question, answer, correct, revealed_without_answer } }`,
//! plus the step when given. A reveal without an answer sends an empty
//! `answer`, `correct: false` and `revealed_without_answer: true`.
//!
//! The reply is neutral: it speaks to whoever answered, one learner or a room.

use crate::web;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What was said to a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// A choice, by index.
    Choice(usize),
    /// The answer was revealed without one being recorded (a room voted by hands).
    Room,
}

/// Props of [`Predict`].
#[derive(Properties, PartialEq, Clone)]
pub struct PredictProps {
    /// The lab (or "lessons") the event names as its area.
    pub lab: AttrValue,
    /// A stable id for the question (DOM id prefix, event detail).
    pub id: AttrValue,
    /// The question.
    pub question: AttrValue,
    /// The choices, in the order shown.
    pub choices: Vec<AttrValue>,
    /// Which choice is right.
    pub answer: usize,
    /// Why, shown with the reveal whatever was picked.
    pub explain: AttrValue,
    /// The step the question is about, when it is about a step (event detail).
    #[prop_or_default]
    pub step: Option<usize>,
    /// The choice already made (from storage or the link): shown revealed.
    #[prop_or_default]
    pub picked: Option<usize>,
    /// The answer was already revealed without a choice.
    #[prop_or(false)]
    pub revealed: bool,
    /// Told the choice and whether it was right, after the event is posted.
    #[prop_or_default]
    pub on_answer: Callback<(usize, bool)>,
    /// When given, a "Reveal (we voted)" button shows the answer without
    /// recording one, and calls this.
    #[prop_or_default]
    pub on_reveal: Option<Callback<()>>,
}

/// The verdict on what was said, in words for one learner or a room.
pub(super) fn verdict(said: Said, answer: usize) -> &'static str {
    match said {
        Said::Choice(k) if k == answer => "✓ Right.",
        Said::Choice(_) => "✗ Not quite.",
        Said::Room => "Revealed without a recorded answer.",
    }
}

/// The choice a digit key names (1 is the first), when there is one.
pub fn choice_of_key(key: &str, choices: usize) -> Option<usize> {
    let d: usize = key.parse().ok()?;
    (1..=choices.min(9)).contains(&d).then(|| d - 1)
}

/// The `prediction` event's detail for what was said.
fn detail_of(p: &PredictProps, said: Said) -> serde_json::Value {
    let (answer, right, room) = match said {
        Said::Choice(i) => (p.choices.get(i).map_or("", |c| c.as_str()), i == p.answer, false),
        Said::Room => ("", false, true),
    };
    let mut detail = serde_json::json!({
        "id": p.id.as_str(), "question": p.question.as_str(),
        "answer": answer, "correct": right, "revealed_without_answer": room,
    });
    if let Some(step) = p.step {
        detail["step"] = serde_json::json!(step);
    }
    detail
}

/// A question with numbered choices; picking one reveals the answer and why.
#[component]
pub fn Predict(p: &PredictProps) -> Html {
    let stored = p.picked.map(Said::Choice).or(p.revealed.then_some(Said::Room));
    let said = use_state(|| stored);
    // Set when the answer is given here (not restored): the result takes focus.
    let just = use_state_eq(|| false);
    let reveal_ref = use_node_ref();
    let choices_ref = use_node_ref();
    {
        // A new question (or a stored choice arriving) replaces the state.
        let (said, just) = (said.clone(), just.clone());
        use_effect_with((p.id.clone(), stored), move |(_, stored)| {
            said.set(*stored);
            just.set(false);
        });
    }
    {
        let reveal_ref = reveal_ref.clone();
        use_effect_with((*just, said.is_some()), move |(just, revealed)| {
            if *just && *revealed {
                if let Some(el) = reveal_ref.cast::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    let say = |s: Said| {
        let (said, just, p) = (said.clone(), just.clone(), p.clone());
        Callback::from(move |_: MouseEvent| {
            if said.is_some() {
                return;
            }
            web::post_event("prediction", &p.lab, detail_of(&p, s));
            said.set(Some(s));
            just.set(true);
            match s {
                Said::Choice(i) => p.on_answer.emit((i, i == p.answer)),
                Said::Room => {
                    if let Some(r) = &p.on_reveal {
                        r.emit(());
                    }
                }
            }
        })
    };
    // 1..n moves focus onto that choice; Enter (the button's own key) confirms it.
    let onkeydown = {
        let (n, open, choices_ref) = (p.choices.len(), said.is_none(), choices_ref.clone());
        Callback::from(move |e: KeyboardEvent| {
            if !open || e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            let Some(i) = choice_of_key(&e.key(), n) else { return };
            let button = choices_ref
                .cast::<web_sys::Element>()
                .and_then(|g| g.query_selector(&format!("[data-choice=\"{i}\"]")).ok().flatten())
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(b) = button {
                let _ = b.focus();
                e.prevent_default();
                e.stop_propagation();
            }
        })
    };
    let id = p.id.to_string();
    let right = |i: usize| p.choices.get(i).cloned().unwrap_or_default();
    html! {
        <section class="predict" id={format!("predict-{id}")} aria-labelledby={format!("predict-{id}-q")}
                 data-answered={said.is_some().to_string()} tabindex="-1" {onkeydown}>
            <p class="predict-question" id={format!("predict-{id}-q")}><strong>{ "Predict first: " }</strong>{ p.question.clone() }</p>
            if said.is_none() {
                <p class="predict-keys hint">{ format!("Press 1 to {} to choose, then Enter.", p.choices.len().min(9)) }</p>
            }
            <div class="predict-choices" role="group" aria-label="Choices" ref={choices_ref}>
                { for p.choices.iter().enumerate().map(|(i, c)| {
                    let state = match *said {
                        Some(_) if i == p.answer => Some("right"),
                        Some(Said::Choice(k)) if k == i => Some("wrong"),
                        _ => None,
                    };
                    html! {
                        <button type="button" class={classes!("predict-choice", state)} data-choice={i.to_string()}
                            aria-pressed={(*said == Some(Said::Choice(i))).to_string()} disabled={said.is_some()} onclick={say(Said::Choice(i))}>
                            <span class="predict-num" aria-hidden="true">{ match state { Some("right") => "✓ ".to_string(), Some(_) => "✗ ".to_string(), None => format!("{}. ", i + 1) } }</span>
                            { c.clone() }
                        </button>
                    }
                }) }
            </div>
            if said.is_none() && p.on_reveal.is_some() {
                <p class="predict-room"><button type="button" class="predict-reveal-room" onclick={say(Said::Room)}>{ "Reveal (we voted)" }</button></p>
            }
            if let Some(s) = *said {
                <p class={classes!("predict-reveal", if s == Said::Choice(p.answer) { "right" } else { "wrong" }, (s == Said::Room).then_some("room"))}
                   tabindex="-1" ref={reveal_ref} data-correct={(s == Said::Choice(p.answer)).to_string()}
                   data-room={(s == Said::Room).to_string()}>
                    <strong>{ verdict(s, p.answer) }</strong>{ " " }
                    if s == Said::Room { { format!("The answer is {}: {} ", p.answer + 1, right(p.answer)) } }
                    { p.explain.clone() }
                </p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_says_right_only_for_the_right_choice_and_names_a_room_reveal() {
        assert_eq!(verdict(Said::Choice(1), 1), "✓ Right.");
        assert_eq!(verdict(Said::Choice(0), 1), "✗ Not quite.");
        assert_eq!(verdict(Said::Room, 1), "Revealed without a recorded answer.");
    }

    #[test]
    fn digit_keys_name_the_numbered_choices_and_nothing_else() {
        assert_eq!(choice_of_key("1", 5), Some(0));
        assert_eq!(choice_of_key("5", 5), Some(4));
        assert_eq!(choice_of_key("6", 5), None);
        assert_eq!(choice_of_key("0", 5), None);
        assert_eq!(choice_of_key("j", 5), None);
    }
}
