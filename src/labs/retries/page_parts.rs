//! The Retries page's fixed parts: the view tabs, the knob panel (which
//! wakes the worker when the learner reaches for it), the introduction and
//! the sources.

use super::next_link;
use crate::components::{explained_above, gloss};
use crate::query::Query;
use crate::shell::{KnobPanel, LabAction, LabLink, SourcesPanel};
use idemlab_sim::knob::Params;
use idemlab_sim::lab::Lab;
use idemlab_sim::retries::params::STUDY_KEYS;
use idemlab_sim::retries::{RetriesLab, RetriesParams, View};
use yew::prelude::*;

/// The page title (its words are explained in it).
pub const TITLE: &str = "Retries: backoff, jitter, Retry-After and budgets";

/// The tabs of the three views; each is a link, so it opens in a new tab too.
pub fn tabs(q: &Query, lab: &LabLink<RetriesLab>, dispatch: &Callback<LabAction>) -> Html {
    let view = lab.params.view;
    let tab = |v: View| {
        let action = LabAction::SetKnob { key: "mode", value: v.index() as u64 };
        let href = next_link(q, &action).unwrap_or_else(|| lab.query.clone()).to_search();
        let d = dispatch.clone();
        let onclick = Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            d.emit(action.clone());
        });
        html! {
            <a href={href} role="tab"
                aria-selected={(v == view).to_string()} data-mode={v.slug()} aria-disabled={lab.locked("mode").then_some("true")}
                class={classes!("retries-tab", (v == view).then_some("current"))} {onclick}>{ v.title() }</a>
        }
    };
    html! {
        <div class="retries-tabs" role="tablist" aria-label="View">{ for View::ALL.iter().map(|&v| tab(v)) }</div>
    }
}

/// The knobs of the view shown; a pointer or the keyboard's focus inside them calls `reached`.
pub fn controls(lab: &LabLink<RetriesLab>, dispatch: &Callback<LabAction>, reached: UseStateSetter<bool>) -> Html {
    let hide: Vec<&'static str> = match lab.params.view {
        View::Fleet | View::Compare => {
            let mut h = vec!["mode"];
            h.extend(STUDY_KEYS);
            h
        }
        View::Study => {
            RetriesParams::knobs().iter().map(|k| k.key).filter(|k| !STUDY_KEYS.contains(k) && *k != "seed").collect()
        }
    };
    let reach = Callback::from(move |_: Event| reached.set(true));
    html! {
        <div class="retries-controls-reach" onpointerdown={reach.reform(Event::from)} onfocusin={reach.reform(Event::from)}>
            <KnobPanel<RetriesParams> prefix="retries" params={lab.params.clone()} query={lab.query.clone()} dispatch={dispatch.clone()} hide={hide} />
        </div>
    }
}

/// The introduction, with the full-jitter formula at the knobs' base and cap.
pub fn intro(params: &RetriesParams) -> Html {
    // Each glossary word is explained where the intro first says it.
    let mut done = explained_above(TITLE);
    html! {
        <>
            <p>{ gloss("A retry is how at-least-once delivery happens, and a fleet of clients retrying at once is how a short outage becomes a longer one. Back off exponentially and add jitter (full jitter, equal jitter or decorrelated jitter), so that clients that failed together do not come back together; retry only what the retry table below allows (408, 429, 500, 502, 503, 504; a network error or a timeout only when the request is idempotent or carries an Idempotency-Key, RFC 9110 9.2.2; never a 400 or another 4xx); honour Retry-After; and bound retries beyond one request: with a retry budget per client, as Finagle keeps one (a share of the requests of the last TTL, plus a floor; the floors add up over many quiet clients), with gRPC's retry throttling, or with the SRE book's adaptive throttling.", &mut done) }</p>
            <p class="retries-formula" data-testid="full-jitter-formula">
                { "Full jitter (Marc Brooker, AWS Architecture Blog, 2015): before retry n, sleep " }
                <code>{ "random_between(0, min(cap, base × 2^n))" }</code>
                { format!(". With the knobs above: base {} ms, cap {} ms.", params.fleet.base_ms, params.fleet.cap_ms) }
            </p>
            <p>{ "What jitter changes in this fleet: full jitter waits half as long on average as exponential backoff without jitter, so during an outage it can retry more, not less. Its gift is spreading the wave that reaches the server when the outage ends: a lower peak against capacity and a shorter overload. In the study's contention workload, where every retry collides with other clients' writes, jitter also cuts the total work." }</p>
            <p>{ "What a synchronised wave costs here: the server has a fixed capacity and a bounded queue, so a wave fills the queue (latency), overflows it (503s that are retried in turn) and, past the client timeout, makes the server do work nobody waits for. The server never slows down under overload itself; real servers often do, which makes waves worse than shown." }</p>
        </>
    }
}

/// The sources panel.
pub fn sources() -> Html {
    html! { <><SourcesPanel sources={RetriesLab::sources()} /><super::retry_table::RetryTable /></> }
}
