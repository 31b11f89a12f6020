//! The compare view's figures: for each strategy, what the view's table,
//! charts, sentence and counters read from its fleet run, and nothing more.
//! The browser runs the six fleets in its Web Worker and sends back these
//! figures, a few kilobytes, instead of the runs with their traces; the page
//! computes the counters from them with the function the core uses for whole
//! runs ([`super::lab::compare_counters`]), so they are the same counters.

use super::fleet::{FleetRun, FleetTotals};
use super::params::COMPARE;
use super::recovery::Recovery;
use crate::backoff::Strategy;
use serde::{Deserialize, Serialize};

/// One strategy of the compare view, read from its fleet run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyFigures {
    /// The strategy.
    pub strategy: Strategy,
    /// Simulated seconds (the charts' time axis).
    pub duration_s: u32,
    /// Width of a bucket, in microseconds.
    pub bucket_us: u64,
    /// Calls that reached the server per bucket: first tries, client
    /// retries and layer calls (the offered load the charts draw).
    pub offered: Vec<u32>,
    /// Logical requests that succeeded per bucket.
    pub successes: Vec<u32>,
    /// The whole-run counters.
    pub totals: FleetTotals,
    /// The fleet after its outage.
    pub recovery: Recovery,
}

impl FleetRun {
    /// The compare view's figures of this run.
    pub fn figures(&self) -> StrategyFigures {
        let b = &self.buckets;
        StrategyFigures {
            strategy: self.params.strategy,
            duration_s: self.params.duration_s,
            bucket_us: b.bucket_us,
            offered: (0..b.first_tries.len()).map(|i| b.first_tries[i] + b.retries[i] + b.layer_calls[i]).collect(),
            successes: b.successes.clone(),
            totals: self.totals.clone(),
            recovery: self.recovery(),
        }
    }
}

/// Whether `figures` are a whole comparison: one per strategy of
/// [`COMPARE`], in that order (what the counters and the sentence read).
pub fn is_whole(figures: &[StrategyFigures]) -> bool {
    figures.len() == COMPARE.len() && figures.iter().zip(COMPARE).all(|(f, s)| f.strategy == s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retries::fleet::FleetParams;
    use crate::retries::lab::{compare_counters, compare_counters_of, run_compare};

    #[test]
    fn the_counters_from_the_figures_are_the_counters_of_the_runs() {
        let p = FleetParams { duration_s: 30, outage_from_s: 10, outage_to_s: 14, seed: 5, ..FleetParams::default() };
        let runs = run_compare(&p).unwrap();
        let figures: Vec<StrategyFigures> = runs.iter().map(FleetRun::figures).collect();
        assert!(is_whole(&figures));
        assert_eq!(compare_counters_of(&figures), compare_counters(&runs));
        assert!(!is_whole(&figures[..5]));
        let mut swapped = figures.clone();
        swapped.swap(2, 3);
        assert!(!is_whole(&swapped), "out of order is not whole");
    }

    #[test]
    fn the_offered_load_counts_first_tries_retries_and_layer_calls() {
        let p = FleetParams { layers: 2, layer_retries: 1, duration_s: 20, seed: 3, ..FleetParams::default() };
        let run = crate::retries::fleet::run(&p).unwrap();
        let f = run.figures();
        let offered: u64 = f.offered.iter().map(|&c| u64::from(c)).sum();
        assert!(run.totals.layer_calls > 0, "the layers retried");
        assert_eq!(offered, run.totals.first_tries + run.totals.retries + run.totals.layer_calls);
        assert_eq!(f.recovery, run.recovery());
    }
}
