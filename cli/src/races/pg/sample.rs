//! Handlers with more schedules than one check replays (issue 25, item 3):
//! a seeded sample of schedules chosen to cover the engine's transitions.
//!
//! A transition is a step taken from an engine state: the lane that steps,
//! and the state before it, told apart by the rows, locks and waits, the
//! advisory lock, the ledger, the answers so far and each lane's own results
//! so far (which fix where its handler is). The engine's schedules (or, past
//! the explorer's bound, seeded random walks) are shuffled by the seed and
//! taken while each adds a transition no earlier pick covered, up to the cap;
//! room left is filled with the rest, in the shuffled order.
//!
//! This state is mostly finer than the engine's own (two histories that leave
//! a lane at the same place count as two states), which makes the fraction
//! covered err low; it leaves out when a SERIALIZABLE transaction took its
//! snapshot, which can merge two states and make it err high. Past the explorer's bound the transitions
//! known are those of the walks, not of the whole graph (the report says so:
//! `all_transitions_known` is false).

use idemlab_sim::races::{self, Scenario};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// The seed of the sample when none is given: the same handler samples the same schedules.
pub const SEED: u64 = 0x1d3a_0b5e;

/// A small deterministic generator (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The transitions one schedule takes, as hashes.
pub fn transitions(s: &Scenario, schedule: &[u8]) -> Vec<u64> {
    let Ok(run) = races::run(s, schedule) else { return Vec::new() };
    let mut histories: Vec<Vec<String>> = vec![Vec::new(); s.programs.len()];
    let mut out = Vec::with_capacity(run.frames.len());
    let mut shared = String::new();
    for f in &run.frames {
        let mut h = DefaultHasher::new();
        (&shared, &histories, f.actor).hash(&mut h);
        out.push(h.finish());
        for r in &f.records {
            if let Some(x) = histories.get_mut(r.actor() as usize) {
                x.push(format!("{r:?}"));
            }
        }
        shared = format!("{:?}{:?}{:?}{}{:?}", f.rows, f.waits, f.advisory_holder, f.charges, f.responses);
    }
    out
}

/// A seeded random walk: at each step a lane the engine lets step, chosen by `rng`.
fn walk(s: &Scenario, rng: &mut Rng) -> Option<Vec<u8>> {
    let mut path = Vec::new();
    for _ in 0..races::STEPS_MAX {
        let runnable = races::runnable_after(s, &path).ok()?;
        if runnable.is_empty() {
            return Some(path);
        }
        path.push(runnable[rng.below(runnable.len())]);
    }
    None
}

/// What the sample is: the schedules, and the transitions they cover of those known.
pub struct Sample {
    pub schedules: Vec<Vec<u8>>,
    /// Transitions the picked schedules take.
    pub covered: usize,
    /// Transitions of every schedule considered (the engine's, or the walks').
    pub known: usize,
    /// Whether `known` is every transition of the handler (the engine enumerated every schedule).
    pub complete: bool,
}

/// Picks at most `max` schedules covering as many transitions as it can.
pub fn pick(s: &Scenario, engine: Option<&[Vec<u8>]>, max: usize, seed: u64) -> Sample {
    let mut rng = Rng(seed);
    let candidates: Vec<Vec<u8>> = match engine {
        Some(all) => {
            let mut v = all.to_vec();
            for i in (1..v.len()).rev() {
                v.swap(i, rng.below(i + 1));
            }
            v
        }
        None => (0..max * 2).filter_map(|_| walk(s, &mut rng)).collect(),
    };
    let (mut seen, mut known) = (HashSet::new(), HashSet::new());
    let mut schedules = Vec::new();
    let mut rest = Vec::new();
    for c in candidates {
        let t = transitions(s, &c);
        known.extend(t.iter().copied());
        if schedules.len() < max && t.iter().any(|x| !seen.contains(x)) {
            seen.extend(t);
            schedules.push(c);
        } else {
            rest.push(c);
        }
    }
    // Room left: fill it with the shuffled rest, so the cap is spent on schedules.
    schedules.extend(rest.into_iter().take(max.saturating_sub(schedules.len())));
    Sample { schedules, covered: seen.len(), known: known.len(), complete: engine.is_some() }
}
