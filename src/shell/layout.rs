//! The page shape every lab shares: one component decides where the title,
//! the link warnings, the picture with its step controls, the knobs, the
//! evidence, the explanation and the sources go, so the order (picture
//! first) and the embed views are decided once, not five times.

use super::reveal::{Frame, Gate, HiddenOutcome};
use crate::components::LinkWarnings;
use crate::web;
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
    /// When an embed shows the evidence and posts the outcome
    /// ([`super::LabCtx::gate`]). Without it, an embed hides the evidence
    /// behind the "Reveal the outcome" button (or `reveal=1`) and posts no
    /// outcome message.
    #[prop_or_default]
    pub gate: Option<Gate>,
}

/// A lab page: title, warnings, presets, picture, knobs, evidence, explanation, sources.
#[component]
pub fn LabLayout(p: &LabLayoutProps) -> Html {
    let frame = use_context::<Frame>().unwrap_or_default();
    let clicked = use_state(|| false);
    // A new run (another outcome) waits for the learner again.
    {
        let clicked = clicked.clone();
        let outcome = p.gate.as_ref().and_then(|g| g.outcome.clone());
        use_effect_with(outcome, move |_| clicked.set(false));
    }
    let (hidden, decisive) = match &p.gate {
        Some(g) => (g.hidden(), g.decisive),
        None => (frame.embed && !frame.reveal, None),
    };
    let shown = !hidden || *clicked;
    // When the gate opens in an embed, the layout tells the page the outcome.
    {
        let post = p
            .gate
            .as_ref()
            .filter(|g| shown && !g.posted_by_hook())
            .and_then(|g| g.outcome.clone().map(|o| (g.area, o)));
        use_effect_with(post, |post| {
            if let Some((area, detail)) = post {
                web::post_event("outcome", area, detail.clone());
            }
        });
    }
    let evidence = if shown {
        p.evidence.clone()
    } else {
        let clicked = clicked.clone();
        html! { <HiddenOutcome decisive={decisive} on_reveal={Callback::from(move |_| clicked.set(true))} /> }
    };
    html! {
        <section class={classes!("lab", p.slug.to_string())} data-lab={p.slug.clone()}>
            <h2>{ p.title.clone() }</h2>
            <LinkWarnings warnings={p.warnings.clone()} />
            { p.presets.clone() }
            <div class="lab-picture">{ p.picture.clone() }</div>
            <div class="lab-controls">{ p.controls.clone() }</div>
            <div class="lab-evidence" data-outcome={if shown { "shown" } else { "hidden" }}>{ evidence }</div>
            { p.extra.clone() }
            <details class="lab-intro" open=true>
                <summary>{ "What this lab shows" }</summary>
                <div class="prose">{ p.intro.clone() }</div>
            </details>
            { p.sources.clone() }
        </section>
    }
}
