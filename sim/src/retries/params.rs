//! The Retries lab's knobs, declared once: the view (fleet, compare, study),
//! the fleet's knobs and the study's. The engines' `validate()`, the
//! permalink, `idemlab retries --workload fleet` and the page's controls all
//! read this schema. The fleet engine keeps its own, wider safety limits
//! (`FleetParams::validate`); the schema's bounds sit inside them.

use super::fleet::{BudgetScope, FleetParams, RequestKind};
use crate::backoff::Strategy;
use crate::error::SimError;
use crate::knob::{frac_of, pct_of, Group, Knob, KnobKind, Params, Unit};

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

/// A whole-number knob of the fleet, reading and writing `p.fleet.$field`.
macro_rules! fleet_int {
    ($key:literal, $flag:literal, $label:literal, $unit:expr, $min:expr, $max:expr, $step:expr, $default:expr, $group:expr, $help:literal, $field:ident) => {
        Knob {
            key: $key,
            flag: $flag,
            label: $label,
            unit: $unit,
            kind: KnobKind::Int { min: $min, max: $max, step: $step },
            default: $default,
            group: $group,
            help: $help,
            get: |p: &RetriesParams| u64::from(p.fleet.$field),
            set: |p: &mut RetriesParams, v| p.fleet.$field = v as _,
        }
    };
}

/// A whole-number knob of the study.
macro_rules! study_int {
    ($key:literal, $flag:literal, $label:literal, $min:expr, $max:expr, $step:expr, $default:expr, $help:literal, $field:ident) => {
        Knob {
            key: $key,
            flag: $flag,
            label: $label,
            unit: Unit::Count,
            kind: KnobKind::Int { min: $min, max: $max, step: $step },
            default: $default,
            group: Group::Main,
            help: $help,
            get: |p: &RetriesParams| u64::from(p.study.$field),
            set: |p: &mut RetriesParams, v| p.study.$field = v as _,
        }
    };
}

/// The permalink keys of the study's knobs (the page shows them on the study tab only).
pub const STUDY_KEYS: [&str; 3] = ["sn", "sr", "wn"];

