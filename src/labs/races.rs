//! Races: two requests with the same Idempotency-Key, stepped side by side
//! through PostgreSQL transactions. The run, its counters and the explorer
//! come from `RacesLab` in the core through the shared lab shell; this page
//! draws them. Every navigation is a link from the shell, so embeds keep
//! their parameters and locks hold.

mod explorer;
mod modes;
mod run_panel;

use crate::components::{Counter, Evidence, ExportBar, StepControls};
use crate::labs::races_editor::HandlerEditor;
use crate::shell::{use_lab, LabAction, LabLayout, LabProps, PresetBar, RunError, SourcesPanel};
use crate::web;
use explorer::{nav, Explorer};
use idemlab_sim::lab::Lab;
use idemlab_sim::races::{self, run_schedule, scenario, why, Mode, RaceRun, RacesLab, RacesRun, Response};
use modes::{scheduler, side};
use run_panel::RunPanel;
use std::rc::Rc;
use yew::prelude::*;

/// What a `said=` value records: the step a prediction was made at and the choice.
fn said_of(q: &crate::query::Query) -> Option<(usize, usize)> {
    let (step, choice) = q.get("said")?.split_once(':')?;
    Some((step.parse().ok()?, choice.parse().ok()?))
}

/// The races lab page.
#[component]
pub fn Races(p: &LabProps) -> Html {
    let lab = use_lab::<RacesLab>(p);
    let asking = use_state(|| None::<usize>);
    let answered = use_state(Vec::<(Vec<u8>, usize)>::new);
    let mode = lab.params.mode;
    // The twin of side-by-side mode runs once per (twin, schedule), not on every step.
    let twin_key = match (&*lab.run, mode) {
        (Ok(r), Mode::Side) => Some((r.scenario.twin, r.run.schedule.clone())),
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
            Err(e) => Err(e.to_string()),
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
    let current = lab.params.scenario_id();
    let hrefs: Vec<String> = RacesLab::presets().iter().map(|pr| lab.href(&LabAction::Preset(pr.slug))).collect();
    let presets = html! {
        <PresetBar prefix="races" presets={RacesLab::presets()} current={Some(current)} hrefs={hrefs}
            locked={lab.locked("preset")} dispatch={lab.dispatch.clone()} />
    };
    let intro = html! {
        <p>{ "Two requests carry the same Idempotency-Key and arrive together. Each runs in its own PostgreSQL 15 transaction (READ COMMITTED unless the scenario says otherwise). Step through them, or be the scheduler yourself, and watch the provider's ledger. The explorer runs every interleaving of the scenario." }</p>
    };
    let sources = html! { <SourcesPanel sources={RacesLab::sources()} /> };
    let (r, run, s) = match &*lab.run {
        Ok(r) => (r, r.run.clone(), r.scenario.clone()),
        Err(e) => {
            return html! {
                <LabLayout slug="races" title="Races: SELECT-then-INSERT beside the atomic fix" warnings={lab.query.warnings.clone()}
                    presets={presets} picture={html! { <RunError error={e.to_string()} /> }} intro={intro} sources={sources} />
            }
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
            Callback::from(move |_: MouseEvent| {
                let mut a = (*answered).clone();
                a.push((sched.clone(), to));
                answered.set(a);
                web::post_event("prediction", "races", serde_json::json!({ "step": to, "question": q.question, "answer": q.options[i], "correct": i == q.answer }));
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
    let scenario_text = html! {
            <div class="races-scenario">
                <div>
                    <h3>{ format!("{}. {}", s.number, s.title) }</h3>
                    if !s.is_sql { <p class="note">{ "Not SQL: this scenario is checked by the engine's tests only, not against PostgreSQL." }</p> }
                </div>
                <pre class="races-sql" aria-label="The handler's SQL"><code>
                    if s.is_sql { <span class="races-ddl">{ format!("-- the table\n{};\n\n", s.ddl("idempotency_keys").join(";\n")) }</span> }
                    { s.sql }
                </code></pre>
            </div>
    };
    let header = html! {
        <nav class="races-modes" aria-label="Mode">{ for Mode::ALL.iter().map(|m| tab(*m)) }{ predict_toggle }</nav>
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
    let picture = html! { <>{ header }if mode != Mode::Scheduler { { controls } }{ body }{ scenario_text }</> };
    let evidence = evidence_of(&lab, r, &run, mode);
    // The learner's own handler: its text and lane count live in the link, so
    // a link shares a handler and what the explorer found in it.
    let editor = {
        let text = lab.query.get("handler").map_or_else(|| s.sql.to_string(), str::to_string);
        let lanes =
            lab.query.get("lanes").and_then(|v| v.parse::<u8>().ok()).filter(|n| (2..=3).contains(n)).unwrap_or(2);
        let d = lab.dispatch.clone();
        let on_change = Callback::from(move |(text, lanes): (String, u8)| {
            d.emit(LabAction::Then(vec![
                LabAction::Extra { key: "handler", value: text },
                LabAction::Extra { key: "lanes", value: lanes.to_string() },
            ]))
        });
        html! {
            <section class="races-own">
                <p class="hint">{ "Start from this scenario's text and edit it: the explorer checks every interleaving of 2 or 3 requests running your text, and the link keeps it. idemlab race check FILE --pg CONNINFO runs the same text against a real PostgreSQL 15." }</p>
                <HandlerEditor initial={AttrValue::from(text)} lanes={lanes} on_change={Some(on_change)}
                    locked={lab.locked("handler") || lab.locked("lanes")} />
            </section>
        }
    };
    let extra = html! { <>{ (*explorer).clone() }{ editor }</> };
    // In an embed the counters wait until the learner reaches the second charge (or the end).
    let gate = lab.gate(Some(last), r.decisive_step());
    html! {
        <LabLayout slug="races" title="Races: SELECT-then-INSERT beside the atomic fix" warnings={warnings}
            presets={presets} picture={picture} evidence={evidence} extra={extra} intro={intro} sources={sources} gate={gate} />
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
    let report = lab.report();
    let trace_json = {
        let (run, report) = (run.clone(), report.clone());
        Callback::from(move |_| {
            serde_json::to_string_pretty(&serde_json::json!({ "report": report, "schedule": run.schedule, "trace": run.trace, "outcome": run.outcome })).unwrap_or_default()
        })
    };
    html! {
        <>
            <Evidence title={title} belief={Some(AttrValue::from(belief))} counters={counters.clone()} />
            <ExportBar name={format!("races-{}", r.scenario.id)} trace_json={trace_json} counters={counters} report={report} query={lab.query.clone()} />
        </>
    }
}

#[cfg(test)]
mod tests;
