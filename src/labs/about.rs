//! About: what effectively-once means, with the smallest demonstration of
//! it. The demonstration is `DeliveryLab` in the core, on the shared lab
//! shell: its knobs, presets, counters and sources come from there.

mod question;
mod start;
mod symptoms;

use crate::components::{explained_above, gloss, use_keep_in_view, Counter, Evidence, ExportBar, StepControls};
use crate::query::Area;
use crate::shell::{
    preset_href, use_lab, use_predict_gate, use_preset_hrefs, KnobPanel, LabLayout, LabProps, PresetBar, RunError,
    SourcesPanel,
};
use idemlab_sim::delivery::{DeliveryCounters, DeliveryLab, DeliveryParams, DeliveryRecord, Leg};
use idemlab_sim::lab::Lab;
use yew::prelude::*;

/// The About page.
impl super::LabPage for idemlab_sim::delivery::DeliveryLab {
    const PREDICTS_FIRST: bool = true;
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
    // Predict first: what happens to a message's effect at the run's decisive record.
    let asked = use_memo(lab.params.clone(), {
        let run = lab.run.clone();
        move |_| run.as_ref().as_ref().ok().and_then(question::question)
    });
    let steps_n = lab.run.as_ref().as_ref().map_or(0, |r| r.trace.records().len());
    let predict = use_predict_gate(
        &lab.link,
        &lab.dispatch,
        lab.step.min(steps_n),
        (*asked).clone().into_iter().collect(),
        lab.on_step(),
        "Record",
    );
    let presets = html! {
        <PresetBar prefix="about" presets={DeliveryLab::presets()} current={current} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={lab.dispatch.clone()} hide_lesson={predict.hiding} />
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
            let steps = records.len();
            let step = predict.step.min(steps);
            let caption = step.checked_sub(1).and_then(|i| records.get(i)).map(|r| AttrValue::from(caption_of(r)));
            (
                html! {
                    <>
                        <StepControls step={step} steps={steps} on_step={predict.on_step.clone()} label="Record" disabled={lab.locked("step")}
                            caption={caption} outcome={Some(AttrValue::from(outcome_words(c)))} waits={predict.waits} told={predict.told} />
                        { predict.prompt.clone() }
                        <MessageStrip records={records} messages={run.params.messages} step={step} asks={predict.asks()} />
                    </>
                },
                html! {
                    <>
                        <Evidence title="Belief versus evidence, for the whole run" belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
                        <ExportBar name="about-delivery" trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
                    </>
                },
            )
        }
    };
    const TITLE: &str = "Effectively-once, built from at-least-once";
    // Each glossary word is explained where the intro first says it.
    let mut done = explained_above(TITLE);
    let first = gloss("A sender that gets no answer cannot tell whether its message was lost or only the acknowledgement was. It has two choices: give up (at-most-once, and some effects never happen) or send again (at-least-once, and some effects happen twice). No protocol gives exactly-once delivery over a network that can lose messages.", &mut done);
    let second = gloss("What we can build is an effect that happens once: deliver at least once, and have the receiver remember what it has already done. Over HTTP that memory is the Idempotency-Key; between services it is an inbox table keyed by message id. The labs show each piece failing and then holding:", &mut done);
    let labs: Vec<Html> = Area::LABS
        .iter()
        .filter(|a| **a != Area::About)
        .map(|&a| {
            html! {
                <li>
                    <a href={crate::host::area_link(&p.query, a.slug()).to_search()}>{ a.title() }</a>
                    { ": " }{ gloss(super::summary(a), &mut done) }
                </li>
            }
        })
        .collect();
    let mut gate = lab.gate(None, None);
    gate.step = predict.step;
    gate.asks = predict.asks();
    let intro = html! {
        <>
            <p>{ first }</p>
            <p>{ second }</p>
            <ul>{ for labs }</ul>
            <p>{ "Every number on these pages is counted by a deterministic simulation: the same seed gives the same run, in your browser and in the idemlab command line tool." }</p>
        </>
    };
    // The home page opens with the incidents people arrive with; the simulation follows.
    let mode = use_context::<crate::shell::PageMode>().unwrap_or_default();
    html! {
        <>
            if !mode.embed && !mode.present { <start::StartHere query={p.query.clone()} on_query={p.on_query.clone()} /> }
            <LabLayout slug="about" title={TITLE} warnings={lab.query.warnings.clone()}
                intro={intro} presets={presets} picture={picture} controls={controls} evidence={evidence}
                sources={html! { <SourcesPanel sources={DeliveryLab::sources()} /> }} gate={gate} head={predict.switch.clone()} />
        </>
    }
}