static KNOBS: [Knob<RetriesParams>; 32] = [
    Knob {
        key: "mode",
        flag: "view",
        label: "View",
        unit: Unit::Count,
        kind: KnobKind::Choice(View::CHOICES),
        default: 0,
        group: Group::Main,
        help: "Which run the page shows: one fleet, the fleet under every strategy, or the study's sweep.",
        get: |p| p.view.index() as u64,
        set: |p, v| p.view = View::from_index(v),
    },
    Knob {
        key: "s",
        flag: "strategy",
        label: "Backoff strategy",
        unit: Unit::Count,
        kind: KnobKind::Choice(Strategy::CHOICES),
        default: 4,
        group: Group::Main,
        help: "How a client waits before retry n (Brooker's formulas; full jitter sleeps random_between(0, min(cap, base × 2^n))).",
        get: |p| p.fleet.strategy.index() as u64,
        set: |p, v| p.fleet.strategy = Strategy::from_index(v),
    },
    fleet_int!("att", "attempts", "Attempts per request (cap)", Unit::Count, 1, 10, 1, 3, Group::Main,
        "Attempts per logical request at most, the first included.", attempts_max),
    fleet_int!("base", "base-ms", "Backoff base", Unit::Ms, 5, 2_000, 5, 100, Group::Main,
        "The base of the backoff formula.", base_ms),
    fleet_int!("cap", "cap-ms", "Backoff cap", Unit::Ms, 100, 30_000, 100, 5_000, Group::Main,
        "No backoff sleeps longer than this.", cap_ms),
    fleet_int!("bud", "budget", "Retry budget (retries per 100 requests; 0: none)", Unit::Percent, 0, 50, 1, 0, Group::Main,
        "Finagle's RetryBudget percentCanRetry: a client may retry this share of its requests of the last ttl, plus its floor.", budget_pct),
    Knob {
        key: "bsc",
        flag: "budget-scope",
        label: "Whose budget",
        unit: Unit::Count,
        kind: KnobKind::Choice(BudgetScope::CHOICES),
        default: 0,
        group: Group::Main,
        help: "Finagle and gRPC keep a budget per client; a budget shared by the whole fleet needs a coordination no client library gives.",
        get: |p| p.fleet.budget_scope.index() as u64,
        set: |p, v| p.fleet.budget_scope = BudgetScope::from_index(v),
    },
    Knob {
        key: "req",
        flag: "request",
        label: "The request",
        unit: Unit::Count,
        kind: KnobKind::Choice(RequestKind::CHOICES),
        default: 0,
        group: Group::Main,
        help: "RFC 9110 9.2.2: retry a timeout only for an idempotent request or one with a key. Without a key, a retried timeout the server did serve is done twice.",
        get: |p| p.fleet.request.index() as u64,
        set: |p, v| p.fleet.request = RequestKind::from_index(v),
    },
    Knob {
        key: "ra",
        flag: "honour-retry-after",
        label: "Clients honour Retry-After",
        unit: Unit::Count,
        kind: KnobKind::Flag,
        default: 1,
        group: Group::Main,
        help: "A client waits at least the server's Retry-After before retrying an overload 503.",
        get: |p| u64::from(p.fleet.honour_retry_after),
        set: |p, v| p.fleet.honour_retry_after = v == 1,
    },
    fleet_int!("n", "clients", "Clients", Unit::Count, 10, 10_000, 10, 1_000, Group::More,
        "Clients in the fleet; together they send the rate below.", clients),
    fleet_int!("rate", "rate", "Requests per second (whole fleet)", Unit::PerSecond, 50, 5_000, 50, 800, Group::More,
        "Logical requests per second, as a Poisson stream (open loop).", rate_rps),
    fleet_int!("dur", "duration", "Simulated duration", Unit::Seconds, 10, 300, 5, 60, Group::More,
        "How long the run lasts; the charts show 120 buckets of it.", duration_s),
    fleet_int!("of", "outage-from", "Outage starts at", Unit::Seconds, 0, 300, 1, 20, Group::More,
        "From here the server answers every new call 503, without Retry-After.", outage_from_s),
    fleet_int!("ot", "outage-to", "Outage ends at", Unit::Seconds, 0, 300, 1, 25, Group::More,
        "The server is back; equal to the start means no outage.", outage_to_s),
    fleet_int!("capy", "capacity", "Server capacity", Unit::PerSecond, 100, 5_000, 50, 1_000, Group::More,
        "Requests the server completes per second, first in first out.", capacity_rps),
    fleet_int!("qmax", "queue", "Server queue (places)", Unit::Count, 0, 5_000, 50, 500, Group::More,
        "Requests that may wait; past that the server answers 503 at once.", queue_max),
    fleet_int!("rams", "retry-after-ms", "Retry-After on an overload 503 (0: none)", Unit::Ms, 0, 10_000, 1_000, 1_000, Group::More,
        "Sent as delay-seconds (RFC 9110, 10.2.3), a whole number of seconds, with a 503 for a full queue.", retry_after_ms),
    fleet_int!("to", "timeout-ms", "Client timeout (0: none)", Unit::Ms, 0, 10_000, 50, 1_000, Group::More,
        "A client stops waiting and counts the attempt as failed; the server still does the work.", timeout_ms),
    fleet_int!("ttl", "budget-ttl", "Budget window (Finagle's ttl)", Unit::Seconds, 1, 60, 1, 10, Group::More,
        "How long a request counts toward the budget's percentage (Finagle's default: 10 s).", budget_ttl_s),
    Knob {
        key: "err",
        flag: "error-rate",
        label: "Served requests failing with 500",
        unit: Unit::Percent,
        kind: KnobKind::Percent,
        default: 1,
        group: Group::More,
        help: "A retryable server error.",
        get: |p| pct_of(p.fleet.error_rate),
        set: |p, v| p.fleet.error_rate = frac_of(v),
    },
    Knob {
        key: "cerr",
        flag: "client-error-rate",
        label: "Served requests failing with 400",
        unit: Unit::Percent,
        kind: KnobKind::Percent,
        default: 0,
        group: Group::More,
        help: "A client error: never retried.",
        get: |p| pct_of(p.fleet.client_error_rate),
        set: |p, v| p.fleet.client_error_rate = frac_of(v),
    },
    fleet_int!("lay", "layers", "Retrying layers between client and server", Unit::Count, 0, 4, 1, 0, Group::More,
        "Each layer retries a failure from below at once, without backoff.", layers),
    fleet_int!("lk", "layer-retries", "Retries per layer", Unit::Count, 0, 5, 1, 0, Group::More,
        "k retries at each of N layers: one client attempt becomes up to (k+1)^N calls, times the client's attempts.", layer_retries),
    fleet_int!("minr", "min-retries-per-s", "Budget floor: minRetriesPerSec, per budget (0: none)", Unit::PerSecond, 0, 100, 1, 0, Group::More,
        "Finagle's RetryBudget floor (default 10): each budget may retry this often besides its percentage, so each quiet client can still retry.", min_retries_per_s),
    fleet_int!("gmax", "grpc-max-tokens", "gRPC retry throttling: maxTokens (0: off)", Unit::Count, 0, 100, 1, 0, Group::More,
        "Per client: a failure costs a token, a success adds tokenRatio, and retries stop while tokens ≤ maxTokens / 2.", grpc_max_tokens),
    fleet_int!("gratio", "grpc-token-ratio", "gRPC tokenRatio (thousandths of a token)", Unit::Count, 1, 1_000, 1, 100, Group::More,
        "Tokens a success adds back, in thousandths: 100 is gRPC's example tokenRatio 0.1.", grpc_token_ratio_milli),
    fleet_int!("k", "adaptive-k", "Adaptive throttling K, in tenths (0: off; 20 is K = 2)", Unit::Count, 0, 100, 1, 0, Group::More,
        "The SRE book's client throttling: reject locally with P = max(0, (requests − K × accepts) / (requests + 1)) over two minutes.", adaptive_k_tenths),
    Knob {
        key: "radate",
        flag: "retry-after-date",
        label: "Retry-After as an HTTP-date (not seconds)",
        unit: Unit::Count,
        kind: KnobKind::Flag,
        default: 0,
        group: Group::More,
        help: "RFC 9110 10.2.3 allows either form. A date names a whole second, so clients turned away in the same second retry at the same instant.",
        get: |p| u64::from(p.fleet.retry_after_date),
        set: |p, v| p.fleet.retry_after_date = v == 1,
    },
    crate::seed_knob!(1, fleet.seed),
    study_int!("sn", "study-clients", "Clients up to", 10, 190, 10, 190,
        "The sweep runs 10, 20, … up to this many clients.", clients_max),
    study_int!("sr", "study-runs", "Runs per point", 1, 100, 1, 20,
        "The study used 100; fewer keeps the chart quick to recompute.", runs),
    study_int!("wn", "wave-clients", "Clients in the waves chart", 10, 190, 10, 100,
        "One run of this many clients, drawn write by write.", wave_clients),
];

impl Params for RetriesParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn base() -> Self {
        RetriesParams {
            view: View::Fleet,
            fleet: FleetParams::default(),
            study: StudyParams { clients_max: 190, runs: 20, wave_clients: 100 },
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
