//! Races: two requests with the same Idempotency-Key, stepped side by side
//! through PostgreSQL transactions. The engine and explorer live in
//! `idemlab_sim::races`; this page reads the scenario, schedule, step and mode
//! from the permalink and draws what the engine returns.

use crate::components::{
    Counter, EventLog, Evidence, ExportBar, ItemKind, LinkWarnings, Slider, StepControls, Timeline, TimelineItem,
};
use crate::query::Query;
use crate::shell::LabProps;
use crate::web;
use idemlab_sim::races::{
    self, explore, instr_short, narrate, runnable_after, scenario, Exploration, Frame, RaceRecord, RaceRun, Response,
    Scenario, StmtResult, EXPLORE_SCHEDULES_MAX, SCENARIO_IDS,
};
use std::rc::Rc;
use yew::prelude::*;

/// The page's modes.
const MODES: [&str; 3] = ["step", "scheduler", "side"];

/// What the permalink says, after checking.
#[derive(Clone, PartialEq)]
struct View {
    scenario: &'static str,
    schedule: Vec<u8>,
    step: usize,
    mode: &'static str,
    predict: bool,
    warnings: Vec<String>,
}

fn read_view(q: &Query) -> View {
    let mut q = q.clone();
    q.warnings.clear();
    let scenario = q.choice("scenario", &SCENARIO_IDS);
    let schedule: Vec<u8> = q.int_list("schedule", 1, 4, races::STEPS_MAX).into_iter().map(|v| v as u8).collect();
    let step = q.int("step", 0, 0, races::STEPS_MAX as i64) as usize;
    let mode = q.choice("mode", &MODES);
    let predict = q.flag("predict", true);
    View { scenario, schedule, step, mode, predict, warnings: q.warnings }
}

/// A run to show, with what was wrong with the schedule that asked for it.
struct Shown {
    run: Result<RaceRun, String>,
    notes: Vec<String>,
}

fn scenario_or_first(id: &str) -> Scenario {
    scenario(id).or_else(|| scenario(SCENARIO_IDS[0])).expect("the first scenario exists")
}

/// Runs the schedule strictly; when it is refused, says why and runs it leniently.
/// An empty schedule shows the explorer's first counterexample, else its first schedule.
fn show(s: &Scenario, schedule: &[u8], x: Option<&Exploration>, complete: bool) -> Shown {
    let default: Vec<u8> = x
        .and_then(|x| x.first_counterexample.clone().or_else(|| x.schedules.first().map(|(s, _)| s.clone())))
        .unwrap_or_default();
    let schedule = if schedule.is_empty() && complete { default.as_slice() } else { schedule };
    let mut notes = Vec::new();
    match races::run(s, schedule) {
        Ok(r) if r.outcome.finished || !complete => return Shown { run: Ok(r), notes },
        Ok(_) => {}
        Err(e) => notes.push(format!(
            "This schedule is not valid for scenario {}: {e}. The rest of it was skipped where needed.",
            s.number
        )),
    }
    match races::run_lenient(s, schedule) {
        Ok((r, _)) => Shown { run: Ok(r), notes },
        Err(e) => Shown { run: Err(e.to_string()), notes },
    }
}

