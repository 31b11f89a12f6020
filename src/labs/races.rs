//! Races: two requests with the same Idempotency-Key, stepped side by side
//! through PostgreSQL transactions. The run, its counters and the explorer
//! come from `RacesLab` in the core through the shared lab shell; this page
//! draws them. Every navigation is a link from the shell, so embeds keep
//! their parameters and locks hold.

mod explorer;
mod modes;
mod own;
mod run_panel;

use crate::components::{Counter, Evidence, ExportBar, StepControls};
use crate::labs::races_editor::{HandlerEditor, Verdict};
use crate::shell::{
    outcome_of, preset_href, use_lab, use_post_outcome, use_preset_hrefs, LabAction, LabCtx, LabLayout, LabProps,
    PresetBar, RunError, SourcesPanel,
};
use crate::web;
use explorer::{nav, Explorer};
use idemlab_sim::lab::Lab;
use idemlab_sim::races::{
    self, run_explored, run_schedule, scenario, why, Mode, RaceRun, RacesLab, RacesRun, Response, SCENARIO_CHOICES,
    SCENARIO_IDS,
};
use idemlab_sim::SimError;
use modes::{scheduler, side};
use own::{use_own_handler, Answer, OwnHandler};
use run_panel::RunPanel;
use std::rc::Rc;
use yew::prelude::*;

/// What a `said=` value records: the step a prediction was made at and the choice.
fn said_of(q: &crate::query::Query) -> Option<(usize, usize)> {
    let (step, choice) = q.get("said")?.split_once(':')?;
    Some((step.parse().ok()?, choice.parse().ok()?))
}

/// The races lab page.
impl super::LabPage for idemlab_sim::races::RacesLab {
    const PREDICTS_FIRST: bool = true;
    const SUMMARY: &'static str = "SELECT-then-INSERT charging twice, beside the atomic INSERT … ON CONFLICT fix.";
    fn page(props: LabProps) -> Html {
        html! { <Races ..props /> }
    }
}