/// The step caption for one record: who did what, and what it means.
/// Messages are numbered from 1, as the strip shows them.
fn caption_of(r: &DeliveryRecord) -> String {
    let n = |msg: &u32| msg + 1;
    match r {
        DeliveryRecord::Sent { msg, attempt } => format!("The sender sends message #{}, attempt {attempt}.", n(msg)),
        DeliveryRecord::Dropped { msg, attempt, leg: Leg::Message } => format!(
            "The network loses attempt {attempt} of message #{}: the receiver never sees it.",
            n(msg)
        ),
        DeliveryRecord::Dropped { msg, attempt, leg: Leg::Ack } => format!(
            "The network loses the acknowledgement of message #{}, attempt {attempt}: the receiver has applied it, but the sender cannot know.",
            n(msg)
        ),
        DeliveryRecord::Applied { msg, attempt, duplicate: false } => {
            format!("The receiver applies message #{} (attempt {attempt}): its effect happens.", n(msg))
        }
        DeliveryRecord::Applied { msg, attempt, duplicate: true } => format!(
            "The receiver applies message #{} AGAIN (attempt {attempt}): nothing remembers it was done, so the effect happens twice.",
            n(msg)
        ),
        DeliveryRecord::SkippedDuplicate { msg, attempt } => format!(
            "The receiver knows message #{}'s id and skips attempt {attempt}: the effect stays single, and it acknowledges again.",
            n(msg)
        ),
        DeliveryRecord::Acked { msg, attempt } => format!(
            "The sender gets the acknowledgement of message #{}, attempt {attempt}: it believes the message was delivered.",
            n(msg)
        ),
        DeliveryRecord::TimedOut { msg, attempt } => format!(
            "The sender hears nothing for message #{}, attempt {attempt}, and times out: it cannot tell a lost message from a lost acknowledgement.",
            n(msg)
        ),
        DeliveryRecord::GaveUp { msg } => {
            format!("The sender gives up on message #{}: if no attempt arrived, its effect never happens.", n(msg))
        }
    }
}

/// How the run ended, from its counters, for the last record.
fn outcome_words(c: &DeliveryCounters) -> String {
    let verdict = if c.duplicate_effects > 0 {
        "effects repeated"
    } else if c.never_applied > 0 {
        "effects lost"
    } else {
        "every effect once"
    };
    format!(
        "{} messages, {} applied once or more, {} applied twice or more, {} never applied; the sender believes {} delivered: {verdict}",
        c.intended, c.distinct_applied, c.duplicate_effects, c.never_applied, c.sender_confirmed
    )
}

/// Props of [`MessageStrip`].
#[derive(Properties, PartialEq, Clone)]
struct MessageStripProps {
    records: Vec<DeliveryRecord>,
    messages: u32,
    /// The step-through's cursor: records after it are drawn faintly (at 0, none are).
    step: usize,
    /// The step of an unanswered prediction: records from it on are not
    /// drawn, since their glyphs would answer it.
    asks: Option<usize>,
}

/// One row per message: each attempt as a glyph, so duplicates and losses are
/// visible at a glance, and readable as text.
#[component]
fn MessageStrip(p: &MessageStripProps) -> Html {
    let shown = p.messages.min(40);
    let mut rows: Vec<Vec<(&'static str, &'static str, Step, usize)>> = vec![Vec::new(); shown as usize];
    let drawn = p.asks.map_or(p.records.len(), |d| d.saturating_sub(1)).min(p.records.len());
    for (i, r) in p.records[..drawn].iter().enumerate() {
        let at = match (p.step, i + 1) {
            (0, _) => Step::Past,
            (s, k) if k < s => Step::Past,
            (s, k) if k == s => Step::Current,
            _ => Step::Ahead,
        };
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
            row.push((glyph.0, glyph.1, at, i + 1));
        }
    }
    let root = use_node_ref();
    use_keep_in_view(&root, ".glyph.current", p.step);
    html! {
        <div class="message-strip" ref={root}>
            <p class="legend-text">{ "→ sent · ✕ message lost · ● applied · ●● applied again · ○ duplicate skipped · ⤺✕ acknowledgement lost · t/o timeout · ✓ acknowledged · ∅ gave up" }</p>
            <ol>
                { for rows.iter().enumerate().map(|(i, row)| {
                    let dup = row.iter().any(|(g, _, at, _)| *g == "●●" && *at != Step::Ahead);
                    html! {
                        <li class={classes!(dup.then_some("dup"))}
                            aria-label={format!("message {}: {}", i + 1, row.iter().filter(|g| g.2 != Step::Ahead).map(|g| g.1).collect::<Vec<_>>().join(", "))}>
                            <span class="msg-id">{ format!("#{:02}", i + 1) }</span>
                            { for row.iter().map(|(g, w, at, k)| html! {
                                <span class={classes!("glyph", at.class())} title={*w} data-step={k.to_string()}>{ *g }</span>
                            }) }
                        </li>
                    }
                }) }
            </ol>
            if p.messages > shown { <p class="note">{ format!("Showing the first {shown} of {} messages; the counters include all.", p.messages) }</p> }
        </div>
    }
}

/// Where a record lies against the step-through's cursor.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Past,
    Current,
    Ahead,
}

impl Step {
    fn class(self) -> Option<&'static str> {
        match self {
            Step::Past => None,
            Step::Current => Some("current"),
            Step::Ahead => Some("ahead"),
        }
    }
}
