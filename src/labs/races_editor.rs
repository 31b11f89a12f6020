//! "Write your own handler": a text box for a handler in the races lab's
//! language, explored on every edit. Self-contained: the Races page mounts it
//! with a starting text and lanes, and hears back through `on_open` when the
//! learner asks to step through a schedule, and through `on_change` when the
//! text or lanes change (to keep them in the permalink, keys `handler` and
//! `lanes`). The engine is `idemlab_sim::races::{handler_scenario, explore}`.

use idemlab_sim::races::{explore, handler_scenario, Exploration, HandlerError, EXPLORE_SCHEDULES_MAX};
use std::rc::Rc;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// What the editor was given.
#[derive(Properties, PartialEq)]
pub struct HandlerEditorProps {
    /// The text to start from (a scenario's text, or the permalink's `handler`).
    pub initial: AttrValue,
    /// 2 or 3 requests run the handler (ignored when the text has LANE sections).
    #[prop_or(2)]
    pub lanes: u8,
    /// The learner wants to step through this schedule of this text.
    #[prop_or_default]
    pub on_open: Option<Callback<(String, u8, Vec<u8>)>>,
    /// The text or the lanes changed.
    #[prop_or_default]
    pub on_change: Option<Callback<(String, u8)>>,
    /// Locked by an embedder (`lock=handler`): the text is read only.
    #[prop_or(false)]
    pub locked: bool,
}

/// The result of one exploration, with how long it took in the browser.
struct Explored {
    result: Result<Exploration, HandlerError>,
    ms: f64,
}

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

fn explore_text(text: &str, lanes: u8) -> Explored {
    let t0 = now_ms();
    let result = handler_scenario(text, lanes)
        .and_then(|s| explore(&s, EXPLORE_SCHEDULES_MAX).map_err(|e| HandlerError { line: 0, message: e.to_string() }));
    Explored { result, ms: now_ms() - t0 }
}

fn summary(x: &Exploration) -> String {
    if x.double_charges > 0 {
        format!("double charge in {} of {} interleavings", x.double_charges, x.total)
    } else {
        format!("safe in all {}: no double charge", x.total)
    }
}

/// The handler editor.
#[component]
pub fn HandlerEditor(p: &HandlerEditorProps) -> Html {
    let text = use_state(|| p.initial.to_string());
    let lanes = use_state(|| p.lanes.clamp(2, 3));
    let explored = use_memo(((*text).clone(), *lanes), |(t, l)| Rc::new(explore_text(t, *l)));
    let oninput = {
        let (text, on_change, lanes) = (text.clone(), p.on_change.clone(), *lanes);
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            let v = area.value();
            if let Some(cb) = &on_change {
                cb.emit((v.clone(), lanes));
            }
            text.set(v);
        })
    };
    let onlanes = {
        let (lanes, text, on_change) = (lanes.clone(), text.clone(), p.on_change.clone());
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let n = if sel.value() == "3" { 3 } else { 2 };
            if let Some(cb) = &on_change {
                cb.emit(((*text).clone(), n));
            }
            lanes.set(n);
        })
    };
    let open = |schedule: Vec<u8>| {
        let (cb, text, lanes) = (p.on_open.clone(), (*text).clone(), *lanes);
        Callback::from(move |_: MouseEvent| {
            if let Some(cb) = &cb {
                cb.emit((text.clone(), lanes, schedule.clone()));
            }
        })
    };
    // Step-through buttons only where the page can open a schedule.
    let can_open = p.on_open.is_some();
    let error_line = explored.result.as_ref().err().map(|e| e.line).unwrap_or(0);
    let line_count = text.lines().count().max(1);
    let body = match &explored.result {
        Err(e) => html! {
            <p class="handler-error" role="alert" id="handler-error">{ e.to_string() }</p>
        },
        Ok(x) => html! {
            <>
                <p id="handler-summary" class={classes!("handler-summary", (x.double_charges > 0).then_some("bad"))}
                   data-total={x.total.to_string()} data-ms={format!("{:.1}", explored.ms)}>
                    <strong>{ summary(x) }</strong>
                    { format!(" · explored in {:.0} ms, in this browser", explored.ms) }
                </p>
                if let (Some(ce), true) = (x.first_counterexample.clone(), can_open) {
                    <button id="handler-open-counterexample" onclick={open(ce)}>{ "Step through the first counterexample" }</button>
                }
                <ul class="handler-classes">
                    { for x.classes.iter().map(|c| html! {
                        <li class={classes!(c.outcome.double_charge().then_some("bad"))}>
                            <span>{ format!("{} × {}", c.count, c.label) }</span>
                            if can_open {
                                { " " }
                                <button class="linklike" onclick={open(c.example.clone())}>{ "step through" }</button>
                            } else {
                                <code class="handler-example">{ format!(" e.g. schedule {}", c.example.iter().map(u8::to_string).collect::<Vec<_>>().join(",")) }</code>
                            }
                        </li>
                    }) }
                </ul>
            </>
        },
    };
    html! {
        <section class="handler-editor" aria-labelledby="handler-title">
            <h3 id="handler-title">{ "Write your own handler" }</h3>
            <p class="hint">
                { "SQL on idempotency_keys, one statement per ; (checked by a PostgreSQL SQL parser), plus control lines: " }
                <code>{ "IF NO ROW | ROW | ERROR [SQLSTATE] | STATUS STARTED | NOT LOCKED GOTO label" }</code>{ ", " }
                <code>{ "label:" }</code>{ ", " }<code>{ "CHARGE" }</code>{ ", " }
                <code>{ "RESPOND 201 | 409 | 500 | STORED" }</code>{ ", " }<code>{ "RETRY n" }</code>{ ", " }
                <code>{ "LANE name" }</code>{ ". Anything outside the modelled subset is refused with its line." }
            </p>
            <label for="handler-lanes">{ "Concurrent requests " }</label>
            <select id="handler-lanes" onchange={onlanes} disabled={p.locked}>
                <option value="2" selected={*lanes == 2}>{ "2" }</option>
                <option value="3" selected={*lanes == 3}>{ "3" }</option>
            </select>
            <label for="handler-text" class="visually-hidden">{ "The handler's text" }</label>
            <div class="handler-box">
                <pre class="handler-gutter" aria-hidden="true">
                    { for (1..=line_count).map(|n| html! {
                        <span class={classes!((n as u32 == error_line).then_some("error-line"))}>{ format!("{n}\n") }</span>
                    }) }
                </pre>
                <textarea id="handler-text" spellcheck="false" readonly={p.locked} rows={line_count.clamp(8, 30).to_string()}
                    aria-invalid={explored.result.is_err().to_string()}
                    aria-describedby="handler-error" value={(*text).clone()} {oninput} />
            </div>
            { body }
        </section>
    }
}
