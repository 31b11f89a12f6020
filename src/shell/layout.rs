//! The page shape every lab shares: one component decides where the title,
//! the link warnings, the picture with its step controls, the knobs, the
//! evidence, the explanation and the sources go, so the order (picture
//! first) and the embed views are decided once, not five times.

use crate::components::LinkWarnings;
use yew::prelude::*;

/// Props of [`LabLayout`]. Each slot is markup the lab builds.
#[derive(Properties, PartialEq, Clone)]
pub struct LabLayoutProps {
    /// The lab's slug (`data-lab`, CSS class).
    pub slug: AttrValue,
    /// The page title.
    pub title: AttrValue,
    /// What was wrong with the link.
    #[prop_or_default]
    pub warnings: Vec<String>,
    /// The explanation, short; shown collapsible.
    #[prop_or_default]
    pub intro: Html,
    /// The preset bar and its lesson.
    #[prop_or_default]
    pub presets: Html,
    /// The moving picture and its step controls: what the lab exists for.
    pub picture: Html,
    /// The knobs.
    #[prop_or_default]
    pub controls: Html,
    /// The evidence counters and export bar.
    #[prop_or_default]
    pub evidence: Html,
    /// Anything else the lab shows after the evidence (tabs' extra views).
    #[prop_or_default]
    pub extra: Html,
    /// Modelling choices and sources.
    #[prop_or_default]
    pub sources: Html,
}

/// A lab page: title, warnings, presets, picture, knobs, evidence, explanation, sources.
#[component]
pub fn LabLayout(p: &LabLayoutProps) -> Html {
    html! {
        <section class={classes!("lab", p.slug.to_string())} data-lab={p.slug.clone()}>
            <h2>{ p.title.clone() }</h2>
            <LinkWarnings warnings={p.warnings.clone()} />
            { p.presets.clone() }
            <div class="lab-picture">{ p.picture.clone() }</div>
            <div class="lab-controls">{ p.controls.clone() }</div>
            <div class="lab-evidence">{ p.evidence.clone() }</div>
            { p.extra.clone() }
            <details class="lab-intro" open=true>
                <summary>{ "What this lab shows" }</summary>
                <div class="prose">{ p.intro.clone() }</div>
            </details>
            { p.sources.clone() }
        </section>
    }
}
