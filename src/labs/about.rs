//! About: what effectively-once means, with the smallest demonstration of it.

use crate::components::{Counter, Evidence, ExportBar, LinkWarnings, Slider, Toggle};
use crate::shell::LabProps;
use crate::web;
use idemlab_sim::delivery::{self, DeliveryParams, DeliveryRecord, Leg};
use yew::prelude::*;

/// Reads the demonstration's knobs from the permalink.
pub fn params_from(query: &mut crate::query::Query) -> DeliveryParams {
    DeliveryParams {
        messages: query.int("msgs", 20, 1, 200) as u32,
        message_loss: query.pct("mloss", 20),
        ack_loss: query.pct("aloss", 20),
        retry: query.flag("retry", true),
        attempts_max: query.int("attempts", 8, 1, 20) as u32,
        dedup: query.flag("dedup", false),
        seed: query.seed("seed", 1),
    }
}

/// The About page.
#[component]
pub fn About(p: &LabProps) -> Html {
    let mut q = p.query.clone();
    let params = params_from(&mut q);
    // The run is memoised on its parameters: re-rendering for any other
    // reason does not re-run the simulation.
    let run = use_memo(params.clone(), delivery::run);
    let set = |key: &'static str| {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |v: i64| on_query.emit(q.with(key, v)))
    };
    let set_flag = |key: &'static str| {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |v: bool| on_query.emit(q.with(key, u8::from(v))))
    };
    let new_seed = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |_| on_query.emit(q.with("seed", web::fresh_seed())))
    };

    // Tell an embedding page the outcome, once per run.
    {
        let run = run.clone();
        use_effect_with(params.clone(), move |_| {
            if let Ok(r) = &*run {
                if let Ok(counters) = serde_json::to_value(&r.counters) {
                    web::post_event("outcome", "about", counters);
                }
            }
        });
    }

    let trace_json = {
        let run = run.clone();
        Callback::from(move |()| match &*run {
            Ok(r) => serde_json::to_string_pretty(&r.trace).unwrap_or_default(),
            Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
        })
    };
    let result = match &*run {
        Err(e) => html! { <p class="error" role="alert">{ format!("This run could not start: {e}") }</p> },
        Ok(run) => {
            let c = &run.counters;
            let counters = vec![
                Counter::new("intended", "Messages intended", c.intended),
                Counter::new("attempts", "Attempts sent", c.attempts),
                Counter::new("confirmed", "Sender saw acknowledged", c.sender_confirmed),
                Counter::new("applied", "Effects applied", c.effects_applied),
                Counter::new("duplicate_effects", "Effects applied twice or more", c.duplicate_effects)
                    .key()
                    .bad_if(c.duplicate_effects > 0),
                Counter::new("never_applied", "Messages never applied", c.never_applied).bad_if(c.never_applied > 0),
                Counter::new("dedup_hits", "Duplicates skipped by dedup", c.duplicates_skipped),
            ];
            let counters_for_export = counters.clone();
            let belief =
                format!("the sender thinks {} of {} messages were delivered once.", c.sender_confirmed, c.intended);
            html! {
                <>
                    <Evidence title="Belief versus evidence" belief={Some(AttrValue::from(belief))} {counters} />
                    <MessageStrip records={run.trace.records().iter().map(|r| r.record.clone()).collect::<Vec<_>>()} messages={run.params.messages} />
                    <ExportBar name="about-delivery" trace_json={trace_json.clone()} counters={counters_for_export.clone()} query={p.query.clone()} />
                </>
            }
        }
    };

    html! {
        <section class="lab about" data-lab="about">
            <LinkWarnings warnings={q.warnings.clone()} />
            <h2>{ "Effectively-once, built from at-least-once" }</h2>
            <div class="prose">
                <p>{ "A sender that gets no answer cannot tell whether its message was lost or only the acknowledgement was. It has two choices: give up (at-most-once, and some effects never happen) or send again (at-least-once, and some effects happen twice). No protocol gives exactly-once delivery over a network that can lose messages." }</p>
                <p>{ "What we can build is an effect that happens once: deliver at least once, and have the receiver remember what it has already done. Over HTTP that memory is the Idempotency-Key; between services it is an inbox table keyed by message id. The labs show each piece failing and then holding:" }</p>
                <ul>
                    <li><a href="?area=keys">{ "Keys" }</a>{ ": how a server resolves a key to new, 409, replay or 422, and why the fingerprint matters." }</li>
                    <li><a href="?area=retries">{ "Retries" }</a>{ ": full-jitter backoff, Retry-After, what to retry, and a retry budget for the fleet." }</li>
                    <li><a href="?area=outbox">{ "Outbox" }</a>{ ": why a database write plus a publish loses events, and how outbox, relay and inbox close the gap." }</li>
                    <li><a href="?area=races">{ "Races" }</a>{ ": SELECT-then-INSERT charging twice, beside the atomic INSERT … ON CONFLICT fix." }</li>
                </ul>
                <p>{ "Every number on these pages is counted by a deterministic simulation: the same seed gives the same run, in your browser and in the idemlab command line tool." }</p>
            </div>
            <h3>{ "Try it: deliver messages over a lossy network" }</h3>
            <div class="controls">
                <Slider id="about-msgs" label="Messages" value={params.messages as i64} min={1} max={200} disabled={q.locked("msgs")} on_change={set("msgs")} />
                <Slider id="about-mloss" label="Message loss" unit="%" value={(params.message_loss * 100.0).round() as i64} min={0} max={100} disabled={q.locked("mloss")} on_change={set("mloss")} />
                <Slider id="about-aloss" label="Acknowledgement loss" unit="%" value={(params.ack_loss * 100.0).round() as i64} min={0} max={100} disabled={q.locked("aloss")} on_change={set("aloss")} />
                <Toggle id="about-retry" label="Retry on timeout (at-least-once)" checked={params.retry} disabled={q.locked("retry")} on_change={set_flag("retry")} />
                <Toggle id="about-dedup" label="Receiver deduplicates by message id" checked={params.dedup} disabled={q.locked("dedup")} on_change={set_flag("dedup")} />
                <div class="control seed">
                    <span>{ format!("Seed {}", params.seed) }</span>
                    <button type="button" onclick={new_seed} disabled={q.locked("seed")}>{ "New seed" }</button>
                </div>
            </div>
            { result }
        </section>
    }
}

