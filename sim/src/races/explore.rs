//! The explorer: every valid schedule of a scenario, grouped by outcome.

use super::engine::State;
use super::*;
use crate::error::SimError;

/// Most schedules one exploration may visit.
pub const EXPLORE_SCHEDULES_MAX: usize = 50_000;

/// Schedules that end the same way.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OutcomeClass {
    /// The outcome in one line.
    pub label: String,
    /// How they end.
    pub outcome: RaceOutcome,
    /// How many schedules end this way.
    pub count: u32,
    /// The first such schedule, 1-based actor numbers.
    pub example: Vec<u8>,
}

/// Every schedule of a scenario, grouped by outcome.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Exploration {
    /// The scenario's id.
    pub scenario: &'static str,
    /// How many complete schedules there are.
    pub total: u32,
    /// How many charge twice or more.
    pub double_charges: u32,
    /// The outcome classes, most frequent first (ties: first found first).
    pub classes: Vec<OutcomeClass>,
    /// Every schedule in the order found, with its class index.
    pub schedules: Vec<(Vec<u8>, u16)>,
    /// The first schedule found that charges twice, if any.
    pub first_counterexample: Option<Vec<u8>>,
}

/// Enumerates every valid complete schedule by depth-first search, at most
/// `schedules_max` of them.
pub fn explore(s: &Scenario, schedules_max: usize) -> Result<Exploration, SimError> {
    let root = State::new(s, false)?;
    let mut x = Exploration {
        scenario: s.id,
        total: 0,
        double_charges: 0,
        classes: Vec::new(),
        schedules: Vec::new(),
        first_counterexample: None,
    };
    let mut path = Vec::new();
    dfs(s, root, &mut path, &mut x, schedules_max)?;
    // Most frequent first; the order found breaks ties so the result is stable.
    let mut order: Vec<usize> = (0..x.classes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(x.classes[i].count));
    let mut remap = vec![0u16; order.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new as u16;
    }
    x.classes = order.iter().map(|&i| x.classes[i].clone()).collect();
    for (_, c) in &mut x.schedules {
        *c = remap[*c as usize];
    }
    Ok(x)
}

fn dfs(s: &Scenario, st: State, path: &mut Vec<u8>, x: &mut Exploration, max: usize) -> Result<(), SimError> {
    if st.all_done() {
        if x.schedules.len() >= max {
            return Err(SimError::InvalidParameter {
                name: "schedules_max",
                reason: format!("the scenario has more than {max} schedules; the explorer stops there"),
            });
        }
        let outcome = st.outcome();
        let label = outcome.class_label();
        let class = match x.classes.iter().position(|c| c.label == label) {
            Some(i) => i,
            None => {
                x.classes.push(OutcomeClass { label, outcome: outcome.clone(), count: 0, example: path.clone() });
                x.classes.len() - 1
            }
        };
        x.classes[class].count += 1;
        x.total += 1;
        if outcome.double_charge() {
            x.double_charges += 1;
            if x.first_counterexample.is_none() {
                x.first_counterexample = Some(path.clone());
            }
        }
        x.schedules.push((path.clone(), class as u16));
        return Ok(());
    }
    let runnable: Vec<Actor> = st.runnable().collect();
    if runnable.is_empty() {
        return Err(SimError::Internal(
            "every unfinished transaction is waiting: a deadlock the model does not resolve",
        ));
    }
    let last = runnable.len() - 1;
    let mut st = Some(st);
    for (i, a) in runnable.into_iter().enumerate() {
        // The last branch takes the state itself instead of a copy.
        let mut next = if i == last {
            st.take().ok_or(SimError::Internal("explorer state taken twice"))?
        } else {
            st.clone().ok_or(SimError::Internal("explorer state missing"))?
        };
        next.step(s, a)?;
        path.push(a + 1);
        dfs(s, next, path, x, max)?;
        path.pop();
    }
    Ok(())
}
