//! Recall: retrieval practice over the unit's six points. The learner answers
//! from memory first, then reveals a model answer and ticks a self-check
//! list; each prompt links to the lab screen that proves it. Answers persist
//! in localStorage (a side effect in `use_effect_with`, never in a reducer).

use super::lessons;
use crate::components::LinkWarnings;
use crate::web;
use serde::{Deserialize, Serialize};
use yew::prelude::*;

mod prompts;

pub use prompts::{Prompt, PROMPTS};

const STORAGE_KEY: &str = "idemlab.recall.v1";

/// What the learner wrote and ticked, as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RecallState {
    /// One answer per prompt.
    pub answers: Vec<String>,
    /// Whether each model answer was revealed.
    pub revealed: Vec<bool>,
    /// Ticks per prompt, per checklist item.
    pub checks: Vec<Vec<bool>>,
}

/// Longest answer kept, so storage stays small.
pub const ANSWER_LEN_MAX: usize = 4_000;

impl RecallState {
    /// An empty state shaped like [`PROMPTS`].
    pub fn empty() -> RecallState {
        RecallState {
            answers: vec![String::new(); PROMPTS.len()],
            revealed: vec![false; PROMPTS.len()],
            checks: PROMPTS.iter().map(|p| vec![false; p.checklist.len()]).collect(),
        }
    }

    /// Reads stored JSON; anything malformed or mis-shaped gives an empty state.
    pub fn from_json(s: &str) -> RecallState {
        let Ok(mut st) = serde_json::from_str::<RecallState>(s) else { return RecallState::empty() };
        let empty = RecallState::empty();
        st.answers.resize(PROMPTS.len(), String::new());
        st.revealed.resize(PROMPTS.len(), false);
        st.checks.resize(PROMPTS.len(), Vec::new());
        for (row, want) in st.checks.iter_mut().zip(&empty.checks) {
            row.resize(want.len(), false);
        }
        st.answers.iter_mut().for_each(clip_answer);
        st
    }
}

/// Cuts an answer to [`ANSWER_LEN_MAX`] bytes on a character boundary.
pub fn clip_answer(a: &mut String) {
    if a.len() > ANSWER_LEN_MAX {
        let mut cut = ANSWER_LEN_MAX;
        while !a.is_char_boundary(cut) {
            cut -= 1;
        }
        a.truncate(cut);
    }
}

