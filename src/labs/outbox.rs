//! The Outbox lab: a service, its database, a relay, a broker and a consumer
//! drawn as a pipeline whose tables fill row by row as the learner steps
//! through the trace. State, presets, knobs and locks come from the shared
//! lab shell; the picture at a step comes from frames built once per run.

mod consumer_crash;
mod dual_write;
mod pipeline;
mod question;

use crate::components::{explained_above, gloss};
use crate::components::{Counter, Evidence, ExportBar, StepControls};
use crate::shell::{
    preset_href, use_lab, use_predict_gate, use_preset_hrefs, KnobPanel, LabLayout, LabProps, PresetBar, RunError,
    SourcesPanel,
};
use idemlab_sim::lab::Lab;
use idemlab_sim::outbox::{decisive_step, Frames, OutboxLab, OutboxParams, OutboxRun};
use pipeline::{LogWindow, Pipeline};

use yew::prelude::*;

/// The page title (its words are explained in it).
const TITLE: &str = "Outbox: a database write and a publish, made to agree";

/// Rows shown per table; older rows are counted.
const ROWS_SHOWN: usize = 6;

/// The Outbox lab page.
impl super::LabPage for idemlab_sim::outbox::OutboxLab {
    const PREDICTS_FIRST: bool = true;
    const SUMMARY: &'static str =
        "why a database write plus a publish loses events, and how outbox, relay and inbox close the gap.";
    fn landing_step(params: &OutboxParams) -> usize {
        let Ok(run) = OutboxLab::run(params) else { return 0 };
        question::question(&run).map(|q| q.step).or_else(|| decisive_step(&run).map(|(at, _)| at - 1)).unwrap_or(0)
    }
    fn page(props: LabProps) -> Html {
        html! { <OutboxPage ..props /> }
    }
}

#[component]
pub fn OutboxPage(p: &LabProps) -> Html {
    let lab = use_lab::<OutboxLab>(p);
    let params = &lab.params;
    // Built once per run: every step reads its picture from these.
    let frames = {
        let run = lab.run.clone();
        use_memo(params.clone(), move |_| match &*run {
            Ok(r) => {
                let questions: Vec<_> = [dual_write::question(r), question::question(r), consumer_crash::question(r)]
                    .into_iter()
                    .flatten()
                    .collect();
                Some((Frames::build(r), decisive_step(r), questions))
            }
            Err(_) => None,
        })
    };

    // In an embed the counters wait until the learner reaches the decisive record.
    let mut gate = lab.gate(
        frames.as_ref().as_ref().map(|(f, _, _)| f.steps()),
        frames.as_ref().as_ref().and_then(|(_, d, _)| d.map(|(at, _)| at)),
    );
    // Predict first: a failure between the dual write's two writes, and the
    // second delivery after a relay crash, wait for the learner's prediction.
    let questions = frames.as_ref().as_ref().map(|(_, _, q)| q.clone()).unwrap_or_default();
    let steps_n = frames.as_ref().as_ref().map_or(0, |(f, _, _)| f.steps());
    let predict = use_predict_gate(&lab.link, &lab.dispatch, lab.step.min(steps_n), questions, lab.on_step(), "Record");
    gate.step = predict.step;
    gate.asks = predict.asks();
    let hrefs = use_preset_hrefs(&lab.link, &[], preset_href::<OutboxLab>);
    let presets_bar = html! {
        <PresetBar prefix="outbox" presets={OutboxLab::presets()} current={lab.preset.map(|p| p.slug)} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={lab.dispatch.clone()} hide_lesson={predict.hiding} />
    };
    let controls = html! {
        <KnobPanel<OutboxParams> prefix="outbox" params={params.clone()} query={lab.query.clone()} dispatch={lab.dispatch.clone()} />
    };

    let picture = match (&*lab.run, &*frames) {
        (Ok(run), Some((f, decisive, _))) => {
            let steps = f.steps();
            let step = predict.step.min(steps);
            let jump = decisive.map(|(at, failure)| {
                let words =
                    if failure { "Jump to the failure" } else { "Jump to the first duplicate the inbox skipped" };
                (at, predict.jump_words(words))
            });
            let (first, lines) = log_window(run, step);
            html! {
                <>
                    <StepControls step={step} steps={steps} on_step={predict.on_step.clone()} label="Record" disabled={lab.locked("step")} jump={jump} waits={predict.waits} told={predict.told}
                        caption={caption_at(run, step)} outcome={Some(AttrValue::from(outcome_words(run)))} />
                    { predict.prompt.clone() }
                    <div class="outbox-stage">
                        <Pipeline view={f.view_at(step, ROWS_SHOWN)} mode={params.mode} poll_ms={params.poll_ms} flush_ms={params.offset_flush_ms} inbox={params.inbox} step={step} />
                        <LogWindow first={first} lines={lines} total={steps} />
                    </div>
                </>
            }
        }
        (Err(e), _) => html! { <RunError error={e.to_string()} /> },
        // The frames are built from the same run, so they exist whenever it does.
        (Ok(_), None) => html! {},
    };
    let evidence = match &*lab.run {
        Err(e) => html! { <RunError error={e.to_string()} /> },
        Ok(run) => {
            let counters = Counter::from_core(&OutboxLab::counters(run), lab.key_counter());
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
            let name = format!("outbox-{}-seed{}", lab.preset.map_or("custom", |p| p.slug), params.seed);
            html! {
                <>
                    <Evidence title="Evidence for the whole run (every record, not only up to the current step)"
                        belief={Some(AttrValue::from(belief_of(run)))} counters={counters.clone()} />
                    <ExportBar name={name} trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
                </>
            }
        }
    };
    // Each glossary word is explained where the intro first says it.
    let mut done = explained_above(TITLE);
    let intro = html! {
        <p>{ gloss("A service that places an order must do two things: commit the order in its database and tell the rest of the system with an event. Two independent writes cannot be made atomic by ordering them: if the process dies in between, committing first loses the event and publishing first invents one. The transactional outbox writes the event into the same database transaction; a relay publishes it afterwards, at least once, by polling the table or by log tailing (with Debezium, which reads PostgreSQL's WAL); the broker keeps one partition per customer, keyed by the outbox row's aggregateid (its aggregatetype names the topic); and an inbox at the consumer turns duplicates into one effect.", &mut done) }</p>
    };
    let sources = html! { <SourcesPanel sources={OutboxLab::sources()} /> };
    html! {
        <LabLayout slug="outbox" title={TITLE} warnings={lab.query.warnings.clone()}
            intro={intro} presets={presets_bar} picture={picture} controls={controls} evidence={evidence} sources={sources} gate={gate} head={predict.switch.clone()} />
    }
}

