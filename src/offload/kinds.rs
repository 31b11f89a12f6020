//! Each job a page can ask for, paired with the reply it gets back.
//!
//! The wire stays one enum each way ([`Job`], [`JobOutput`]): gloo-worker's
//! codec carries them and the worker's stepper runs them. A page, though,
//! never sees the wire: it asks [`crate::offload::use_offload`] for a
//! [`JobKind`] and receives that kind's `Reply`. A page asking for a fleet
//! is handed a `FleetDrawn`, so code that reads a comparison out of it does
//! not compile. The one place that unpacks a wire reply is
//! [`JobKind::reply_of`], once per kind.

use super::job::{Job, JobOutput, SweepPointData};
use idemlab_sim::retries::compare::StrategyFigures;
use idemlab_sim::retries::fleet::{FleetDrawn, FleetParams};
use idemlab_sim::retries::COMPARE;
use std::fmt::Debug;

/// A job with its reply type: what a page hands to the worker, and what it gets back.
pub trait JobKind: Clone + Debug + PartialEq + 'static {
    /// What the worker answers (whole, or so far while the job runs).
    type Reply: Clone + Debug + PartialEq + 'static;
    /// The job as the wire carries it.
    fn job(&self) -> Job;
    /// This kind's reply out of a wire reply, or the wire reply back when it
    /// is another kind's (a worker bug: the page says so instead of drawing it).
    fn reply_of(out: JobOutput) -> Result<Self::Reply, JobOutput>;
}

/// Runs the lab a permalink names; the reply is its report as JSON text.
#[derive(Clone, Debug, PartialEq)]
pub struct PermalinkJob(pub String);

impl JobKind for PermalinkJob {
    type Reply = String;
    fn job(&self) -> Job {
        Job::Permalink(self.0.clone())
    }
    fn reply_of(out: JobOutput) -> Result<String, JobOutput> {
        match out {
            JobOutput::Report(json) => Ok(json),
            JobOutput::Sweep(_) | JobOutput::Handler(_) | JobOutput::Compare(_) | JobOutput::Fleet(_) => Err(out),
        }
    }
}

/// The Retries study sweep; the reply is its points so far, a client count at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepJob {
    /// The largest client count (a multiple of 10, at most 190).
    pub clients_max: u32,
    /// Runs per point.
    pub runs: u32,
    /// The seed.
    pub seed: u64,
}

impl JobKind for SweepJob {
    type Reply = Vec<SweepPointData>;
    fn job(&self) -> Job {
        Job::StudySweep { clients_max: self.clients_max, runs: self.runs, seed: self.seed }
    }
    fn reply_of(out: JobOutput) -> Result<Self::Reply, JobOutput> {
        match out {
            JobOutput::Sweep(points) => Ok(points),
            JobOutput::Report(_) | JobOutput::Handler(_) | JobOutput::Compare(_) | JobOutput::Fleet(_) => Err(out),
        }
    }
}

/// One fleet run of the Retries fleet view; the reply is the run without its records.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetJob(pub FleetParams);

impl JobKind for FleetJob {
    type Reply = Box<FleetDrawn>;
    fn job(&self) -> Job {
        Job::Fleet { fleet: self.0.clone() }
    }
    fn reply_of(out: JobOutput) -> Result<Self::Reply, JobOutput> {
        match out {
            JobOutput::Fleet(d) => Ok(d),
            JobOutput::Report(_) | JobOutput::Sweep(_) | JobOutput::Handler(_) | JobOutput::Compare(_) => Err(out),
        }
    }
}

/// The Retries compare view's fleets; the reply is each strategy's figures
/// so far, in [`COMPARE`] order.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareJob(FleetParams);

impl CompareJob {
    /// The job for `fleet` under every compared strategy. The fleet's own
    /// strategy does not change the comparison, so the job leaves it out:
    /// changing it in the compare view reruns nothing.
    pub fn new(fleet: &FleetParams) -> CompareJob {
        CompareJob(FleetParams { strategy: COMPARE[0], ..fleet.clone() })
    }

    /// The fleet it runs (with the first compared strategy in place of the fleet's own).
    pub fn fleet(&self) -> &FleetParams {
        &self.0
    }
}

impl JobKind for CompareJob {
    type Reply = Vec<StrategyFigures>;
    fn job(&self) -> Job {
        Job::CompareStrategies { fleet: self.0.clone() }
    }
    fn reply_of(out: JobOutput) -> Result<Self::Reply, JobOutput> {
        match out {
            JobOutput::Compare(f) => Ok(f),
            JobOutput::Report(_) | JobOutput::Sweep(_) | JobOutput::Handler(_) | JobOutput::Fleet(_) => Err(out),
        }
    }
}

/// A learner's handler, compiled and explored; the reply is
/// [`super::HandlerExplored`] as JSON (compiled first, then explored).
#[derive(Clone, Debug, PartialEq)]
pub struct ExploreJob {
    /// The handler text.
    pub text: String,
    /// How many requests run it when it has no LANE sections.
    pub lanes: u8,
}

impl JobKind for ExploreJob {
    type Reply = String;
    fn job(&self) -> Job {
        Job::Explore { text: self.text.clone(), lanes: self.lanes }
    }
    fn reply_of(out: JobOutput) -> Result<String, JobOutput> {
        match out {
            JobOutput::Handler(json) => Ok(json),
            JobOutput::Report(_) | JobOutput::Sweep(_) | JobOutput::Compare(_) | JobOutput::Fleet(_) => Err(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offload::{JobRun, Slice};

    fn finish(job: Job) -> JobOutput {
        let mut run = JobRun::new(job);
        for _ in 0..100 {
            if let Slice::Finished(out) = run.step() {
                return out.unwrap();
            }
        }
        panic!("the job never finished");
    }

    #[test]
    fn each_kind_reads_its_own_reply_and_hands_back_another_kinds() {
        let fleet = FleetParams { duration_s: 20, ..FleetParams::default() };
        let drawn = finish(FleetJob(fleet.clone()).job());
        let figures = finish(CompareJob::new(&fleet).job());
        assert!(FleetJob::reply_of(drawn.clone()).is_ok_and(|d| d.params == fleet));
        assert_eq!(CompareJob::reply_of(figures.clone()).map(|f| f.len()), Ok(COMPARE.len()));
        assert_eq!(CompareJob::reply_of(drawn.clone()), Err(drawn.clone()), "a fleet is not a comparison");
        assert!(FleetJob::reply_of(figures.clone()).is_err(), "a comparison is not a fleet");
        assert!(SweepJob::reply_of(figures).is_err() && ExploreJob::reply_of(drawn.clone()).is_err());
        assert!(PermalinkJob::reply_of(drawn).is_err());
    }

    #[test]
    fn a_compare_job_ignores_the_fleets_own_strategy() {
        let a = FleetParams::default();
        let b = FleetParams { strategy: idemlab_sim::backoff::Strategy::Constant, ..a.clone() };
        assert_eq!(CompareJob::new(&a), CompareJob::new(&b));
    }
}
