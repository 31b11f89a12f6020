//! What jitter changes in a fleet: the load that reaches the server once an
//! outage ends, and how long the overload lasts. Read from a run's buckets
//! (half a second each at the default 60 s), so it costs nothing extra.

use super::fleet::{FleetRun, BUCKETS};
use serde::{Deserialize, Serialize};

/// The fleet after its outage ends (after the start of the run when there is none).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recovery {
    /// The first bucket that starts at or after the outage's end.
    pub from_bucket: usize,
    /// The highest offered load in one bucket after the outage: every call
    /// the server received (first tries, retries, layer calls), per second.
    pub peak_rps: f64,
    /// `peak_rps` against the server's capacity (1.0: exactly full).
    pub peak_ratio: f64,
    /// Calls answered 503 after the outage (a full queue).
    pub rejected_after: u64,
    /// From the outage's end to the end of the last bucket with a 503, in ms
    /// (0 when the queue never overflowed after the outage).
    pub overload_ms: f64,
    /// Whether the last bucket of the run was free of 503s.
    pub recovered: bool,
}

impl FleetRun {
    /// The fleet after its outage.
    pub fn recovery(&self) -> Recovery {
        let b = &self.buckets;
        let bucket_us = b.bucket_us.max(1);
        let end_us = u64::from(self.params.outage_to_s) * 1_000_000;
        let from_bucket = (end_us.div_ceil(bucket_us) as usize).min(BUCKETS);
        let bucket_s = bucket_us as f64 / 1e6;
        let load = |i: usize| f64::from(b.first_tries[i] + b.retries[i] + b.layer_calls[i]) / bucket_s;
        let peak_rps = (from_bucket..BUCKETS).map(load).fold(0.0, f64::max);
        let rejected_after = (from_bucket..BUCKETS).map(|i| u64::from(b.rejected[i])).sum();
        let last = (from_bucket..BUCKETS).rev().find(|&i| b.rejected[i] > 0);
        let overload_ms = last.map_or(0.0, |i| ((i as u64 + 1) * bucket_us).saturating_sub(end_us) as f64 / 1_000.0);
        Recovery {
            from_bucket,
            peak_rps,
            peak_ratio: peak_rps / f64::from(self.params.capacity_rps.max(1)),
            rejected_after,
            overload_ms,
            recovered: last != Some(BUCKETS - 1),
        }
    }
}
