//! The fleet's knobs and the engine's own limits.

use crate::backoff::Strategy;
use crate::error::SimError;
use serde::{Deserialize, Serialize};

crate::choice_enum! {
    /// Whose retries one budget counts.
    pub enum BudgetScope {
        /// One budget per client, as Finagle's RetryBudget and gRPC's throttle are kept.
        PerClient = ("client", "Per client (as libraries keep it)"),
        /// One budget for the whole fleet: a coordination no client library gives.
        Shared = ("shared", "Shared: a coordination your library does not give you"),
    }
}

crate::choice_enum! {
    /// What the request is, and so what its client may retry (RFC 9110, 9.2.2).
    pub enum RequestKind {
        /// Idempotent, or carrying an Idempotency-Key: timeouts are retried,
        /// and a repeat is answered from the key, not done again.
        Keyed = ("key", "Idempotent or with an Idempotency-Key"),
        /// Not idempotent, no key, and the client retries timeouts anyway:
        /// a timed-out attempt the server did serve is done again.
        UnkeyedRetried = ("no-key", "No key, timeouts retried anyway"),
        /// Not idempotent, no key, and the client follows RFC 9110 9.2.2:
        /// it does not retry a timeout, whose request may have been applied.
        UnkeyedCareful = ("no-key-careful", "No key, timeouts not retried (RFC 9110 9.2.2)"),
    }
}

impl RequestKind {
    /// Whether the client retries network errors and timeouts.
    pub fn retries_timeouts(self) -> bool {
        match self {
            RequestKind::Keyed | RequestKind::UnkeyedRetried => true,
            RequestKind::UnkeyedCareful => false,
        }
    }

    /// Whether the server can tell a repeat from a new request.
    pub fn has_key(self) -> bool {
        match self {
            RequestKind::Keyed => true,
            RequestKind::UnkeyedRetried | RequestKind::UnkeyedCareful => false,
        }
    }
}

/// Knobs of the fleet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetParams {
    /// Clients in the fleet.
    pub clients: u32,
    /// Logical requests per second, for the whole fleet.
    pub rate_rps: u32,
    /// Simulated seconds.
    pub duration_s: u32,
    /// The backoff strategy.
    pub strategy: Strategy,
    /// Backoff base, in milliseconds.
    pub base_ms: u64,
    /// Backoff cap, in milliseconds.
    pub cap_ms: u64,
    /// Attempts per logical request at most, the first included.
    pub attempts_max: u32,
    /// How long a client waits for an answer, in milliseconds (0: forever).
    pub timeout_ms: u64,
    /// Retry budget, Finagle's percentCanRetry: retries as a percentage of
    /// the requests of the last `budget_ttl_s` (0: no budget).
    pub budget_pct: u32,
    /// Finagle's ttl: how long a request's deposit counts, in seconds.
    pub budget_ttl_s: u32,
    /// Whose requests and retries one budget counts.
    pub budget_scope: BudgetScope,
    /// Whether clients wait at least the server's Retry-After.
    pub honour_retry_after: bool,
    /// Requests the server completes per second.
    pub capacity_rps: u32,
    /// Requests that may wait in the server's queue.
    pub queue_max: u32,
    /// Retry-After sent with an overload 503, in milliseconds (0: none).
    pub retry_after_ms: u64,
    /// Share of served requests that fail with 500, 0 to 1.
    pub error_rate: f64,
    /// Share of served requests that fail with 400 (never retried), 0 to 1.
    pub client_error_rate: f64,
    /// Outage start, in seconds.
    pub outage_from_s: u32,
    /// Outage end, in seconds (equal to the start: no outage).
    pub outage_to_s: u32,
    /// Services between client and server, each retrying (0: none).
    pub layers: u32,
    /// Retries of each layer.
    pub layer_retries: u32,
    /// Finagle's minRetriesPerSec, per budget (so per client, unless the
    /// budget is shared): retries a second allowed besides the percentage
    /// (0: none; only with a budget).
    pub min_retries_per_s: u32,
    /// gRPC retry throttling's maxTokens per client (0: off).
    pub grpc_max_tokens: u32,
    /// gRPC's tokenRatio, in thousandths of a token per success.
    pub grpc_token_ratio_milli: u32,
    /// Adaptive client throttling's K, in tenths (0: off; 20 is K = 2).
    pub adaptive_k_tenths: u32,
    /// Whether Retry-After is sent as an HTTP-date rather than delay-seconds.
    pub retry_after_date: bool,
    /// Whether requests are idempotent (or keyed), and what clients retry.
    pub request: RequestKind,
    /// The seed of the run.
    pub seed: u64,
}

impl Default for FleetParams {
    fn default() -> Self {
        FleetParams {
            clients: 1_000,
            rate_rps: 800,
            duration_s: 60,
            strategy: Strategy::FullJitter,
            base_ms: 100,
            cap_ms: 5_000,
            attempts_max: 3,
            timeout_ms: 1_000,
            budget_pct: 0,
            budget_ttl_s: 10,
            budget_scope: BudgetScope::PerClient,
            honour_retry_after: true,
            capacity_rps: 1_000,
            queue_max: 500,
            retry_after_ms: 1_000,
            error_rate: 0.01,
            client_error_rate: 0.0,
            outage_from_s: 20,
            outage_to_s: 25,
            layers: 0,
            layer_retries: 0,
            min_retries_per_s: 0,
            grpc_max_tokens: 0,
            grpc_token_ratio_milli: 100,
            adaptive_k_tenths: 0,
            retry_after_date: false,
            request: RequestKind::Keyed,
            seed: 1,
        }
    }
}

