//! The compare view's figures and where their run stands: this link's
//! strategies so far (from the worker, or the page's own run), and the last
//! whole comparison, kept by the shell's [`Keep`] to stand in, marked
//! "previous knobs", for the strategies not yet run again.

use super::RunRef;
use crate::offload::{CompareJob, Offloaded};
use crate::shell::Keep;
use idemlab_sim::retries::compare::{is_whole, StrategyFigures};
use idemlab_sim::retries::fleet::{FleetParams, FleetRun};
use idemlab_sim::retries::RetriesRun;
use std::rc::Rc;
use yew::prelude::*;

/// Where the compare view's figures stand.
#[derive(Clone, Debug, PartialEq)]
pub enum CompareState {
    /// The worker is running the fleets (or about to).
    Computing,
    /// Every strategy is in; `on_page` when this page ran them itself.
    Done {
        /// The learner asked for the fleets on this page.
        on_page: bool,
    },
    /// The worker has not answered in [`crate::offload::ANSWER_WAIT_MS`].
    NoAnswer,
    /// The worker stopped before the last strategy (a cancel).
    Stopped,
    /// The core refused the run, with its reason.
    Failed(String),
}

/// What the compare view draws now.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareFigures {
    /// This link's figures so far, in `COMPARE` order.
    pub fresh: Rc<Vec<StrategyFigures>>,
    /// The last whole comparison shown, of other knobs: it stands in, marked,
    /// for the strategies not yet in `fresh`. `None` once `fresh` is whole.
    pub previous: Option<Rc<Vec<StrategyFigures>>>,
    /// Where the run stands.
    pub state: CompareState,
}

impl CompareFigures {
    /// The whole comparison of this link's knobs, once every strategy is in.
    pub fn whole(&self) -> Option<&[StrategyFigures]> {
        is_whole(&self.fresh).then_some(&self.fresh[..])
    }
}

/// The compare view's figures: from the page's own run (after the learner
/// asked for it on this page) or from the worker's replies, with the last
/// whole comparison kept (the shell's [`Keep`]) to stand in while a newer one computes.
#[hook]
pub fn use_compare_figures(
    fleet: &FleetParams,
    run: Option<RunRef>,
    state: &Offloaded<Vec<StrategyFigures>>,
) -> CompareFigures {
    let here = use_memo(run, |r| match r.as_ref().map(|r| &*r.0) {
        Some(Ok(RetriesRun::Compare { runs })) => Some(Rc::new(runs.iter().map(FleetRun::figures).collect::<Vec<_>>())),
        Some(Ok(RetriesRun::Fleet(_) | RetriesRun::Study(_)) | Err(_)) | None => None,
    });
    let keep = use_mut_ref(Keep::<FleetParams, Rc<Vec<StrategyFigures>>>::default);
    let (fresh, state) = match (&*here, state) {
        (Some(f), _) => (f.clone(), CompareState::Done { on_page: true }),
        (None, Offloaded::Idle | Offloaded::Running { partial: None, .. }) => (Rc::default(), CompareState::Computing),
        (None, Offloaded::Running { partial: Some(f), .. }) => (f.clone(), CompareState::Computing),
        (None, Offloaded::Done(f)) => (f.clone(), CompareState::Done { on_page: false }),
        (None, Offloaded::Cancelled { partial }) => (partial.clone().unwrap_or_default(), CompareState::Stopped),
        (None, Offloaded::NoAnswer) => (Rc::default(), CompareState::NoAnswer),
        (None, Offloaded::Failed(e)) => (Rc::default(), CompareState::Failed(e.clone())),
    };
    let shown = keep_whole(&mut keep.borrow_mut(), CompareJob::new(fleet), fresh, state);
    shown
}

/// Remembers `fresh` when it is whole; otherwise lets the last whole one stand in.
pub(super) fn keep_whole(
    keep: &mut Keep<FleetParams, Rc<Vec<StrategyFigures>>>,
    job: CompareJob,
    fresh: Rc<Vec<StrategyFigures>>,
    state: CompareState,
) -> CompareFigures {
    let whole = is_whole(&fresh);
    let kept = keep.show(job.fleet(), whole.then(|| fresh.clone()));
    CompareFigures { fresh, previous: kept.filter(|_| !whole).map(|(f, _)| f), state }
}
