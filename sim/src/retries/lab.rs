//! The Retries lab under the engine contract. The run a permalink reproduces
//! depends on its view: the fleet view runs one fleet; the compare view runs
//! the same fleet and seed under every strategy of [`COMPARE`], and its trace
//! hash covers every one of those runs; the study view runs the AWS study's
//! sweep and the two one-run waves it draws.

use super::compare::StrategyFigures;
use super::fleet::{self, FleetRun};
use super::occ::{self, OccParams, OccResult, SweepPoint};
use super::params::{RetriesParams, View, COMPARE};
use super::presets::PRESETS;
use super::recovery::Recovery;
use crate::backoff::Strategy;
use crate::error::SimError;
use crate::lab::{Counter, Figure, Lab, Preset, Source};
use serde::Serialize;

/// The strategies whose waves the study view draws: without and with jitter.
pub const WAVE_STRATEGIES: [Strategy; 2] = [Strategy::Exponential, Strategy::FullJitter];

/// A finished study: the sweep and one run per wave strategy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudyRun {
    /// Every strategy of the study at every client count.
    pub points: Vec<SweepPoint>,
    /// One run of `wave_clients` clients per [`WAVE_STRATEGIES`] entry.
    pub waves: Vec<OccResult>,
    /// The largest client count of the sweep.
    pub clients_max: u32,
}

/// What one permalink of the Retries lab runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "view", rename_all = "snake_case")]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per run, built once and shared behind an Rc; never stored in bulk"
)]
pub enum RetriesRun {
    /// One fleet.
    Fleet(FleetRun),
    /// The fleet under every strategy of [`COMPARE`], in that order.
    Compare {
        /// The runs.
        runs: Vec<FleetRun>,
    },
    /// The study.
    Study(StudyRun),
}

impl RetriesRun {
    /// The fleet run the fleet view shows, or the chosen strategy's run in compare.
    pub fn fleet(&self, strategy: Strategy) -> Option<&FleetRun> {
        match self {
            RetriesRun::Fleet(r) => Some(r),
            RetriesRun::Compare { runs } => runs.iter().find(|r| r.params.strategy == strategy),
            RetriesRun::Study(_) => None,
        }
    }
}

/// The base of every run of the study: its runs per point and seed.
pub fn study_base(p: &RetriesParams) -> OccParams {
    OccParams { runs: p.study.runs, seed: p.fleet.seed, ..Default::default() }
}

/// Runs the study sweep and its waves.
pub fn run_study(p: &RetriesParams) -> Result<StudyRun, SimError> {
    let points = occ::sweep(&study_base(p), &p.study_clients(), &occ::STUDY_STRATEGIES)?;
    study_with_points(p, points)
}

/// The study from a sweep made elsewhere (the browser runs it in a Web
/// Worker, a client count at a time): adds the two one-run waves, which are
/// quick. Given `occ::sweep`'s points for `p`, this is [`run_study`].
pub fn study_with_points(p: &RetriesParams, points: Vec<SweepPoint>) -> Result<StudyRun, SimError> {
    Ok(StudyRun { points, waves: study_waves(p)?, clients_max: p.study.clients_max })
}

/// The study's waves: one run of `wave_clients` clients per [`WAVE_STRATEGIES`] entry.
pub fn study_waves(p: &RetriesParams) -> Result<Vec<OccResult>, SimError> {
    let base = study_base(p);
    WAVE_STRATEGIES
        .iter()
        .map(|&strategy| {
            occ::run(&OccParams {
                clients: p.study.wave_clients,
                runs: 1,
                strategy,
                seed: p.fleet.seed,
                ..base.clone()
            })
        })
        .collect()
}

/// Runs the fleet under every strategy of [`COMPARE`].
pub fn run_compare(p: &fleet::FleetParams) -> Result<Vec<FleetRun>, SimError> {
    COMPARE.iter().map(|&strategy| fleet::run(&fleet::FleetParams { strategy, ..p.clone() })).collect()
}

/// The Retries lab.
pub struct RetriesLab;

