//! What a fleet run reports: its records, per-bucket series and totals.

use super::FleetParams;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// Why a logical request ended without success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GiveUp {
    /// The answer was not retryable (a 4xx other than 429).
    NotRetryable,
    /// The strategy never retries.
    NoRetry,
    /// The per-request attempt cap was reached.
    AttemptCap,
    /// The client's retry budget (or the shared one) had no retry left.
    BudgetRefused,
    /// gRPC retry throttling refused the retry: the client's tokens were at
    /// or below half of maxTokens.
    GrpcThrottled,
    /// Adaptive client throttling rejected the first try locally.
    AdaptiveFirstTry,
    /// Adaptive client throttling rejected a retry locally.
    AdaptiveRetry,
}

/// One thing that happened in a fleet run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FleetRecord {
    /// Client `client` started logical request `req`.
    Started { req: u32, client: u32 },
    /// A call reached the server: client attempt `attempt`, call `call` of its layers' fan-out.
    AtServer { req: u32, attempt: u32, call: u32 },
    /// The client got an answer (`code` 0 means a timeout).
    Answered { req: u32, attempt: u32, code: u16 },
    /// The client will retry after `wait_us`.
    RetryScheduled { req: u32, attempt: u32, wait_us: u64 },
    /// The request succeeded after `latency_us`.
    Succeeded { req: u32, latency_us: u64 },
    /// The request ended without success.
    GaveUp { req: u32, why: GiveUp },
}

/// Per-bucket series, each `BUCKETS` long.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FleetBuckets {
    /// Width of a bucket, in microseconds.
    pub bucket_us: u64,
    /// First tries reaching the server.
    pub first_tries: Vec<u32>,
    /// Client retries reaching the server.
    pub retries: Vec<u32>,
    /// Extra server calls made by retrying layers.
    pub layer_calls: Vec<u32>,
    /// Logical requests that succeeded, by completion time.
    pub successes: Vec<u32>,
    /// Logical requests that ended without success.
    pub failures: Vec<u32>,
    /// Calls the server answered 503 at once (overload or outage).
    pub rejected: Vec<u32>,
    /// Calls the server served for a client that had already timed out.
    pub wasted: Vec<u32>,
    /// Retries refused by the retry budget.
    pub budget_refusals: Vec<u32>,
    /// Attempts refused locally by gRPC or adaptive throttling (first tries included).
    pub throttled: Vec<u32>,
    /// Retries the budgets allowed at the end of the bucket, summed over
    /// every budget (one per client, or the shared one).
    pub budget_tokens: Vec<u32>,
    /// Median completion latency of the bucket's successes, ms (0: none).
    pub latency_ms_p50: Vec<u64>,
    /// 99th percentile completion latency, ms (0: none).
    pub latency_ms_p99: Vec<u64>,
}

/// Whole-run counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FleetTotals {
    /// Logical requests started.
    pub requests: u64,
    /// First tries that reached the server.
    pub first_tries: u64,
    /// Client retries that reached the server.
    pub retries: u64,
    /// Every call the server received, layer retries included.
    pub server_calls: u64,
    /// Extra calls made by retrying layers.
    pub layer_calls: u64,
    /// Logical requests that succeeded.
    pub successes: u64,
    /// Logical requests that ended without success.
    pub failures: u64,
    /// Of those: not retryable.
    pub gave_up_not_retryable: u64,
    /// Of those: the strategy never retries.
    pub gave_up_no_retry: u64,
    /// Of those: the attempt cap.
    pub gave_up_attempt_cap: u64,
    /// Retries the retry budget refused.
    pub budget_refusals: u64,
    /// Retries gRPC retry throttling refused.
    pub grpc_refusals: u64,
    /// First tries adaptive throttling rejected at the client.
    pub adaptive_first_tries: u64,
    /// Retries adaptive throttling rejected at the client.
    pub adaptive_retries: u64,
    /// Calls the server served with 200 for a request it had already done,
    /// without a key: the work (a charge, an order) happened again.
    pub duplicates: u64,
    /// The same repeats for a keyed request: answered from the key, done once.
    pub replayed: u64,
    /// Calls answered 503 because the queue was full.
    pub rejected_overload: u64,
    /// Calls answered 503 during the outage.
    pub rejected_outage: u64,
    /// Calls answered 500.
    pub errors_5xx: u64,
    /// Calls answered 400.
    pub errors_4xx: u64,
    /// Attempts the client gave up waiting for.
    pub timeouts: u64,
    /// Calls served for a client that had already timed out.
    pub wasted: u64,
    /// Logical requests still in flight when the run ended.
    pub unfinished: u64,
    /// Median completion latency of successes, ms.
    pub latency_ms_p50: u64,
    /// 99th percentile completion latency of successes, ms.
    pub latency_ms_p99: u64,
    /// Events processed.
    pub events: u64,
}

