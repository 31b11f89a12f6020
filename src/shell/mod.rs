//! The one lab shape. Every lab page calls [`use_lab`], which owns what the
//! five pages used to copy: reading the permalink (preset, knobs, seed, step,
//! warnings), the memoised run, the outcome message for an embedding page,
//! locks, and every change of state, which goes through one typed action
//! ([`LabAction`]) and one pure function ([`apply`]).
//!
//! Step semantics, chosen once for every lab: a knob change, a preset or a
//! new seed starts a new run, shown from step 0 with the whole run drawn
//! faintly ahead of the cursor; only a step action moves the cursor. The
//! evidence counters count the whole run, and say so.

mod knobs;
mod layout;
mod link;
mod locks;
mod predict;
mod predict_gate;
mod presets;
mod reveal;
mod source;
mod sources;
mod status;

pub use knobs::KnobPanel;
pub use layout::{LabLayout, PageMode, PresentSwitch, View};
pub use link::{preset_href, use_preset_hrefs, LabLink};
pub use locks::{area_locks, lock_names_markdown};
pub use predict::Predict;
pub use predict_gate::{must_ask, use_predict_gate, PredictGate, Question};
pub use presets::PresetBar;
pub use reveal::{Frame, Gate};
pub use source::{shown_of, Busy, Keep, RunResult, RunSource, Shown};
pub use sources::SourcesPanel;
pub use status::{change_words, page_title, STATUS_ID};

use crate::query::Query;
use crate::web;
use idemlab_sim::error::SimError;
use idemlab_sim::knob::{self, KnobKind, Params};
use idemlab_sim::lab::{self, Lab, Preset, Report};
use std::rc::Rc;
use yew::prelude::*;

/// What every lab receives: the permalink state and a way to change it.
#[derive(Properties, PartialEq, Clone)]
pub struct LabProps {
    /// The parsed query of the current URL.
    pub query: Query,
    /// Writes a new query into the URL (replacing the history entry).
    pub on_query: Callback<Query>,
}

/// Every change a learner, an embedding page or a timer can make to a lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabAction {
    /// Sets the knob with permalink key `key` to `value` (in the schema's `u64` form).
    SetKnob {
        /// The knob's permalink key.
        key: &'static str,
        /// The new value.
        value: u64,
    },
    /// Loads a preset by slug.
    Preset(&'static str),
    /// Draws the run again with another seed.
    NewSeed(u64),
    /// Moves the step-through cursor.
    Step(usize),
    /// Sets a key as the link writes it: a field (a schedule), a knob the
    /// page draws itself (the mode tabs; the preset stays) or one of the
    /// lab's `EXTRA_KEYS`. It starts a new run like a knob does.
    Extra {
        /// The permalink key.
        key: &'static str,
        /// Its new value, as the link writes it.
        value: String,
    },
    /// Several actions as one navigation (a new schedule, then its decisive
    /// step): refused when any of them is.
    Then(Vec<LabAction>),
}

impl LabAction {
    /// The permalink key a lock must name to freeze this action.
    pub fn lock_key(&self) -> &'static str {
        match self {
            LabAction::SetKnob { key, .. } | LabAction::Extra { key, .. } => key,
            LabAction::Preset(_) => "preset",
            LabAction::NewSeed(_) => "seed",
            LabAction::Step(_) => "step",
            // Each part is checked on its own; only `lock=all` freezes the whole.
            LabAction::Then(_) => "all",
        }
    }
}