impl Lab for RetriesLab {
    type Params = RetriesParams;
    type Run = RetriesRun;
    /// The predict-first switch (`predict=0` turns it off), a lock name like Races'.
    const EXTRA_KEYS: &'static [&'static str] = &["predict"];

    fn presets() -> &'static [Preset] {
        &PRESETS
    }

    fn run(p: &RetriesParams) -> Result<RetriesRun, SimError> {
        crate::knob::validate(p)?;
        match p.view {
            View::Fleet => fleet::run(&p.fleet).map(RetriesRun::Fleet),
            View::Compare => run_compare(&p.fleet).map(|runs| RetriesRun::Compare { runs }),
            View::Study => run_study(p).map(RetriesRun::Study),
        }
    }

    fn counters(run: &RetriesRun) -> Vec<Counter> {
        match run {
            RetriesRun::Fleet(r) => fleet_counters(r),
            RetriesRun::Compare { runs } => compare_counters(runs),
            RetriesRun::Study(s) => study_counters(s),
        }
    }

    fn trace_hash(run: &RetriesRun) -> u64 {
        match run {
            RetriesRun::Fleet(r) => r.stable_hash(),
            RetriesRun::Compare { runs } => {
                crate::trace::stable_hash(&runs.iter().map(FleetRun::stable_hash).collect::<Vec<_>>())
            }
            RetriesRun::Study(s) => {
                let points: Vec<(u32, &str, u64, u64)> = s
                    .points
                    .iter()
                    .map(|p| (p.clients, p.strategy.slug(), p.calls_mean.to_bits(), p.time_ms_mean.to_bits()))
                    .collect();
                crate::trace::stable_hash(&(points, &s.waves))
            }
        }
    }

    fn sources() -> &'static [Source] {
        &super::sources::SOURCES
    }
}

/// The evidence counters of one fleet run, in display order.
pub fn fleet_counters(run: &FleetRun) -> Vec<Counter> {
    use Figure::{Count, Ms, Ratio, Share};
    let t = &run.totals;
    let rec = run.recovery();
    vec![
        Counter::new("requests", "Logical requests", Count(t.requests)),
        Counter::new("success_rate", "Succeeded", Share(t.success_rate())).bad_if(t.success_rate() < 0.95),
        Counter::new("peak_after_outage", "Peak offered load after the outage (× capacity)", Ratio(rec.peak_ratio))
            .bad_if(rec.peak_ratio > 1.0),
        Counter::new("overload_after_outage", "Server still turning calls away after the outage", Ms(rec.overload_ms))
            .bad_if(!rec.recovered),
        Counter::new("rejected_after_outage", "Answered 503 after the outage", Count(rec.rejected_after))
            .bad_if(rec.rejected_after > 0),
        Counter::new("amplification", "Retry amplification (server calls per request)", Ratio(t.amplification()))
            .bad_if(t.amplification() > 1.5),
        Counter::new("attempts_per_request", "Client attempts per request", Ratio(t.attempts_per_request())),
        Counter::new("budget_refusals", "Retries refused by the retry budget", Count(t.budget_refusals)),
        Counter::new("grpc_refusals", "Retries refused by gRPC throttling", Count(t.grpc_refusals)),
        Counter::new(
            "adaptive_first_tries",
            "First tries rejected by adaptive throttling",
            Count(t.adaptive_first_tries),
        ),
        Counter::new("adaptive_retries", "Retries rejected by adaptive throttling", Count(t.adaptive_retries)),
        Counter::new("duplicates", "Work done twice (served again without a key)", Count(t.duplicates))
            .bad_if(t.duplicates > 0),
        Counter::new("retries", "Client retries", Count(t.retries)),
        Counter::new("layer_calls", "Extra calls from retrying layers", Count(t.layer_calls)).bad_if(t.layer_calls > 0),
        Counter::new("rejected", "Answered 503 (overload or outage)", Count(t.rejected_overload + t.rejected_outage)),
        Counter::new("wasted", "Served after the client gave up (wasted)", Count(t.wasted)).bad_if(t.wasted > 0),
        Counter::new("timeouts", "Client timeouts", Count(t.timeouts)),
        Counter::new("gave_up_cap", "Gave up at the attempt cap", Count(t.gave_up_attempt_cap)),
        Counter::new("not_retryable", "4xx, not retried", Count(t.gave_up_not_retryable)),
        Counter::new("p50", "Latency p50", Ms(t.latency_ms_p50 as f64)),
        Counter::new("p99", "Latency p99", Ms(t.latency_ms_p99 as f64)),
    ]
}

