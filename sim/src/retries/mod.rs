//! The Retries lab's engines: the study's optimistic-concurrency workload
//! (`occ`) and a steady fleet against a server with finite capacity (`fleet`).

pub mod fleet;
pub mod normal;
pub mod occ;
pub mod queue;

use crate::backoff::Strategy;
use crate::golden::{GoldenCase, GOLDEN_SEEDS};

/// The Retries lab's golden runs: the study workload under two strategies
/// and the fleet with and without retrying layers, at every golden seed.
pub fn golden_cases(out: &mut Vec<GoldenCase>) {
    for seed in GOLDEN_SEEDS {
        for strategy in [Strategy::Exponential, Strategy::FullJitter] {
            let p = occ::OccParams { clients: 40, runs: 3, strategy, seed, ..Default::default() };
            let hash = occ::run(&p).map_or(0, |r| crate::trace::stable_hash(&r));
            out.push(GoldenCase { name: format!("retries/occ-{}/{seed}", strategy.slug()), hash });
        }
        for layers in [0, 2] {
            let p = fleet::FleetParams { duration_s: 30, layers, layer_retries: 2, seed, ..Default::default() };
            let hash = fleet::run(&p).map_or(0, |r| r.stable_hash());
            out.push(GoldenCase { name: format!("retries/fleet-layers{layers}/{seed}"), hash });
        }
    }
}