/// The next permalink after `action`, or `None` when a lock forbids it or
/// the action names nothing the lab has. Pure, so it is tested natively.
///
/// A knob change drops the preset (the setup is now custom) and writes every
/// knob, so the link stays complete. A preset is refused when it would change
/// a locked knob. Every action but a step sends the cursor back to step 0.
pub fn apply<L: Lab>(q: &Query, action: &LabAction) -> Option<Query> {
    if q.locked(action.lock_key()) {
        return None;
    }
    let mut read_q = q.clone();
    let read = lab::read_link::<L>(&mut read_q);
    let mut next = q.clone();
    lab::upgrade_renamed_keys::<L>(&mut next);
    next.warnings.clear();
    match action {
        LabAction::SetKnob { key, value } => {
            let k = L::Params::knob(key)?;
            let (min, max) = k.kind.bounds();
            let mut p = read.params.clone();
            (k.set)(&mut p, (*value).clamp(min, max));
            knob::validate(&p).ok()?;
            lab::write_link(&mut next, None, &p);
        }
        LabAction::Preset(slug) => {
            let pr = L::preset(slug)?;
            let p = L::preset_params(pr);
            let changes_locked =
                L::Params::knobs().iter().any(|k| q.locked(k.key) && (k.get)(&p) != (k.get)(&read.params));
            if changes_locked {
                return None;
            }
            // Every knob and field is written, so what belongs to another
            // setup (a learner's handler) goes with it.
            lab::write_link(&mut next, Some(pr), &p);
        }
        LabAction::NewSeed(seed) => {
            let k = L::Params::knob("seed")?;
            let mut p = read.params.clone();
            (k.set)(&mut p, *seed);
            lab::write_link(&mut next, read.preset, &p);
        }
        LabAction::Step(step) => {
            next.set("step", step);
            return Some(next);
        }
        LabAction::Extra { key, value } => {
            if let Some(k) = L::Params::knob(key) {
                // A knob the page draws itself (a mode tab): set strictly, keeping the preset.
                let mut p = read.params.clone();
                (k.set)(&mut p, k.parse(value).ok()?);
                knob::validate(&p).ok()?;
                lab::write_link(&mut next, read.preset, &p);
            } else {
                let keeps_empty = match L::Params::field(key) {
                    Some(f) => f.keeps_empty(),
                    None if L::EXTRA_KEYS.contains(key) => false,
                    None => return None,
                };
                lab::write_link(&mut next, read.preset, &read.params);
                if value.is_empty() && !keeps_empty {
                    next.remove(key);
                } else {
                    next.set(key, value);
                }
            }
        }
        LabAction::Then(actions) => {
            return actions.iter().try_fold(q.clone(), |q, a| apply::<L>(&q, a));
        }
    }
    next.set("step", 0);
    Some(next)
}

/// Every lock name a lab understands: its knobs, its extra keys, the
/// preset and the step (README lists them from here).
pub fn lock_names<L: Lab>() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = L::Params::knobs().iter().map(|k| k.key).collect();
    out.extend(L::Params::fields().iter().map(|f| f.key));
    out.extend_from_slice(L::EXTRA_KEYS);
    out.extend(["preset", "step"]);
    out
}

/// A lab's state for one render, from [`use_lab`]: what the link says
/// ([`LabLink`], reached through `Deref`: `lab.query`, `lab.params`,
/// `lab.step`, `lab.locked(..)`), the run, its outcome and the dispatcher.
pub struct LabCtx<L: Lab> {
    /// What the link says.
    pub link: LabLink<L>,
    /// The run shown: of the link's parameters, or while `stale` the previous one.
    pub run: Rc<Result<L::Run, SimError>>,
    /// The run shown is the previous link's, standing in while the new one computes elsewhere.
    pub stale: bool,
    /// Where the run shown was made ("page", "worker", "handler").
    pub from: &'static str,
    /// The `outcome` message's detail (preset and counters), when the run finished.
    pub outcome: Option<serde_json::Value>,
    /// Sends an action.
    pub dispatch: Callback<LabAction>,
}

impl<L: Lab> std::ops::Deref for LabCtx<L> {
    type Target = LabLink<L>;
    fn deref(&self) -> &LabLink<L> {
        &self.link
    }
}

impl<L: Lab> LabCtx<L> {
    /// Builds the run's report (counters, trace hash, permalink), as
    /// `idemlab url` prints it, when an export asks for it.
    pub fn make_report(&self) -> Callback<(), Option<Report>>
    where
        L: 'static,
    {
        self.link.report_maker(Some(self.run.clone()))
    }

    /// The outcome gate for [`LabLayout`]: `steps` is the step-through's last
    /// step (`None` when the lab has none), `decisive_step` the step where
    /// the outcome happens (by default the last). In an embed the evidence
    /// and the `outcome` message wait for it.
    pub fn gate(&self, steps: Option<usize>, decisive_step: Option<usize>) -> Gate {
        self.link.gate(self.outcome.clone(), steps, decisive_step)
    }

