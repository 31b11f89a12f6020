//! About: what effectively-once means, with the smallest demonstration of
//! it. The demonstration is `DeliveryLab` in the core, on the shared lab
//! shell: its knobs, presets, counters and sources come from there.

use crate::components::{Counter, Evidence, ExportBar};
use crate::query::Area;
use crate::shell::{
    preset_href, use_lab, use_preset_hrefs, KnobPanel, LabLayout, LabProps, PresetBar, RunError, SourcesPanel,
};
use idemlab_sim::delivery::{DeliveryLab, DeliveryParams, DeliveryRecord, Leg};
use idemlab_sim::lab::Lab;
use yew::prelude::*;

/// The About page.
impl super::LabPage for idemlab_sim::delivery::DeliveryLab {
    const PREDICTS_FIRST: bool = false;
    const SUMMARY: &'static str = "exactly-once delivery is an illusion: at-most-once loses effects, at-least-once repeats them, and a receiver that remembers makes each happen once.";
    fn page(props: LabProps) -> Html {
        html! { <About ..props /> }
    }
}

#[component]
pub fn About(p: &LabProps) -> Html {
    let lab = use_lab::<DeliveryLab>(p);
    let hrefs = use_preset_hrefs(&lab.link, &[], preset_href::<DeliveryLab>);
    // A link without preset= that sets a preset's knobs shows that preset's lesson.
    let current = lab.preset.map(|p| p.slug).or_else(|| {
        DeliveryLab::presets().iter().find(|pr| DeliveryLab::preset_params(pr) == lab.params).map(|pr| pr.slug)
    });
    let presets = html! {
        <PresetBar prefix="about" presets={DeliveryLab::presets()} current={current} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={lab.dispatch.clone()} />
    };
    let controls = html! {
        <KnobPanel<DeliveryParams> prefix="about" params={lab.params.clone()} query={lab.query.clone()} dispatch={lab.dispatch.clone()} />
    };
    let (picture, evidence) = match &*lab.run {
        Err(e) => (html! { <RunError error={e.to_string()} /> }, html! {}),
        Ok(run) => {
            let c = &run.counters;
            let counters = Counter::from_core(&DeliveryLab::counters(run), lab.key_counter());
            let belief =
                format!("the sender thinks {} of {} messages were delivered once.", c.sender_confirmed, c.intended);
            let make_report = lab.make_report();
            let trace_json = {
                let run = lab.run.clone();
                Callback::from(move |()| match &*run {
                    Ok(r) => serde_json::to_string_pretty(&r.trace).unwrap_or_default(),
                    Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
                })
            };
            let records: Vec<DeliveryRecord> = run.trace.records().iter().map(|r| r.record.clone()).collect();
            (
                html! { <MessageStrip records={records} messages={run.params.messages} /> },
                html! {
                    <>
                        <Evidence title="Belief versus evidence, for the whole run" belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
                        <ExportBar name="about-delivery" trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
                    </>
                },
            )
        }
    };
    let intro = html! {
        <>
            <p>{ "A sender that gets no answer cannot tell whether its message was lost or only the acknowledgement was. It has two choices: give up (at-most-once, and some effects never happen) or send again (at-least-once, and some effects happen twice). No protocol gives exactly-once delivery over a network that can lose messages." }</p>
            <p>{ "What we can build is an effect that happens once: deliver at least once, and have the receiver remember what it has already done. Over HTTP that memory is the Idempotency-Key; between services it is an inbox table keyed by message id. The labs show each piece failing and then holding:" }</p>
            <ul>
                { for Area::LABS.iter().filter(|a| **a != Area::About).map(|&a| html! {
                    <li>
                        <a href={crate::host::area_link(&p.query, a.slug()).to_search()}>{ a.title() }</a>
                        { format!(": {}", super::summary(a)) }
                    </li>
                }) }
            </ul>
            <p>{ "Every number on these pages is counted by a deterministic simulation: the same seed gives the same run, in your browser and in the idemlab command line tool." }</p>
        </>
    };
    html! {
        <LabLayout slug="about" title="Effectively-once, built from at-least-once" warnings={lab.query.warnings.clone()}
            intro={intro} presets={presets} picture={picture} controls={controls} evidence={evidence}
            sources={html! { <SourcesPanel sources={DeliveryLab::sources()} /> }} gate={lab.gate(None, None)} />
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
