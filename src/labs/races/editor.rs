//! "Write your own handler": a text box for a handler in the races lab's
//! language. The Races page mounts it with a starting text and lanes, tells
//! it what the explorer found ([`Verdict`]: the page's run for a shipped
//! text, the Web Worker's answer for an edited one), and hears back through
//! `on_change` when the text or lanes change (the page keeps them in the
//! permalink, keys `handler` and `lanes`, and has the worker explore them)
//! and through `on_open` when the learner asks to step through a schedule.
//! Nothing here parses or explores: typing costs one render.

use idemlab_sim::races::{join_schedule, Exploration, HandlerError};
use std::rc::Rc;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// What the explorer found for the text shown.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Nothing yet: the worker is compiling the text.
    Pending,
    /// The parser refused the text.
    Refused(HandlerError),
    /// Every schedule; `ms`: how long the worker took, request to reply.
    Explored {
        /// The exploration.
        x: Rc<Exploration>,
        /// Milliseconds in the worker, when it came from there.
        ms: Option<f64>,
    },
    /// The explorer stopped (its limit on states, or a refusal).
    Stopped(String),
}

impl PartialEq for Verdict {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Verdict::Pending, Verdict::Pending) => true,
            (Verdict::Refused(a), Verdict::Refused(b)) => a == b,
            // Explorations are shared, never edited: the same one is the same pointer.
            (Verdict::Explored { x: a, ms: m }, Verdict::Explored { x: b, ms: n }) => Rc::ptr_eq(a, b) && m == n,
            (Verdict::Stopped(a), Verdict::Stopped(b)) => a == b,
            (Verdict::Pending | Verdict::Refused(_) | Verdict::Explored { .. } | Verdict::Stopped(_), _) => false,
        }
    }
}

