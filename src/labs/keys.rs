//! Keys: the Idempotency-Key state machine under lost messages, crashes and
//! client bugs. A single operation steps through a sequence diagram with the
//! key's state badge and a two-column ledger; a batch of many operations with
//! the same seed fills the evidence panel. State, presets, knobs and locks
//! come from the shared lab shell.

mod fix;
mod lost;
mod outcome;
mod question;
mod resolve;
mod steprun;

use crate::components::{
    explained_above, gloss, Counter, EventLog, Evidence, ExportBar, ItemKind, StepControls, Timeline, TimelineItem,
};
use crate::shell::{
    preset_href, use_lab, use_predict_gate, use_preset_hrefs, KnobPanel, LabLayout, LabProps, PredictGate, PresetBar,
    RunError, SourcesPanel,
};
use idemlab_sim::keys::view::{self, Badge, Lane, LedgerLine, Shape};
use idemlab_sim::keys::{presets, ClientPolicy, KeysLab, KeysParams, KeysRun};
use idemlab_sim::lab::Lab;
use outcome::{outcome_words, tone_class};
use yew::prelude::*;

/// The page title (its words are explained in it).
const TITLE: &str = "Idempotency-Keys: new, 409, replay, 422";

fn kind_of(s: Shape) -> ItemKind {
    match s {
        Shape::Block => ItemKind::Block,
        Shape::Wait => ItemKind::Wait,
        Shape::Good => ItemKind::Good,
        Shape::Bad => ItemKind::Bad,
        Shape::Arrow => ItemKind::Arrow,
        Shape::LostArrow => ItemKind::LostArrow,
        Shape::Marker => ItemKind::Marker,
    }
}

/// Everything the step-through draws, computed once per run.
#[derive(PartialEq)]
struct StepData {
    items: Vec<TimelineItem>,
    lines: Vec<AttrValue>,
    /// The step caption: each step's narration without its time.
    captions: Vec<AttrValue>,
    /// How the operation ended, in words, for the last step.
    outcome: AttrValue,
    badges: Vec<Option<(u32, Badge)>>,
    x_max_ms: f64,
    client: Vec<LedgerLine>,
    provider: Vec<LedgerLine>,
    decisive: Option<usize>,
    /// The predict-first question: the retry after a crash, else the first
    /// request the server resolves from a key it holds (409, replay, 422).
    question: Option<crate::shell::Question>,
}

fn step_data(run: &KeysRun) -> StepData {
    let steps = view::steps(run);
    let mut items = Vec::new();
    let mut x_max_ms: f64 = 1.0;
    for (i, s) in steps.iter().enumerate() {
        for it in &s.items {
            let (x0, x1) = (it.x0_us as f64 / 1_000.0, it.x1_us as f64 / 1_000.0);
            x_max_ms = x_max_ms.max(x1);
            items.push(TimelineItem {
                lane: it.lane.index(),
                to_lane: it.to.map(Lane::index),
                x0,
                x1,
                label: it.label.clone().into(),
                kind: kind_of(it.shape),
                step: i + 1,
            });
        }
    }
    let lines =
        steps.iter().map(|s| AttrValue::from(format!("{:.1} ms · {}", s.at_us as f64 / 1_000.0, s.line))).collect();
    let captions = steps.iter().map(|s| AttrValue::from(s.line.clone())).collect();
    let badges = steps.iter().map(|s| s.badge).collect();
    let (client, provider) = view::ledger(run);
    StepData {
        items,
        lines,
        captions,
        outcome: outcome_words(run).into(),
        badges,
        x_max_ms: x_max_ms * 1.1,
        client,
        provider,
        decisive: view::decisive_step(run),
        question: steprun::the_question(run),
    }
}

/// The Keys lab page.
impl super::LabPage for idemlab_sim::keys::KeysLab {
    /// The question's step, where the gate holds the screen just before it
    /// with the prompt up; without one, the step before the failure.
    fn landing_step(params: &KeysParams) -> usize {
        let Ok(run) = steprun::step_run_of(params) else { return 0 };
        steprun::the_question(&run).map(|q| q.step).or_else(|| view::decisive_step(&run).map(|d| d - 1)).unwrap_or(0)
    }
    const PREDICTS_FIRST: bool = true;
    const SUMMARY: &'static str =
        "how a server resolves a key to new, 409, replay or 422, and why the fingerprint matters.";
    fn page(props: LabProps) -> Html {
        html! { <Keys ..props /> }
    }
}

