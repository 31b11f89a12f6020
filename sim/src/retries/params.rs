//! The Retries lab's knobs, declared once: the view (fleet, compare, study),
//! the fleet's knobs and the study's. The engines' `validate()`, the
//! permalink, `idemlab retries --workload fleet` and the page's controls all
//! read this schema. The fleet engine keeps its own, wider safety limits
//! (`FleetParams::validate`); the schema's bounds sit inside them.

use super::fleet::{BudgetScope, FleetParams, RequestKind};
use crate::backoff::Strategy;
use crate::error::SimError;
use crate::knob::{frac_of, pct_of, Knob, Params, Unit};

/// The Retries lab's knob type, so the builders know whose parameters they read.
type K = Knob<RetriesParams>;

crate::choice_enum! {
    /// Which run the page shows, and so which run a permalink reproduces.
    pub enum View {
        /// One fleet run under the chosen strategy.
        Fleet = ("fleet", "Fleet"),
        /// The same fleet and seed under every strategy of [`COMPARE`].
        Compare = ("compare", "Compare strategies"),
        /// The AWS study's contention workload, swept over client counts.
        Study = ("study", "Backoff study sweep"),
    }
}

/// The strategies the compare view runs side by side.
pub const COMPARE: [Strategy; 6] = [
    Strategy::None,
    Strategy::Immediate,
    Strategy::Exponential,
    Strategy::FullJitter,
    Strategy::EqualJitter,
    Strategy::Decorrelated,
];

/// The study sweep's knobs (its seed is the lab's one seed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudyParams {
    /// The sweep runs 10, 20, ... up to this many clients.
    pub clients_max: u32,
    /// Runs per point.
    pub runs: u32,
    /// Clients of the waves chart.
    pub wave_clients: u32,
}

/// Every knob of the Retries lab.
#[derive(Clone, Debug, PartialEq)]
pub struct RetriesParams {
    /// The view, and so the run.
    pub view: View,
    /// The fleet (its seed is the lab's seed).
    pub fleet: FleetParams,
    /// The study sweep.
    pub study: StudyParams,
}

/// The permalink keys of the study's knobs (the page shows them on the study tab only).
pub const STUDY_KEYS: [&str; 3] = ["sn", "sr", "wn"];