#[component]
pub fn Races(p: &LabProps) -> Html {
    let lab = use_lab::<RacesLab>(p);
    // A link's own handler is compiled and explored in the Web Worker; the
    // page runs its schedules from the compiled data (see `own`).
    let own_key = lab.params.handler.clone().map(|t| (t, lab.params.lanes));
    let own = use_own_handler(own_key.clone());
    let source = handler_source(&own);
    let handler_run = {
        // Keyed without the text: the answer stands for the text, so a
        // keystroke that leaves the answer in place reruns nothing.
        let p = races::RacesParams { handler: None, ..lab.params.clone() };
        let key = (p, source.as_ref().map(|(a, _)| Rc::as_ptr(a) as usize));
        let source = source.clone();
        use_memo(key, move |(p, _)| {
            let (a, _) = source?;
            let (s, x) = a.ran.as_ref().ok()?;
            Some(Rc::new(run_explored(p, (**s).clone(), x.clone())))
        })
    };
    // An embedding page hears the outcome of the handler's run (not of a stale one).
    let handler_outcome = match (&*handler_run, &source) {
        (Some(r), Some((_, false))) => r.as_ref().as_ref().ok().map(|r| outcome_of::<RacesLab>(None, r)),
        (Some(_), Some((_, true))) | (Some(_), None) | (None, _) => None,
    };
    use_post_outcome::<RacesLab>(handler_outcome.clone(), !lab.embed || lab.reveal);
    let editor = editor_of(&lab, &own, own_key.is_some());
    // The run the picture showed last: while the worker works on an edit (or
    // after it refused one), the picture keeps it, marked stale, so typing
    // never empties the picture. A link opened with a handler has none yet:
    // a loading line until the worker's first answer, or the parser's refusal.
    let shown = use_mut_ref(|| None::<Rc<Result<RacesRun, SimError>>>);
    let mut loading = false;
    let mut stale = source.as_ref().is_some_and(|(_, stale)| *stale);
    let lab = match (&own_key, (*handler_run).clone()) {
        (None, _) => lab,
        (Some(_), Some(r)) => LabCtx { run: r, outcome: handler_outcome, ..lab },
        (Some(_), None) => {
            let refused = own.current.as_ref().and_then(|a| a.ran.as_ref().err().map(|e| e.to_string()));
            let previous = shown.borrow().clone();
            match (previous, refused.or(own.failed.clone())) {
                (Some(prev), _) => {
                    stale = true;
                    LabCtx { run: prev, ..lab }
                }
                (None, Some(reason)) => {
                    LabCtx { run: Rc::new(Err(SimError::InvalidParameter { name: "handler", reason })), ..lab }
                }
                (None, None) => {
                    loading = true;
                    let reason = "the handler is being compiled".to_string();
                    LabCtx { run: Rc::new(Err(SimError::InvalidParameter { name: "handler", reason })), ..lab }
                }
            }
        }
    };
    if lab.run.is_ok() {
        *shown.borrow_mut() = Some(lab.run.clone());
    }
    let asking = use_state(|| None::<usize>);
    let answered = use_state(Vec::<(Vec<u8>, usize)>::new);
    let mode = lab.params.mode;
    // The scenario shown beside the run: the link's `against=`, else the
    // scenario's twin (for a handler, the scenario it was written from).
    let against = lab
        .run
        .as_ref()
        .as_ref()
        .ok()
        .and_then(|r| SCENARIO_IDS.get(lab.params.against_index(r.scenario.twin)).copied());
    // The other side of side-by-side mode runs once per (scenario, schedule), not on every step.
    let twin_key = match (&*lab.run, mode, against) {
        (Ok(r), Mode::Side, Some(id)) => Some((id, r.run.schedule.clone())),
        _ => None,
    };
    let twin = use_memo(twin_key, |k| {
        k.as_ref().and_then(|(id, sch)| {
            let s = scenario(id)?;
            let skipped = races::run_lenient(&s, sch).map(|(_, n)| n).unwrap_or_default();
            Some((Rc::new(s.clone()), run_schedule(&s, sch, true).map(|(r, _)| Rc::new(r)), skipped))
        })
    });

    // The explorer is built once per run and link without its step, so
    // stepping does not draw it again. Its links set the step themselves.
    let explorer = {
        let mut q = lab.query.clone();
        q.remove("step");
        q.remove("said");
        q.warnings.clear();
        let run = match &*lab.run {
            Ok(r) => Ok((r.explored.clone(), r.scenario.clone(), r.run.schedule.clone())),
            Err(e) => Err(races::limits::refusal_words(e)),
        };
        let dispatch = lab.dispatch.clone();
        use_memo((run, q), move |(run, q)| match run {
            Ok((Ok(x), s, schedule)) => html! {
                <Explorer x={x.clone()} scenario={s.clone()} schedule={schedule.clone()} query={q.clone()} dispatch={dispatch.clone()} />
            },
            Ok((Err(e), _, _)) => html! { <p class="error">{ format!("The explorer stopped: {e}") }</p> },
            Err(_) => html! {},
        })
    };
    // A learner's handler is none of the presets: no preset is marked, and no preset's lesson is shown.
    let current = lab.params.handler.is_none().then(|| lab.params.scenario_id());
    let hrefs = use_preset_hrefs(&lab.link, &[], preset_href::<RacesLab>);
    let presets = html! {
        <PresetBar prefix="races" presets={RacesLab::presets()} current={current} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={lab.dispatch.clone()} />
    };
    let intro = html! {
        <p>{ "Two requests carry the same Idempotency-Key and arrive together. Each runs in its own PostgreSQL 15 transaction (READ COMMITTED unless the scenario says otherwise). Step through them, or be the scheduler yourself, and watch the provider's ledger. The explorer runs every interleaving of the scenario." }</p>
    };
    let sources = html! { <SourcesPanel sources={RacesLab::sources()} /> };
    let (r, run, s) = match &*lab.run {
        Ok(r) => (r, r.run.clone(), r.scenario.clone()),
        Err(e) => {
            let picture = if loading {
                html! { <p class="races-loading" id="races-loading" role="status">{ "Compiling and exploring your handler in the Web Worker…" }</p> }
            } else {
                html! { <RunError error={races::limits::refusal_words(e)} /> }
            };
            // The editor stays, so a refused text can be mended where it is.
            return html! {
                <LabLayout slug="races" title="Races: SELECT-then-INSERT beside the atomic fix" warnings={lab.query.warnings.clone()}
                    presets={presets} picture={picture} extra={editor} intro={intro} sources={sources} />
            };
        }
    };

    let steps = run.frames.len();
    let twin_steps = twin.as_ref().as_ref().and_then(|(_, t, _)| t.as_ref().ok().map(|t| t.frames.len())).unwrap_or(0);
    let last = if mode == Mode::Side { steps.max(twin_steps) } else { steps };
    let step = if mode == Mode::Scheduler { steps } else { lab.step.min(last) };
    let mut warnings = lab.query.warnings.clone();
    if lab.step > last && mode != Mode::Scheduler {
        warnings.push(format!("step={} is outside 0..{last}; showing step {last}.", lab.step));
    }
    warnings.extend(r.notes.iter().cloned());

    // Stepping forward into a decisive step asks first, when predict-first is on.
    let predict = lab.query.get("predict") != Some("0") && mode == Mode::Step;
    let on_step = {
        let (d, frames, asking, answered, sched) =
            (lab.dispatch.clone(), run.clone(), asking.clone(), answered.clone(), run.schedule.clone());
        Callback::from(move |to: usize| {
            let decisive = to == step + 1 && frames.frames.get(to - 1).is_some_and(|f| f.prediction.is_some());
            let seen = answered.iter().any(|(k, st)| *k == sched && *st == to);
            if predict && decisive && !seen {
                asking.set(Some(to));
                return;
            }
            // Setting state that does not change would cost a second render.
            if asking.is_some() {
                asking.set(None);
            }
            d.emit(LabAction::Step(to));
        })
    };
    let jump = r.decisive_step().map(|d| (d, AttrValue::from("Jump to the second charge")));
    let controls = html! {
        <StepControls step={step} steps={last} on_step={on_step} disabled={lab.locked("step")} jump={jump} label="Step" />
    };
    let prompt = (*asking).and_then(|to| {
        let pr = run.frames.get(to - 1)?.prediction.clone()?;
        let choose = |i: usize| {
            let (d, asking, answered, sched, q) = (lab.dispatch.clone(), asking.clone(), answered.clone(), run.schedule.clone(), pr.clone());
            // The same detail as every lab's prediction: a stable id (the
            // scenario, the schedule and the step), the question, the answer.
            let id = format!("{}-{}-step-{to}", run.scenario, sched.iter().map(u8::to_string).collect::<String>());
            Callback::from(move |_: MouseEvent| {
                let mut a = (*answered).clone();
                a.push((sched.clone(), to));
                answered.set(a);
                web::post_event("prediction", "races", serde_json::json!({ "id": id, "step": to, "question": q.question, "answer": q.options[i], "correct": i == q.answer }));
                asking.set(None);
                d.emit(LabAction::Then(vec![LabAction::Extra { key: "said", value: format!("{to}:{i}") }, LabAction::Step(to)]));
            })
        };
        Some(html! {
            <div class="races-predict-prompt" role="dialog" aria-label="Predict first" id="races-prompt">
                <p><strong>{ "Predict first: " }</strong>{ pr.question.clone() }</p>
                <div class="races-options">
                    { for pr.options.iter().enumerate().map(|(i, o)| html! { <button type="button" data-option={i.to_string()} onclick={choose(i)}>{ *o }</button> }) }
                </div>
            </div>
        })
    });
    let feedback = said_of(&lab.query).filter(|(at, _)| *at == step && step > 0).and_then(|(_, said)| {
        let pr = run.frames.get(step - 1)?.prediction.clone()?;
        let right = said == pr.answer;
        let reason = why(&run, step).map(|w| format!(" Why: {w}")).unwrap_or_default();
        Some(html! {
            <p class={classes!("races-feedback", if right { "right" } else { "wrong" })} id="races-feedback" role="status">
                <strong>{ if right { "✓ You predicted it. " } else { "✗ Not quite. " } }</strong>
                { format!("You said “{}”. What happened: {}.{reason}", pr.options.get(said).copied().unwrap_or("?"), pr.options[pr.answer]) }
            </p>
        })
    });

    let tab = |m: Mode| {
        let action = match m {
            Mode::Scheduler => LabAction::Then(vec![
                LabAction::Extra { key: "schedule", value: String::new() },
                LabAction::Extra { key: "mode", value: m.slug().into() },
            ]),
            Mode::Step | Mode::Side => LabAction::Extra { key: "mode", value: m.slug().into() },
        };
        let (href, click, refused) = nav(&lab.query, &lab.dispatch, action);
        html! {
            <a href={href} data-mode={m.slug()} class={classes!("tab", (mode == m).then_some("current"))} onclick={click}
               aria-current={(mode == m).then_some("page")} aria-disabled={refused.then_some("true")}>{ m.title() }</a>
        }
    };
    let predict_toggle = {
        let (href, click, refused) = nav(
            &lab.query,
            &lab.dispatch,
            LabAction::Extra { key: "predict", value: if predict { "0" } else { "1" }.into() },
        );
        html! { <a href={href} id="races-predict" class="races-predict" role="switch" aria-checked={predict.to_string()} onclick={click} aria-disabled={refused.then_some("true")}>{ if predict { "Predict before decisive steps: on" } else { "Predict before decisive steps: off" } }</a> }
    };
    // For a handler, the text shown is the text that ran (the last one the worker compiled).
    let shown_sql = match (s.number, &source) {
        (0, Some((a, _))) => a.text.clone(),
        (0, None) => lab.params.handler.clone().unwrap_or_default(),
        (_, _) => s.sql.to_string(),
    };
    let heading = if s.number == 0 { s.title.to_string() } else { format!("{}. {}", s.number, s.title) };
    let stale_note = stale.then(|| html! {
        <p class="note races-stale" id="races-stale" role="status">{ "The picture shows the last text that ran: the Web Worker is exploring your edit, or refused it (see the editor)." }</p>
    });
    let scenario_text = html! {
            <div class="races-scenario">
                <div>
                    <h3>{ heading }</h3>
                    if !s.is_sql { <p class="note">{ "Not SQL: this scenario is checked by the engine's tests only, not against PostgreSQL." }</p> }
                </div>
                <pre class="races-sql" aria-label="The handler's SQL"><code>
                    if s.is_sql { <span class="races-ddl">{ format!("-- the table\n{};\n\n", s.ddl("idempotency_keys").join(";\n")) }</span> }
                    { shown_sql }
                </code></pre>
            </div>
    };
    let beside = (mode == Mode::Side).then(|| {
        let d = lab.dispatch.clone();
        let onchange = Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            if let Some(id) = SCENARIO_IDS.iter().find(|id| **id == sel.value()) {
                d.emit(LabAction::Extra { key: "against", value: (*id).to_string() });
            }
        });
        html! {
            <label class="races-against">{ "Beside it: " }
                <select id="races-against" {onchange} disabled={lab.locked("against")}>
                    { for SCENARIO_CHOICES.iter().map(|(id, title)| html! {
                        <option value={*id} selected={against == Some(*id)}>{ *title }</option>
                    }) }
                </select>
            </label>
        }
    });
    let header = html! {
        <nav class="races-modes" aria-label="Mode">{ for Mode::ALL.iter().map(|m| tab(*m)) }{ predict_toggle }{ beside }</nav>
    };
    let body = match mode {
        Mode::Side => side(&run, &s, &twin, step),
        Mode::Scheduler => scheduler(&lab.query, &lab.dispatch, &run, &s, steps),
        Mode::Step => html! {
            <>{ prompt }{ feedback }<RunPanel run={run.clone()} scenario={s.clone()} step={step} compact=false /></>
        },
    };
    // Picture first: the mode tabs, the step controls and the lanes, then the
    // handler's text that the lanes run.
    let picture =
        html! { <>{ stale_note }{ header }if mode != Mode::Scheduler { { controls } }{ body }{ scenario_text }</> };
    let evidence = evidence_of(&lab, r, &run, mode);
    let extra = html! { <>{ (*explorer).clone() }{ editor }</> };
    // In an embed the counters wait until the learner reaches the second charge (or the end).
    let gate = lab.gate(Some(last), r.decisive_step());
    html! {
        <LabLayout slug="races" title="Races: SELECT-then-INSERT beside the atomic fix" warnings={warnings}
            presets={presets} picture={picture} evidence={evidence} extra={extra} intro={intro} sources={sources} gate={gate} />
    }
}