    /// A callback that sends `action` when fired.
    pub fn on<E>(&self, action: LabAction) -> Callback<E> {
        let d = self.dispatch.clone();
        Callback::from(move |_| d.emit(action.clone()))
    }

    /// A callback for the step controls.
    pub fn on_step(&self) -> Callback<usize> {
        self.dispatch.reform(LabAction::Step)
    }

    /// A callback for the "New seed" button: a fresh seed from the browser.
    pub fn on_new_seed(&self) -> Callback<MouseEvent> {
        self.dispatch.reform(|_| LabAction::NewSeed(web::fresh_seed()))
    }
}

/// The one lab hook: reads the link, runs the engine (memoised on the
/// parameters), posts the outcome to an embedding page, and gives a typed
/// dispatcher whose every action respects the link's locks.
#[hook]
pub fn use_lab<L>(props: &LabProps) -> LabCtx<L>
where
    L: Lab + 'static,
    L::Run: 'static,
{
    let link = LabLink::<L>::read(&props.query);
    let run = use_memo(link.params.clone(), |p| L::run(p));
    let outcome = use_lab_outcome(&link, Some(&run));
    let dispatch = lab_dispatch::<L>(props);
    LabCtx { link, run, stale: false, from: "page", outcome, dispatch }
}

/// A lab's state for one render when its run may come from elsewhere (see [`use_lab_from`]).
pub enum LabState<L: Lab> {
    /// A run to draw (perhaps the previous one, stale).
    Ready(LabCtx<L>),
    /// No run yet: the first is computing elsewhere.
    Loading {
        /// What the link says.
        link: LabLink<L>,
        /// Sends an action.
        dispatch: Callback<LabAction>,
    },
}

impl<L: Lab> LabState<L> {
    /// What the link says.
    pub fn link(&self) -> &LabLink<L> {
        match self {
            LabState::Ready(c) => &c.link,
            LabState::Loading { link, .. } => link,
        }
    }

    /// The dispatcher.
    pub fn dispatch(&self) -> &Callback<LabAction> {
        match self {
            LabState::Ready(c) => &c.dispatch,
            LabState::Loading { dispatch, .. } => dispatch,
        }
    }

    /// The lab with its run, unless the first run is still loading.
    pub fn ready(&self) -> Option<&LabCtx<L>> {
        match self {
            LabState::Ready(c) => Some(c),
            LabState::Loading { .. } => None,
        }
    }
}

