//! Recall: retrieval practice over the unit's six points. The learner answers
//! from memory first, then reveals a model answer and ticks a self-check
//! list; each prompt links to the lab screen that proves it. Answers persist
//! in localStorage (a side effect in `use_effect_with`, never in a reducer).

use super::lessons;
use crate::components::LinkWarnings;
use crate::web;
use serde::{Deserialize, Serialize};
use yew::prelude::*;

/// One recall prompt.
pub struct Prompt {
    /// Stable id, used in the DOM and in storage.
    pub id: &'static str,
    /// The question.
    pub question: &'static str,
    /// The model answer, written for this lab.
    pub answer: &'static str,
    /// Key points to check one's answer against.
    pub checklist: &'static [&'static str],
    /// The permalink (query string) of the lab screen that proves it.
    pub proof: &'static str,
    /// What that link shows.
    pub proof_label: &'static str,
}

/// The six prompts of the unit.
pub const PROMPTS: [Prompt; 6] = [
    Prompt {
        id: "effectively-once",
        question: "Why is exactly-once delivery an illusion, and how is effectively-once built instead?",
        answer: "A sender that hears nothing back cannot tell a lost request from a lost reply, so it must either give up (at-most-once: some effects never happen) or send again (at-least-once: some effects happen twice). No protocol removes that choice over a lossy network. Effectively-once accepts at-least-once delivery and makes the receiver deduplicate: it remembers an id per operation (an Idempotency-Key, a message id in an inbox table) in the same durable store and transaction as the effect, so a repeat is recognised and the effect is applied once.",
        checklist: &[
            "A lost reply looks the same as a lost request to the sender",
            "Retrying gives at-least-once, not exactly-once",
            "Dedup by an operation id at the receiver",
            "The dedup record is written atomically with the effect",
        ],
        proof: "?area=about&aloss=40",
        proof_label: "About: acknowledgement loss makes retries apply effects twice",
    },
    Prompt {
        id: "four-outcomes",
        question: "What are the outcomes a server resolves an Idempotency-Key into, with their status codes?",
        answer: "New key: claim it atomically, process the request and store the response. Key in progress (the first request has not finished): 409 Conflict, and the client may retry later. Key completed: replay the stored status and body, including a stored error, marked as a replay. Same key with a different payload: 422 Unprocessable Content, and the client must fix its request. A missing key where the endpoint requires one: 400 Bad Request.",
        checklist: &[
            "New: process and store the response",
            "In progress: 409, retry later",
            "Completed: replay the stored response",
            "Different payload: 422; missing key: 400",
        ],
        proof: "?area=keys&preset=correct",
        proof_label: "Keys: the correct setup, where charges equal intended operations",
    },
    Prompt {
        id: "fingerprint",
        question: "Why does the request fingerprint matter, and what fails silently without it?",
        answer: "The fingerprint is a hash of the method, path and canonical body stored with the key. Without it, a client that reuses a key for a different operation gets the first operation's stored response: the second operation never runs, yet the client reads success and believes it did. That is silent loss, and no error shows it. With the fingerprint the server sees the mismatch and answers 422, so the bug is loud.",
        checklist: &[
            "Hash of method, path and body, stored with the key",
            "Key reuse without it replays the wrong response",
            "The second operation is lost while the client believes it happened",
            "With it the server answers 422",
        ],
        proof: "?area=keys&preset=reused-key",
        proof_label: "Keys: a reused key without a fingerprint loses operations silently",
    },
    Prompt {
        id: "jitter-and-budgets",
        question: "Give the full-jitter formula. Why is jitter essential, and why is a per-request attempt cap not enough?",
        answer: "Full jitter sleeps random_between(0, min(cap, base × 2^n)) before retry n. Without jitter, clients that failed together retry together, in synchronised waves that hit a recovering server at once; jitter spreads them out, lowering the peak after recovery (where retries contend, as in the AWS study's workload, it also cuts the total work). A per-request cap bounds one request but not the fleet: during an outage every request retries up to its cap, so load multiplies (and with k retries at each of N layers, one call becomes (k+1)^N). A retry budget, such as retrying only while retries stay under about 10 % of requests, bounds the amplification; libraries keep one per client, so per-client floors add up over many quiet clients. Retry only what is retryable (408, 429, 500, 502, 503, 504, and a 409 that says the key is still in progress), retry a network error or a timeout only when the request is idempotent or carries an Idempotency-Key (RFC 9110 9.2.2), and honour Retry-After.",
        checklist: &[
            "sleep = random_between(0, min(cap, base × 2^n))",
            "Without jitter, retries arrive in synchronised waves",
            "A cap bounds one request, not the fleet's load",
            "A retry budget (about 10 %) bounds amplification",
            "Retry only what is retryable; honour Retry-After",
        ],
        proof: "?area=retries&preset=herd",
        proof_label: "Retries: synchronised retries without jitter after an outage",
    },
    Prompt {
        id: "outbox",
        question: "Why does write-the-database-then-publish fail, and how do outbox and inbox fix it?",
        answer: "The database write and the publish are two independent systems with no shared transaction. If the process dies between them the change is committed but the event is never sent; publishing first instead can send an event for a change that never commits. The transactional outbox writes the business row and an outbox row in one transaction; a relay publishes outbox rows and then marks them sent. The relay can die between publishing and marking, so delivery is at least once and duplicates are normal. The consumer therefore records each message id in an inbox table in the same transaction as its effect, and skips a message it has already processed: effectively once.",
        checklist: &[
            "Two writes with no shared transaction: lost or ghost events",
            "Business row and outbox row in one transaction",
            "The relay gives at-least-once: duplicates happen",
            "Inbox keyed by message id, written with the effect",
        ],
        proof: "?area=outbox&preset=lost",
        proof_label: "Outbox: write-then-publish loses events when the service crashes",
    },
    Prompt {
        id: "race",
        question: "Why is SELECT-then-INSERT unsafe under concurrency, and what does a production-grade key store look like?",
        answer: "Two requests with the same key can both SELECT before either INSERTs; both see no row, both charge, and with no unique constraint both insert. A unique index alone still lets both charge when the charge comes before the insert: the second insert then fails with 23505 after the money moved. SELECT … FOR UPDATE does not help because it locks no row when the key is absent. The fix is to claim the key first with one atomic statement, INSERT … ON CONFLICT DO NOTHING RETURNING, on a unique key: only the request that gets a row back proceeds; the other reads the existing row and answers 409 or replays the stored response. The store must be durable (a database table, not process memory), or a crash forgets keys and the retry charges again.",
        checklist: &[
            "Both SELECTs can see no row before either INSERT",
            "FOR UPDATE locks nothing when the key is absent",
            "Claim first: INSERT … ON CONFLICT DO NOTHING RETURNING on a unique key",
            "The loser answers 409 or replays the stored response",
            "The key store must be durable",
        ],
        proof: "?area=races&scenario=select-then-insert",
        proof_label: "Races: SELECT-then-INSERT charges twice",
    },
];

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
    crate::shell::warn_unknown_page_keys(&mut query, &["lesson", "stop"]);
    // A proof link inside an embed stays an embed, with the author's locks and origins.
    let proof_href = |proof: &str| crate::host::keep_frame(&p.query, crate::query::Query::parse(proof)).to_search();
    let progress = use_memo((), |_| lessons::load_progress());
    let done: usize = state.checks.iter().flatten().filter(|c| **c).count();
    let total: usize = PROMPTS.iter().map(|p| p.checklist.len()).sum();
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
                            <h3>{ pr.question }</h3>
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
