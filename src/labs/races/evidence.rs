//! The Races evidence: the run's counters (the explorer's double-charge
//! count in place of the schedule count), what each client believes, and the export.

use crate::components::{Counter, Evidence, ExportBar};
use crate::shell::LabCtx;
use idemlab_sim::lab::Lab;
use idemlab_sim::races::{Mode, RaceRun, RacesLab, RacesRun, Response};
use std::rc::Rc;
use yew::prelude::*;

pub fn evidence_of(lab: &LabCtx<RacesLab>, r: &RacesRun, run: &Rc<RaceRun>, mode: Mode) -> Html {
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
