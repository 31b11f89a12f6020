//! Predict first, for every lab and for the guided lessons: one question,
//! a few choices, and a reveal that says whether the learner was right and
//! why. Answering posts a `prediction` event to an embedding page (the
//! schema Races uses: `{ source: "idemlab", type: "prediction", area,
//! detail: { id, question, answer, correct } }`, plus the step when given).
//!
//! A lab shows it before its decisive step, for example (Keys):
//!
//! ```text
//! if step + 1 == decisive && !answered {
//!     html! { <Predict lab="keys" id="retry-after-crash" question="…" choices={vec!["…".into(), "…".into()]}
//!                      answer={1} explain="…" on_answer={reveal_then_step} /> }
//! }
//! ```

use crate::web;
use yew::prelude::*;

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
    /// Told the choice and whether it was right, after the event is posted.
    #[prop_or_default]
    pub on_answer: Callback<(usize, bool)>,
}

/// What the learner picked and whether it was right, for the reveal.
fn verdict(picked: usize, answer: usize) -> &'static str {
    if picked == answer {
        "✓ Right."
    } else {
        "✗ Not quite."
    }
}

/// A question with choices; picking one reveals the answer and why.
#[component]
pub fn Predict(p: &PredictProps) -> Html {
    let picked = use_state(|| p.picked);
    {
        // A new question (or a stored choice arriving) replaces the state.
        let picked = picked.clone();
        use_effect_with((p.id.clone(), p.picked), move |(_, stored)| picked.set(*stored));
    }
    let pick = |i: usize| {
        let (picked, p) = (picked.clone(), p.clone());
        Callback::from(move |_| {
            let right = i == p.answer;
            let mut detail = serde_json::json!({
                "id": p.id.as_str(), "question": p.question.as_str(),
                "answer": p.choices.get(i).map_or("", |c| c.as_str()), "correct": right,
            });
            if let Some(step) = p.step {
                detail["step"] = serde_json::json!(step);
            }
            web::post_event("prediction", &p.lab, detail);
            picked.set(Some(i));
            p.on_answer.emit((i, right));
        })
    };
    let id = p.id.to_string();
    html! {
        <section class="predict" id={format!("predict-{id}")} aria-labelledby={format!("predict-{id}-q")}
                 data-answered={picked.is_some().to_string()}>
            <p class="predict-question" id={format!("predict-{id}-q")}><strong>{ "Predict first: " }</strong>{ p.question.clone() }</p>
            <div class="predict-choices" role="group" aria-label="Choices">
                { for p.choices.iter().enumerate().map(|(i, c)| {
                    let state = match *picked {
                        Some(_) if i == p.answer => Some("right"),
                        Some(k) if k == i => Some("wrong"),
                        _ => None,
                    };
                    html! {
                        <button type="button" class={classes!("predict-choice", state)} data-choice={i.to_string()}
                            aria-pressed={(*picked == Some(i)).to_string()} disabled={picked.is_some()} onclick={pick(i)}>
                            { match state { Some("right") => "✓ ", Some(_) => "✗ ", None => "" } }{ c.clone() }
                        </button>
                    }
                }) }
            </div>
            if let Some(k) = *picked {
                <p class={classes!("predict-reveal", if k == p.answer { "right" } else { "wrong" })} role="status" data-correct={(k == p.answer).to_string()}>
                    <strong>{ verdict(k, p.answer) }</strong>{ " " }{ p.explain.clone() }
                </p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_says_right_only_for_the_right_choice() {
        assert_eq!(verdict(1, 1), "✓ Right.");
        assert_eq!(verdict(0, 1), "✗ Not quite.");
    }
}
