//! Where the fleet view's run comes from: the page's own thread at first,
//! then the Web Worker.
//!
//! A fleet run is about 11 ms of the page's wasm (more on a loaded laptop),
//! most of a knob change's time (issue 13). The first run a page draws is
//! computed on its thread, so the page shows a run at once. The worker is
//! started when the learner reaches for the controls (a pointer or the
//! keyboard's focus inside them), or at the latest by the first knob change,
//! which is computed on the page while the worker loads. Once the worker
//! has answered, each knob change goes to it: the page redraws the controls
//! at once and keeps the previous run on screen, marked busy, until the
//! worker's run for the new knobs arrives (a newer change replaces an older
//! job, so a drag runs the knobs it stopped at, not every one it passed).
//! If the worker stops answering, the page runs the fleet itself again.
//!
//! The worker sends the run without its records ([`FleetDrawn`]); an export
//! asks [`FleetRuns::whole`] for the whole run, built here when needed.

use crate::offload::{Job, JobOutput, Offloaded};
use idemlab_sim::error::SimError;
use idemlab_sim::retries::fleet::{self, FleetParams};
use idemlab_sim::retries::RetriesRun;
use std::rc::Rc;

/// A fleet run and where it was made.
struct Drawn {
    params: FleetParams,
    run: Rc<Result<RetriesRun, SimError>>,
    /// Whether it has its records (made on the page), or came from the worker without them.
    whole: bool,
}

/// The run the fleet view draws now.
#[derive(Clone)]
pub struct FleetShown {
    /// The run of the link's knobs, or while `stale` the previous knobs' run.
    pub run: Rc<Result<RetriesRun, SimError>>,
    /// Whether the run for the link's knobs is still computing in the worker.
    pub stale: bool,
    /// "page" or "worker": where the run shown was computed.
    pub source: &'static str,
    /// Whether the worker has answered, so the next change will wait for it.
    pub worker_ready: bool,
}

/// The page's fleet runs across renders (one per Retries page).
#[derive(Default)]
pub struct FleetRuns {
    drawn: Option<Drawn>,
    /// The worker has answered a fleet job: later changes wait for it.
    warm: bool,
    /// The worker is in use (a knob has changed, or the learner reached for
    /// the controls): from then on it gets every fleet.
    started: bool,
}

impl FleetRuns {
    /// The worker's job for this render: `want` is the fleet the link asks
    /// for (`None` outside the fleet view or with a refused knob); `reached`
    /// whether the learner has reached for the controls. Nothing until then
    /// or until a knob has changed, so a page that is only looked at loads
    /// no worker. The first job for a run already drawn only wakes the worker.
    pub fn job(&mut self, want: Option<&FleetParams>, reached: bool) -> Option<Job> {
        let want = want?;
        if reached || self.drawn.as_ref().is_some_and(|d| d.params != *want) {
            self.started = true;
        }
        self.started.then(|| Job::Fleet { fleet: want.clone() })
    }

    /// The run to draw for `want`, given the worker's state for this render's job.
    pub fn shown(&mut self, want: &FleetParams, state: &Offloaded) -> FleetShown {
        match state {
            Offloaded::Done(out) => {
                if let JobOutput::Fleet(d) = &**out {
                    if d.params == *want {
                        self.warm = true;
                        if !self.is_fresh(want) {
                            let run = RetriesRun::Fleet((**d).clone().into_run_without_trace());
                            self.drawn = Some(Drawn { params: want.clone(), run: Rc::new(Ok(run)), whole: false });
                        }
                    }
                }
            }
            // Silent for too long: the worker may be gone; run here until it answers again.
            Offloaded::NoAnswer => self.warm = false,
            Offloaded::Idle | Offloaded::Running { .. } | Offloaded::Failed(_) | Offloaded::Cancelled { .. } => {}
        }
        let (waiting, worker_ready) = (self.warm && matches!(state, Offloaded::Running { .. }), self.warm);
        match &self.drawn {
            Some(d) if d.params == *want => {
                FleetShown { run: d.run.clone(), stale: false, source: source(d), worker_ready }
            }
            Some(d) if waiting => FleetShown { run: d.run.clone(), stale: true, source: source(d), worker_ready },
            Some(_) | None => {
                let run = Rc::new(fleet::run(want).map(RetriesRun::Fleet));
                self.drawn = Some(Drawn { params: want.clone(), run: run.clone(), whole: true });
                FleetShown { run, stale: false, source: "page", worker_ready }
            }
        }
    }