/// Log lines shown around the cursor: the newest records up to the step.
const LOG_SHOWN: usize = 40;

/// The log lines up to `step`, the newest `LOG_SHOWN` only: the step number
/// of the first, and the lines. Formatting a window, not the whole trace,
/// keeps a step's cost independent of the run's length.
fn log_window(run: &OutboxRun, step: usize) -> (usize, Vec<AttrValue>) {
    let records = run.trace.records();
    let end = step.min(records.len());
    let first = end.saturating_sub(LOG_SHOWN);
    let lines = records[first..end]
        .iter()
        .map(|s| {
            let mark = if s.record.is_bad() && !s.record.is_crash() { "⚠ " } else { "" };
            AttrValue::from(format!("{:>7.1} ms  {mark}{}", s.at.as_ms_f64(), s.record.describe()))
        })
        .collect();
    (first + 1, lines)
}

/// The step caption at `step`: the record's narration, as the event log words it.
fn caption_at(run: &OutboxRun, step: usize) -> Option<AttrValue> {
    let r = run.trace.records().get(step.checked_sub(1)?)?;
    Some(AttrValue::from(r.record.describe()))
}

/// How the run ended, from its counters, for the last record's announcement.
fn outcome_words(r: &OutboxRun) -> String {
    let c = &r.counters;
    let verdict = if c.ghost_effects > 0 {
        "effects for orders that never committed"
    } else if c.effects_lost > 0 {
        "lost effects"
    } else if c.duplicate_effects > 0 {
        "repeated effects"
    } else if c.inbox_dedup_hits > 0 {
        "each effect once: the inbox skipped the duplicates"
    } else {
        "each effect once"
    };
    format!(
        "{} orders committed, {} effects applied, {} lost, {} repeated, {} for orders that never committed: {verdict}",
        c.commands_accepted, c.effects_applied, c.effects_lost, c.duplicate_effects, c.ghost_effects
    )
}

/// The service's belief, in one sentence, beside the evidence.
fn belief_of(r: &OutboxRun) -> String {
    let c = &r.counters;
    if r.params.mode.uses_outbox() {
        format!(
            "the service believes {} orders were placed and their events will be published; the shipping service applied {} effects for {} distinct orders.",
            c.service_believes_published,
            c.effects_applied,
            c.effects_applied - c.duplicate_effects
        )
    } else {
        format!(
            "the service believes {} events were published ({} orders committed in its database); the shipping service applied {} effects.",
            c.service_believes_published, c.commands_accepted, c.effects_applied
        )
    }
}
