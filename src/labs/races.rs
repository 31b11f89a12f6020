//! Races: two requests with the same Idempotency-Key, stepped side by side
//! through PostgreSQL transactions. The run, its counters and the explorer
//! come from `RacesLab` in the core through the shared lab shell; this page
//! draws them. Every navigation is a link from the shell, so embeds keep
//! their parameters and locks hold.

mod editor;
mod evidence;
mod explorer;
mod header;
mod lanes;
mod modes;
mod own;
mod own_editor;
mod predict;
mod run_panel;

use crate::components::{explained_above, gloss, StepControls};
use crate::shell::{
    preset_href, use_predict_gate, use_preset_hrefs, LabAction, LabLayout, LabProps, PresetBar, RunError, SourcesPanel,
};
use idemlab_sim::lab::Lab;
use idemlab_sim::races::{self, Mode, RacesLab};
use modes::{scheduler, side};
use run_panel::RunPanel;
use yew::prelude::*;

/// The races lab page.
impl super::LabPage for idemlab_sim::races::RacesLab {
    const PREDICTS_FIRST: bool = true;
    const SUMMARY: &'static str = "SELECT-then-INSERT charging twice, beside the atomic INSERT … ON CONFLICT fix.";
    fn landing_step(params: &races::RacesParams) -> usize {
        let Ok(r) = RacesLab::run(params) else { return 0 };
        let first = predict::questions(&r.run).first().map(|q| q.step);
        first.or_else(|| r.decisive_step().map(|d| d - 1)).unwrap_or(0)
    }
    fn page(props: LabProps) -> Html {
        html! { <Races ..props /> }
    }
}

const TITLE: &str = "Races: SELECT-then-INSERT beside the atomic fix";