#[component]
pub fn Keys(p: &LabProps) -> Html {
    let lab = use_lab::<KeysLab>(p);
    // The fix link is the page's own: not inside a lesson's stop or a picture-only frame.
    let full = use_context::<crate::shell::PageMode>().is_none_or(|m| m.view == crate::shell::View::Full);
    let params = &lab.params;
    let step_params = KeysParams { ops: presets::step_ops(params.policy), ..params.clone() };
    let step_run = use_memo(step_params, |p| {
        steprun::step_run_of(p).map(|r| {
            let d = step_data(&r);
            (r, d)
        })
    });

    // Predict first: the retry after a crash waits for the learner's prediction.
    let step_question = step_run.as_ref().as_ref().ok().and_then(|(_, d)| d.question.clone());
    let steps_n = step_run.as_ref().as_ref().map_or(0, |(_, d)| d.lines.len());
    let predict = use_predict_gate(
        &lab.link,
        &lab.dispatch,
        lab.step.min(steps_n),
        step_question.into_iter().collect(),
        lab.on_step(),
        "Step",
    );

    // In an embed the batch's counters wait until the step-through reaches its decisive step (or its last).
    let mut gate = lab.gate(
        step_run.as_ref().as_ref().ok().map(|(_, d)| d.lines.len()),
        step_run.as_ref().as_ref().ok().and_then(|(_, d)| d.decisive),
    );
    gate.step = predict.step;
    gate.asks = predict.asks();
    let hrefs = use_preset_hrefs(&lab.link, &[], preset_href::<KeysLab>);
    let presets_bar = html! {
        <PresetBar prefix="keys" presets={KeysLab::presets()} current={lab.preset.map(|p| p.slug)} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={lab.dispatch.clone()} hide_lesson={predict.hiding} />
    };
    let controls = html! {
        <KnobPanel<KeysParams> prefix="keys" params={params.clone()} query={lab.query.clone()} dispatch={lab.dispatch.clone()} />
    };

    let stepper = match &*step_run {
        Err(e) => html! { <RunError error={e.to_string()} /> },
        Ok((run, d)) => {
            // Once the failure is on screen and nothing is left to predict, its cure is one tap away.
            let fix = match (lab.preset, d.decisive) {
                (Some(pr), Some(at)) if full && !predict.hiding && predict.step >= at => {
                    fix::fix_link(&lab.query, pr.slug, &p.on_query)
                }
                _ => html! {},
            };
            step_through(run, d, predict.step, lab.locked("step"), &predict, fix)
        }
    };

    let evidence = match &*lab.run {
        Err(e) => html! { <RunError error={e.to_string()} /> },
        Ok(run) => {
            let c = &run.counters;
            let counters = Counter::from_core(&KeysLab::counters(run), lab.key_counter());
            let belief = format!(
                "the client believes {} of {} operations were charged once; the provider made {} charges.",
                c.believed_charged, c.intended, c.charges
            );
            // The report's trace hash is a pass over the whole trace (about as
            // long as the run itself), so it is built when an export asks, not
            // on every render.
            let make_report = lab.make_report();
            let trace_json = {
                let (run, make_report) = (lab.run.clone(), make_report.clone());
                Callback::from(move |_| match &*run {
                    Ok(r) => serde_json::to_string_pretty(
                        &serde_json::json!({ "report": make_report.emit(()), "trace": r.trace }),
                    )
                    .unwrap_or_default(),
                    Err(e) => e.to_string(),
                })
            };
            let name = format!("keys-{}", lab.preset.map_or("custom", |p| p.slug));
            html! {
                <section class="keys-batch" aria-label="Batch">
                    <h3>{ format!("A batch of {} operations, same seed", c.intended) }</h3>
                    <Evidence title="Evidence for the whole batch: what an operator's dashboard would show" belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
                    <ExportBar name={name} trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
                </section>
            }
        }
    };

    // Each glossary word is explained where the intro first says it.
    let mut done = explained_above(TITLE);
    let intro = html! {
        <>
            <p>{ gloss("A client charges a customer through a server that calls a payment provider. The client sends an Idempotency-Key header; the server claims the key atomically and runs the charge (new), answers 409 while it runs (in progress), replays the stored status and body once it completed (marked Idempotent-Replayed: true, Stripe's header), and answers 422 when the same key comes with a different body (its fingerprint differs). A request without a key where one is required gets 400.", &mut done) }</p>
            <p>{ gloss("The server works in phases: it claims the key (recovery point started), calls the provider, records charge_created, then stores the response. The provider call is foreign: no local transaction covers it, so a crash after the provider charged and before charge_created is recorded makes the retry call the provider again. Only the server's own Idempotency-Key at the provider turns that second call into a replay. Two operations with identical payloads under one reused key look like a retry even to the fingerprint: only one key per operation cures that.", &mut done) }</p>
            <p>{ gloss("A client that hears no answer retries after the backoff chosen below: none, a constant delay, exponential, or exponential with jitter (full jitter, equal jitter or decorrelated jitter). The server may prune completed keys after a TTL, and on a 5xx it either stores and replays the 500 or releases the key so that a retry runs again.", &mut done) }</p>
        </>
    };
    let sources = html! { <SourcesPanel sources={KeysLab::sources()} /> };
    html! {
        <LabLayout slug="keys" title={TITLE} warnings={lab.query.warnings.clone()}
            intro={intro} presets={presets_bar} picture={stepper} controls={controls} evidence={evidence} sources={sources} gate={gate} head={predict.switch.clone()} />
    }
}

