//! The schedule-by-schedule enumerator: every valid complete schedule, one
//! depth-first walk each, with no merging. Kept as the oracle the state
//! explorer is tested against, and for callers that need each schedule
//! itself (`race check --pg` compares the server's schedules with these).

use super::super::engine::State;
use super::super::*;
use crate::error::SimError;

/// Most schedules one enumeration may list.
pub const EXPLORE_SCHEDULES_MAX: usize = 50_000;

/// Every valid complete schedule (1-based actor numbers) in depth-first order
/// (the lowest-numbered actor first), with its outcome; an error past
/// `schedules_max` schedules.
pub fn enumerate_schedules(s: &Scenario, schedules_max: usize) -> Result<Vec<(Vec<u8>, RaceOutcome)>, SimError> {
    let root = State::new(s, false)?;
    let mut out = Vec::new();
    dfs(s, root, &mut Vec::new(), &mut out, schedules_max)?;
    Ok(out)
}

fn dfs(
    s: &Scenario,
    st: State,
    path: &mut Vec<u8>,
    out: &mut Vec<(Vec<u8>, RaceOutcome)>,
    max: usize,
) -> Result<(), SimError> {
    if st.all_done() {
        if out.len() >= max {
            return Err(SimError::InvalidParameter {
                name: "schedules_max",
                reason: format!("the scenario has more than {max} schedules; the enumerator stops there"),
            });
        }
        out.push((path.clone(), st.outcome()));
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
            st.take().ok_or(SimError::Internal("enumerator state taken twice"))?
        } else {
            st.clone().ok_or(SimError::Internal("enumerator state missing"))?
        };
        next.step(s, a)?;
        path.push(a + 1);
        dfs(s, next, path, out, max)?;
        path.pop();
    }
    Ok(())
}
