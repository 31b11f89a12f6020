//! The retry table the Retries lab's clients follow, with its sources: read
//! from the core (`backoff::RETRY_TABLE`), the same rows the engine decides by.

use idemlab_sim::backoff::{Verdict, RETRY_TABLE};
use yew::prelude::*;

fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Retry => "Retry",
        Verdict::OnlyIdempotent => "Only if idempotent or keyed",
        Verdict::Never => "Never as it is",
    }
}

/// What a client may retry, row by row, beside the Sources panel.
#[component]
pub fn RetryTable() -> Html {
    html! {
        <details class="sources retry-table" data-testid="retry-table">
            <summary>{ "What a client may retry" }</summary>
            <table>
                <thead><tr><th scope="col">{ "Failure" }</th><th scope="col">{ "Retry?" }</th><th scope="col">{ "Source" }</th></tr></thead>
                <tbody>
                    { for RETRY_TABLE.iter().map(|row| html! {
                        <tr><th scope="row">{ row.what }</th><td>{ verdict_text(row.verdict) }</td><td>{ row.source }</td></tr>
                    }) }
                </tbody>
            </table>
            <p class="note">{ "The knob \"The request\" chooses whether requests are idempotent or keyed. Without a key, a client that retries its timeouts anyway does work twice when the server had served the call; a careful one does not retry them." }</p>
        </details>
    }
}