/// The diagram's items, drawn ahead of the cursor only up to the step before
/// an unanswered prediction (`asks`): what lies past it would give the answer away.
fn drawn_ahead(items: &[TimelineItem], asks: Option<usize>) -> Vec<TimelineItem> {
    items.iter().filter(|i| asks.is_none_or(|q| i.step < q)).cloned().collect()
}

/// The step-through of one operation: the controls, the key's state badge,
/// the sequence diagram, the two-column ledger and the event log, at `step`.
fn step_through(run: &KeysRun, d: &StepData, step: usize, locked: bool, predict: &PredictGate, fix: Html) -> Html {
    let steps = d.lines.len();
    let step = step.min(steps);
    let on_step = predict.on_step.clone();
    let first_key = run.ops.first().and_then(|o| o.key);
    let badge = d.badges.iter().take(step).rev().find_map(|b| *b);
    let (badge_key, badge_state) = match (badge, first_key) {
        (Some((k, b)), _) => (Some(k), b),
        (None, k) => (k, Badge::Absent),
    };
    let badge_html = match badge_key {
        Some(k) => html! {
            <p class={classes!("keys-badge", format!("keys-badge-{}", badge_state.slug()))} data-badge={badge_state.slug()}>
                { format!("Idempotency-Key K{k}: ") }<strong>{ badge_state.text() }</strong>
            </p>
        },
        // A fresh key per attempt is no key the operation keeps: the first claim names it.
        None if run.params.policy == ClientPolicy::FreshKeyPerAttempt => html! {
            <p class="keys-badge keys-badge-none" data-badge="none">{ "A new Idempotency-Key for every attempt: none is stored yet." }</p>
        },
        None => html! {
            <p class="keys-badge keys-badge-none" data-badge="none">{ "No Idempotency-Key: the server has nothing to remember." }</p>
        },
    };
    let believed: Vec<&LedgerLine> = d.client.iter().filter(|l| l.step <= step).collect();
    let waiting: Vec<String> = run
        .ops
        .iter()
        .filter(|o| !believed.iter().any(|l| l.op == o.op))
        .map(|o| {
            format!("Op {} ${}.{:02}: waiting for an answer…", o.op + 1, o.amount_cents / 100, o.amount_cents % 100)
        })
        .collect();
    let charged: Vec<&LedgerLine> = d.provider.iter().filter(|l| l.step <= step).collect();
    let line = |l: &LedgerLine| {
        let (cls, glyph) = tone_class(l.tone);
        html! { <li class={cls}>{ glyph }{ l.text.clone() }</li> }
    };
    html! {
        <section class="keys-step" aria-label="One operation, step by step">
            <h3 class="visually-hidden">{ if run.ops.len() > 1 { "Two operations sharing a key, step by step" } else { "One operation, step by step" } }</h3>
            <StepControls step={step} steps={steps} on_step={on_step} disabled={locked} waits={predict.waits} told={predict.told}
                jump={d.decisive.map(|s| (s, predict.jump_words("Jump to the failure")))}
                caption={step.checked_sub(1).and_then(|i| d.captions.get(i)).cloned()} outcome={Some(d.outcome.clone())} />
            { predict.prompt.clone() }
            { fix }
            { badge_html }
            <div class="keys-diagram">
                <Timeline lanes={Lane::ALL.iter().map(|l| AttrValue::from(l.title())).collect::<Vec<_>>()}
                    items={drawn_ahead(&d.items, predict.asks())} current={step} x_max={d.x_max_ms} x_label="simulated ms"
                    title="Sequence diagram of client, network, server, key store and provider" />
            </div>
            <div class="keys-ledger" data-step={step.to_string()}>
                <section class="keys-believes" aria-label="What the client believes">
                    <h4>{ "What the client believes" }</h4>
                    <ul>
                        { for believed.iter().map(|l| line(l)) }
                        { for waiting.iter().map(|w| html! { <li class="keys-neutral">{ "… " }{ w.clone() }</li> }) }
                    </ul>
                </section>
                <section class="keys-charged" aria-label="What the provider charged">
                    <h4>{ "What the provider charged" }</h4>
                    <ul>
                        { for charged.iter().map(|l| line(l)) }
                        if charged.is_empty() { <li class="keys-neutral">{ if step >= steps { "• nothing charged" } else { "• nothing charged yet" } }</li> }
                    </ul>
                </section>
            </div>
            <EventLog lines={d.lines.clone()} current={step} />
        </section>
    }
}
