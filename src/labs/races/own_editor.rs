//! The handler editor on the Races page, told what the explorer found: the
//! page's own run for a shipped text, the worker's answer for the link's
//! handler. Its edits go into the link (`handler`, `lanes`), which the
//! worker then compiles and explores (`own.rs`).

use super::editor::{HandlerEditor, Verdict};
use super::own::RacesState;
use crate::shell::LabAction;
use idemlab_sim::races::{self, scenario, Mode};
use yew::prelude::*;

/// The handler editor, told what the explorer found: the page's own run for
/// a shipped text, the worker's answer for the link's handler.
pub fn editor_of(st: &RacesState, hold: bool) -> Html {
    let (lab, own, has_handler) = (st.lab.link(), &st.own, st.has_handler);
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
        match st.lab.ready().map(|l| &*l.run) {
            Some(Ok(r)) => match &r.explored {
                Ok(x) => Verdict::Explored { x: x.clone(), ms: None },
                Err(e) => Verdict::Stopped(e.clone()),
            },
            Some(Err(e)) => Verdict::Stopped(e.to_string()),
            // A shipped scenario runs on the page: it is never loading.
            None => Verdict::Pending,
        }
    };
    // While a prediction is unanswered, the verdict over every interleaving
    // would answer it: it waits. A refusal answers nothing, so it shows at once.
    let verdict = match verdict {
        Verdict::Explored { .. } if hold => Verdict::Pending,
        v => v,
    };
    let d = st.lab.dispatch().clone();
    // A new text drops the schedule: a schedule belongs to its handler.
    let on_change = Callback::from(move |(text, lanes): (String, u8)| {
        d.emit(LabAction::Then(vec![
            LabAction::Extra { key: "handler", value: text },
            LabAction::Extra { key: "lanes", value: lanes.to_string() },
            LabAction::Extra { key: "schedule", value: String::new() },
        ]))
    });
    let d = st.lab.dispatch().clone();
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
            <p class="hint">{ "Start from this scenario's text and edit it: the explorer checks every interleaving of 2 or 3 requests running your text (in a Web Worker where the browser allows one, so the page stays responsive; otherwise on the page itself), the lanes above step through it, and the link keeps it. " }{ races::server_check_hint() }</p>
            <HandlerEditor key={id} initial={AttrValue::from(text)} lanes={lab.params.lanes} verdict={verdict}
                exploring={has_handler && own.busy} on_cancel={Some(cancel)} on_change={Some(on_change)} on_open={Some(on_open)}
                locked={lab.locked("handler") || lab.locked("lanes")} />
        </section>
    }
}
