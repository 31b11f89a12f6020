//! The Races picture's frame: the mode tabs, the predict-first switch, the
//! scenario shown beside in side-by-side mode (and its run, once per
//! scenario and schedule), and the handler's text under the lanes.

use super::explorer::nav;
use super::modes::Twin;
use crate::shell::{LabAction, LabCtx};
use idemlab_sim::knob::{KnobKind, Params};
use idemlab_sim::races::{self, run_schedule, scenario, Mode, RacesLab, RacesParams, Scenario};
use std::rc::Rc;
use yew::prelude::*;

/// The scenario shown beside the run: the link's `against=`, else the
/// scenario's twin (for a handler, the scenario it was written from).
pub fn against(lab: &LabCtx<RacesLab>) -> Option<&'static str> {
    let r = lab.run.as_ref().as_ref().ok()?;
    Some(lab.params.against_id(r.scenario.twin).slug())
}

/// The other side of side-by-side mode, run once per (scenario, schedule), not on every step.
#[hook]
pub fn use_twin(lab: Option<&LabCtx<RacesLab>>) -> Rc<Twin> {
    let key = lab.and_then(|lab| match (&*lab.run, lab.params.mode, against(lab)) {
        (Ok(r), Mode::Side, Some(id)) => Some((id, r.run.schedule.clone())),
        (Ok(_) | Err(_), _, _) => None,
    });
    use_memo(key, |k| {
        k.as_ref().and_then(|(id, sch)| {
            let s = scenario(id)?;
            let skipped = races::run_lenient(&s, sch).map(|(_, n)| n).unwrap_or_default();
            Some((Rc::new(s.clone()), run_schedule(&s, sch, true).map(|(r, _)| Rc::new(r)), skipped))
        })
    })
}

/// The mode tabs, the predict-first switch and, side by side, the choice of the other scenario.
pub fn header(lab: &LabCtx<RacesLab>, predict: bool) -> Html {
    let mode = lab.params.mode;
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
        let value = if predict { "0" } else { "1" };
        let (href, click, refused) =
            nav(&lab.query, &lab.dispatch, LabAction::Extra { key: "predict", value: value.into() });
        html! { <a href={href} id="races-predict" class="races-predict" role="switch" aria-checked={predict.to_string()} onclick={click} aria-disabled={refused.then_some("true")}>{ if predict { "Predict before decisive steps: on" } else { "Predict before decisive steps: off" } }</a> }
    };
    let beside = (mode == Mode::Side).then(|| {
        let d = lab.dispatch.clone();
        let onchange = Callback::from(move |e: Event| {
            let sel: web_sys::HtmlSelectElement = e.target_unchecked_into();
            d.emit(LabAction::Extra { key: "against", value: sel.value() });
        });
        // The choices are the schema's: the twin (the default), then every scenario.
        let choices = match RacesParams::knob("against").map(|k| k.kind) {
            Some(KnobKind::Choice(list)) => list,
            _ => &[],
        };
        let shown = lab.params.against.map_or("twin", |id| id.slug());
        html! {
            <label class="races-against">{ "Beside it: " }
                <select id="races-against" {onchange} disabled={lab.locked("against")}>
                    { for choices.iter().map(|(id, title)| html! {
                        <option value={*id} selected={shown == *id}>{ *title }</option>
                    }) }
                </select>
            </label>
        }
    });
    html! {
        <nav class="races-modes" aria-label="Mode">{ for Mode::ALL.iter().map(|m| tab(*m)) }{ predict_toggle }{ beside }</nav>
    }
}

/// The scenario's heading and text (the table's DDL first, for SQL), as the lanes run it.
pub fn scenario_text(s: &Scenario, shown_sql: String) -> Html {
    let heading = if s.number == 0 { s.title.to_string() } else { format!("{}. {}", s.number, s.title) };
    html! {
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
    }
}