/// Counter ids and labels per compared strategy: (peak, overload, amplification).
const COMPARE_IDS: [[(&str, &str); 3]; 6] = [
    [
        ("peak_none", "No retry: peak after the outage (× capacity)"),
        ("overload_none", "No retry: turning calls away after the outage"),
        ("amp_none", "No retry: server calls per request"),
    ],
    [
        ("peak_immediate", "Immediate: peak after the outage (× capacity)"),
        ("overload_immediate", "Immediate: turning calls away after the outage"),
        ("amp_immediate", "Immediate: server calls per request"),
    ],
    [
        ("peak_exponential", "Exponential, no jitter: peak after the outage (× capacity)"),
        ("overload_exponential", "Exponential, no jitter: turning calls away after the outage"),
        ("amp_exponential", "Exponential, no jitter: server calls per request"),
    ],
    [
        ("peak_full", "Full jitter: peak after the outage (× capacity)"),
        ("overload_full", "Full jitter: turning calls away after the outage"),
        ("amp_full", "Full jitter: server calls per request"),
    ],
    [
        ("peak_equal", "Equal jitter: peak after the outage (× capacity)"),
        ("overload_equal", "Equal jitter: turning calls away after the outage"),
        ("amp_equal", "Equal jitter: server calls per request"),
    ],
    [
        ("peak_decorrelated", "Decorrelated: peak after the outage (× capacity)"),
        ("overload_decorrelated", "Decorrelated: turning calls away after the outage"),
        ("amp_decorrelated", "Decorrelated: server calls per request"),
    ],
];

/// The compare view's counters: per strategy, its peak after the outage,
/// how long the overload lasted, and its amplification.
pub fn compare_counters(runs: &[FleetRun]) -> Vec<Counter> {
    counters_of_recoveries(runs.iter().map(|r| (r.recovery(), r.totals.amplification())))
}

/// The same counters from the compare view's figures (the browser's Web
/// Worker sends figures, not runs): equal to [`compare_counters`] of the runs
/// they were read from.
pub fn compare_counters_of(figures: &[StrategyFigures]) -> Vec<Counter> {
    counters_of_recoveries(figures.iter().map(|f| (f.recovery, f.totals.amplification())))
}

/// The compare counters from each strategy's recovery and amplification, in [`COMPARE`] order.
fn counters_of_recoveries(per_strategy: impl Iterator<Item = (Recovery, f64)>) -> Vec<Counter> {
    let mut out = Vec::new();
    for ((rec, amplification), ids) in per_strategy.zip(COMPARE_IDS.iter()) {
        out.push(Counter::new(ids[0].0, ids[0].1, Figure::Ratio(rec.peak_ratio)).bad_if(rec.peak_ratio > 1.0));
        out.push(Counter::new(ids[1].0, ids[1].1, Figure::Ms(rec.overload_ms)).bad_if(!rec.recovered));
        out.push(Counter::new(ids[2].0, ids[2].1, Figure::Ratio(amplification)));
    }
    out
}

/// Counter ids and labels per study strategy: (calls, time) at the largest client count.
const STUDY_IDS: [[(&str, &str); 2]; 5] = [
    [("calls_none", "No backoff: writes per run"), ("time_none", "No backoff: time to finish")],
    [("calls_exponential", "Exponential: writes per run"), ("time_exponential", "Exponential: time to finish")],
    [("calls_full", "Full jitter: writes per run"), ("time_full", "Full jitter: time to finish")],
    [("calls_equal", "Equal jitter: writes per run"), ("time_equal", "Equal jitter: time to finish")],
    [("calls_decorrelated", "Decorrelated: writes per run"), ("time_decorrelated", "Decorrelated: time to finish")],
];

/// The study's counters: each strategy's mean writes and time at the largest client count.
pub fn study_counters(s: &StudyRun) -> Vec<Counter> {
    let mut out = Vec::new();
    for (strategy, ids) in occ::STUDY_STRATEGIES.iter().zip(STUDY_IDS.iter()) {
        if let Some(pt) = s.points.iter().find(|p| p.clients == s.clients_max && p.strategy == *strategy) {
            out.push(Counter::new(ids[0].0, ids[0].1, Figure::Count(pt.calls_mean.round() as u64)));
            out.push(Counter::new(ids[1].0, ids[1].1, Figure::Ms(pt.time_ms_mean)));
        }
    }
    out
}