static KNOBS: [Knob<RetriesParams>; 32] = [
    K::choice(
        "mode",
        "view",
        "View",
        View::CHOICES,
        0,
        "Which run the page shows: one fleet, the fleet under every strategy, or the study's sweep.",
        |p| p.view.index() as u64,
        |p, v| p.view = View::from_index(v),
    ),
    K::choice(
        "s",
        "strategy",
        "Backoff strategy",
        Strategy::CHOICES,
        4,
        "How a client waits before retry n (Brooker's formulas; full jitter sleeps random_between(0, min(cap, base × 2^n))).",
        |p| p.fleet.strategy.index() as u64,
        |p, v| p.fleet.strategy = Strategy::from_index(v),
    ),
    K::count(
        "att",
        "attempts",
        "Attempts per request (cap)",
        Unit::Count,
        (1, 10, 1),
        3,
        "Attempts per logical request at most, the first included.",
        |p| u64::from(p.fleet.attempts_max),
        |p, v| p.fleet.attempts_max = v as _,
    ),
    K::count(
        "base",
        "base-ms",
        "Backoff base",
        Unit::Ms,
        (5, 2_000, 5),
        100,
        "The base of the backoff formula.",
        |p| p.fleet.base_ms,
        |p, v| p.fleet.base_ms = v as _,
    ),
    K::count(
        "cap",
        "cap-ms",
        "Backoff cap",
        Unit::Ms,
        (100, 30_000, 100),
        5_000,
        "No backoff sleeps longer than this.",
        |p| p.fleet.cap_ms,
        |p, v| p.fleet.cap_ms = v as _,
    ),
    K::count(
        "bud",
        "budget",
        "Retry budget (retries per 100 requests; 0: none)",
        Unit::Percent,
        (0, 50, 1),
        0,
        "Finagle's RetryBudget percentCanRetry: a client may retry this share of its requests of the last ttl, plus its floor.",
        |p| u64::from(p.fleet.budget_pct),
        |p, v| p.fleet.budget_pct = v as _,
    ),
    K::choice(
        "bsc",
        "budget-scope",
        "Whose budget",
        BudgetScope::CHOICES,
        0,
        "Finagle and gRPC keep a budget per client; a budget shared by the whole fleet needs a coordination no client library gives.",
        |p| p.fleet.budget_scope.index() as u64,
        |p, v| p.fleet.budget_scope = BudgetScope::from_index(v),
    ),
    K::choice(
        "req",
        "request",
        "The request",
        RequestKind::CHOICES,
        0,
        "RFC 9110 9.2.2: retry a timeout only for an idempotent request or one with a key. Without a key, a retried timeout the server did serve is done twice.",
        |p| p.fleet.request.index() as u64,
        |p, v| p.fleet.request = RequestKind::from_index(v),
    ),
    K::switch(
        "ra",
        "honour-retry-after",
        "Clients honour Retry-After",
        true,
        "A client waits at least the server's Retry-After before retrying an overload 503.",
        |p| u64::from(p.fleet.honour_retry_after),
        |p, v| p.fleet.honour_retry_after = v == 1,
    ),
    K::count(
        "n",
        "clients",
        "Clients",
        Unit::Count,
        (10, 10_000, 10),
        1_000,
        "Clients in the fleet; together they send the rate below.",
        |p| u64::from(p.fleet.clients),
        |p, v| p.fleet.clients = v as _,
    ).more(),
    K::count(
        "rate",
        "rate",
        "Requests per second (whole fleet)",
        Unit::PerSecond,
        (50, 5_000, 50),
        800,
        "Logical requests per second, as a Poisson stream (open loop).",
        |p| u64::from(p.fleet.rate_rps),
        |p, v| p.fleet.rate_rps = v as _,
    ).more(),
    K::count(
        "dur",
        "duration",
        "Simulated duration",
        Unit::Seconds,
        (10, 300, 5),
        60,
        "How long the run lasts; the charts show 120 buckets of it.",
        |p| u64::from(p.fleet.duration_s),
        |p, v| p.fleet.duration_s = v as _,
    ).more(),
    K::count(
        "of",
        "outage-from",
        "Outage starts at",
        Unit::Seconds,
        (0, 300, 1),
        20,
        "From here the server answers every new call 503, without Retry-After.",
        |p| u64::from(p.fleet.outage_from_s),
        |p, v| p.fleet.outage_from_s = v as _,
    ).more(),
    K::count(
        "ot",
        "outage-to",
        "Outage ends at",
        Unit::Seconds,
        (0, 300, 1),
        25,
        "The server is back; equal to the start means no outage.",
        |p| u64::from(p.fleet.outage_to_s),
        |p, v| p.fleet.outage_to_s = v as _,
    ).more(),
    K::count(
        "capy",
        "capacity",
        "Server capacity",
        Unit::PerSecond,
        (100, 5_000, 50),
        1_000,
        "Requests the server completes per second, first in first out.",
        |p| u64::from(p.fleet.capacity_rps),
        |p, v| p.fleet.capacity_rps = v as _,
    ).more(),
    K::count(
        "qmax",
        "queue",
        "Server queue (places)",
        Unit::Count,
        (0, 5_000, 50),
        500,
        "Requests that may wait; past that the server answers 503 at once.",
        |p| u64::from(p.fleet.queue_max),
        |p, v| p.fleet.queue_max = v as _,
    ).more(),
    K::count(
        "rams",
        "retry-after-ms",
        "Retry-After on an overload 503 (0: none)",
        Unit::Ms,
        (0, 10_000, 1_000),
        1_000,
        "Sent as delay-seconds (RFC 9110, 10.2.3), a whole number of seconds, with a 503 for a full queue.",
        |p| p.fleet.retry_after_ms,
        |p, v| p.fleet.retry_after_ms = v as _,
    ).more(),
    K::count(
        "to",
        "timeout-ms",
        "Client timeout (0: none)",
        Unit::Ms,
        (0, 10_000, 50),
        1_000,
        "A client stops waiting and counts the attempt as failed; the server still does the work.",
        |p| p.fleet.timeout_ms,
        |p, v| p.fleet.timeout_ms = v as _,
    ).more(),
    K::count(
        "ttl",
        "budget-ttl",
        "Budget window (Finagle's ttl)",
        Unit::Seconds,
        (1, 60, 1),
        10,
        "How long a request counts toward the budget's percentage (Finagle's default: 10 s).",
        |p| u64::from(p.fleet.budget_ttl_s),
        |p, v| p.fleet.budget_ttl_s = v as _,
    ).more(),
    K::percent(
        "err",
        "error-rate",
        "Served requests failing with 500",
        1,
        "A retryable server error.",
        |p| pct_of(p.fleet.error_rate),
        |p, v| p.fleet.error_rate = frac_of(v),
    ).more(),
    K::percent(
        "cerr",
        "client-error-rate",
        "Served requests failing with 400",
        0,
        "A client error: never retried.",
        |p| pct_of(p.fleet.client_error_rate),
        |p, v| p.fleet.client_error_rate = frac_of(v),
    ).more(),
    K::count(
        "lay",
        "layers",
        "Retrying layers between client and server",
        Unit::Count,
        (0, 4, 1),
        0,
        "Each layer retries a failure from below at once, without backoff.",
        |p| u64::from(p.fleet.layers),
        |p, v| p.fleet.layers = v as _,
    ).more(),
    K::count(
        "lk",
        "layer-retries",
        "Retries per layer",
        Unit::Count,
        (0, 5, 1),
        0,
        "k retries at each of N layers: one client attempt becomes up to (k+1)^N calls, times the client's attempts.",
        |p| u64::from(p.fleet.layer_retries),
        |p, v| p.fleet.layer_retries = v as _,
    ).more(),
    K::count(
        "minr",
        "min-retries-per-s",
        "Budget floor: minRetriesPerSec, per budget (0: none)",
        Unit::PerSecond,
        (0, 100, 1),
        0,
        "Finagle's RetryBudget floor (default 10): each budget may retry this often besides its percentage, so each quiet client can still retry.",
        |p| u64::from(p.fleet.min_retries_per_s),
        |p, v| p.fleet.min_retries_per_s = v as _,
    ).more(),
    K::count(
        "gmax",
        "grpc-max-tokens",
        "gRPC retry throttling: maxTokens (0: off)",
        Unit::Count,
        (0, 100, 1),
        0,
        "Per client: a failure costs a token, a success adds tokenRatio, and retries stop while tokens ≤ maxTokens / 2.",
        |p| u64::from(p.fleet.grpc_max_tokens),
        |p, v| p.fleet.grpc_max_tokens = v as _,
    ).more(),
    K::count(
        "gratio",
        "grpc-token-ratio",
        "gRPC tokenRatio (thousandths of a token)",
        Unit::Count,
        (1, 1_000, 1),
        100,
        "Tokens a success adds back, in thousandths: 100 is gRPC's example tokenRatio 0.1.",
        |p| u64::from(p.fleet.grpc_token_ratio_milli),
        |p, v| p.fleet.grpc_token_ratio_milli = v as _,
    ).more(),
    K::count(
        "k",
        "adaptive-k",
        "Adaptive throttling K, in tenths (0: off; 20 is K = 2)",
        Unit::Count,
        (0, 100, 1),
        0,
        "The SRE book's client throttling: reject locally with P = max(0, (requests − K × accepts) / (requests + 1)) over two minutes.",
        |p| u64::from(p.fleet.adaptive_k_tenths),
        |p, v| p.fleet.adaptive_k_tenths = v as _,
    ).more(),
    K::switch(
        "radate",
        "retry-after-date",
        "Retry-After as an HTTP-date (not seconds)",
        false,
        "RFC 9110 10.2.3 allows either form. A date names a whole second, so clients turned away in the same second retry at the same instant.",
        |p| u64::from(p.fleet.retry_after_date),
        |p, v| p.fleet.retry_after_date = v == 1,
    ).more(),
    crate::seed_knob!(1, fleet.seed),
    K::count(
        "sn",
        "study-clients",
        "Clients up to",
        Unit::Count,
        (10, 190, 10),
        190,
        "The sweep runs 10, 20, … up to this many clients.",
        |p| u64::from(p.study.clients_max),
        |p, v| p.study.clients_max = v as _,
    ),
    K::count(
        "sr",
        "study-runs",
        "Runs per point",
        Unit::Count,
        (1, 100, 1),
        20,
        "The study used 100; fewer keeps the chart quick to recompute.",
        |p| u64::from(p.study.runs),
        |p, v| p.study.runs = v as _,
    ),
    K::count(
        "wn",
        "wave-clients",
        "Clients in the waves chart",
        Unit::Count,
        (10, 190, 10),
        100,
        "One run of this many clients, drawn write by write.",
        |p| u64::from(p.study.wave_clients),
        |p, v| p.study.wave_clients = v as _,
    ),
];

