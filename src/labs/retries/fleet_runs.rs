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
//!
//! This file only says which run is in for the link's knobs; keeping the
//! previous one on screen while the worker computes is the shell's
//! (`crate::shell::shown_of`), as for every run made elsewhere.

use crate::offload::{FleetJob, Offloaded};
use crate::shell::RunResult;
use idemlab_sim::retries::fleet::{self, FleetDrawn, FleetParams};
use idemlab_sim::retries::RetriesRun;
use std::rc::Rc;

/// A fleet run and where it was made.
struct Drawn {
    params: FleetParams,
    run: RunResult<RetriesRun>,
    /// Whether it has its records (made on the page), or came from the worker without them.
    whole: bool,
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
    pub fn job(&mut self, want: Option<&FleetParams>, reached: bool) -> Option<FleetJob> {
        let want = want?;
        if reached || self.drawn.as_ref().is_some_and(|d| d.params != *want) {
            self.started = true;
        }
        // A browser that gave the page no worker: every fleet runs here, and says "page".
        (self.started && crate::offload::can_have_worker()).then(|| FleetJob(want.clone()))
    }

    /// The run of `want` and where it was made ("page" or "worker"), given
    /// the worker's state for this render's job; `None` while a worker that
    /// has answered before computes it (the previous run stays meanwhile).
    /// A cold or silent worker is not waited for: the page runs it.
    pub fn fresh(
        &mut self,
        want: &FleetParams,
        state: &Offloaded<Box<FleetDrawn>>,
    ) -> Option<(RunResult<RetriesRun>, &'static str)> {
        match state {
            Offloaded::Done(d) if d.params == *want => {
                self.warm = true;
                if !self.drawn.as_ref().is_some_and(|d| d.params == *want) {
                    let run = RetriesRun::Fleet((**d).clone().into_run_without_trace());
                    self.drawn = Some(Drawn { params: want.clone(), run: Rc::new(Ok(run)), whole: false });
                }
            }
            // Silent for too long: the worker may be gone; run here until it answers again.
            Offloaded::NoAnswer => self.warm = false,
            Offloaded::Done(_)
            | Offloaded::Idle
            | Offloaded::Running { .. }
            | Offloaded::Failed(_)
            | Offloaded::Cancelled { .. } => {}
        }
        match &self.drawn {
            Some(d) if d.params == *want => Some((d.run.clone(), if d.whole { "page" } else { "worker" })),
            Some(_) | None if self.warm && matches!(state, Offloaded::Running { .. }) => None,
            Some(_) | None => {
                let run = Rc::new(fleet::run(want).map(RetriesRun::Fleet));
                self.drawn = Some(Drawn { params: want.clone(), run: run.clone(), whole: true });
                Some((run, "page"))
            }
        }
    }

    /// Whether the worker has answered, so the next change will wait for it.
    pub fn worker_ready(&self) -> bool {
        self.warm
    }

    /// The whole run of `want` (with its records) for an export, when the one
    /// drawn is that; otherwise the caller builds it.
    pub fn whole(&self, want: &FleetParams) -> Option<RunResult<RetriesRun>> {
        self.drawn.as_ref().filter(|d| d.whole && d.params == *want).map(|d| d.run.clone())
    }
}