/// The races lab page.
#[component]
pub fn Races(p: &LabProps) -> Html {
    let v = read_view(&p.query);
    let s = Rc::new(scenario_or_first(v.scenario));
    let x = use_memo(v.scenario, |id| explore(&scenario_or_first(id), EXPLORE_SCHEDULES_MAX));
    let scheduler = v.mode == "scheduler";
    let shown = {
        let x = x.clone();
        use_memo((v.scenario, v.schedule.clone(), scheduler), move |(id, sch, sched_mode)| {
            show(&scenario_or_first(id), sch, (*x).as_ref().ok(), !*sched_mode)
        })
    };
    // The twin of side-by-side mode runs once per (twin, schedule), not on
    // every step of the scrubber.
    let twin_shown = {
        let twin_id = (v.mode == "side").then_some(s.twin);
        let schedule = shown.run.as_ref().map(|r| r.schedule.clone()).unwrap_or_default();
        use_memo((twin_id, schedule), |(twin_id, schedule)| {
            twin_id.map(|id| {
                let twin = scenario_or_first(id);
                let skipped = races::run_lenient(&twin, schedule).map(|(_, n)| n).unwrap_or_default();
                (show(&twin, schedule, None, true), skipped)
            })
        })
    };
    let answered = use_state(Vec::<(String, usize)>::new);
    let asking = use_state(|| None::<usize>);

    let set_query = {
        let (q, on_query) = (p.query.clone(), p.on_query.clone());
        Callback::from(move |pairs: Vec<(&'static str, String)>| {
            let mut q = q.with("area", "races");
            // Any change of step forgets the last prediction's feedback unless it is set again.
            q.remove("said");
            for (k, val) in pairs {
                if val.is_empty() {
                    q.remove(k);
                } else {
                    q.set(k, val);
                }
            }
            on_query.emit(q);
        })
    };
    let join = |sch: &[u8]| sch.iter().map(u8::to_string).collect::<Vec<_>>().join(",");

    // Post the outcome once per change of run.
    {
        let posted = shown.run.as_ref().ok().map(|r| (r.outcome.clone(), join(&r.schedule)));
        use_effect_with((s.id, posted), move |(id, posted)| {
            if let Some((outcome, sched)) = posted {
                web::post_event(
                    "outcome",
                    "races",
                    serde_json::json!({ "scenario": id, "schedule": sched, "charges": outcome.charges, "double_charge": outcome.double_charge(), "label": outcome.class_label() }),
                );
            }
        });
    }

    let run = match &shown.run {
        Ok(r) => r.clone(),
        Err(e) => {
            return html! { <section class="lab races" data-lab="races"><p class="error" role="alert">{ format!("This run could not start: {e}") }</p></section> }
        }
    };
    let steps = run.frames.len();
    let step = if scheduler { steps } else { v.step.min(steps) };
    let sched_key = join(&run.schedule);

    // Stepping forward into a decisive step asks first, when predict-first is on.
    let on_step = {
        let (set_query, frames, asking, answered) =
            (set_query.clone(), run.frames.clone(), asking.clone(), answered.clone());
        let (sched, predict, cur) = (sched_key.clone(), v.predict && v.mode == "step", step);
        Callback::from(move |to: usize| {
            let decisive = to == cur + 1 && frames.get(to - 1).is_some_and(|f| f.prediction.is_some());
            let seen = answered.iter().any(|(k, st)| *k == sched && *st == to);
            if predict && decisive && !seen {
                asking.set(Some(to));
                return;
            }
            asking.set(None);
            set_query.emit(vec![("step", to.to_string()), ("schedule", sched.clone())]);
        })
    };
    let answer = {
        let (set_query, asking, answered, sched, id) =
            (set_query.clone(), asking.clone(), answered.clone(), sched_key.clone(), s.id);
        let frames = run.frames.clone();
        move |to: usize, choice: usize| {
            let (set_query, asking, answered, sched, frames) =
                (set_query.clone(), asking.clone(), answered.clone(), sched.clone(), frames.clone());
            Callback::from(move |_| {
                let Some(pr) = frames.get(to - 1).and_then(|f| f.prediction.clone()) else { return };
                let mut a = (*answered).clone();
                a.push((sched.clone(), to));
                answered.set(a);
                web::post_event(
                    "prediction",
                    "races",
                    serde_json::json!({ "scenario": id, "step": to, "question": pr.question, "answer": pr.options[choice], "correct": choice == pr.answer }),
                );
                asking.set(None);
                set_query.emit(vec![
                    ("step", to.to_string()),
                    ("schedule", sched.clone()),
                    ("said", choice.to_string()),
                ]);
            })
        }
    };

    let mut warnings = p.query.warnings.clone();
    warnings.extend(v.warnings.iter().cloned());
    warnings.extend(shown.notes.iter().cloned());

    let scenario_buttons = html! {
        <div class="races-scenarios" role="group" aria-label="Scenarios">
            { for SCENARIO_IDS.iter().filter_map(|id| scenario(id)).map(|sc| {
                let set_query = set_query.clone();
                let id = sc.id;
                let onclick = Callback::from(move |_| set_query.emit(vec![("scenario", id.to_string()), ("schedule", String::new()), ("step", "0".into())]));
                html! {
                    <button type="button" class={classes!((sc.id == s.id).then_some("primary"))} data-scenario={sc.id}
                        aria-pressed={(sc.id == s.id).to_string()} {onclick} disabled={p.query.locked("scenario")}>
                        { format!("{}. {}", sc.number, short_title(sc.id)) }
                    </button>
                }
            }) }
        </div>
    };
    let mode_buttons = html! {
        <div class="races-modes" role="group" aria-label="Mode">
            { for [("step", "Step through"), ("scheduler", "Play scheduler"), ("side", "Side by side")].into_iter().map(|(m, label)| {
                let set_query = set_query.clone();
                let sched = sched_key.clone();
                let onclick = Callback::from(move |_| {
                    let sch = if m == "scheduler" { String::new() } else { sched.clone() };
                    set_query.emit(vec![("mode", m.to_string()), ("schedule", sch), ("step", "0".into())]);
                });
                html! { <button type="button" data-mode={m} class={classes!((v.mode == m).then_some("primary"))} aria-pressed={(v.mode == m).to_string()} {onclick} disabled={p.query.locked("mode")}>{ label }</button> }
            }) }
            <label class="races-predict">
                <input type="checkbox" id="races-predict" checked={v.predict} onchange={{
                    let set_query = set_query.clone();
                    let on = v.predict;
                    Callback::from(move |_| set_query.emit(vec![("predict", if on { "0".into() } else { "1".into() })]))
                }} />
                { " Predict before decisive steps" }
            </label>
        </div>
    };

    let prompt = (*asking)
        .and_then(|to| run.frames.get(to - 1).and_then(|f| f.prediction.clone()).map(|pr| (to, pr)))
        .map(|(to, pr)| {
            html! {
                <div class="races-predict-prompt" role="dialog" aria-label="Predict first" id="races-prompt">
                    <p><strong>{ "Predict first: " }</strong>{ pr.question.clone() }</p>
                    <div class="races-options">
                        { for pr.options.iter().enumerate().map(|(i, o)| html! {
                            <button type="button" data-option={i.to_string()} onclick={answer(to, i)}>{ *o }</button>
                        }) }
                    </div>
                </div>
            }
        });
    let feedback = p.query.get("said").and_then(|said| said.parse::<usize>().ok()).and_then(|said| {
        let pr = run.frames.get(step.checked_sub(1)?)?.prediction.clone()?;
        let right = said == pr.answer;
        Some(html! {
            <p class={classes!("races-feedback", if right { "right" } else { "wrong" })} id="races-feedback" role="status">
                { if right { "✓ You predicted it: " } else { "✗ Not quite. " } }
                { format!("You said \"{}\"; it {}.", pr.options.get(said).copied().unwrap_or("?"), pr.options[pr.answer]) }
            </p>
        })
    });

    let controls = html! {
        <StepControls step={step} steps={steps} on_step={on_step.clone()} label="Step" />
    };

    let body = match v.mode {
        "side" => {
            let twin = scenario_or_first(s.twin);
            let Some((right, skipped)) = twin_shown.as_ref() else {
                return html! { <p class="error" role="alert">{ "The side-by-side run is missing; reload the page." }</p> };
            };
            match &right.run {
                Ok(r2) => {
                    let differs = r2.outcome.charges != run.outcome.charges;
                    let steps2 = r2.frames.len();
                    let all = steps.max(steps2);
                    let step = v.step.min(all);
                    html! {
                        <>
                            <StepControls step={step} steps={all} on_step={on_step.clone()} label="Step" />
                            <p class={classes!("races-compare", differs.then_some("races-differs"))} id="races-compare" role="status">
                                { if differs {
                                    format!("⚠ The outcomes differ under the same schedule: {} charge{} on the left, {} on the right.", run.outcome.charges, if run.outcome.charges == 1 { "" } else { "s" }, r2.outcome.charges)
                                } else {
                                    format!("Same number of charges on both sides under this schedule ({}).", run.outcome.charges)
                                } }
                            </p>
                            <div class="races-side">
                                <div class={classes!("races-pane", (differs && run.outcome.charges > 1).then_some("races-worse"))} data-pane="left">
                                    <h3>{ format!("{}. {}", s.number, s.title) }</h3>
                                    <RunPanel run={Rc::new(run.clone())} scenario={s.clone()} step={step.min(steps)} compact=true />
                                </div>
                                <div class={classes!("races-pane", (differs && r2.outcome.charges > 1).then_some("races-worse"))} data-pane="right">
                                    <h3>{ format!("{}. {}", twin.number, twin.title) }</h3>
                                    <RunPanel run={Rc::new(r2.clone())} scenario={Rc::new(twin)} step={step.min(steps2)} compact=true />
                                    if !skipped.is_empty() { <p class="note">{ format!("The same schedule drives this side; where it named a transaction that was waiting or finished here, that entry was skipped ({}).", skipped.join("; ")) }</p> }
                                </div>
                            </div>
                        </>
                    }
                }
                Err(e) => html! { <p class="error">{ e.clone() }</p> },
            }
        }
        "scheduler" => {
            let next = runnable_after(&s, &run.schedule).unwrap_or_default();
            let locked_schedule = p.query.locked("schedule");
            html! {
                <>
                    <div class="races-scheduler" role="group" aria-label="Choose who goes next">
                        <span>{ if next.is_empty() { "Every transaction has finished. ".to_string() } else { "You are the scheduler: who takes the next step? ".to_string() } }</span>
                        { for (1..=s.programs.len() as u8).map(|n| {
                            let set_query = set_query.clone();
                            let mut sch = run.schedule.clone();
                            sch.push(n);
                            let sch = join(&sch);
                            let can = next.contains(&n);
                            let name = s.programs[n as usize - 1].name;
                            let onclick = Callback::from(move |_| set_query.emit(vec![("schedule", sch.clone())]));
                            html! { <button type="button" class="races-go" data-actor={n.to_string()} disabled={!can || locked_schedule} {onclick}
                                title={if can { "" } else { "waiting or finished" }}>{ format!("{name} ▶") }</button> }
                        }) }
                        <button type="button" class="races-undo" disabled={run.schedule.is_empty()} onclick={{
                            let set_query = set_query.clone();
                            let mut sch = run.schedule.clone();
                            sch.pop();
                            let sch = join(&sch);
                            Callback::from(move |_| set_query.emit(vec![("schedule", sch.clone())]))
                        }}>{ "Undo" }</button>
                    </div>
                    <RunPanel run={Rc::new(run.clone())} scenario={s.clone()} step={steps} compact=false />
                </>
            }
        }
        _ => html! {
            <>
                { controls }
                { prompt }
                { feedback }
                <RunPanel run={Rc::new(run.clone())} scenario={s.clone()} step={step} compact=false />
            </>
        },
    };

    let explorer = match &*x {
        Ok(x) => {
            let idx = x.schedules.iter().position(|(sch, _)| *sch == run.schedule);
            let go = |sch: Vec<u8>| {
                let set_query = set_query.clone();
                let sch = join(&sch);
                Callback::from(move |_| {
                    set_query.emit(vec![("schedule", sch.clone()), ("step", "0".into()), ("mode", "step".into())])
                })
            };
            let pick = {
                let (set_query, all) = (set_query.clone(), x.schedules.clone());
                Callback::from(move |i: i64| {
                    if let Some((sch, _)) = all.get((i.max(1) - 1) as usize) {
                        set_query.emit(vec![("schedule", join(sch)), ("step", "0".into())]);
                    }
                })
            };
            html! {
                <section class="races-explorer" aria-label="Explorer">
                    <h3>{ "Explorer: every interleaving" }</h3>
                    <p id="races-explorer-summary" class={classes!("races-summary", (x.double_charges > 0).then_some("bad"))}>
                        { format!("{}double charge in {} of {} interleavings", if x.double_charges > 0 { "⚠ " } else { "✓ " }, x.double_charges, x.total) }
                    </p>
                    <table class="races-classes">
                        <thead><tr><th scope="col">{ "Schedules" }</th><th scope="col">{ "Outcome" }</th><th scope="col">{ "Example" }</th></tr></thead>
                        <tbody>
                            { for x.classes.iter().enumerate().map(|(i, c)| html! {
                                <tr class={classes!(c.outcome.double_charge().then_some("bad"))} data-class={i.to_string()}>
                                    <td class="num">{ c.count }</td>
                                    <td>{ if c.outcome.double_charge() { "⚠ " } else { "" } }{ c.label.clone() }</td>
                                    <td><button type="button" class="races-example" onclick={go(c.example.clone())} disabled={p.query.locked("schedule")}>{ format!("show {}", join(&c.example)) }</button></td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    <div class="races-jump">
                        if let Some(ce) = &x.first_counterexample {
                            <button type="button" id="races-first-counterexample" class="primary" onclick={go(ce.clone())} disabled={p.query.locked("schedule")}>{ "Jump to the first counterexample" }</button>
                        }
                        <Slider id="races-schedule-index" label="Schedule number" value={idx.map_or(1, |i| i as i64 + 1)} min={1} max={x.total.max(1) as i64}
                            help={Some(AttrValue::from(match idx { Some(i) => format!("showing schedule {} of {}", i + 1, x.total), None => "this schedule is not a complete one from the list".to_string() }))}
                            on_change={pick} disabled={p.query.locked("schedule")} />
                    </div>
                </section>
            }
        }
        Err(e) => html! { <p class="error">{ format!("The explorer stopped: {e}") }</p> },
    };

    let counters = counters_of(&run, (*x).as_ref().ok());
    let trace_json = {
        let run = run.clone();
        Callback::from(move |_| {
            serde_json::to_string_pretty(
                &serde_json::json!({ "schedule": run.schedule, "trace": run.trace, "outcome": run.outcome }),
            )
            .unwrap_or_default()
        })
    };
    html! {
        <section class="lab races" data-lab="races">
            <h2>{ "Races: SELECT-then-INSERT beside the atomic fix" }</h2>
            <p class="prose">{ "Two requests carry the same Idempotency-Key and arrive together. Each runs in its own PostgreSQL 15 transaction (READ COMMITTED unless the scenario says otherwise). Step through them, or be the scheduler yourself, and watch the provider's ledger." }</p>
            <LinkWarnings warnings={warnings} />
            { scenario_buttons }
            <div class="races-scenario">
                <div>
                    <h3>{ format!("{}. {}", s.number, s.title) }</h3>
                    <p class="races-explanation">{ s.explanation }</p>
                    if !s.is_sql { <p class="note">{ "Not SQL: this scenario is checked by the engine's tests only, not against PostgreSQL." }</p> }
                </div>
                <pre class="races-sql" aria-label="The handler's SQL"><code>
                    if s.is_sql { <span class="races-ddl">{ format!("-- the table\n{};\n\n", s.ddl("idempotency_keys").join(";\n")) }</span> }
                    { s.sql }
                </code></pre>
            </div>
            { mode_buttons }
            { body }
            <Evidence title="Evidence" belief={Some(AttrValue::from(belief(&run)))} counters={counters.clone()} />
            { explorer }
            <ExportBar name={format!("races-{}", s.id)} trace_json={trace_json} counters={counters} query={p.query.clone()} />
        </section>
    }
}

fn short_title(id: &str) -> &'static str {
    match id {
        "select-then-insert" => "SELECT then INSERT",
        "unique-charge-first" => "Unique index, charge first",
        "for-update" => "FOR UPDATE",
        "on-conflict" => "ON CONFLICT (fix)",
        "serializable" => "SERIALIZABLE",
        "advisory-lock" => "Advisory lock",
        "volatile-store" => "Volatile key store",
        "durable-store" => "Durable key store",
        _ => "scenario",
    }
}

fn belief(run: &RaceRun) -> String {
    let answered = run
        .outcome
        .responses
        .iter()
        .filter(|r| matches!(r, Some(Response::Created | Response::Replayed { .. })))
        .count();
    format!("each client that got 201 or a replay believes its payment was made once ({answered} such answers).")
}

fn counters_of(run: &RaceRun, x: Option<&Exploration>) -> Vec<Counter> {
    let o = &run.outcome;
    let waits = run
        .trace
        .iter()
        .filter(
            |t| matches!(t.record, RaceRecord::WaitBegan { reason, .. } if reason != races::WaitReason::ClientTimeout),
        )
        .count();
    let mut c = vec![
        Counter::new("charges", "Charges at the provider", o.charges).key().bad_if(o.charges > 1),
        Counter::new("double_charges", "Double charges", u8::from(o.double_charge())).bad_if(o.double_charge()),
        Counter::new("errors", "Errors (23505, 40001)", o.errors.len()).bad_if(!o.errors.is_empty()),
        Counter::new("waits", "Lock waits", waits),
        Counter::new("rows", "Rows for the key", o.final_rows.len()).bad_if(o.final_rows.len() > 1),
    ];
    if let Some(x) = x {
        c.push(
            Counter::new(
                "double_charge_share",
                "Interleavings that double charge",
                format!("{} of {}", x.double_charges, x.total),
            )
            .bad_if(x.double_charges > 0),
        );
    }
    c
}

/// Props of [`RunPanel`].
#[derive(Properties, PartialEq, Clone)]
struct RunPanelProps {
    run: Rc<RaceRun>,
    scenario: Rc<Scenario>,
    step: usize,
    compact: bool,
}

/// The lanes, the table and locks, the narration and the ledger, at one step.
#[component]
fn RunPanel(p: &RunPanelProps) -> Html {
    let run = &p.run;
    let step = p.step.min(run.frames.len());
    let frame: Option<&Frame> = step.checked_sub(1).and_then(|i| run.frames.get(i));
    let lanes: Vec<AttrValue> = p.scenario.programs.iter().map(|pr| AttrValue::from(pr.name)).collect();
    let items = timeline_items(run, step);
    let lines: Vec<AttrValue> = run
        .frames
        .iter()
        .map(|f| AttrValue::from(f.records.iter().map(narrate).collect::<Vec<_>>().join("; ")))
        .collect();
    let narration = match frame {
        None => "Before the first step: both requests have arrived; nothing has run.".to_string(),
        Some(f) => f.records.iter().map(narrate).collect::<Vec<_>>().join(". "),
    };
    let charges: Vec<(u16, u8, u8)> = run
        .trace
        .iter()
        .filter(|t| t.step as usize <= step)
        .filter_map(|t| {
            if let RaceRecord::Charged { actor, total } = t.record {
                Some((t.step, actor, total))
            } else {
                None
            }
        })
        .collect();
    let rows = frame.map(|f| f.rows.clone()).unwrap_or_default();
    let waits = frame.map(|f| f.waits.clone()).unwrap_or_default();
    html! {
        <div class={classes!("races-run", p.compact.then_some("compact"))}>
            <p class="races-narration" id={(!p.compact).then_some("races-narration")} aria-live="polite">
                <strong>{ format!("Step {step}: ") }</strong>{ narration }
            </p>
            <div class="races-stage">
                <div class="races-lanes">
                    <Timeline lanes={lanes} items={items} current={step} x_max={run.frames.len().max(1) as f64} x_label="schedule step"
                        title={AttrValue::from(format!("Swimlanes of {}", p.scenario.title))} />
                </div>
                <aside class="races-side-panels">
                    <div class="races-table">
                        <h4>{ if p.scenario.is_sql { "idempotency_keys" } else { "key store" } }</h4>
                        if p.scenario.is_sql {
                            if rows.is_empty() { <p class="note">{ "(no rows)" }</p> } else {
                                <table>
                                    <thead><tr><th scope="col">{ "status" }</th><th scope="col">{ "response" }</th><th scope="col">{ "written by" }</th><th scope="col">{ "lock" }</th></tr></thead>
                                    <tbody>{ for rows.iter().map(|r| html! {
                                        <tr class={classes!((!r.committed).then_some("uncommitted"), r.replaced.then_some("replaced"))}>
                                            <td>{ r.status.sql() }</td>
                                            <td>{ r.response.map_or("NULL".to_string(), |c| c.to_string()) }</td>
                                            <td>{ format!("T{}{}", r.written_by + 1, if r.committed { " ✓ committed" } else { " … uncommitted" }) }{ if r.replaced { " (old version)" } else { "" } }</td>
                                            <td>{ r.locked_by.map_or(String::new(), |a| format!("FOR UPDATE by T{}", a + 1)) }</td>
                                        </tr>
                                    }) }</tbody>
                                </table>
                            }
                        } else {
                            <p>{ if frame.is_some_and(|f| f.map_has_key) { "key → 201 stored" } else { "(empty)" } }</p>
                        }
                        <h4>{ "Locks and waits" }</h4>
                        <ul class="races-locks">
                            if let Some(h) = frame.and_then(|f| f.advisory_holder) { <li>{ format!("T{} holds the advisory lock on the key", h + 1) }</li> }
                            { for waits.iter().map(|w| html! { <li class="wait">{ format!("T{} waits for T{}", w.waiter + 1, w.on + 1) }</li> }) }
                            if waits.is_empty() && frame.and_then(|f| f.advisory_holder).is_none() { <li class="note">{ "none" }</li> }
                        </ul>
                    </div>
                    <div class="races-ledger-box">
                        <h4>{ "Payment provider's ledger" }</h4>
                        <ol class="races-ledger" data-charges={charges.len().to_string()}>
                            { for charges.iter().map(|(st, a, total)| html! {
                                <li class={classes!((*total > 1).then_some("double"))}>
                                    { format!("charge #{total}: by T{} at step {st}", a + 1) }{ if *total > 1 { " ⚠ double charge" } else { "" } }
                                </li>
                            }) }
                        </ol>
                        if charges.is_empty() { <p class="note">{ "no charge yet" }</p> }
                        <h4>{ "Responses" }</h4>
                        <ul class="races-responses">
                            { for frame.map(|f| f.responses.clone()).unwrap_or_default().iter().enumerate().filter(|(_, r)| **r != Some(Response::NotARequest)).map(|(i, r)| html! {
                                <li>{ format!("T{}: {}", i + 1, r.map_or("(working)".to_string(), |r| r.label())) }</li>
                            }) }
                        </ul>
                    </div>
                </aside>
            </div>
            <p class="legend-text">{ "Lane blocks: ✓ done · +1 row written · ∅ no row · 1 row returned · hatched bar “wait T1”: waiting for T1 · dashed outline: an error or a second charge · thick outline: answered." }</p>
            if !p.compact { <EventLog lines={lines} current={step} /> }
        </div>
    }
}

/// Blocks for steps, hatched bars for waits (growing until they end), all up to `step`.
fn timeline_items(run: &RaceRun, step: usize) -> Vec<TimelineItem> {
    let mut items = Vec::new();
    let mut waiting: Vec<Option<(usize, races::Actor)>> = vec![None; races::ACTORS_MAX];
    // Waits that begin before the first step (a retry waiting for its client's timeout).
    for t in run.trace.iter().take_while(|t| t.step == 0) {
        if let RaceRecord::WaitBegan { actor, on, .. } = t.record {
            waiting[actor as usize] = Some((1, on));
        }
    }
    for f in run.frames.iter().take(step) {
        let x0 = f.step as f64 - 1.0;
        let mine: Vec<&RaceRecord> = f.records.iter().filter(|r| r.actor() == f.actor).collect();
        let bad = mine.iter().any(|r| {
            matches!(r, RaceRecord::Ran { result: StmtResult::Error { .. }, .. })
                || matches!(r, RaceRecord::Charged { total, .. } if *total > 1)
                || matches!(r, RaceRecord::Responded { response: Response::ServerError | Response::NoResponse, .. })
        });
        let good = mine.iter().any(|r| {
            matches!(
                r,
                RaceRecord::Responded {
                    response: Response::Created | Response::Replayed { .. } | Response::Conflict,
                    ..
                }
            )
        });
        let waits = mine.iter().any(|r| matches!(r, RaceRecord::WaitBegan { .. }));
        let crash = mine.iter().any(|r| matches!(r, RaceRecord::Crashed { .. }));
        let label = match mine.iter().find_map(|r| {
            if let RaceRecord::Ran { result, .. } = r {
                Some(result_short(result))
            } else {
                None
            }
        }) {
            Some(res) => format!("{} {res}", lane_word(f.instr)),
            None => lane_word(f.instr).to_string(),
        };
        let kind = if crash {
            ItemKind::Marker
        } else if bad {
            ItemKind::Bad
        } else if good {
            ItemKind::Good
        } else {
            ItemKind::Block
        };
        if !waits {
            items.push(TimelineItem {
                lane: f.actor as usize,
                to_lane: None,
                x0,
                x1: x0 + 0.92,
                label: label.into(),
                kind,
                step: f.step as usize,
            });
        }
        for r in &f.records {
            if let RaceRecord::WaitBegan { actor, on, .. } = r {
                waiting[*actor as usize] = Some((f.step as usize, *on));
            }
            if let RaceRecord::Resumed { actor, result, .. } = r {
                if let Some((from, on)) = waiting[*actor as usize].take() {
                    items.push(wait_item(*actor, from, f.step as usize, on));
                }
                items.push(TimelineItem {
                    lane: *actor as usize,
                    to_lane: None,
                    x0: x0 + 0.5,
                    x1: x0 + 0.95,
                    label: format!("→{}", result_short(result)).into(),
                    kind: if matches!(result, StmtResult::Error { .. }) { ItemKind::Bad } else { ItemKind::Block },
                    step: f.step as usize,
                });
            }
        }
        // A waiter woken by a crash or an ended attempt stops waiting here too.
        for (a, w) in waiting.iter_mut().enumerate() {
            if let Some((from, on)) = *w {
                if !f.waits.iter().any(|l| l.waiter as usize == a) {
                    items.push(wait_item(a as u8, from, f.step as usize, on));
                    *w = None;
                }
            }
        }
    }
    for (a, w) in waiting.iter().enumerate() {
        if let Some((from, on)) = *w {
            if step > 0 {
                items.push(wait_item(a as u8, from, step.max(from) + 1, on));
            }
        }
    }
    items
}

fn wait_item(actor: u8, from: usize, to: usize, on: u8) -> TimelineItem {
    TimelineItem {
        lane: actor as usize,
        to_lane: None,
        x0: from as f64 - 1.0,
        x1: (to as f64 - 1.0).max(from as f64 - 0.1),
        label: format!("wait T{}", on + 1).into(),
        kind: ItemKind::Wait,
        step: from,
    }
}

/// A result in two or three characters for a lane block: ✓ done, +1 written, ∅ no row, 1 row, or the SQLSTATE.
fn result_short(r: &StmtResult) -> String {
    match r {
        StmtResult::Ok => "✓".into(),
        StmtResult::Count { n } => format!("+{n}"),
        StmtResult::Rows { rows } if rows.is_empty() => "∅".into(),
        StmtResult::Rows { rows } => format!("{}", rows.len()),
        StmtResult::Error { state } => state.code().into(),
    }
}

/// The word on a lane block; the event log beside it says the same in full.
fn lane_word(i: races::Instr) -> &'static str {
    use races::{Instr, Stmt};
    match i {
        Instr::Sql { stmt } => match stmt {
            Stmt::Begin { .. } => "BEGIN",
            Stmt::SelectKey { for_update: false } => "SELECT",
            Stmt::SelectKey { for_update: true } => "SEL…FOR UPD",
            Stmt::Insert { on_conflict_do_nothing: false, .. } => "INSERT",
            Stmt::Insert { on_conflict_do_nothing: true, .. } => "INS…ON CONFL",
            Stmt::UpdateDone => "UPDATE",
            Stmt::AdvisoryLock => "LOCK",
            Stmt::Commit => "COMMIT",
            Stmt::Rollback => "ROLLBACK",
        },
        Instr::Charge => "charge $",
        Instr::MapGet => "map get",
        Instr::MapPut => "map put",
        Instr::Crash => "crash",
        Instr::SendResponse { .. } => "send",
        Instr::AwaitUnanswered { .. } | Instr::JumpIf { .. } | Instr::Retry { .. } | Instr::Respond { .. } => {
            instr_short(i)
        }
    }
}