/// The answer whose run the picture shows for a handler, and whether it is
/// stale (of an earlier text: the worker is still on the new one, or refused it).
fn handler_source(own: &OwnHandler) -> Option<(Rc<Answer>, bool)> {
    match &own.current {
        Some(a) if a.explored && a.ran.is_ok() => Some((a.clone(), false)),
        Some(_) | None => own.last_good.clone().map(|a| (a, true)),
    }
}

/// The handler editor, told what the explorer found: the page's own run for
/// a shipped text, the worker's answer for the link's handler.
fn editor_of(lab: &LabCtx<RacesLab>, own: &OwnHandler, has_handler: bool) -> Html {
    let id = lab.params.scenario_id();
    let text = lab.params.handler.clone().or_else(|| scenario(id).map(|s| s.sql.to_string())).unwrap_or_default();
    let verdict = if has_handler {
        let shown = match &own.current {
            Some(a) if a.finished => Some(a.clone()),
            Some(_) | None => own.last_good.clone(),
        };
        match (shown, &own.failed) {
            (_, Some(e)) => Verdict::Stopped(format!("the Web Worker gave no answer: {e}")),
            (Some(a), None) => match &a.ran {
                Err(e) => Verdict::Refused(e.clone()),
                Ok((_, Ok(x))) => Verdict::Explored { x: x.clone(), ms: own.ms },
                Ok((_, Err(e))) => Verdict::Stopped(e.clone()),
            },
            (None, None) => Verdict::Pending,
        }
    } else {
        match &*lab.run {
            Ok(r) => match &r.explored {
                Ok(x) => Verdict::Explored { x: x.clone(), ms: None },
                Err(e) => Verdict::Stopped(e.clone()),
            },
            Err(e) => Verdict::Stopped(e.to_string()),
        }
    };
    let d = lab.dispatch.clone();
    // A new text drops the schedule: a schedule belongs to its handler.
    let on_change = Callback::from(move |(text, lanes): (String, u8)| {
        d.emit(LabAction::Then(vec![
            LabAction::Extra { key: "handler", value: text },
            LabAction::Extra { key: "lanes", value: lanes.to_string() },
            LabAction::Extra { key: "schedule", value: String::new() },
        ]))
    });
    let d = lab.dispatch.clone();
    // Opening a schedule puts it in the normal step-through at step 0, run drawn ahead.
    let on_open = Callback::from(move |(text, lanes, schedule): (String, u8, Vec<u8>)| {
        d.emit(LabAction::Then(vec![
            LabAction::Extra { key: "handler", value: text },
            LabAction::Extra { key: "lanes", value: lanes.to_string() },
            LabAction::Extra { key: "schedule", value: races::join_schedule(&schedule) },
            LabAction::Extra { key: "mode", value: Mode::Step.slug().into() },
        ]))
    });
    let cancel = own.cancel.clone();
    html! {
        <section class="races-own">
            <p class="hint">{ "Start from this scenario's text and edit it: the explorer checks every interleaving of 2 or 3 requests running your text (in a Web Worker, so the page stays responsive), the lanes above step through it, and the link keeps it. " }{ races::server_check_hint() }</p>
            <HandlerEditor key={id} initial={AttrValue::from(text)} lanes={lab.params.lanes} verdict={verdict}
                exploring={has_handler && own.busy} on_cancel={Some(cancel)} on_change={Some(on_change)} on_open={Some(on_open)}
                locked={lab.locked("handler") || lab.locked("lanes")} />
        </section>
    }
}

