//! The page shape every lab shares: one component decides where the title,
//! the link warnings, the picture with its step controls, the knobs, the
//! evidence, the explanation and the sources go, so the order (picture
//! first) and the embed views are decided once, not five times.
//!
//! Picture first: at 1280 × 800 the title, the presets and the picture with
//! its step controls fill the first screen; the explanation is one click
//! away (collapsed under the title) and the knobs sit below the picture,
//! the few the lesson turns on first. In an embed (`embed=1`) the picture
//! comes straight after the title, and `view=` picks what else is shown.

use super::reveal::{Frame, Gate, HiddenOutcome};
use crate::components::{gloss_once, LinkWarnings};
use crate::web;
use idemlab_sim::permalink::Query;
use yew::prelude::*;

/// What a page shows (`view=` in the link): the whole lab, or only the
/// picture for a compact embed, or the picture and the evidence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    /// Everything: presets, picture, knobs, evidence, explanation, sources.
    #[default]
    Full,
    /// The picture and its step controls only.
    Picture,
    /// The picture, its step controls and the evidence counters.
    PictureEvidence,
}

impl View {
    /// Every view, in the order the embed snippet offers them.
    pub const ALL: [View; 3] = [View::Picture, View::PictureEvidence, View::Full];

    /// The value of `view=` in a link.
    pub fn slug(self) -> &'static str {
        match self {
            View::Full => "full",
            View::Picture => "picture",
            View::PictureEvidence => "picture+evidence",
        }
    }

    /// Words for the embed snippet's choice.
    pub fn title(self) -> &'static str {
        match self {
            View::Full => "The whole lab",
            View::Picture => "The picture and its step controls",
            View::PictureEvidence => "The picture and the evidence",
        }
    }

    /// Reads `view=` (a `+` may arrive as a space); an unknown value is named
    /// in a warning and the whole lab is shown.
    pub fn read(q: &mut Query) -> View {
        let Some(raw) = q.get("view").map(|v| v.replace(' ', "+")) else { return View::Full };
        match View::ALL.into_iter().find(|v| v.slug() == raw) {
            Some(v) => v,
            None => {
                let known: Vec<&str> = View::ALL.iter().map(|v| v.slug()).collect();
                q.warnings.push(format!("view={raw} is not a view; the whole lab is shown ({}).", known.join(", ")));
                View::Full
            }
        }
    }

    fn shows_evidence(self) -> bool {
        match self {
            View::Full | View::PictureEvidence => true,
            View::Picture => false,
        }
    }
}

/// How the page is framed, from the link: provided by the app to every lab
/// through a context, so labs need no prop for it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageMode {
    /// Inside another site's iframe (`embed=1`).
    pub embed: bool,
    /// What the page shows.
    pub view: View,
    /// The presenter view (`present=1`): a stage for a projector, where the
    /// picture, its caption, its step controls and any prompt fill the
    /// screen and everything else folds away.
    pub present: bool,
}

/// The presenter-view switch, built by the app (which owns the link) and
/// drawn by every lab's head.
#[derive(Clone, PartialEq, Default)]
pub struct PresentSwitch(pub Html);

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
    /// Beside the title: the lab's predict-first switch.
    #[prop_or_default]
    pub head: Html,
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

/// A lab page, picture first: title and collapsed explanation, warnings,
/// presets, picture, knobs, evidence, extra views, sources. In an embed the
/// presets follow the picture, and `view=` drops what it does not name.
#[component]
pub fn LabLayout(p: &LabLayoutProps) -> Html {
    let mode = use_context::<PageMode>().unwrap_or_default();
    let frame = use_context::<Frame>().unwrap_or_default();
    let switch = use_context::<PresentSwitch>().unwrap_or_default().0;
    let full = mode.view == View::Full;
    // `use_state_eq`: resetting it for every new run must not render the
    // whole lab a second time when it was not set.
    let clicked = use_state_eq(|| false);
    // A new run (another outcome) waits for the learner again.
    {
        let clicked = clicked.clone();
        let outcome = p.gate.as_ref().and_then(|g| g.outcome.clone());
        use_effect_with(outcome, move |_| clicked.set(false));
    }
    let (hidden, decisive, asks) = match &p.gate {
        Some(g) => (g.hidden(), g.decisive, g.asks),
        None => (frame.embed && !frame.reveal, None, None),
    };
    // Only the answer uncovers what a question asks about.
    let shown = !hidden || (*clicked && asks.is_none());
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
        html! { <HiddenOutcome decisive={decisive} asks={asks} on_reveal={Callback::from(move |_| clicked.set(true))} /> }
    };
    let intro = html! {
        <details class="lab-intro">
            <summary>{ "What this lab shows" }</summary>
            <div class="prose">{ p.intro.clone() }</div>
        </details>
    };
    if mode.present {
        return html! {
            <section class={classes!("lab", p.slug.to_string(), "presenting", mode.embed.then_some("embedded"))}
                     data-lab={p.slug.clone()} data-view="present">
                <div class="lab-head"><h2>{ gloss_once(&p.title) }</h2>{ p.head.clone() }</div>
                <LinkWarnings warnings={p.warnings.clone()} />
                <div class="lab-picture">{ p.picture.clone() }</div>
                // Folded away, not gone: a presenter may still pick a preset.
                <details class="present-more">
                    <summary>{ "Presets, settings, evidence and explanation" }</summary>
                    { p.presets.clone() }
                    <div class="lab-controls">{ p.controls.clone() }</div>
                    <div class="lab-evidence" data-outcome={if shown { "shown" } else { "hidden" }}>{ evidence }</div>
                    { intro }
                    { p.sources.clone() }
                </details>
            </section>
        };
    }
    html! {
        <section class={classes!("lab", p.slug.to_string(), format!("view-{}", mode.view.slug().replace('+', "-")), mode.embed.then_some("embedded"))}
                 data-lab={p.slug.clone()} data-view={mode.view.slug()}>
            <div class="lab-head">
                <h2>{ gloss_once(&p.title) }</h2>
                if full && !mode.embed { { intro.clone() } }
                { p.head.clone() }
                if !mode.embed { { switch } }
            </div>
            <LinkWarnings warnings={p.warnings.clone()} />
            if full && !mode.embed { { p.presets.clone() } }
            <div class="lab-picture">{ p.picture.clone() }</div>
            if full && mode.embed { { p.presets.clone() } }
            if full { <div class="lab-controls">{ p.controls.clone() }</div> }
            // What the last change of setting did (written by `status`; empty until then).
            <p class="change-status" id={super::STATUS_ID} role="status" aria-atomic="true"></p>
            if mode.view.shows_evidence() {
                <div class="lab-evidence" data-outcome={if shown { "shown" } else { "hidden" }}>{ evidence }</div>
            }
            if full {
                { p.extra.clone() }
                if mode.embed { { intro } }
                { p.sources.clone() }
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_reads_every_slug_and_names_an_unknown_one_in_a_warning() {
        for v in View::ALL {
            let mut q = Query::parse(&format!("area=keys&view={}", v.slug()));
            assert_eq!(View::read(&mut q), v);
            assert!(q.warnings.is_empty(), "{:?}", q.warnings);
        }
        let mut q = Query::parse("area=keys&view=picture%2Bevidence");
        assert_eq!(View::read(&mut q), View::PictureEvidence);
        let mut q = Query::parse("area=keys");
        assert_eq!(View::read(&mut q), View::Full);
        let mut q = Query::parse("area=keys&view=poster");
        assert_eq!(View::read(&mut q), View::Full);
        assert!(q.warnings.iter().any(|w| w.contains("view=poster")), "{:?}", q.warnings);
    }
}