impl Params for RetriesParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn base() -> Self {
        RetriesParams {
            view: View::Fleet,
            fleet: FleetParams::default(),
            // Placeholders: `defaults()` sets every knob from the schema.
            study: StudyParams { clients_max: 0, runs: 0, wave_clients: 0 },
        }
    }

    fn validate_relations(&self) -> Result<(), SimError> {
        let f = &self.fleet;
        let bad = |name, reason: String| Err(SimError::InvalidParameter { name, reason });
        if f.cap_ms < f.base_ms {
            return bad(
                "cap-ms",
                format!("the backoff cap ({} ms) must be at least the base ({} ms)", f.cap_ms, f.base_ms),
            );
        }
        if f.outage_to_s < f.outage_from_s {
            return bad(
                "outage-to",
                format!("the outage must end ({} s) after it starts ({} s)", f.outage_to_s, f.outage_from_s),
            );
        }
        if f.retry_after_ms % 1_000 != 0 {
            return bad(
                "retry-after-ms",
                format!(
                    "Retry-After's delay-seconds is whole seconds (RFC 9110, 10.2.3): {} ms is not; write a multiple of 1000",
                    f.retry_after_ms
                ),
            );
        }
        if f.outage_to_s > f.duration_s {
            return bad(
                "outage-to",
                format!("the outage must end ({} s) within the run ({} s)", f.outage_to_s, f.duration_s),
            );
        }
        f.validate()
    }
}

impl Default for RetriesParams {
    fn default() -> Self {
        Self::defaults()
    }
}

impl RetriesParams {
    /// The study sweep's client counts: 10, 20, ... up to the knob, in tens.
    pub fn study_clients(&self) -> Vec<u32> {
        (1..=self.study.clients_max / 10).map(|i| i * 10).collect()
    }
}
