//! Jobs for the worker, described as data, and the pure stepper that runs
//! them a slice at a time. Nothing here touches the browser, so the stepper
//! is tested natively: a job run in slices must give exactly what the core
//! gives in one call.

use idemlab_sim::backoff::Strategy;
use idemlab_sim::races::{self, Compiled, Exploration, HandlerError, OutcomeClass, EXPLORE_STATES_MAX};
use idemlab_sim::retries::compare::StrategyFigures;
use idemlab_sim::retries::fleet::{self, FleetDrawn, FleetParams};
use idemlab_sim::retries::occ::{self, OccParams};
use idemlab_sim::retries::COMPARE;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// Work a lab hands to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Job {
    /// Runs the lab a permalink names and returns its report, as `idemlab url` prints it.
    Permalink(String),
    /// The Retries study sweep: every strategy of the study at 10, 20, …
    /// `clients_max` clients, `runs` runs per point (`sim::retries::occ::sweep`).
    StudySweep {
        /// The largest client count (a multiple of 10, at most 190).
        clients_max: u32,
        /// Runs per point (the study used 100).
        runs: u32,
        /// The seed.
        seed: u64,
    },
    /// The Retries fleet view after a knob change: one fleet run, sent back
    /// without its records ([`FleetDrawn`]), so the page's thread draws it
    /// instead of running it.
    Fleet {
        /// The fleet's knobs and seed.
        fleet: FleetParams,
    },
    /// The Retries compare view: this fleet under every strategy of
    /// [`COMPARE`] (its own strategy is ignored), one strategy per slice.
    CompareStrategies {
        /// The fleet's knobs and seed.
        fleet: FleetParams,
    },
    /// Compiles a learner's handler text for `lanes` requests (2 or 3) and
    /// explores every schedule of it (the Races page's editor and a link
    /// with `handler=`; the page's own wasm has no parser).
    Explore {
        /// The handler text.
        text: String,
        /// How many requests run it when it has no LANE sections.
        lanes: u8,
    },
}

/// What the worker made of a handler text: its compiled form (or the
/// parser's refusal, with the line) and, once explored, every schedule of it
/// (or why the explorer stopped). Sent as JSON: the engine's types are
/// internally tagged, which the worker's binary codec cannot read back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandlerExplored {
    /// The text this answers (so the page knows which of its edits it is).
    pub text: String,
    /// The lanes asked for.
    pub lanes: u8,
    /// The compiled handler, or why the text was refused.
    pub compiled: Result<Compiled, HandlerError>,
    /// Every schedule, or why the explorer stopped; `None` until explored.
    pub explored: Option<Result<ExplorationData, String>>,
}

/// An [`Exploration`] as the worker sends it: the listed schedules packed as
/// one string of actor digits, a comma after each schedule, so 1,000
/// schedules cost one string rather than 1,000 arrays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExplorationData {
    /// How many complete schedules there are.
    pub total: u128,
    /// How many charge twice or more.
    pub double_charges: u128,
    /// The outcome classes, most frequent first.
    pub classes: Vec<OutcomeClass>,
    /// The listed schedules' actors (1 to 4), a comma after each.
    pub schedules: String,
    /// Each schedule's class index.
    pub schedule_classes: Vec<u16>,
    /// The first schedule that charges twice, if any.
    pub first_counterexample: Option<Vec<u8>>,
    /// How many distinct engine states the schedules pass through.
    pub states: u32,
}

impl ExplorationData {
    /// Packs an exploration.
    pub fn of(x: &Exploration) -> ExplorationData {
        let mut schedules = String::new();
        for (sch, _) in &x.schedules {
            schedules.extend(sch.iter().map(|a| char::from(b'0' + a)));
            schedules.push(',');
        }
        ExplorationData {
            total: x.total,
            double_charges: x.double_charges,
            classes: x.classes.clone(),
            schedules,
            schedule_classes: x.schedules.iter().map(|(_, c)| *c).collect(),
            first_counterexample: x.first_counterexample.clone(),
            states: x.states,
        }
    }

    /// Unpacks it as the exploration of the learner's handler; data that
    /// does not fit (a digit out of range, counts that disagree) is refused.
    pub fn exploration(&self) -> Result<Exploration, String> {
        let schedules: Vec<(Vec<u8>, u16)> = self
            .schedules
            .split_terminator(',')
            .zip(&self.schedule_classes)
            .map(|(s, c)| (s.bytes().map(|b| b.wrapping_sub(b'0')).collect(), *c))
            .collect();
        let fits = schedules.len() == self.schedule_classes.len()
            && schedules.len() as u128 == self.total.min(races::SCHEDULES_LISTED_MAX as u128)
            && schedules.iter().all(|(s, c)| {
                s.iter().all(|a| (1..=races::ACTORS_MAX as u8).contains(a)) && (*c as usize) < self.classes.len()
            });
        if !fits {
            return Err("the worker's exploration does not fit its own counts".into());
        }
        Ok(Exploration {
            scenario: "handler",
            total: self.total,
            double_charges: self.double_charges,
            classes: self.classes.clone(),
            schedules,
            first_counterexample: self.first_counterexample.clone(),
            states: self.states,
        })
    }
}