    /// The whole run of `want` (with its records) for an export: the one
    /// shown when it is that, otherwise built now.
    pub fn whole(&self, want: &FleetParams) -> Option<Rc<Result<RetriesRun, SimError>>> {
        self.drawn.as_ref().filter(|d| d.whole && d.params == *want).map(|d| d.run.clone())
    }

    fn is_fresh(&self, want: &FleetParams) -> bool {
        self.drawn.as_ref().is_some_and(|d| d.params == *want)
    }
}

fn source(d: &Drawn) -> &'static str {
    if d.whole {
        "page"
    } else {
        "worker"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::{JobRun, Reply, Slice};
    use idemlab_sim::knob::Params;
    use idemlab_sim::lab::Lab;
    use idemlab_sim::retries::{RetriesLab, RetriesParams};

    /// What the worker answers for `fleet`, through gloo-worker's codec.
    fn answer(fleet: &FleetParams) -> Offloaded {
        let Slice::Finished(Ok(out)) = JobRun::new(Job::Fleet { fleet: fleet.clone() }).step() else {
            panic!("the fleet job did not finish in one slice")
        };
        let reply = Reply::Done { id: 1, output: Ok(out) };
        let read: Reply = bincode::deserialize(&bincode::serialize(&reply).unwrap()).unwrap();
        assert_eq!(read, reply);
        let Reply::Done { output: Ok(out), .. } = read else { unreachable!() };
        Offloaded::Done(Rc::new(out))
    }

    /// The default fleet and two knob changes away from it (more clients each time).
    fn fleets() -> [FleetParams; 3] {
        let a = FleetParams::default();
        [a.clone(), FleetParams { clients: 400, ..a.clone() }, FleetParams { clients: 500, ..a }]
    }

    fn running() -> Offloaded {
        Offloaded::Running { done: 0, total: 0, partial: None }
    }

    #[test]
    fn the_workers_run_draws_and_counts_what_the_cores_run_does() {
        let mut p = RetriesParams::defaults();
        p.fleet.clients = 300;
        let core = RetriesLab::run(&p).unwrap();
        let Offloaded::Done(out) = answer(&p.fleet) else { unreachable!() };
        let JobOutput::Fleet(d) = &*out else { panic!("not a fleet") };
        let RetriesRun::Fleet(c) = &core else { panic!("not a fleet") };
        let from_worker = RetriesRun::Fleet((**d).clone().into_run_without_trace());
        let RetriesRun::Fleet(w) = &from_worker else { unreachable!() };
        assert_eq!(
            (&w.params, &w.buckets, &w.totals, &w.delay_hist, w.delay_bin_us),
            (&c.params, &c.buckets, &c.totals, &c.delay_hist, c.delay_bin_us)
        );
        assert_eq!(RetriesLab::counters(&from_worker), RetriesLab::counters(&core), "the evidence is the core's");
        assert_eq!(w.recovery(), c.recovery());
        assert_eq!(super::super::question::question(w), super::super::question::question(c));
        assert!(w.trace.is_empty() && !c.trace.is_empty(), "the records stay in the worker");
    }

    #[test]
    fn the_first_run_and_the_first_change_run_on_the_page_then_the_worker_takes_over() {
        let [a, b, c] = fleets();
        let mut runs = FleetRuns::default();
        // First render: no job, the page runs it.
        assert_eq!(runs.job(Some(&a), false), None, "looking loads no worker");
        let s = runs.shown(&a, &Offloaded::Idle);
        assert!(!s.stale && s.source == "page");
        assert!(runs.whole(&a).is_some());
        // First change: the worker is cold, so the page runs it, and the worker starts.
        assert_eq!(runs.job(Some(&b), false), Some(Job::Fleet { fleet: b.clone() }));
        let s = runs.shown(&b, &running());
        assert!(!s.stale && s.source == "page", "a cold worker is not waited for");
        let first_b = s.run.clone();
        // The worker's answer for the same knobs: the page keeps its whole run.
        let s = runs.shown(&b, &answer(&b));
        assert!(Rc::ptr_eq(&s.run, &first_b) && s.source == "page");
        // Second change: the worker is warm, so the previous run stays, busy.
        assert_eq!(runs.job(Some(&c), false), Some(Job::Fleet { fleet: c.clone() }));
        let s = runs.shown(&c, &running());
        assert!(s.stale && Rc::ptr_eq(&s.run, &first_b), "the previous knobs' run stays on screen");
        assert!(runs.whole(&c).is_none(), "no whole run of the new knobs yet");
        // Its answer arrives: drawn from the worker, without records.
        let s = runs.shown(&c, &answer(&c));
        assert!(!s.stale && s.source == "worker");
        let Ok(RetriesRun::Fleet(f)) = &*s.run else { panic!("not a fleet") };
        assert_eq!(f.params, c);
        assert!(runs.whole(&c).is_none(), "an export builds the whole run again");
        // Later renders with the same answer reuse the same run (the charts are derived once).
        let again = runs.shown(&c, &answer(&c));
        assert!(!Rc::ptr_eq(&again.run, &first_b));
        let again2 = runs.shown(&c, &Offloaded::Done(Rc::new(JobOutput::Fleet(Box::new(f.drawn())))));
        assert!(Rc::ptr_eq(&again.run, &again2.run));
    }

    #[test]
    fn reaching_for_the_controls_wakes_the_worker_so_the_first_change_goes_to_it() {
        let [a, b, _] = fleets();
        let mut runs = FleetRuns::default();
        assert_eq!(runs.job(Some(&a), false), None);
        runs.shown(&a, &Offloaded::Idle);
        // A pointer on the controls: the worker runs the fleet already drawn, to wake up.
        assert_eq!(runs.job(Some(&a), true), Some(Job::Fleet { fleet: a.clone() }));
        let first = runs.shown(&a, &running());
        assert!(!first.stale);
        let s = runs.shown(&a, &answer(&a));
        assert!(Rc::ptr_eq(&s.run, &first.run) && s.source == "page", "the page's whole run stays");
        // The first change now waits for the worker.
        assert_eq!(runs.job(Some(&b), true), Some(Job::Fleet { fleet: b.clone() }));
        assert!(runs.shown(&b, &running()).stale);
        assert!(!runs.shown(&b, &answer(&b)).stale);
        assert_eq!(runs.job(None, true), None, "outside the fleet view there is no fleet job");
    }

    #[test]
    fn a_silent_worker_hands_the_runs_back_to_the_page() {
        let [a, b, c] = fleets();
        let mut runs = FleetRuns::default();
        runs.shown(&a, &Offloaded::Idle);
        runs.job(Some(&b), false);
        runs.shown(&b, &answer(&b));
        runs.job(Some(&c), false);
        assert!(runs.shown(&c, &running()).stale);
        let s = runs.shown(&c, &Offloaded::NoAnswer);
        assert!(!s.stale && s.source == "page", "after the wait the page runs it");
        let d = FleetParams { clients: 600, ..a };
        runs.job(Some(&d), false);
        assert!(!runs.shown(&d, &running()).stale, "and keeps running them until the worker answers again");
    }

    #[test]
    fn a_refused_knob_shows_the_cores_reason() {
        let bad = FleetParams { capacity_rps: 0, ..FleetParams::default() };
        let mut runs = FleetRuns::default();
        let s = runs.shown(&bad, &Offloaded::Idle);
        assert_eq!(s.run.as_ref().as_ref().unwrap_err().to_string(), fleet::run(&bad).unwrap_err().to_string());
        let Slice::Finished(Err(e)) = JobRun::new(Job::Fleet { fleet: bad.clone() }).step() else { panic!("ran") };
        assert_eq!(e, fleet::run(&bad).unwrap_err().to_string());
    }
}
