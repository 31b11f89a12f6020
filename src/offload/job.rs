//! Jobs for the worker, described as data, and the pure stepper that runs
//! them a slice at a time. Nothing here touches the browser, so the stepper
//! is tested natively: a job run in slices must give exactly what the core
//! gives in one call.

use idemlab_sim::backoff::Strategy;
use idemlab_sim::retries::occ::{self, OccParams};
use serde::{Deserialize, Serialize};

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
    fn a_bad_permalink_job_finishes_with_the_cores_reason() {
        let (_, out) = run_to_end(Job::Permalink("?area=keys&ops=0".into()));
        // Keys clamps a bad knob with a warning; an area without a lab refuses.
        assert!(out.is_ok(), "{out:?}");
        let (_, out) = run_to_end(Job::Permalink("?area=recall".into()));
        assert!(matches!(out, Err(ref e) if e.contains("recall")), "{out:?}");
    }
}
