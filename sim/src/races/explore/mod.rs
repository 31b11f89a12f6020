//! The explorer: every valid schedule of a scenario, grouped by outcome.
//!
//! Schedules are not walked one by one: the explorer walks the graph of
//! engine states (`graph.rs`), where two schedules that reach the same state
//! share everything after it, and counts the complete schedules through
//! each state exactly. A handler of three lanes has up to 10^28 schedules but
//! some thousands of states.

mod enumerate;
mod graph;
mod handlers;
mod key;
#[cfg(test)]
mod tests;

pub use enumerate::{enumerate_schedules, EXPLORE_SCHEDULES_MAX};
pub use handlers::{SIXTEEN_READS, TWO_EIGHT_STATEMENT_TRANSACTIONS};

use super::*;
use crate::error::SimError;
use graph::Graph;

/// Most distinct engine states one exploration may visit.
pub const EXPLORE_STATES_MAX: usize = 400_000;
/// Most schedules an exploration lists one by one ([`Exploration::schedules`]).
pub const SCHEDULES_LISTED_MAX: usize = 1_000;

/// Schedules that end the same way.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutcomeClass {
    /// The outcome in one line.
    pub label: String,
    /// How they end.
    pub outcome: RaceOutcome,
    /// How many schedules end this way.
    pub count: u128,
    /// A shortest such schedule (the first in actor order among the
    /// shortest), 1-based actor numbers.
    pub example: Vec<u8>,
}

/// Every schedule of a scenario, grouped by outcome.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Exploration {
    /// The scenario's id.
    pub scenario: &'static str,
    /// How many complete schedules there are.
    pub total: u128,
    /// How many charge twice or more.
    pub double_charges: u128,
    /// The outcome classes, most frequent first (ties: first found first).
    pub classes: Vec<OutcomeClass>,
    /// The first schedules in order found (lowest-numbered actor first), at
    /// most [`SCHEDULES_LISTED_MAX`], with their class index: every schedule
    /// when `total` is no more than that.
    pub schedules: Vec<(Vec<u8>, u16)>,
    /// The first schedule found that charges twice, if any.
    pub first_counterexample: Option<Vec<u8>>,
    /// How many distinct engine states the schedules pass through.
    pub states: u32,
}

/// Explores every valid complete schedule, visiting at most `states_max`
/// distinct engine states; more is an error, as is a deadlock the model does
/// not resolve or a schedule longer than [`STEPS_MAX`].
pub fn explore(s: &Scenario, states_max: usize) -> Result<Exploration, SimError> {
    let g = Graph::explore(s, states_max)?;
    let root = g.node_ends(0);
    let mut classes: Vec<OutcomeClass> = root
        .iter()
        .map(|e| {
            let (label, outcome) = g.classes[e.class as usize].clone();
            OutcomeClass { label, outcome, count: e.count, example: shortest(&g, e.class) }
        })
        .collect();
    // `root` is sorted by class, and classes are numbered in the order found.
    let total = root.iter().map(|e| e.count).sum();
    let double_charges = classes.iter().filter(|c| c.outcome.double_charge()).map(|c| c.count).sum();
    // Most frequent first; the order found breaks ties so the result is stable.
    let mut order: Vec<usize> = (0..classes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(classes[i].count));
    let mut remap = vec![0u16; g.classes.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[root[old].class as usize] = new as u16;
    }
    classes = order.iter().map(|&i| classes[i].clone()).collect();
    let schedules = listed(&g, SCHEDULES_LISTED_MAX).into_iter().map(|(p, c)| (p, remap[c as usize])).collect();
    Ok(Exploration {
        scenario: s.id,
        total,
        double_charges,
        classes,
        schedules,
        first_counterexample: first_double_charge(&g),
        states: g.nodes.len() as u32,
    })
}

/// The shortest schedule ending in `class` that comes first in actor order.
fn shortest(g: &Graph, class: u16) -> Vec<u8> {
    let mut path = Vec::new();
    let mut n = 0u32;
    for _ in 0..=STEPS_MAX {
        let Some(e) = g.node_ends(n).iter().find(|e| e.class == class) else { break };
        let Some(&(a, m)) = g.node_edges(n).iter().find(|(a, _)| *a == e.first) else { break };
        path.push(a + 1);
        n = m;
    }
    debug_assert!(g.node_edges(n).is_empty(), "the example is a complete schedule");
    path
}

/// The first schedule in actor order that charges twice: at each state, the
/// lowest-numbered actor from whose step some schedule charges twice.
fn first_double_charge(g: &Graph) -> Option<Vec<u8>> {
    let charges_twice = |n: u32| g.node_ends(n).iter().any(|e| g.classes[e.class as usize].1.double_charge());
    if !charges_twice(0) {
        return None;
    }
    let mut path = Vec::new();
    let mut n = 0u32;
    for _ in 0..=STEPS_MAX {
        let Some(&(a, m)) = g.node_edges(n).iter().find(|(_, m)| charges_twice(*m)) else { break };
        path.push(a + 1);
        n = m;
    }
    Some(path)
}

/// The first `max` complete schedules in actor order, with their class (in order found).
fn listed(g: &Graph, max: usize) -> Vec<(Vec<u8>, u16)> {
    let mut out = Vec::new();
    // Each frame: a node and the index of its next edge to take.
    let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
    let mut path: Vec<u8> = Vec::new();
    while let Some(&mut (n, ref mut next)) = stack.last_mut() {
        let edges = g.node_edges(n);
        if edges.is_empty() {
            if let Some(e) = g.node_ends(n).first() {
                out.push((path.clone(), e.class));
            }
            if out.len() >= max {
                break;
            }
        }
        match edges.get(*next) {
            Some(&(a, m)) => {
                *next += 1;
                path.push(a + 1);
                stack.push((m, 0));
            }
            None => {
                stack.pop();
                path.pop();
            }
        }
    }
    out
}
