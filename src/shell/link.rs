//! What a lab's link says before any run ([`LabLink`]): read once per render
//! by `use_lab`, or by a page that makes its run elsewhere (the Retries study
//! sweeps in a Web Worker) and then calls `use_lab_outcome` itself.

use super::{apply, read_step, reveal, Gate, LabAction};
use crate::query::Query;
use idemlab_sim::error::SimError;
use idemlab_sim::lab::{self, Lab, Preset, Report};
use std::rc::Rc;
use yew::Callback;

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
    pub fn report_maker_with(
        &self,
        run: Callback<(), Option<Rc<Result<L::Run, SimError>>>>,
    ) -> Callback<(), Option<Report>>
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
        }
    }
}