/// Buckets per run, for the charts.
pub const BUCKETS: usize = 120;
/// Bins of the delay histogram.
pub const DELAY_BINS: usize = 40;
/// Records kept in the trace; the rest are counted.
pub const TRACE_LEN_MAX: usize = 2_000;

fn invalid(name: &'static str, reason: impl Into<String>) -> SimError {
    SimError::InvalidParameter { name, reason: reason.into() }
}

impl FleetParams {
    /// Most clients.
    pub const CLIENTS_MAX: u32 = 100_000;
    /// Most logical requests per run (rate times duration).
    pub const REQUESTS_MAX: u64 = 2_000_000;
    /// Longest run, in seconds.
    pub const DURATION_S_MAX: u32 = 3_600;
    /// Largest delay knob, in milliseconds.
    pub const DELAY_MS_MAX: u64 = 600_000;

    /// Checks the knobs, with a reason a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.clients == 0 || self.clients > Self::CLIENTS_MAX {
            return Err(invalid("clients", format!("must be between 1 and {}", Self::CLIENTS_MAX)));
        }
        if self.rate_rps == 0 {
            return Err(invalid("rate_rps", "must be at least 1 request per second"));
        }
        if self.duration_s == 0 || self.duration_s > Self::DURATION_S_MAX {
            return Err(invalid("duration_s", format!("must be between 1 and {} s", Self::DURATION_S_MAX)));
        }
        if u64::from(self.rate_rps) * u64::from(self.duration_s) > Self::REQUESTS_MAX {
            return Err(invalid(
                "rate_rps",
                format!("rate times duration must stay under {} requests; lower one of them", Self::REQUESTS_MAX),
            ));
        }
        if self.base_ms > Self::DELAY_MS_MAX || self.cap_ms > Self::DELAY_MS_MAX || self.timeout_ms > Self::DELAY_MS_MAX
        {
            return Err(invalid("base_ms", format!("base, cap and timeout must be at most {} ms", Self::DELAY_MS_MAX)));
        }
        if self.retry_after_ms > Self::DELAY_MS_MAX {
            return Err(invalid("retry_after_ms", format!("must be at most {} ms", Self::DELAY_MS_MAX)));
        }
        if self.retry_after_ms % 1_000 != 0 {
            return Err(invalid(
                "retry_after_ms",
                "Retry-After's delay-seconds is a whole number of seconds (RFC 9110, 10.2.3): write a multiple of 1000 ms",
            ));
        }
        if self.cap_ms < self.base_ms {
            return Err(invalid("cap_ms", format!("must be at least the base ({} ms)", self.base_ms)));
        }
        if self.attempts_max == 0 || self.attempts_max > 100 {
            return Err(invalid("attempts_max", "must be between 1 and 100"));
        }
        if self.budget_pct > 100 {
            return Err(invalid("budget_pct", "must be between 0 and 100"));
        }
        if self.budget_ttl_s == 0 || self.budget_ttl_s > 600 {
            return Err(invalid("budget_ttl_s", "must be between 1 and 600 s"));
        }
        if self.capacity_rps == 0 || self.capacity_rps > 1_000_000 {
            return Err(invalid("capacity_rps", "must be between 1 and 1000000 requests per second"));
        }
        if self.queue_max > 1_000_000 {
            return Err(invalid("queue_max", "must be at most 1000000"));
        }
        for (name, p) in [("error_rate", self.error_rate), ("client_error_rate", self.client_error_rate)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(invalid(name, "must be between 0 and 1"));
            }
        }
        if self.outage_to_s < self.outage_from_s {
            return Err(invalid("outage_to_s", "the outage must end after it starts"));
        }
        if self.min_retries_per_s > 100_000 {
            return Err(invalid("min_retries_per_s", "must be at most 100000 per second"));
        }
        if self.grpc_max_tokens > 1_000 || self.grpc_token_ratio_milli > 1_000 {
            return Err(invalid("grpc_max_tokens", "maxTokens at most 1000, tokenRatio at most 1 (1000 thousandths)"));
        }
        if self.adaptive_k_tenths > 100 {
            return Err(invalid("adaptive_k_tenths", "K must be at most 10 (100 tenths)"));
        }
        if self.layers > 4 || self.layer_retries > 5 {
            return Err(invalid("layers", "at most 4 layers of at most 5 retries each"));
        }
        Ok(())
    }

    /// Server calls one client attempt can cause at most: (k+1)^N.
    pub fn calls_per_attempt_max(&self) -> u64 {
        u64::from(self.layer_retries + 1).pow(self.layers)
    }

    /// The width of one chart bucket, in microseconds.
    pub fn bucket_us(&self) -> u64 {
        (u64::from(self.duration_s) * 1_000_000 / BUCKETS as u64).max(1)
    }
}
