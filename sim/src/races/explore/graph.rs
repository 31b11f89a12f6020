//! The graph of engine states, explored depth first with a visited map: a
//! state reached again by another schedule is not explored again, since its
//! futures are the same (`State::hash_future`). Each state keeps, per outcome
//! class, how many complete schedules lead from it to that class (summed over
//! its successors, so the counts are exact) and the first step of a shortest
//! one.

use super::super::engine::{Names, State};
use super::super::*;
use super::key::{FastBuild, KeyWriter};
use crate::error::SimError;
use std::collections::HashMap;

/// No successor recorded (a complete state).
const NO_ACTOR: u8 = u8::MAX;

/// What the complete schedules from one state end as, for one class.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ends {
    /// The outcome class's index in order found.
    pub(super) class: u16,
    /// How many complete schedules from the state end in this class.
    pub(super) count: u128,
    /// The fewest steps from the state to this class.
    pub(super) shortest: u8,
    /// The lowest-numbered actor whose step starts such a shortest schedule.
    pub(super) first: u8,
}

pub(super) struct Node {
    /// The most steps left to a complete schedule (for the step limit).
    pub(super) height: u8,
    /// Whether the node's successors are still being explored.
    open: bool,
    /// Its `Ends`, sorted by class: a range of `Graph::ends`.
    pub(super) ends: (u32, u32),
    /// Its successors, by actor in increasing order: a range of `Graph::edges`.
    pub(super) edges: (u32, u32),
}

/// A state's successors: (actor stepping, the state reached), by actor.
struct Succ {
    edges: [(Actor, u32); ACTORS_MAX],
    len: usize,
}

/// The explored graph.
pub(super) struct Graph {
    pub(super) nodes: Vec<Node>,
    pub(super) ends: Vec<Ends>,
    /// (actor stepping, the state reached).
    pub(super) edges: Vec<(Actor, u32)>,
    /// The outcome classes in the order found: label, outcome.
    pub(super) classes: Vec<(String, RaceOutcome)>,
    class_of: HashMap<String, u16>,
    visited: HashMap<Box<[u8]>, u32, FastBuild>,
    /// The key being built, and the names it uses (buffers reused).
    key: KeyWriter,
    names: Names,
    /// The sums `close` builds (a buffer reused).
    sum: Vec<Ends>,
    states_max: usize,
}

impl Graph {
    /// Explores every state reachable from the start of `s`, at most `states_max` of them.
    pub(super) fn explore(s: &Scenario, states_max: usize) -> Result<Graph, SimError> {
        let mut g = Graph {
            nodes: Vec::new(),
            ends: Vec::new(),
            edges: Vec::new(),
            classes: Vec::new(),
            class_of: HashMap::new(),
            visited: HashMap::with_hasher(FastBuild),
            key: KeyWriter::default(),
            names: Names::default(),
            sum: Vec::new(),
            states_max,
        };
        let root = g.visit(s, State::new(s, false)?, 0)?;
        debug_assert_eq!(root, 0, "the start is the first state found");
        g.visited = HashMap::with_hasher(FastBuild);
        Ok(g)
    }

    pub(super) fn node_ends(&self, n: u32) -> &[Ends] {
        let (a, b) = self.nodes[n as usize].ends;
        &self.ends[a as usize..b as usize]
    }

    pub(super) fn node_edges(&self, n: u32) -> &[(Actor, u32)] {
        let (a, b) = self.nodes[n as usize].edges;
        &self.edges[a as usize..b as usize]
    }