impl HandlerExplored {
    /// Reads the worker's JSON.
    pub fn from_json(json: &str) -> Result<HandlerExplored, String> {
        serde_json::from_str(json).map_err(|e| format!("the worker's answer could not be read: {e}"))
    }

    /// The scenario and its exploration, ready for `races::run_explored`;
    /// the parser's refusal as a message naming the line.
    pub fn unpack(&self) -> Result<(races::Scenario, Result<Rc<Exploration>, String>), String> {
        let c = self.compiled.as_ref().map_err(|e| e.to_string())?;
        let s = c.scenario().map_err(|e| e.to_string())?;
        let x = match &self.explored {
            Some(Ok(x)) => x.exploration().map(Rc::new),
            Some(Err(e)) => Err(e.clone()),
            None => Err("not explored yet".into()),
        };
        Ok((s, x))
    }
}

/// One point of the study sweep, as the worker sends it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepPointData {
    /// Clients at this point.
    pub clients: u32,
    /// The strategy.
    pub strategy: Strategy,
    /// Mean writes per run.
    pub calls_mean: f64,
    /// Mean completion time per run, in milliseconds.
    pub time_ms_mean: f64,
}

impl From<&occ::SweepPoint> for SweepPointData {
    fn from(p: &occ::SweepPoint) -> Self {
        SweepPointData {
            clients: p.clients,
            strategy: p.strategy,
            calls_mean: p.calls_mean,
            time_ms_mean: p.time_ms_mean,
        }
    }
}

impl From<&SweepPointData> for occ::SweepPoint {
    fn from(p: &SweepPointData) -> Self {
        occ::SweepPoint {
            clients: p.clients,
            strategy: p.strategy,
            calls_mean: p.calls_mean,
            time_ms_mean: p.time_ms_mean,
        }
    }
}

/// What a job produced (whole, or so far while it runs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum JobOutput {
    /// A lab report as JSON text (the envelope the download holds).
    Report(String),
    /// Study sweep points, in the order `occ::sweep` returns them.
    Sweep(Vec<SweepPointData>),
    /// A handler, compiled and explored: [`HandlerExplored`] as JSON.
    Handler(String),
    /// The compare view's figures, one per strategy in [`COMPARE`] order
    /// (so far: a prefix of it).
    Compare(Vec<StrategyFigures>),
    /// The fleet view's run, without its records.
    Fleet(Box<FleetDrawn>),
}

/// Where a job stands after one slice.
#[derive(Clone, Debug, PartialEq)]
pub enum Slice {
    /// More to do: `done` of `total` slices, and the output so far.
    Progress {
        /// Slices finished.
        done: u32,
        /// Slices in all.
        total: u32,
        /// The output so far (a sweep grows one client count per slice).
        partial: JobOutput,
    },
    /// Finished: the output, or why the core refused the job.
    Finished(Result<JobOutput, String>),
}

/// Client counts of the sweep, largest bounded, as the Retries page reads them.
const CLIENTS_MAX: u32 = 190;

/// A job being run a slice at a time. A slice is one client count of a
/// sweep (five strategies × `runs` runs), short enough that a cancel or a
/// newer job is read between slices.
#[derive(Clone, Debug)]
pub enum JobRun {
    /// A permalink runs in one slice.
    Permalink(Option<String>),
    /// A sweep, one client count per slice.
    Sweep {
        /// Runs, seed, base and cap of every point.
        base: OccParams,
        /// Client counts still to run, in order.
        clients: Vec<u32>,
        /// The next index into `clients`.
        next: usize,
        /// Points so far.
        points: Vec<SweepPointData>,
    },
    /// One fleet run, in one slice.
    Fleet(Option<FleetParams>),
    /// The compare view's fleets, one strategy per slice.
    Compare {
        /// The fleet's knobs and seed.
        fleet: FleetParams,
        /// Figures so far, in [`COMPARE`] order.
        figures: Vec<StrategyFigures>,
    },
    /// A handler: one slice compiles it (and says so in a progress reply),
    /// the next explores it, so a cancel or a newer text is read in between.
    Explore {
        /// The text and lanes, until compiled.
        text: Option<(String, u8)>,
        /// What is known so far.
        found: Option<HandlerExplored>,
    },
}

