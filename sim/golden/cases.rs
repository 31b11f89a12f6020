//! The golden runs: fixed (engine, seed, parameters) runs whose trace hashes
//! are kept in `hashes.txt` beside this file. A test fixture, not part of the
//! core: `sim/tests/golden.rs` (native), `tests/web.rs` (wasm32 in the
//! browser) and `idemlab golden` include it with `#[path]`, so both targets
//! run exactly these cases and compare them with one file.

#![allow(dead_code, reason = "each includer (native tests, wasm tests, the CLI) uses a different part")]

use idemlab_sim::backoff::Strategy;
use idemlab_sim::golden::GoldenCase;
use idemlab_sim::lab::Lab;
use idemlab_sim::{keys, outbox, races, retries};

/// The seeds every engine is checked with.
pub const GOLDEN_SEEDS: [u64; 4] = [1, 2, 42, 0xDEAD_BEEF];

/// Computes every golden case.
pub fn cases() -> Vec<GoldenCase> {
    let mut out = Vec::new();
    for seed in GOLDEN_SEEDS {
        for dedup in [false, true] {
            let p = idemlab_sim::delivery::DeliveryParams { messages: 100, dedup, seed, ..Default::default() };
            let hash = match idemlab_sim::delivery::run(&p) {
                Ok(r) => r.trace.stable_hash(),
                Err(_) => 0,
            };
            out.push(GoldenCase { name: format!("delivery/dedup={dedup}/{seed}"), hash });
        }
    }
    outbox_cases(&mut out);
    races_cases(&mut out);
    keys_cases(&mut out);
    retries_cases(&mut out);
    out
}

/// The golden runs of this engine: each mode under a mix of faults.
fn outbox_cases(out: &mut Vec<GoldenCase>) {
    for seed in GOLDEN_SEEDS {
        for &mode in outbox::Mode::ALL {
            let p = outbox::OutboxParams {
                mode,
                commands: 60,
                aggregates: 4,
                crash: 0.1,
                commit_fail: 0.05,
                broker_unavailable: 0.05,
                ack_lost: 0.05,
                relay_crash: 0.1,
                consumer_crash: 0.1,
                broker_duplicate: 0.05,
                seed,
                ..Default::default()
            };
            let hash = match outbox::run(&p) {
                Ok(r) => r.trace.stable_hash(),
                Err(_) => 0,
            };
            out.push(GoldenCase { name: format!("outbox/mode={}/{seed}", mode.number()), hash });
        }
    }
}

/// Golden cases: each scenario's first schedule, its first counterexample if any, and its exploration.
fn races_cases(out: &mut Vec<GoldenCase>) {
    for id in races::SCENARIO_IDS {
        let Some(s) = races::scenario(id) else { continue };
        let hash = match races::explore(&s, races::EXPLORE_STATES_MAX) {
            Ok(x) => {
                let mut h = idemlab_sim::trace::StableHasher::default();
                use std::hash::{Hash, Hasher};
                x.total.hash(&mut h);
                for c in &x.classes {
                    c.label.hash(&mut h);
                    c.count.hash(&mut h);
                    c.example.hash(&mut h);
                }
                if let Some(ce) = &x.first_counterexample {
                    if let Ok(r) = races::run(&s, ce) {
                        r.trace.hash(&mut h);
                    }
                }
                h.finish()
            }
            Err(_) => 0,
        };
        out.push(GoldenCase { name: format!("races/{id}/explore"), hash });
    }
}

/// Golden cases: every preset at every golden seed, 40 operations each.
fn keys_cases(out: &mut Vec<GoldenCase>) {
    for preset in keys::PRESETS.iter() {
        for seed in GOLDEN_SEEDS {
            let p = keys::KeysParams { ops: 40, seed, ..keys::KeysLab::preset_params(preset) };
            let hash = keys::run(&p).map(|r| r.trace.stable_hash()).unwrap_or(0);
            out.push(GoldenCase { name: format!("keys/{}/{seed}", preset.slug), hash });
        }
    }
}

/// The Retries lab's golden runs: the study workload under two strategies
/// and the fleet with and without retrying layers, at every golden seed.
fn retries_cases(out: &mut Vec<GoldenCase>) {
    for seed in GOLDEN_SEEDS {
        for strategy in [Strategy::Exponential, Strategy::FullJitter] {
            let p = retries::occ::OccParams { clients: 40, runs: 3, strategy, seed, ..Default::default() };
            let hash = retries::occ::run(&p).map_or(0, |r| idemlab_sim::trace::stable_hash(&r));
            out.push(GoldenCase { name: format!("retries/occ-{}/{seed}", strategy.slug()), hash });
        }
        for layers in [0, 2] {
            let p =
                retries::fleet::FleetParams { duration_s: 30, layers, layer_retries: 2, seed, ..Default::default() };
            let hash = retries::fleet::run(&p).map_or(0, |r| r.stable_hash());
            out.push(GoldenCase { name: format!("retries/fleet-layers{layers}/{seed}"), hash });
        }
    }
}
