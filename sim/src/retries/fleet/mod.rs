//! A steady fleet of clients against one server with a finite capacity.
//!
//! - Clients: `clients` of them, each sending logical requests as a Poisson
//!   stream, `rate_rps` in total (open loop: a client does not wait for its
//!   last request before the next one, as a fleet of users does not).
//! - Retry policy: retry only what the retry table allows (`backoff::
//!   RETRY_TABLE`: 408, 429, 500, 502, 503, 504; timeouts only when the
//!   request is idempotent or keyed, or its client retries them anyway);
//!   wait what the strategy says, stretched to Retry-After when the client
//!   honours it; at most `attempts_max` attempts per request; and optionally
//!   a retry budget, gRPC retry throttling or adaptive throttling.
//! - The budget is Finagle's RetryBudget (`budget.rs`), one per client as
//!   libraries keep it, or one shared by the fleet as a labelled choice.
//! - Requests: a 200 is the request's work done (a charge, an order). A
//!   request the server serves with 200 twice, because its client timed out
//!   and retried, is done twice without a key (`duplicates`) and answered
//!   from its key with one (`replayed`). A 500, 503 or 400 does no work.
//! - Server: a FIFO queue served at `capacity_rps`; when `queue_max` requests
//!   already wait, it answers 503 at once, with Retry-After when configured.
//!   A share of served requests fails with 500 (`error_rate`) or 400
//!   (`client_error_rate`). From `outage_from_s` to `outage_to_s` the front
//!   door answers every new request with 503 and no Retry-After (it cannot
//!   know when the server will be back); queued requests are still served.
//! - Layers: optionally `layers` services sit between the client and the
//!   server, each retrying a retryable failure from below `layer_retries`
//!   times at once, with no backoff. One client attempt can then become
//!   (k+1)^N server calls, and the client's attempts multiply on top. The
//!   SRE book's 4^3 = 64 counts the client as one of its three layers: 4
//!   attempts with 2 layers of k = 3, or 1 attempt with 3 layers.
//! - Timeouts: a client stops waiting after `timeout_ms` and treats the
//!   attempt as failed; the server still does the work, which is counted as
//!   wasted. This is what lets an overload sustain itself.
//!
//! Metrics are aggregated per time bucket while the run goes; the trace keeps
//! only its first records, so a minute of a thousand clients stays small.

mod budget;
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
pub use params::{BudgetScope, FleetParams, RequestKind, BUCKETS, DELAY_BINS, TRACE_LEN_MAX};