fn evidence_of(lab: &crate::shell::LabCtx<RacesLab>, r: &RacesRun, run: &Rc<RaceRun>, mode: Mode) -> Html {
    let mut counters = Counter::from_core(&RacesLab::counters(r), lab.key_counter());
    if let Ok(x) = &r.explored {
        counters.retain(|c| c.id != "schedules");
        if let Some(c) = counters.iter_mut().find(|c| c.id == "double_charge_schedules") {
            c.value = format!("{} of {}", x.double_charges, x.total).into();
        }
    }
    let answered = run
        .outcome
        .responses
        .iter()
        .filter(|r| matches!(r, Some(Response::Created | Response::Replayed { .. })))
        .count();
    let belief =
        format!("each client that got 201 or a replay believes its payment was made once ({answered} such answers).");
    let title = match mode {
        Mode::Scheduler => format!("Evidence for the schedule so far ({} steps)", run.frames.len()),
        Mode::Step | Mode::Side => {
            format!("Evidence for the whole run (all {} steps, whichever step is shown)", run.frames.len())
        }
    };
    let make_report = lab.make_report();
    let trace_json = {
        let (run, make_report) = (run.clone(), make_report.clone());
        Callback::from(move |_| {
            serde_json::to_string_pretty(&serde_json::json!({ "report": make_report.emit(()), "schedule": run.schedule, "trace": run.trace, "outcome": run.outcome })).unwrap_or_default()
        })
    };
    html! {
        <>
            <Evidence title={title} belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
            <ExportBar name={format!("races-{}", r.scenario.id)} trace_json={trace_json} counters={counters} make_report={make_report} query={lab.query.clone()} />
        </>
    }
}

#[cfg(test)]
mod tests;
