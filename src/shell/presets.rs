//! The preset bar: every preset of a lab as a link, the current one marked,
//! each lesson a sentence under the bar. Each href is the link after the
//! preset action, so it keeps `embed`, `lock` and `origins`.

use super::LabAction;
use idemlab_sim::lab::Preset;
use yew::prelude::*;

/// Props of [`PresetBar`].
#[derive(Properties, PartialEq, Clone)]
pub struct PresetBarProps {
    /// The lab's DOM class prefix.
    pub prefix: AttrValue,
    /// Every preset of the lab.
    pub presets: &'static [Preset],
    /// The current preset.
    pub current: Option<&'static str>,
    /// Each preset's href, in the order of `presets`.
    pub hrefs: Vec<String>,
    /// Whether presets are locked by an embedder.
    #[prop_or(false)]
    pub locked: bool,
    /// Where a click goes.
    pub dispatch: Callback<LabAction>,
    /// A predict-first question of the run is unanswered: the lesson line,
    /// which may state the outcome, waits for the answer.
    #[prop_or(false)]
    pub hide_lesson: bool,
}

/// Presets as links, with the current preset's lesson.
#[component]
pub fn PresetBar(p: &PresetBarProps) -> Html {
    let pick = |slug: &'static str| {
        let d = p.dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            d.emit(LabAction::Preset(slug));
        })
    };
    let lesson = p.current.and_then(|c| p.presets.iter().find(|pr| pr.slug == c));
    html! {
        <>
            <nav class={classes!("presets", format!("{}-presets", p.prefix))} aria-label="Presets">
                <span class="presets-label">{ "Presets:" }</span>
                { for p.presets.iter().zip(&p.hrefs).map(|(pr, href)| {
                    let current = p.current == Some(pr.slug);
                    html! {
                        <a href={href.clone()} class={classes!("preset", current.then_some("current"), pr.buggy.then_some("buggy"))}
                           aria-current={current.then_some("true")} aria-disabled={p.locked.then_some("true")}
                           data-preset={pr.slug} onclick={pick(pr.slug)}>
                            { if pr.buggy { "✗ " } else { "✓ " } }{ pr.title }
                        </a>
                    }
                }) }
            </nav>
            if let Some(pr) = lesson {
                <p class="lesson" data-lesson={pr.slug} data-hidden={p.hide_lesson.then_some("true")}><strong>{ pr.title }{ ": " }</strong>
                    { if p.hide_lesson { "what this setup shows appears with the answer to the prediction below." } else { pr.lesson } }</p>
            }
        </>
    }
}
