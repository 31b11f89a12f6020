//! The explorer panel: every schedule of the scenario grouped by outcome,
//! each example a link, the first counterexample a link that lands on its
//! decisive step, and a slider over the listed schedules (every schedule,
//! or the first thousand of a handler that has more).

use crate::components::Slider;
use crate::shell::{apply, LabAction};
use idemlab_sim::races::{decisive_step, join_schedule, run, schedule_words, Exploration, Mode, RacesLab, Scenario};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Explorer`].
#[derive(Properties, PartialEq, Clone)]
pub struct ExplorerProps {
    /// Every schedule of the scenario.
    pub x: Rc<Exploration>,
    /// The scenario.
    pub scenario: Rc<Scenario>,
    /// The schedule shown.
    pub schedule: Vec<u8>,
    /// The link, for hrefs and locks.
    pub query: crate::query::Query,
    /// Where actions go.
    pub dispatch: Callback<LabAction>,
}

/// The link and click of a navigation, and whether a lock refuses it.
pub fn nav(
    query: &crate::query::Query,
    dispatch: &Callback<LabAction>,
    action: LabAction,
) -> (String, Callback<MouseEvent>, bool) {
    let next = apply::<RacesLab>(query, &action);
    let refused = next.is_none();
    let href = next.unwrap_or_else(|| query.clone()).to_search();
    let d = dispatch.clone();
    let click = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        d.emit(action.clone());
    });
    (href, click, refused)
}

/// The actions that show `schedule` in step-through, landing on `step`.
pub fn show_schedule(schedule: &[u8], step: usize) -> LabAction {
    let mut parts = vec![
        LabAction::Extra { key: "schedule", value: join_schedule(schedule) },
        LabAction::Extra { key: "mode", value: Mode::Step.slug().to_string() },
    ];
    if step > 0 {
        parts.push(LabAction::Step(step));
    }
    LabAction::Then(parts)
}

/// The slider's words: it runs over the schedules the explorer lists (the
/// first ones in order, every one when there are no more).
fn slider_help(x: &Exploration, idx: Option<usize>) -> String {
    let all = x.schedules.len() as u128 == x.total;
    match (idx, all) {
        (Some(i), true) => format!("showing schedule {} of {}", i + 1, x.total),
        (Some(i), false) => {
            format!("showing schedule {} of the first {} listed, of {}", i + 1, x.schedules.len(), x.total)
        }
        (None, true) => "this schedule is not a complete one from the list".to_string(),
        (None, false) => format!("this schedule is not among the first {} listed", x.schedules.len()),
    }
}

/// Every interleaving, by outcome.
#[component]
pub fn Explorer(p: &ExplorerProps) -> Html {
    let x = &p.x;
    let idx = x.schedules.iter().position(|(sch, _)| *sch == p.schedule);
    let link = |action: LabAction, class: &'static str, words: String| {
        let (href, click, refused) = nav(&p.query, &p.dispatch, action);
        html! { <a href={href} class={classes!("races-link", class)} onclick={click} aria-disabled={refused.then_some("true")}>{ words }</a> }
    };
    let pick = {
        let (dispatch, all) = (p.dispatch.clone(), x.schedules.clone());
        Callback::from(move |i: i64| {
            if let Some((sch, _)) = all.get((i.max(1) - 1) as usize) {
                dispatch.emit(LabAction::Extra { key: "schedule", value: join_schedule(sch) });
            }
        })
    };
    // The first counterexample opens on the step where the second charge happens.
    let jump = x.first_counterexample.as_ref().map(|ce| {
        let at = run(&p.scenario, ce).ok().as_ref().and_then(decisive_step).unwrap_or(0);
        let (href, click, refused) = nav(&p.query, &p.dispatch, show_schedule(ce, at));
        html! {
            <a href={href} id="races-first-counterexample" class="button primary" onclick={click} data-step={at.to_string()}
               aria-disabled={refused.then_some("true")}>{ format!("Jump to the first counterexample (step {at}, the second charge)") }</a>
        }
    });
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
                            <td>{ link(show_schedule(&c.example, 0), "races-example", format!("show: {}", schedule_words(&c.example))) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <div class="races-jump">
                { jump }
                <Slider id="races-schedule-index" label="Schedule number" value={idx.map_or(1, |i| i as i64 + 1)} min={1} max={x.schedules.len().max(1) as i64}
                    help={Some(AttrValue::from(slider_help(x, idx)))}
                    on_change={pick} disabled={p.query.locked("schedule")} />
            </div>
        </section>
    }
}

/// The explorer for the run shown, built once per run and link without its
/// step, so stepping does not draw it again (its links set the step themselves).
#[hook]
pub fn use_explorer(lab: Option<&crate::shell::LabCtx<RacesLab>>) -> Rc<Html> {
    let key = lab.map(|lab| {
        let mut q = lab.query.clone();
        q.remove("step");
        q.remove("said");
        q.warnings.clear();
        let run = match &*lab.run {
            Ok(r) => Ok((r.explored.clone(), r.scenario.clone(), r.run.schedule.clone())),
            Err(e) => Err(idemlab_sim::races::limits::refusal_words(e)),
        };
        (run, q)
    });
    let dispatch = lab.map(|lab| lab.dispatch.clone()).unwrap_or_default();
    use_memo(key, move |key| match key {
        Some((Ok((Ok(x), s, schedule)), q)) => html! {
            <Explorer x={x.clone()} scenario={s.clone()} schedule={schedule.clone()} query={q.clone()} dispatch={dispatch.clone()} />
        },
        Some((Ok((Err(e), _, _)), _)) => html! { <p class="error">{ format!("The explorer stopped: {e}") }</p> },
        Some((Err(_), _)) | None => html! {},
    })
}