/// The Recall page.
#[component]
pub fn Recall(p: &crate::shell::LabProps) -> Html {
    let state = use_state(|| {
        web::storage_get(STORAGE_KEY).map(|s| RecallState::from_json(&s)).unwrap_or_else(RecallState::empty)
    });
    {
        use_effect_with((*state).clone(), |st| {
            if *st == RecallState::empty() {
                web::storage_remove(STORAGE_KEY);
            } else if let Ok(json) = serde_json::to_string(st) {
                web::storage_set(STORAGE_KEY, &json);
            }
        });
    }
    let update = |f: fn(&mut RecallState, usize, usize, String), i: usize, j: usize| {
        let state = state.clone();
        move |v: String| {
            let mut st = (*state).clone();
            f(&mut st, i, j, v);
            state.set(st);
        }
    };
    let reset = {
        let state = state.clone();
        Callback::from(move |_| state.set(RecallState::empty()))
    };
    let mut query = p.query.clone();
    crate::shell::warn_unknown_page_keys(&mut query, &["lesson", "stop", "learn"]);
    // A proof link inside an embed stays an embed, with the author's locks and origins.
    let proof_href = |proof: &str| crate::host::keep_frame(&p.query, crate::query::Query::parse(proof)).to_search();
    let progress = use_memo((), |_| lessons::load_progress());
    let done: usize = state.checks.iter().flatten().filter(|c| **c).count();
    let total: usize = PROMPTS.iter().map(|p| p.checklist.len()).sum();
    // Each glossary word is explained in the first question that says it.
    let mut glossed = crate::components::explained_above("");
    let questions: Vec<Html> = PROMPTS.iter().map(|pr| crate::components::gloss(pr.question, &mut glossed)).collect();
    html! {
        <section class="lab recall" data-lab="recall">
            <LinkWarnings warnings={query.warnings.clone()} />
            <h2>{ "Recall" }</h2>
            <p class="prose">{ "Answer each question from memory first, then reveal the model answer and tick the points you had. Your answers stay in this browser only." }</p>
            <p class="recall-progress" aria-live="polite">{ format!("{done} of {total} key points checked") }</p>
            <ol class="recall-list">
                { for PROMPTS.iter().enumerate().map(|(i, pr)| {
                    let on_answer = update(|st, i, _, mut v| {
                        clip_answer(&mut v);
                        st.answers[i] = v;
                    }, i, 0);
                    let oninput = Callback::from(move |e: InputEvent| {
                        let t: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
                        on_answer(t.value());
                    });
                    let reveal = update(|st, i, _, _| st.revealed[i] = !st.revealed[i], i, 0);
                    let onreveal = Callback::from(move |_| reveal(String::new()));
                    let revealed = state.revealed[i];
                    html! {
                        <li class="recall-item" id={format!("recall-{}", pr.id)} data-prompt={pr.id}>
                            <h3>{ questions[i].clone() }</h3>
                            <label for={format!("answer-{}", pr.id)} class="visually-hidden">{ format!("Your answer to: {}", pr.question) }</label>
                            <textarea id={format!("answer-{}", pr.id)} rows="4" placeholder="Your answer, from memory…"
                                value={state.answers[i].clone()} {oninput} maxlength={ANSWER_LEN_MAX.to_string()} />
                            <div class="recall-actions">
                                <button type="button" class="reveal" aria-expanded={revealed.to_string()} onclick={onreveal}>
                                    { if revealed { "Hide the model answer" } else { "Reveal the model answer" } }
                                </button>
                                <a class="proof" href={proof_href(pr.proof)}>{ format!("Prove it in the lab → {}", pr.proof_label) }</a>
                                if let Some(l) = lessons::lesson(pr.id) {
                                    <a class="lesson-link" href={crate::host::keep_frame(&p.query, crate::query::Query::parse(&format!("?area=recall&lesson={}", l.id))).to_search()} data-lesson={l.id}>
                                        { format!("Guided lesson: {} stops ({} answered) →", l.stops.len(), lessons::answered(&progress, l.id)) }
                                    </a>
                                }
                            </div>
                            if revealed {
                                <div class="model-answer">
                                    <p>{ pr.answer }</p>
                                    if super::learn::SCREENS.iter().any(|s| s.prompt == pr.id) {
                                        <p class="recall-screens">{ "See it run: " }
                                            { for super::learn::SCREENS.iter().filter(|s| s.prompt == pr.id).map(|s| html! {
                                                <a class="screen-link" href={proof_href(s.link)}>{ s.point }</a>
                                            }) }
                                        </p>
                                    }
                                    <fieldset>
                                        <legend>{ "Self-check: did your answer say…" }</legend>
                                        { for pr.checklist.iter().enumerate().map(|(j, item)| {
                                            let tick = update(|st, i, j, _| st.checks[i][j] = !st.checks[i][j], i, j);
                                            let onchange = Callback::from(move |_| tick(String::new()));
                                            let id = format!("check-{}-{j}", pr.id);
                                            html! {
                                                <div class="check">
                                                    <input type="checkbox" id={id.clone()} checked={state.checks[i][j]} {onchange} />
                                                    <label for={id}>{ *item }</label>
                                                </div>
                                            }
                                        }) }
                                    </fieldset>
                                </div>
                            }
                        </li>
                    }
                }) }
            </ol>
            <button type="button" class="recall-reset" onclick={reset}>{ "Reset all answers and ticks" }</button>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_storage_gives_an_empty_state() {
        assert_eq!(RecallState::from_json("{not json"), RecallState::empty());
        assert_eq!(RecallState::from_json("[]"), RecallState::empty());
    }

    #[test]
    fn stored_state_is_reshaped_to_the_prompts() {
        let s = RecallState::from_json(
            r#"{"answers":["x"],"revealed":[true,true,true,true,true,true,true,true],"checks":[[true,true,true,true,true,true,true]]}"#,
        );
        assert_eq!(s.answers.len(), PROMPTS.len());
        assert_eq!(s.answers[0], "x");
        assert_eq!(s.revealed.len(), PROMPTS.len());
        assert_eq!(s.checks[0].len(), PROMPTS[0].checklist.len());
    }

    #[test]
    fn every_proof_link_runs_without_a_link_warning() {
        for p in &PROMPTS {
            match idemlab_sim::labs::run_permalink(p.proof) {
                Ok(report) => assert!(report.warnings.is_empty(), "{}: {:?}", p.proof, report.warnings),
                // Labs not yet under the engine contract are checked end to end.
                Err(e) => assert!(e.contains("no engine run under the lab contract yet"), "{}: {e}", p.proof),
            }
        }
    }

    #[test]
    fn every_prompt_links_to_a_lab_area() {
        for p in &PROMPTS {
            let mut q = crate::query::Query::parse(p.proof);
            assert_ne!(q.area(), crate::query::Area::Recall, "{}", p.id);
            assert!(q.warnings.is_empty(), "{}: {:?}", p.id, q.warnings);
        }
    }
}