    /// The state's node, exploring it first if it is new; `depth` is the
    /// number of steps taken to reach it.
    fn visit(&mut self, s: &Scenario, st: State, depth: usize) -> Result<u32, SimError> {
        self.key.bytes.clear();
        st.hash_future(s, &mut self.names, &mut self.key);
        if let Some(&n) = self.visited.get(self.key.bytes.as_slice()) {
            let node = &self.nodes[n as usize];
            // Reaching an open state again is a loop of steps: schedules
            // without end, which the step limit refuses as the engine would.
            if node.open || depth + node.height as usize > STEPS_MAX {
                return Err(SimError::EventBudgetExceeded { events_max: STEPS_MAX as u64 });
            }
            return Ok(n);
        }
        if self.nodes.len() >= self.states_max {
            return Err(SimError::InvalidParameter {
                name: "states_max",
                reason: format!(
                    "the handler's schedules reach more than {} distinct states; the explorer stops there",
                    self.states_max
                ),
            });
        }
        let n = self.nodes.len() as u32;
        self.nodes.push(Node { height: 0, open: true, ends: (0, 0), edges: (0, 0) });
        self.visited.insert(self.key.bytes.as_slice().into(), n);
        if st.all_done() {
            let class = self.class(st.outcome())?;
            let at = self.ends.len() as u32;
            self.ends.push(Ends { class, count: 1, shortest: 0, first: NO_ACTOR });
            let node = &mut self.nodes[n as usize];
            (node.open, node.ends) = (false, (at, at + 1));
            return Ok(n);
        }
        let succ = self.successors(s, st, depth)?;
        self.close(n, &succ.edges[..succ.len])?;
        Ok(n)
    }

    /// Explores each actor's step from `st`, in increasing actor order.
    fn successors(&mut self, s: &Scenario, st: State, depth: usize) -> Result<Succ, SimError> {
        let mut runnable = [0 as Actor; ACTORS_MAX];
        let mut count = 0;
        for a in st.runnable() {
            *runnable.get_mut(count).ok_or(SimError::Internal("more actors than ACTORS_MAX"))? = a;
            count += 1;
        }
        if count == 0 {
            return Err(SimError::Internal(
                "every unfinished transaction is waiting: a deadlock the model does not resolve",
            ));
        }
        let last = count - 1;
        let mut st = Some(st);
        let mut succ = Succ { edges: [(0, 0); ACTORS_MAX], len: 0 };
        for (i, &a) in runnable[..count].iter().enumerate() {
            // The last branch takes the state itself instead of a copy.
            let mut next = if i == last {
                st.take().ok_or(SimError::Internal("explorer state taken twice"))?
            } else {
                st.clone().ok_or(SimError::Internal("explorer state missing"))?
            };
            next.step(s, a)?;
            succ.edges[i] = (a, self.visit(s, next, depth + 1)?);
            succ.len = i + 1;
        }
        Ok(succ)
    }

    /// Sums the successors' ends into node `n`'s: counts add up; per class,
    /// the shortest schedule's first step is the lowest actor reaching the
    /// fewest steps (so, replayed, it is the shortest schedule that comes
    /// first in actor order).
    fn close(&mut self, n: u32, succ: &[(Actor, u32)]) -> Result<(), SimError> {
        let mut sum = std::mem::take(&mut self.sum);
        sum.clear();
        let mut height = 0u8;
        for &(a, m) in succ {
            height = height.max(self.nodes[m as usize].height.saturating_add(1));
            for e in self.node_ends(m) {
                let shortest = e.shortest.saturating_add(1);
                match sum.binary_search_by_key(&e.class, |x| x.class) {
                    Ok(i) => {
                        let x = &mut sum[i];
                        x.count = x.count.checked_add(e.count).ok_or(SimError::InvalidParameter {
                            name: "handler",
                            reason: "the handler has more schedules than the explorer can count (2^128)".into(),
                        })?;
                        if shortest < x.shortest {
                            (x.shortest, x.first) = (shortest, a);
                        }
                    }
                    Err(i) => sum.insert(i, Ends { class: e.class, count: e.count, shortest, first: a }),
                }
            }
        }
        let ends_at = self.ends.len() as u32;
        self.ends.extend_from_slice(&sum);
        self.sum = sum;
        let edges_at = self.edges.len() as u32;
        self.edges.extend_from_slice(succ);
        let node = &mut self.nodes[n as usize];
        node.height = height;
        node.open = false;
        node.ends = (ends_at, self.ends.len() as u32);
        node.edges = (edges_at, self.edges.len() as u32);
        Ok(())
    }

    /// The index of the outcome's class, adding it when it is new.
    fn class(&mut self, outcome: RaceOutcome) -> Result<u16, SimError> {
        let label = outcome.class_label();
        if let Some(&c) = self.class_of.get(&label) {
            return Ok(c);
        }
        let c = u16::try_from(self.classes.len())
            .map_err(|_| SimError::Internal("more outcome classes than the explorer numbers"))?;
        self.class_of.insert(label.clone(), c);
        self.classes.push((label, outcome));
        Ok(c)
    }
}