/// Which previous runs may stand in for a fleet: only a fleet.
pub fn is_fleet(r: &RetriesRun) -> bool {
    matches!(r, RetriesRun::Fleet(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::{JobKind, JobOutput, JobRun, Reply, Slice};
    use crate::shell::{shown_of, Keep, RunSource, Shown};
    use idemlab_sim::knob::Params;
    use idemlab_sim::lab::Lab;
    use idemlab_sim::retries::{RetriesLab, RetriesParams};

    /// What the worker answers for `fleet`, through gloo-worker's codec and the job's own reply type.
    fn answer(fleet: &FleetParams) -> Offloaded<Box<FleetDrawn>> {
        let Slice::Finished(Ok(out)) = JobRun::new(FleetJob(fleet.clone()).job()).step() else {
            panic!("the fleet job did not finish in one slice")
        };
        let reply = Reply::Done { id: 1, output: Ok(out) };
        let read: Reply = bincode::deserialize(&bincode::serialize(&reply).unwrap()).unwrap();
        assert_eq!(read, reply);
        let Reply::Done { output: Ok(out), .. } = read else { unreachable!() };
        Offloaded::Done(Rc::new(FleetJob::reply_of(out).unwrap()))
    }

    /// The default fleet and two knob changes away from it (more clients each time).
    fn fleets() -> [FleetParams; 3] {
        let a = FleetParams::default();
        [a.clone(), FleetParams { clients: 400, ..a.clone() }, FleetParams { clients: 500, ..a }]
    }

    fn running() -> Offloaded<Box<FleetDrawn>> {
        Offloaded::Running { done: 0, total: 0, partial: None }
    }

    /// What the page shows: the fleet's run through the shell's rule for runs made elsewhere.
    struct Page {
        runs: FleetRuns,
        keep: Keep<FleetParams, (RunResult<RetriesRun>, &'static str)>,
    }

    impl Page {
        fn new() -> Page {
            Page { runs: FleetRuns::default(), keep: Keep::default() }
        }
        fn shown(
            &mut self,
            want: &FleetParams,
            state: &Offloaded<Box<FleetDrawn>>,
        ) -> (RunResult<RetriesRun>, bool, &'static str) {
            let fresh = self.runs.fresh(want, state);
            let from = fresh.as_ref().map_or("worker", |(_, from)| *from);
            let source =
                RunSource::Elsewhere { run: fresh.map(|(r, _)| r), for_link: true, from, stand_in: Some(is_fleet) };
            match shown_of(&mut self.keep, want, None, source) {
                Shown::Run { run, stale, from } => (run, stale, from),
                Shown::Loading => panic!("a fleet page always has a run"),
            }
        }
    }

    #[test]
    fn the_workers_run_draws_and_counts_what_the_cores_run_does() {
        let mut p = RetriesParams::defaults();
        p.fleet.clients = 300;
        let core = RetriesLab::run(&p).unwrap();
        let Offloaded::Done(d) = answer(&p.fleet) else { unreachable!() };
        let RetriesRun::Fleet(c) = &core else { panic!("not a fleet") };
        let from_worker = RetriesRun::Fleet((*d).clone().into_run_without_trace());
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
        let mut page = Page::new();
        // First render: no job, the page runs it.
        assert_eq!(page.runs.job(Some(&a), false), None, "looking loads no worker");
        let (_, stale, from) = page.shown(&a, &Offloaded::Idle);
        assert!(!stale && from == "page");
        assert!(page.runs.whole(&a).is_some());
        // First change: the worker is cold, so the page runs it, and the worker starts.
        assert_eq!(page.runs.job(Some(&b), false), Some(FleetJob(b.clone())));
        let (first_b, stale, from) = page.shown(&b, &running());
        assert!(!stale && from == "page", "a cold worker is not waited for");
        // The worker's answer for the same knobs: the page keeps its whole run.
        let (run, _, from) = page.shown(&b, &answer(&b));
        assert!(Rc::ptr_eq(&run, &first_b) && from == "page");
        // Second change: the worker is warm, so the previous run stays, busy.
        assert_eq!(page.runs.job(Some(&c), false), Some(FleetJob(c.clone())));
        let (run, stale, _) = page.shown(&c, &running());
        assert!(stale && Rc::ptr_eq(&run, &first_b), "the previous knobs' run stays on screen");
        assert!(page.runs.whole(&c).is_none(), "no whole run of the new knobs yet");
        // Its answer arrives: drawn from the worker, without records.
        let (run, stale, from) = page.shown(&c, &answer(&c));
        assert!(!stale && from == "worker");
        let Ok(RetriesRun::Fleet(f)) = &*run else { panic!("not a fleet") };
        assert_eq!(f.params, c);
        assert!(page.runs.whole(&c).is_none(), "an export builds the whole run again");
        // Later renders with the same answer reuse the same run (the charts are derived once).
        let (again, _, _) = page.shown(&c, &answer(&c));
        assert!(!Rc::ptr_eq(&again, &first_b));
        let (again2, _, _) = page.shown(&c, &Offloaded::Done(Rc::new(Box::new(f.drawn()))));
        assert!(Rc::ptr_eq(&again, &again2));
    }

    #[test]
    fn reaching_for_the_controls_wakes_the_worker_so_the_first_change_goes_to_it() {
        let [a, b, _] = fleets();
        let mut page = Page::new();
        assert_eq!(page.runs.job(Some(&a), false), None);
        page.shown(&a, &Offloaded::Idle);
        // A pointer on the controls: the worker runs the fleet already drawn, to wake up.
        assert_eq!(page.runs.job(Some(&a), true), Some(FleetJob(a.clone())));
        let (first, stale, _) = page.shown(&a, &running());
        assert!(!stale);
        let (run, _, from) = page.shown(&a, &answer(&a));
        assert!(Rc::ptr_eq(&run, &first) && from == "page", "the page's whole run stays");
        assert!(page.runs.worker_ready());
        // The first change now waits for the worker.
        assert_eq!(page.runs.job(Some(&b), true), Some(FleetJob(b.clone())));
        assert!(page.shown(&b, &running()).1);
        assert!(!page.shown(&b, &answer(&b)).1);
        assert_eq!(page.runs.job(None, true), None, "outside the fleet view there is no fleet job");
    }

    #[test]
    fn a_silent_worker_hands_the_runs_back_to_the_page() {
        let [a, b, c] = fleets();
        let mut page = Page::new();
        page.shown(&a, &Offloaded::Idle);
        page.runs.job(Some(&b), false);
        page.shown(&b, &answer(&b));
        page.runs.job(Some(&c), false);
        assert!(page.shown(&c, &running()).1);
        let (_, stale, from) = page.shown(&c, &Offloaded::NoAnswer);
        assert!(!stale && from == "page", "after the wait the page runs it");
        let d = FleetParams { clients: 600, ..a };
        page.runs.job(Some(&d), false);
        assert!(!page.shown(&d, &running()).1, "and keeps running them until the worker answers again");
    }

    #[test]
    fn a_refused_knob_shows_the_cores_reason() {
        let bad = FleetParams { capacity_rps: 0, ..FleetParams::default() };
        let (run, _, _) = Page::new().shown(&bad, &Offloaded::Idle);
        assert_eq!(run.as_ref().as_ref().unwrap_err().to_string(), fleet::run(&bad).unwrap_err().to_string());
        let Slice::Finished(Err(e)) = JobRun::new(FleetJob(bad.clone()).job()).step() else { panic!("ran") };
        assert_eq!(e, fleet::run(&bad).unwrap_err().to_string());
    }

    #[test]
    fn a_compare_reply_is_not_a_fleet() {
        let out = JobOutput::Compare(Vec::new());
        assert_eq!(FleetJob::reply_of(out.clone()), Err(out));
    }
}
