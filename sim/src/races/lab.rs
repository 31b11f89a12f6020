//! The Races lab under the engine contract. A permalink names a scenario, a
//! schedule and a mode; the run it reproduces is the schedule's run (an empty
//! schedule is the scenario's first counterexample, else its first schedule),
//! completed past the schedule's end unless the learner is playing scheduler.
//! The explorer's result rides along, so the counters say both what this run
//! did and how many of all schedules double charge ("68 of 70"). A link with
//! `handler=` runs the learner's text instead of the scenario (compiled by
//! [`compile`]); a text the parser refuses is an error naming its line.

use super::params::RacesParams;
use super::{compile, explore, run, run_lenient, Exploration, RaceRecord, RaceRun, Scenario, EXPLORE_STATES_MAX};
use crate::error::SimError;
use crate::lab::{Counter, Figure, Lab, Preset, Source};
use std::rc::Rc;

/// The Races lab.
pub struct RacesLab;

/// A Races run: the scenario, the run shown, why its schedule was changed,
/// and every schedule of the scenario.
#[derive(Clone, Debug)]
pub struct RacesRun {
    /// The scenario that ran (shared, so views take it without copying).
    pub scenario: Rc<Scenario>,
    /// The run of the schedule (shared, so views take it without copying).
    pub run: Rc<RaceRun>,
    /// What was wrong with the schedule, when it had to be completed or skipped.
    pub notes: Vec<String>,
    /// Every schedule of the scenario, or why the explorer stopped.
    pub explored: Result<Rc<Exploration>, String>,
}

impl RacesRun {
    /// The step that decides the outcome: the second charge, when the run
    /// has one.
    pub fn decisive_step(&self) -> Option<usize> {
        decisive_step(&self.run)
    }
}

/// The step (from 1) at which `run` charges the second time, if it does.
pub fn decisive_step(run: &RaceRun) -> Option<usize> {
    run.frames.iter().find(|f| f.charges > 1).map(|f| f.step as usize)
}

/// The scenario `p` runs: the learner's handler when the link has one, else
/// the chosen scenario. A refused handler is an error with the parser's line
/// and construct.
pub fn scenario_of(p: &RacesParams) -> Result<Scenario, SimError> {
    match &p.handler {
        Some(text) => compile(text, p.lanes)
            .map_err(|e| SimError::InvalidParameter { name: "handler", reason: e.to_string() })?
            .scenario(),
        None => p.scenario.scenario(),
    }
}

/// The run of `p`'s schedule on scenario `s`, whose every schedule is
/// `explored`: what [`RacesLab::run`] does after exploring, for a caller that
/// explored elsewhere (the page's Web Worker explores a learner's handler).
/// An empty schedule in a completed mode is the first counterexample, else
/// the first schedule.
pub fn run_explored(
    p: &RacesParams,
    s: Scenario,
    explored: Result<Rc<Exploration>, String>,
) -> Result<RacesRun, SimError> {
    let fallback = explored
        .as_ref()
        .ok()
        .and_then(|x| x.first_counterexample.clone().or_else(|| x.schedules.first().map(|(s, _)| s.clone())))
        .unwrap_or_default();
    let schedule = if p.schedule.is_empty() && p.complete() { fallback } else { p.schedule.clone() };
    let (run, notes) = run_schedule(&s, &schedule, p.complete())?;
    Ok(RacesRun { scenario: Rc::new(s), run: Rc::new(run), notes, explored })
}

/// Runs a schedule strictly; when it is refused (or, in a completed mode,
/// stops early) it is run leniently, with a note saying why.
pub fn run_schedule(s: &Scenario, schedule: &[u8], complete: bool) -> Result<(RaceRun, Vec<String>), SimError> {
    let mut notes = Vec::new();
    match run(s, schedule) {
        Ok(r) if r.outcome.finished || !complete => return Ok((r, notes)),
        Ok(_) => {}
        Err(e) => {
            let whose = if s.number == 0 { "your handler".to_string() } else { format!("scenario {}", s.number) };
            notes.push(format!("This schedule is not valid for {whose}: {e}. The rest of it was skipped where needed."))
        }
    }
    let (r, _) = run_lenient(s, schedule)?;
    Ok((r, notes))
}

impl Lab for RacesLab {
    type Params = RacesParams;
    type Run = RacesRun;
    // The learner's recorded prediction (`said=step:choice`) and the predict-first switch.
    const EXTRA_KEYS: &'static [&'static str] = &["said", "predict"];

    fn presets() -> &'static [Preset] {
        &super::presets::PRESETS
    }

    fn run(p: &RacesParams) -> Result<RacesRun, SimError> {
        let s = scenario_of(p)?;
        let explored = explore(&s, EXPLORE_STATES_MAX).map(Rc::new).map_err(|e| e.to_string());
        run_explored(p, s, explored)
    }

    fn counters(r: &RacesRun) -> Vec<Counter> {
        counters(r)
    }

    fn trace_hash(r: &RacesRun) -> u64 {
        crate::trace::stable_hash(&r.run.trace)
    }

    fn sources() -> &'static [Source] {
        &super::presets::SOURCES
    }
}

/// The evidence counters, all of the whole run, then the explorer's.
pub fn counters(r: &RacesRun) -> Vec<Counter> {
    let o = &r.run.outcome;
    let n = |x: usize| Figure::Count(x as u64);
    // Schedule counts pass u64 only for handlers whose lanes never wait on
    // each other (sixteen reads in three lanes make 3.4e22); a count says at least that many then.
    let many = |x: u128| Figure::Count(u64::try_from(x).unwrap_or(u64::MAX));
    let waits = r
        .run
        .trace
        .iter()
        .filter(
            |t| matches!(t.record, RaceRecord::WaitBegan { reason, .. } if reason != super::WaitReason::ClientTimeout),
        )
        .count();
    let mut c = vec![
        Counter::new("charges", "Charges at the provider", n(o.charges as usize)).bad_if(o.charges > 1),
        Counter::new("double_charges", "Extra charges (double charges)", n(o.charges.saturating_sub(1) as usize))
            .bad_if(o.double_charge()),
        Counter::new("errors", "Errors (SQLSTATE: 23505, 40001, 25P02, 40P01, 55P03)", n(o.errors.len()))
            .bad_if(!o.errors.is_empty()),
        Counter::new("waits", "Lock waits", n(waits)),
        Counter::new("rows", "Rows for the key", n(o.final_rows.len())).bad_if(o.final_rows.len() > 1),
    ];
    if let Ok(x) = &r.explored {
        c.push(
            Counter::new("double_charge_schedules", "Schedules that double charge", many(x.double_charges))
                .bad_if(x.double_charges > 0),
        );
        c.push(Counter::new("schedules", "Schedules explored", many(x.total)));
    }
    c
}

#[cfg(test)]
#[path = "lab_tests.rs"]
mod tests;