/// Props of [`MessageStrip`].
#[derive(Properties, PartialEq, Clone)]
struct MessageStripProps {
    records: Vec<DeliveryRecord>,
    messages: u32,
}

/// One row per message: each attempt as a glyph, so duplicates and losses are
/// visible at a glance, and readable as text.
#[component]
fn MessageStrip(p: &MessageStripProps) -> Html {
    let shown = p.messages.min(40);
    let mut rows: Vec<Vec<(&'static str, &'static str)>> = vec![Vec::new(); shown as usize];
    for r in &p.records {
        let (msg, glyph) = match r {
            DeliveryRecord::Sent { msg, .. } => (*msg, ("→", "sent")),
            DeliveryRecord::Dropped { msg, leg: Leg::Message, .. } => (*msg, ("✕", "message lost")),
            DeliveryRecord::Dropped { msg, leg: Leg::Ack, .. } => (*msg, ("⤺✕", "acknowledgement lost")),
            DeliveryRecord::Applied { msg, duplicate: false, .. } => (*msg, ("●", "applied")),
            DeliveryRecord::Applied { msg, duplicate: true, .. } => (*msg, ("●●", "applied AGAIN")),
            DeliveryRecord::SkippedDuplicate { msg, .. } => (*msg, ("○", "duplicate skipped")),
            DeliveryRecord::Acked { msg, .. } => (*msg, ("✓", "acknowledged")),
            DeliveryRecord::TimedOut { msg, .. } => (*msg, ("t/o", "timed out")),
            DeliveryRecord::GaveUp { msg } => (*msg, ("∅", "gave up")),
        };
        if let Some(row) = rows.get_mut(msg as usize) {
            row.push(glyph);
        }
    }
    html! {
        <div class="message-strip">
            <p class="legend-text">{ "→ sent · ✕ message lost · ● applied · ●● applied again · ○ duplicate skipped · ⤺✕ acknowledgement lost · t/o timeout · ✓ acknowledged · ∅ gave up" }</p>
            <ol>
                { for rows.iter().enumerate().map(|(i, row)| {
                    let dup = row.iter().any(|(g, _)| *g == "●●");
                    html! {
                        <li class={classes!(dup.then_some("dup"))}
                            aria-label={format!("message {}: {}", i + 1, row.iter().map(|(_, w)| *w).collect::<Vec<_>>().join(", "))}>
                            <span class="msg-id">{ format!("#{:02}", i + 1) }</span>
                            { for row.iter().map(|(g, w)| html! { <span class="glyph" title={*w}>{ *g }</span> }) }
                        </li>
                    }
                }) }
            </ol>
            if p.messages > shown { <p class="note">{ format!("Showing the first {shown} of {} messages; the counters include all.", p.messages) }</p> }
        </div>
    }
}