/// What the editor was given.
#[derive(Properties, PartialEq)]
pub struct HandlerEditorProps {
    /// The text to start from (a scenario's text, or the permalink's `handler`).
    pub initial: AttrValue,
    /// 2 or 3 requests run the handler (ignored when the text has LANE sections).
    #[prop_or(2)]
    pub lanes: u8,
    /// What the explorer found for the text and lanes the page last heard.
    pub verdict: Verdict,
    /// The worker is exploring a newer text: the verdict shown is the last one.
    #[prop_or(false)]
    pub exploring: bool,
    /// Stops the worker's exploration.
    #[prop_or_default]
    pub on_cancel: Option<Callback<()>>,
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

fn summary(x: &Exploration) -> String {
    if x.double_charges > 0 {
        format!("double charge in {} of {} interleavings", x.double_charges, x.total)
    } else {
        format!("safe in all {}: no double charge", x.total)
    }
}

/// The lanes a handler runs in, from the schema's `lanes` knob.
fn lanes_bounds() -> (u8, u8) {
    use idemlab_sim::knob::Params;
    let (min, max) = idemlab_sim::races::RacesParams::knob("lanes").map_or((2, 2), |k| k.kind.bounds());
    (min as u8, max as u8)
}

/// The handler editor.
#[component]
pub fn HandlerEditor(p: &HandlerEditorProps) -> Html {
    let text = use_state(|| p.initial.to_string());
    let (lanes_min, lanes_max) = lanes_bounds();
    let lanes = use_state(|| p.lanes.clamp(lanes_min, lanes_max));
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
    // Step-through buttons only where the page can open a schedule, and only
    // for a verdict about the text on screen.
    let can_open = p.on_open.is_some() && !p.exploring;
    let error_line = match &p.verdict {
        Verdict::Refused(e) => e.line,
        Verdict::Pending | Verdict::Explored { .. } | Verdict::Stopped(_) => 0,
    };
    let line_count = text.lines().count().max(1);
    let status = if p.exploring {
        let cancel = p.on_cancel.clone().map(|cb| Callback::from(move |_: MouseEvent| cb.emit(())));
        html! {
            <p class="handler-status" id="handler-exploring" role="status">
                { format!("Exploring your text {}… (what is shown below is the last result)", crate::offload::where_jobs_run()) }
                if let Some(onclick) = cancel { { " " }<button type="button" class="linklike" {onclick}>{ "Cancel" }</button> }
            </p>
        }
    } else {
        html! {}
    };
    let body = match &p.verdict {
        Verdict::Pending => html! {},
        Verdict::Refused(e) => html! {
            <p class="handler-error" role="alert" id="handler-error">{ e.to_string() }</p>
        },
        Verdict::Stopped(e) => html! {
            <p class="handler-error" role="alert" id="handler-error">{ format!("The explorer stopped: {e}") }</p>
        },
        Verdict::Explored { x, ms } => html! {
            <>
                <p id="handler-summary" class={classes!("handler-summary", (x.double_charges > 0).then_some("bad"))}
                   data-total={x.total.to_string()} data-ms={ms.map(|m| format!("{m:.1}"))}>
                    <strong>{ summary(x) }</strong>
                    { match ms {
                        Some(m) => format!(" · compiled and explored in {m:.0} ms {} (request to answer)", crate::offload::where_jobs_run()),
                        None => " · explored in this browser".to_string(),
                    } }
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
                                <code class="handler-example">{ format!(" e.g. schedule {}", join_schedule(&c.example)) }</code>
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
                <code>{ "IF NO ROW | ROW | COUNT n | INSERTED | ERROR [SQLSTATE] | STATUS STARTED | NOT LOCKED GOTO label" }</code>{ ", " }
                <code>{ "label:" }</code>{ ", " }<code>{ "CHARGE" }</code>{ ", " }
                <code>{ "RESPOND 201 | 409 | 500 | STORED" }</code>{ ", " }<code>{ "RETRY n" }</code>{ ", " }
                <code>{ "LANE name" }</code>{ ". SQL: SELECT … [FOR UPDATE | FOR NO KEY UPDATE] [NOWAIT | SKIP LOCKED]; INSERT … [ON CONFLICT [(key)] DO NOTHING | ON CONFLICT (key) DO UPDATE] [RETURNING columns | * | (xmax = 0)]; UPDATE; pg_[try_]advisory_xact_lock, pg_advisory_lock / pg_advisory_unlock (session-level); BEGIN [ISOLATION LEVEL …], SET TRANSACTION, SAVEPOINT, ROLLBACK TO SAVEPOINT, RELEASE SAVEPOINT, COMMIT, ROLLBACK; setup: a unique index or PRIMARY KEY on key. SERIALIZABLE without a unique index is modelled in 2 lanes (without SAVEPOINT) as PostgreSQL's SSI runs it: every SELECT then reads the whole table and locks it for reading, and a transaction fails with 40001 at the read, write or COMMIT where PostgreSQL's check first finds two read-write conflicts in a row (one transaction read the key before another wrote it) whose last writer commits first. Anything outside the modelled subset is refused with its line. " }
                { idemlab_sim::races::limits::rules_words() }
            </p>
            <label for="races-lanes">{ "Concurrent requests " }</label>
            <select id="races-lanes" onchange={onlanes} disabled={p.locked}>
                { for (lanes_min..=lanes_max).map(|n| html! {
                    <option value={n.to_string()} selected={*lanes == n}>{ n.to_string() }</option>
                }) }
            </select>
            <label for="handler-text" class="visually-hidden">{ "The handler's text" }</label>
            <div class="handler-box">
                <pre class="handler-gutter" aria-hidden="true">
                    { for (1..=line_count).map(|n| html! {
                        <span class={classes!((n as u32 == error_line).then_some("error-line"))}>{ format!("{n}\n") }</span>
                    }) }
                </pre>
                <textarea id="handler-text" spellcheck="false" readonly={p.locked} rows={line_count.clamp(8, 30).to_string()}
                    aria-invalid={matches!(p.verdict, Verdict::Refused(_)).to_string()}
                    aria-describedby="handler-error" value={(*text).clone()} {oninput} />
            </div>
            { status }
            { body }
        </section>
    }
}
