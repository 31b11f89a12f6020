//! What the study and compare views say about their Web Worker: their
//! status lines' buttons, and the message with the way out when the worker
//! has not answered (the same words in both views).

use crate::offload::ANSWER_WAIT_MS;
use yew::prelude::*;

/// A status line's button that calls `cb`.
pub fn button(label: &'static str, testid: &'static str, cb: &Callback<()>) -> Html {
    let cb = cb.clone();
    html! { <button type="button" data-testid={testid} onclick={Callback::from(move |_| cb.emit(()))}>{ label }</button> }
}

/// The worker that runs `runs` ("the sweep", "the fleets") has not answered:
/// why that may be, that `result` will still appear if it starts, and a
/// button to run the work on the page instead, after `here_text`.
pub fn no_answer(
    testid: &'static str,
    runs: &str,
    result: &str,
    here_text: String,
    here_testid: &'static str,
    here: &Callback<()>,
) -> Html {
    html! {
        <div class="error" role="alert" data-state="no-answer" data-testid={testid}>
            <p>{ format!(
                "The Web Worker that runs {runs} has not answered in {} s. It may not have loaded: the file idemlab-worker_loader.js may be missing next to the page, or a Content-Security-Policy without worker-src 'self' may refuse it (the browser's console says which). If it starts, {result} will still appear.",
                ANSWER_WAIT_MS / 1000
            ) }</p>
            <p>{ here_text }{ button("Run it on this page", here_testid, here) }</p>
        </div>
    }
}
