//! What a lab's link says before any run ([`LabLink`]): read once per render
//! by `use_lab`, or by a page that makes its run elsewhere (the Retries study
//! sweeps in a Web Worker) and then calls `use_lab_outcome` itself.

use super::{apply, read_step, reveal, Gate, LabAction};
use crate::query::Query;
use idemlab_sim::error::SimError;
use idemlab_sim::lab::{self, Lab, Preset, Report};
use std::rc::Rc;
use yew::Callback;

/// A lab's run as the page shares it: built once, or the error it gave.
type SharedRun<L> = Rc<Result<<L as Lab>::Run, SimError>>;

/// What a lab's link says, before any run: read once per render by
/// `use_lab`, or by a page that makes its run elsewhere (the Retries study
/// sweeps in a Web Worker) and then calls `use_lab_outcome` itself.
pub struct LabLink<L: Lab> {
    /// The link, with every warning found while reading it.
    pub query: Query,
    /// The preset the link names.
    pub preset: Option<&'static Preset>,
    /// The parameters the run uses.
    pub params: L::Params,
    /// The step the link asks for (the lab clamps it to its run's steps).
    pub step: usize,
    /// The page is an embed (`embed=1`).
    pub embed: bool,
    /// The author asked for the outcome from the start (`reveal=1`).
    pub reveal: bool,
}

impl<L: Lab> LabLink<L> {
    /// Reads the link: preset, knobs, step and frame flags, with warnings.
    pub fn read(q: &Query) -> Self {
        let mut query = q.clone();
        lab::warn_unknown_keys::<L>(&mut query);
        let read = lab::read_link::<L>(&mut query);
        let step = read_step(&mut query);
        let embed = query.clone().flag("embed", false);
        let reveal = query.flag("reveal", false);
        LabLink { query, preset: read.preset, params: read.params, step, embed, reveal }
    }

    /// Whether an embedder locked `key`.
    pub fn locked(&self, key: &str) -> bool {
        self.query.locked(key)
    }

    /// Whether the lab asks for a prediction before each decisive step
    /// (`predict=`, on by default), and whether the author locked that choice.
    pub fn predict_first(&self) -> (bool, bool) {
        (self.query.clone().flag("predict", true), self.locked("predict"))
    }

    /// The counter id the lesson turns on (starred on screen).
    pub fn key_counter(&self) -> &'static str {
        self.preset.or_else(|| L::presets().first()).map_or("", |p| p.key_counter)
    }

    /// The href of the link after `action` (or the current one when refused),
    /// which keeps `embed`, `lock` and `origins`, so navigation never escapes
    /// an embed.
    pub fn href(&self, action: &LabAction) -> String {
        apply::<L>(&self.query, action).unwrap_or_else(|| self.query.clone()).to_search()
    }

    /// The part of the link a preset's link depends on (see
    /// [`use_preset_hrefs`]): the link without the knobs' values, the step
    /// and the preset, which a preset writes afresh (every knob, step 0), and
    /// with `keep`, knobs a lab's own preset links carry over (the Retries
    /// view). A link with locks is taken whole: a lock refuses a preset that
    /// would change a locked knob, which depends on the knob's value.
    pub fn preset_links_key(&self, keep: &[&str]) -> Query {
        let mut q = self.query.clone();
        q.warnings.clear();
        if q.get("lock").is_some() {
            return q;
        }
        for k in <L::Params as idemlab_sim::knob::Params>::knobs() {
            if !keep.contains(&k.key) {
                q.remove(k.key);
            }
        }
        q.remove("step");
        q.remove("preset");
        q
    }

    /// Builds `run`'s report when called (for `ExportBar` and the trace
    /// download), so the trace hash is computed on an export, never per render.
    pub fn report_maker(&self, run: Option<Rc<Result<L::Run, SimError>>>) -> Callback<(), Option<Report>>
    where
        L: 'static,
    {
        self.report_maker_with(Callback::from(move |()| run.clone()))
    }

    /// Like [`Self::report_maker`], for a run that `run` gives only when an
    /// export asks (the Retries compare view draws the worker's figures and
    /// builds its whole run for an export).
    pub fn report_maker_with(&self, run: Callback<(), Option<SharedRun<L>>>) -> Callback<(), Option<Report>>
    where
        L: 'static,
    {
        let read = lab::LinkRead { preset: self.preset, params: self.params.clone() };
        let warnings = self.query.warnings.clone();
        Callback::from(move |()| {
            let run = run.emit(())?;
            let run = run.as_ref().as_ref().ok()?;
            Some(lab::report::<L>(&read, run, warnings.clone()))
        })
    }

    /// The outcome gate (see `LabCtx::gate`), with the outcome `use_lab_outcome` gave.
    pub fn gate(&self, outcome: Option<serde_json::Value>, steps: Option<usize>, decisive_step: Option<usize>) -> Gate {
        Gate {
            embed: self.embed,
            up_front: self.reveal,
            step: self.step,
            decisive: steps.map(|n| reveal::decisive_of(n, decisive_step)),
            area: L::SLUG,
            outcome,
            asks: None,
        }
    }
}

/// The preset buttons' links (`href(q, preset)` for each of the lab's
/// presets), computed from [`LabLink::preset_links_key`] and kept until that
/// changes. A preset's link does not depend on the knobs' current values, so
/// a knob change (the render a learner waits for) reuses them: building a
/// dozen links means reading and writing every knob a dozen times, about a
/// millisecond per render (issue 13).
#[yew::hook]
pub fn use_preset_hrefs<L, F>(link: &LabLink<L>, keep: &'static [&'static str], href: F) -> Vec<String>
where
    L: Lab + 'static,
    F: Fn(&Query, &LabAction) -> String + 'static,
{
    let key = link.preset_links_key(keep);
    let hrefs = yew::use_memo(key, move |q| {
        L::presets().iter().map(|pr| href(q, &LabAction::Preset(pr.slug))).collect::<Vec<_>>()
    });
    (*hrefs).clone()
}

/// A preset's href by the shared [`apply`], for [`use_preset_hrefs`].
pub fn preset_href<L: Lab>(q: &Query, action: &LabAction) -> String {
    apply::<L>(q, action).unwrap_or_else(|| q.clone()).to_search()
}