#[component]
pub fn Races(p: &LabProps) -> Html {
    // The run comes from the page (a shipped scenario) or from the learner's
    // handler, compiled in the Web Worker; while the worker works on an edit
    // the shell keeps the previous run on screen, marked stale (see `own`).
    let st = own::use_races_lab(p);
    let (link, ready) = (st.lab.link(), st.lab.ready());
    let twin = header::use_twin(ready);
    let explorer = explorer::use_explorer(ready);
    // A learner's handler is none of the presets: no preset is marked, and no preset's lesson is shown.
    let current = link.params.handler.is_none().then(|| link.params.scenario_id());
    let hrefs = use_preset_hrefs(link, &[], preset_href::<RacesLab>);
    let intro = html! {
        <p>{ gloss("Two requests carry the same Idempotency-Key and arrive together. Each runs in its own PostgreSQL 15 transaction (READ COMMITTED unless the scenario says otherwise). Step through them, or be the scheduler yourself, and watch the provider's ledger. The explorer runs every interleaving of the scenario. The scenarios try the usual guards one by one: a unique index, FOR UPDATE, INSERT … ON CONFLICT, SERIALIZABLE and an advisory lock.", &mut explained_above(TITLE)) }</p>
    };
    let sources = html! { <SourcesPanel sources={RacesLab::sources()} /> };
    // Predict first, in step mode: the shared gate asks before any move crosses a decisive frame.
    // Side by side, one question for the pair: which side charges twice.
    let (questions, link_step) = match (ready.map(|lab| (lab, &*lab.run)), twin.as_ref().as_ref()) {
        (Some((lab, Ok(r))), _) if lab.params.mode == Mode::Step => {
            (predict::questions(&r.run), lab.step.min(r.run.frames.len()))
        }
        (Some((lab, Ok(r))), Some((t, Ok(r2), _))) if lab.params.mode == Mode::Side => (
            vec![predict::pair_question(&r.run, r.scenario.title, r2, t.title)],
            lab.step.min(r.run.frames.len().max(r2.frames.len())),
        ),
        _ => (Vec::new(), link.step),
    };
    let gate_q = use_predict_gate(
        link,
        st.lab.dispatch(),
        link_step,
        questions,
        st.lab.dispatch().reform(LabAction::Step),
        "Step",
    );
    let presets = html! {
        <PresetBar prefix="races" presets={RacesLab::presets()} current={current} hrefs={hrefs}
            locked={link.locked("preset")} dispatch={st.lab.dispatch().clone()} hide_lesson={gate_q.hiding} />
    };
    let editor = own_editor::editor_of(&st, gate_q.hiding);
    let (lab, r) = match ready.map(|lab| (lab, &*lab.run)) {
        Some((lab, Ok(r))) => (lab, r),
        not_drawn => {
            // The editor stays, so a refused text can be mended where it is.
            let picture = match (not_drawn, &st.refused) {
                (Some((_, Err(e))), _) => html! { <RunError error={idemlab_sim::races::limits::refusal_words(e)} /> },
                (_, Some(reason)) => html! { <RunError error={reason.clone()} /> },
                // A loading state of its own: the first answer has not come yet.
                (_, None) => {
                    html! { <p class="races-loading" id="races-loading" role="status">{ format!("Compiling and exploring your handler {}…", crate::offload::where_jobs_run()) }</p> }
                }
            };
            return html! {
                <LabLayout slug="races" title={TITLE} warnings={link.query.warnings.clone()}
                    presets={presets} picture={picture} extra={editor} intro={intro} sources={sources} />
            };
        }
    };
    let (run, s, mode) = (r.run.clone(), r.scenario.clone(), lab.params.mode);
    let steps = run.frames.len();
    let twin_steps = twin.as_ref().as_ref().and_then(|(_, t, _)| t.as_ref().ok().map(|t| t.frames.len())).unwrap_or(0);
    let last = if mode == Mode::Side { steps.max(twin_steps) } else { steps };
    let step = match mode {
        Mode::Scheduler => steps,
        Mode::Step | Mode::Side => gate_q.step.min(last),
    };
    let mut warnings = lab.query.warnings.clone();
    if lab.step > last && mode != Mode::Scheduler {
        // The step drawn: the last, or the one just before an unanswered question.
        warnings.push(format!("step={} is outside 0..{last}; showing step {step}.", lab.step));
    }
    warnings.extend(r.notes.iter().cloned());
    let predict = lab.query.get("predict") != Some("0") && mode != Mode::Scheduler;
    let jump = r.decisive_step().map(|d| (d, gate_q.jump_words("Jump to the second charge")));
    let controls = html! {
        <StepControls step={step} steps={last} on_step={gate_q.on_step.clone()} disabled={lab.locked("step")} jump={jump} label="Step" waits={gate_q.waits} told={gate_q.told}
            caption={caption_at(&run, step)} outcome={Some(AttrValue::from(outcome_words(&run.outcome)))} />
    };
    // For a handler, the text shown is the text that ran (the last one the worker compiled).
    let shown_sql = match (s.number, &st.source) {
        (0, Some((a, _))) => a.text.clone(),
        (0, None) => lab.params.handler.clone().unwrap_or_default(),
        (_, _) => s.sql.to_string(),
    };
    let stale_note = lab.stale.then(|| html! {
        <p class="note races-stale" id="races-stale" role="status">{ "The picture shows the last text that ran: the Web Worker is exploring your edit, or refused it (see the editor)." }</p>
    });
    let body = match mode {
        Mode::Side => html! { <>{ gate_q.prompt.clone() }{ side(&run, &s, &twin, step, gate_q.asks()) }</> },
        Mode::Scheduler => scheduler(&lab.query, &lab.dispatch, &run, &s, steps),
        Mode::Step => html! {
            <>{ gate_q.prompt.clone() }
              <RunPanel run={run.clone()} scenario={s.clone()} step={step} compact=false asks={gate_q.asks()} /></>
        },
    };
    // Picture first: the mode tabs, the step controls and the lanes, then the
    // handler's text that the lanes run.
    // The fix's gap, stepped: a crash between the charge and the UPDATE to done leaves the key started.
    let stuck = (current == Some("on-conflict")).then(|| {
        let href = lab.href(&crate::shell::LabAction::Extra {
            key: "handler",
            value: idemlab_sim::races::corpus::STUCK_KEY.to_string(),
        });
        html! {
            <p class="note" id="races-stuck-key"><a href={href}>{ "Step through the stuck key" }</a>
                { ": the server crashes after the charge, before the UPDATE to done, and every retry finds the key started and gets 409. The Keys lab's lock timeout recovers such a key." }</p>
        }
    });
    let picture = html! {
        <>{ stale_note }{ header::header(lab, predict) }if mode != Mode::Scheduler { { controls } }{ body }{ header::scenario_text(&s, shown_sql) }{ stuck }</>
    };
    let evidence = evidence::evidence_of(lab, r, &run, mode);
    // The explorer's verdict over every interleaving would answer the question: it waits too.
    let explored = if gate_q.hiding {
        html! { <p class="note" id="races-explorer-waits">{ "The explorer's verdict over every interleaving appears with the answer to the prediction." }</p> }
    } else {
        (*explorer).clone()
    };
    let extra = html! { <>{ explored }{ editor }</> };
    // In an embed the counters wait until the learner reaches the second charge (or the end).
    let mut gate = lab.gate(Some(last), r.decisive_step());
    gate.step = step;
    gate.asks = gate_q.asks();
    html! {
        <LabLayout slug="races" title={TITLE} warnings={warnings}
            presets={presets} picture={picture} evidence={evidence} extra={extra} intro={intro} sources={sources} gate={gate} />
    }
}

/// The step caption: the engine's words for the step, with the reason when
/// the engine gives one (what a snapshot saw, which lock waited).
fn caption_at(run: &idemlab_sim::races::RaceRun, step: usize) -> Option<AttrValue> {
    let i = step.checked_sub(1)?;
    let Some(words) = races::frame_narration(run).into_iter().nth(i) else {
        return Some(AttrValue::from(format!(
            "This run ended at step {}; the run beside it goes on.",
            run.frames.len()
        )));
    };
    let why = races::why(run, step).map(|w| format!(". Why: {w}")).unwrap_or_default();
    Some(AttrValue::from(format!("{}{why}", words.join(". "))))
}

/// How a run ended, in one line: charges, answers, rows, and the verdict.
fn outcome_words(o: &races::RaceOutcome) -> String {
    let verdict = match o.charges {
        0 => "no charge",
        1 => "charged once",
        _ => "double charge",
    };
    format!("{}: {verdict}", o.class_label().replace(" · ", ", "))
}

#[cfg(test)]
mod tests;