/// [`use_lab`] with the run from `source`: on the page (memoised), or
/// elsewhere (the worker, a compiled handler), in which case the previous
/// run stays on screen, marked stale, until the new one arrives, and the
/// outcome waits for it. `dispatch` replaces the shell's (a lab with its own
/// link rules, like the Retries view).
#[hook]
pub fn use_lab_from<L>(
    props: &LabProps,
    source: RunSource<L::Run>,
    dispatch: Option<Callback<LabAction>>,
) -> LabState<L>
where
    L: Lab + 'static,
    L::Run: 'static,
{
    let link = LabLink::<L>::read(&props.query);
    let on_page = matches!(source, RunSource::Page);
    let page_run = use_memo((link.params.clone(), on_page), |(p, on_page)| on_page.then(|| Rc::new(L::run(p))));
    let keep = use_mut_ref(Keep::<L::Params, (RunResult<L::Run>, &'static str)>::default);
    let shown = shown_of(&mut keep.borrow_mut(), &link.params, (*page_run).clone(), source);
    let fresh = match &shown {
        Shown::Run { run, stale: false, .. } => Some(run.clone()),
        Shown::Run { stale: true, .. } | Shown::Loading => None,
    };
    let outcome = use_lab_outcome(&link, fresh.as_deref());
    let dispatch = dispatch.unwrap_or_else(|| lab_dispatch::<L>(props));
    match shown {
        Shown::Run { run, stale, from } => LabState::Ready(LabCtx { link, run, stale, from, outcome, dispatch }),
        Shown::Loading => LabState::Loading { link, dispatch },
    }
}

/// The `outcome` message's detail for `run` (`None` while there is no
/// finished run), posted to an embedding page once per run. A new run's
/// effect is named in the status line, and the page title follows. In an embed the
/// outcome waits for the learner (see `reveal`): the layout posts it when the
/// gate opens, unless the author asked for it up front.
#[hook]
pub fn use_lab_outcome<L>(link: &LabLink<L>, run: Option<&Result<L::Run, SimError>>) -> Option<serde_json::Value>
where
    L: Lab + 'static,
{
    let counters = run.and_then(|r| r.as_ref().ok()).map(|r| L::counters(r));
    let outcome = counters.as_deref().map(|c| outcome_of_counters(link.preset, c));
    use_post_outcome::<L>(outcome.clone(), !link.embed || link.reveal);
    status::use_change_status::<L>(&link.params, link.preset, counters);
    outcome
}

/// The lab's typed dispatcher: every action goes through [`apply`], which
/// respects the link's locks, and lands in the URL.
pub fn lab_dispatch<L: Lab>(props: &LabProps) -> Callback<LabAction> {
    let (q, on_query) = (props.query.clone(), props.on_query.clone());
    Callback::from(move |a: LabAction| {
        if let Some(next) = apply::<L>(&q, &a) {
            on_query.emit(next);
        }
    })
}

/// The `outcome` message's detail for a run: the preset (or "custom") and every counter.
pub fn outcome_of<L: Lab>(preset: Option<&'static Preset>, run: &L::Run) -> serde_json::Value {
    outcome_of_counters(preset, &L::counters(run))
}

/// The `outcome` message's detail from the core's counters, for a page that
/// has them without a run (the Retries compare view, from the worker's figures).
pub fn outcome_of_counters(preset: Option<&'static Preset>, counters: &[lab::Counter]) -> serde_json::Value {
    let counters =
        counters.iter().map(|c| (c.id.to_string(), serde_json::json!(c.value))).collect::<serde_json::Map<_, _>>();
    serde_json::json!({ "preset": preset.map_or("custom", |p| p.slug), "counters": counters })
}

/// Posts `outcome` to an embedding page once per run, when `post_now`
/// (outside an embed, or when its author asked for it up front); otherwise
/// the layout's gate posts it when the learner reaches the decisive step.
#[hook]
pub fn use_post_outcome<L: Lab + 'static>(outcome: Option<serde_json::Value>, post_now: bool) {
    use_effect_with((outcome, post_now), |(outcome, post_now)| {
        if let (Some(detail), true) = (outcome, *post_now) {
            web::post_event("outcome", L::SLUG, detail.clone());
        }
    });
}

/// Warns about parameters a page outside the lab contract does not read
/// (Recall), like [`lab::warn_unknown_keys`] does for a lab.
pub fn warn_unknown_page_keys(q: &mut Query, known: &[&str]) {
    let unknown: Vec<String> = q
        .keys()
        .filter(|k| !lab::SHELL_KEYS.contains(k) && !known.contains(k))
        .map(idemlab_sim::permalink::clip)
        .collect();
    for k in unknown {
        q.warnings.push(format!("This page has no parameter called {k:?}; it was ignored."));
    }
}

/// The step the link asks for, bounded.
fn read_step(q: &mut Query) -> usize {
    q.int("step", 0, 0, 1_000_000) as usize
}

/// The value a knob shows on a control: its schema value as an `i64`.
pub fn control_value<P: Params>(p: &P, key: &str) -> Option<(i64, KnobKind)> {
    let k = P::knob(key)?;
    Some(((k.get)(p) as i64, k.kind))
}

/// Says why a run could not start, in the same words on every lab.
#[derive(Properties, PartialEq, Clone)]
pub struct RunErrorProps {
    /// The engine's reason.
    pub error: AttrValue,
}

/// "This run could not start: …", with the engine's reason.
#[component]
pub fn RunError(p: &RunErrorProps) -> Html {
    html! { <p class="error" role="alert">{ format!("This run could not start: {}", p.error) }</p> }
}

#[cfg(test)]
mod tests;
