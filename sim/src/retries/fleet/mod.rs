//! A steady fleet of clients against one server with a finite capacity.
//!
//! - Clients: `clients` of them, each sending logical requests as a Poisson
//!   stream, `rate_rps` in total (open loop: a client does not wait for its
//!   last request before the next one, as a fleet of users does not).
//! - Retry policy: retry only what is retryable (network errors, timeouts,
//!   5xx and 429, never other 4xx); wait what the strategy says, stretched to
//!   Retry-After when the client honours it; at most `attempts_max` attempts
//!   per request; and optionally a fleet retry budget.
//! - The budget is a token bucket in the style of Finagle's RetryBudget:
//!   every first try deposits `budget_pct` % of a token, every retry spends a
//!   whole token, and a retry without a whole token is refused (and counted).
//!   So retries stay under `budget_pct` % of requests, after an initial burst
//!   of `budget_burst` tokens.
//! - Server: a FIFO queue served at `capacity_rps`; when `queue_max` requests
//!   already wait, it answers 503 at once, with Retry-After when configured.
//!   A share of served requests fails with 500 (`error_rate`) or 400
//!   (`client_error_rate`). From `outage_from_s` to `outage_to_s` the front
//!   door answers every new request with 503 and no Retry-After (it cannot
//!   know when the server will be back); queued requests are still served.
//! - Layers: optionally `layers` services sit between the client and the
//!   server, each retrying a retryable failure from below `layer_retries`
//!   times at once, with no backoff. One client attempt can then become
//!   (k+1)^N server calls: the SRE book's 4^3 = 64 with k = 3 and N = 3.
//! - Timeouts: a client stops waiting after `timeout_ms` and treats the
//!   attempt as failed; the server still does the work, which is counted as
//!   wasted. This is what lets an overload sustain itself.
//!
//! Metrics are aggregated per time bucket while the run goes; the trace keeps
//! only its first records, so a minute of a thousand clients stays small.

mod engine;
mod latency;
mod model;
mod outcome;
mod params;
#[cfg(test)]
mod tests;
mod throttle;

pub use engine::run;
pub use model::{FleetBuckets, FleetDrawn, FleetRecord, FleetRun, FleetTotals, GiveUp};
pub use params::{FleetParams, BUCKETS, DELAY_BINS, TRACE_LEN_MAX};