impl FleetTotals {
    /// Server calls per logical request: the amplification an operator sees.
    pub fn amplification(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        self.server_calls as f64 / self.requests as f64
    }

    /// Client attempts per logical request.
    pub fn attempts_per_request(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        (self.first_tries + self.retries) as f64 / self.requests as f64
    }

    /// Share of logical requests that succeeded, 0 to 1.
    pub fn success_rate(&self) -> f64 {
        let done = self.successes + self.failures;
        if done == 0 {
            return 0.0;
        }
        self.successes as f64 / done as f64
    }
}

/// A finished fleet run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetRun {
    /// The knobs it ran with.
    pub params: FleetParams,
    /// The per-bucket series.
    pub buckets: FleetBuckets,
    /// The whole-run counters.
    pub totals: FleetTotals,
    /// The strategy's chosen delays (before Retry-After), `DELAY_BINS` bins of `delay_bin_us`.
    pub delay_hist: Vec<u32>,
    /// Width of a delay bin, in microseconds; the last bin holds the cap.
    pub delay_bin_us: u64,
    /// The first records of the run.
    pub trace: Trace<FleetRecord>,
}

impl FleetRun {
    /// The stable hash of everything the run reports.
    pub fn stable_hash(&self) -> u64 {
        crate::trace::stable_hash(&(self.trace.stable_hash(), &self.buckets, &self.totals, &self.delay_hist))
    }
}

/// A fleet run without its records: everything the page draws and counts
/// (the charts, the summary, the predict-first question and the evidence), a
/// few KB, so the Web Worker can send one on every knob change. The records
/// stay behind: a report's trace hash and the trace download need the whole
/// run, which the page builds again when an export asks for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetDrawn {
    /// The knobs it ran with.
    pub params: FleetParams,
    /// The per-bucket series.
    pub buckets: FleetBuckets,
    /// The whole-run counters.
    pub totals: FleetTotals,
    /// The strategy's chosen delays, as in [`FleetRun::delay_hist`].
    pub delay_hist: Vec<u32>,
    /// Width of a delay bin, in microseconds.
    pub delay_bin_us: u64,
}

impl FleetRun {
    /// The run without its records.
    pub fn drawn(&self) -> FleetDrawn {
        FleetDrawn {
            params: self.params.clone(),
            buckets: self.buckets.clone(),
            totals: self.totals.clone(),
            delay_hist: self.delay_hist.clone(),
            delay_bin_us: self.delay_bin_us,
        }
    }
}

impl FleetDrawn {
    /// A run to draw from: the same figures, with an empty trace. Its
    /// [`FleetRun::stable_hash`] is not the run's; only what is drawn and
    /// counted may be read from it.
    pub fn into_run_without_trace(self) -> FleetRun {
        FleetRun {
            params: self.params,
            buckets: self.buckets,
            totals: self.totals,
            delay_hist: self.delay_hist,
            delay_bin_us: self.delay_bin_us,
            trace: Trace::with_limit(0),
        }
    }
}
