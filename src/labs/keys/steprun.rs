//! The step-through's run (one operation, two for a reused key) and its one
//! predict-first question, shared by the page and its landing step.

use super::{lost, question, resolve};
use idemlab_sim::keys::{presets, KeysParams, KeysRun};

/// The run's predict-first question: the retry after a crash, else the first
/// request the server resolves from a key it holds, else the retry after a
/// lost response.
pub fn the_question(run: &KeysRun) -> Option<crate::shell::Question> {
    question::question(run).or_else(|| resolve::question(run)).or_else(|| lost::question(run))
}

/// The step-through's run of `params`.
pub fn step_run_of(params: &KeysParams) -> Result<KeysRun, idemlab_sim::error::SimError> {
    idemlab_sim::keys::run(&KeysParams { ops: presets::step_ops(params.policy), ..params.clone() })
}