impl JobRun {
    /// Starts `job`. Knobs out of range are clamped here, as the page's link does.
    pub fn new(job: Job) -> JobRun {
        match job {
            Job::Permalink(link) => JobRun::Permalink(Some(link)),
            Job::StudySweep { clients_max, runs, seed } => {
                let top = clients_max.clamp(10, CLIENTS_MAX) / 10;
                let runs = runs.clamp(1, OccParams::RUNS_MAX);
                JobRun::Sweep {
                    base: OccParams { runs, seed, ..OccParams::default() },
                    clients: (1..=top).map(|i| i * 10).collect(),
                    next: 0,
                    points: Vec::new(),
                }
            }
            Job::Explore { text, lanes } => JobRun::Explore { text: Some((text, lanes)), found: None },
            Job::CompareStrategies { fleet } => JobRun::Compare { fleet, figures: Vec::new() },
            Job::Fleet { fleet } => JobRun::Fleet(Some(fleet)),
        }
    }

    /// Runs the next slice.
    pub fn step(&mut self) -> Slice {
        match self {
            JobRun::Permalink(link) => {
                let Some(link) = link.take() else {
                    return Slice::Finished(Err("this job has already finished".into()));
                };
                let out = idemlab_sim::labs::run_permalink(&link)
                    .and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string()))
                    .map(JobOutput::Report);
                Slice::Finished(out)
            }
            JobRun::Explore { text, found } => {
                let json = |h: &HandlerExplored| serde_json::to_string(h).map_err(|e| e.to_string());
                if let Some((text, lanes)) = text.take() {
                    let compiled = races::compile(&text, lanes);
                    let refused = compiled.is_err();
                    let h = HandlerExplored { text, lanes, compiled, explored: None };
                    let out = json(&h).map(JobOutput::Handler);
                    *found = Some(h);
                    return match out {
                        Ok(partial) if !refused => Slice::Progress { done: 1, total: 2, partial },
                        Ok(_) | Err(_) => Slice::Finished(out),
                    };
                }
                let Some(h) = found.as_mut() else {
                    return Slice::Finished(Err("this job has already finished".into()));
                };
                let x = h.compiled.as_ref().map_err(|e| e.to_string()).and_then(|c| {
                    let s = c.scenario().map_err(|e| e.to_string())?;
                    races::explore(&s, EXPLORE_STATES_MAX).map_err(|e| races::limits::refusal_words(&e))
                });
                h.explored = Some(x.map(|x| ExplorationData::of(&x)));
                Slice::Finished(json(h).map(JobOutput::Handler))
            }
            JobRun::Fleet(fleet) => {
                let Some(fleet) = fleet.take() else {
                    return Slice::Finished(Err("this job has already finished".into()));
                };
                // The fleet validates its knobs: a bad one is the core's refusal, not a panic.
                Slice::Finished(
                    fleet::run(&fleet).map(|run| JobOutput::Fleet(Box::new(run.drawn()))).map_err(|e| e.to_string()),
                )
            }
            JobRun::Compare { fleet, figures } => {
                let Some(&strategy) = COMPARE.get(figures.len()) else {
                    return Slice::Finished(Ok(JobOutput::Compare(figures.clone())));
                };
                // The fleet validates its knobs: a bad one is the core's refusal, not a panic.
                match fleet::run(&FleetParams { strategy, ..fleet.clone() }) {
                    Err(e) => return Slice::Finished(Err(e.to_string())),
                    Ok(run) => figures.push(run.figures()),
                }
                if figures.len() == COMPARE.len() {
                    Slice::Finished(Ok(JobOutput::Compare(figures.clone())))
                } else {
                    Slice::Progress {
                        done: figures.len() as u32,
                        total: COMPARE.len() as u32,
                        partial: JobOutput::Compare(figures.clone()),
                    }
                }
            }
            JobRun::Sweep { base, clients, next, points } => {
                let Some(&n) = clients.get(*next) else {
                    return Slice::Finished(Ok(JobOutput::Sweep(points.clone())));
                };
                match occ::sweep(base, &[n], &occ::STUDY_STRATEGIES) {
                    Err(e) => return Slice::Finished(Err(e.to_string())),
                    Ok(pts) => points.extend(pts.iter().map(SweepPointData::from)),
                }
                *next += 1;
                if *next == clients.len() {
                    Slice::Finished(Ok(JobOutput::Sweep(points.clone())))
                } else {
                    Slice::Progress {
                        done: *next as u32,
                        total: clients.len() as u32,
                        partial: JobOutput::Sweep(points.clone()),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_to_end(job: Job) -> (Vec<(u32, u32)>, Result<JobOutput, String>) {
        let mut run = JobRun::new(job);
        let mut progress = Vec::new();
        for _ in 0..100 {
            match run.step() {
                Slice::Progress { done, total, .. } => progress.push((done, total)),
                Slice::Finished(out) => return (progress, out),
            }
        }
        panic!("the job never finished");
    }

    #[test]
    fn a_sweep_run_in_slices_equals_the_cores_sweep_in_one_call() {
        let (progress, out) = run_to_end(Job::StudySweep { clients_max: 40, runs: 3, seed: 9 });
        assert_eq!(progress, vec![(1, 4), (2, 4), (3, 4)]);
        let base = OccParams { runs: 3, seed: 9, ..OccParams::default() };
        let whole = occ::sweep(&base, &[10, 20, 30, 40], &occ::STUDY_STRATEGIES).unwrap();
        let whole: Vec<SweepPointData> = whole.iter().map(SweepPointData::from).collect();
        assert_eq!(out, Ok(JobOutput::Sweep(whole)));
    }

    #[test]
    fn a_sweep_job_out_of_range_is_clamped_not_refused() {
        let (progress, out) = run_to_end(Job::StudySweep { clients_max: 5, runs: 0, seed: 1 });
        assert!(progress.is_empty());
        let Ok(JobOutput::Sweep(points)) = out else { panic!("{out:?}") };
        assert_eq!(points.len(), occ::STUDY_STRATEGIES.len(), "one client count, every strategy");
        assert!(points.iter().all(|p| p.clients == 10));
    }

    #[test]
    fn a_permalink_job_returns_the_report_idemlab_url_prints() {
        let link = "?area=keys&preset=no-key";
        let (_, out) = run_to_end(Job::Permalink(link.into()));
        let Ok(JobOutput::Report(json)) = out else { panic!("{out:?}") };
        let expected = serde_json::to_string(&idemlab_sim::labs::run_permalink(link).unwrap()).unwrap();
        assert_eq!(json, expected);
        assert!(json.contains("\"lab\":\"keys\""));
    }

    #[test]
    fn a_handler_job_compiles_in_one_slice_then_explores_exactly_as_the_core_does() {
        let text = races::scenario("select-then-insert").unwrap().sql;
        let (progress, out) = run_to_end(Job::Explore { text: text.into(), lanes: 2 });
        assert_eq!(progress, vec![(1, 2)], "compiled, then explored");
        let Ok(JobOutput::Handler(json)) = out else { panic!("{out:?}") };
        let (s, x) = HandlerExplored::from_json(&json).unwrap().unpack().unwrap();
        let direct = races::handler_scenario(text, 2).unwrap();
        assert_eq!(s.programs, direct.programs);
        let expected = races::explore(&direct, EXPLORE_STATES_MAX).unwrap();
        assert_eq!(*x.unwrap(), Exploration { scenario: "handler", ..expected });
    }

    #[test]
    fn a_refused_handler_job_finishes_at_once_with_the_parsers_line() {
        let (progress, out) =
            run_to_end(Job::Explore { text: "BEGIN;\nDELETE FROM idempotency_keys;".into(), lanes: 2 });
        assert!(progress.is_empty());
        let Ok(JobOutput::Handler(json)) = out else { panic!("{out:?}") };
        let h = HandlerExplored::from_json(&json).unwrap();
        let e = h.compiled.clone().unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(h.unpack().unwrap_err().contains("line 2"));
    }

    #[test]
    fn packed_schedules_that_do_not_fit_their_counts_are_refused() {
        let s = races::scenario("on-conflict").unwrap();
        let mut d = ExplorationData::of(&races::explore(&s, EXPLORE_STATES_MAX).unwrap());
        assert!(d.exploration().is_ok());
        d.schedules.insert(0, '9');
        assert!(d.exploration().is_err());
        assert!(HandlerExplored::from_json("{not json").is_err());
    }

    #[test]
    fn a_count_past_two_to_the_64_reads_back_exactly_from_the_workers_json() {
        let (_, out) = run_to_end(Job::Explore { text: races::SIXTEEN_READS.into(), lanes: 3 });
        let Ok(JobOutput::Handler(json)) = out else { panic!("{out:?}") };
        let (_, x) = HandlerExplored::from_json(&json).unwrap().unpack().unwrap();
        let x = x.unwrap();
        assert_eq!(x.total, 34_469_858_696_831_179_429_500);
        assert_eq!(x.schedules.len(), races::SCHEDULES_LISTED_MAX, "the first schedules, not all of them");
    }

    #[test]
    fn a_bad_permalink_job_finishes_with_the_cores_reason() {
        let (_, out) = run_to_end(Job::Permalink("?area=keys&ops=0".into()));
        // Keys clamps a bad knob with a warning; an area without a lab refuses.
        assert!(out.is_ok(), "{out:?}");
        let (_, out) = run_to_end(Job::Permalink("?area=recall".into()));
        assert!(matches!(out, Err(ref e) if e.contains("recall")), "{out:?}");
    }
}
