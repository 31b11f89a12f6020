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

/// From this many presets on, the bar shows them in two labelled groups,
/// what works and what breaks, one row each at 1280 px (Keys has 13,
/// Retries 12). Smaller bars keep their teaching order (Races and Outbox
/// number their presets) and fit two rows as they are.
const GROUP_FROM: usize = 9;

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
    // A grouped chip drops its ✓/✗: the group's label says it once.
    let chip = |pr: &'static Preset, href: &String, marked: bool| {
        let current = p.current == Some(pr.slug);
        let mark = match (marked, pr.buggy) {
            (false, _) => "",
            (true, true) => "✗ ",
            (true, false) => "✓ ",
        };
        html! {
            <a href={href.clone()} class={classes!("preset", current.then_some("current"), pr.buggy.then_some("buggy"))}
               aria-current={current.then_some("true")} aria-disabled={p.locked.then_some("true")}
               title={(pr.chip != pr.title).then_some(pr.title)}
               data-preset={pr.slug} onclick={pick(pr.slug)}>
                { mark }{ pr.chip }
            </a>
        }
    };
    let lesson = p.current.and_then(|c| p.presets.iter().find(|pr| pr.slug == c));
    let bar = if p.presets.len() >= GROUP_FROM {
        let first_buggy = p.presets.first().is_some_and(|pr| pr.buggy);
        let group = |buggy: bool| {
            if !p.presets.iter().any(|pr| pr.buggy == buggy) {
                return html! {};
            }
            let id = format!("{}-presets-{}", p.prefix, if buggy { "breaks" } else { "works" });
            html! {
                <div class="preset-group" role="group" aria-labelledby={id.clone()} data-group={if buggy { "breaks" } else { "works" }}>
                    <span class="presets-label" id={id}>{ if buggy { "✗ Breaks:" } else { "✓ Works:" } }</span>
                    { for p.presets.iter().zip(&p.hrefs).filter(|(pr, _)| pr.buggy == buggy).map(|(pr, href)| chip(pr, href, false)) }
                </div>
            }
        };
        html! { <>{ group(first_buggy) }{ group(!first_buggy) }</> }
    } else {
        html! {
            <>
                <span class="presets-label">{ "Presets:" }</span>
                { for p.presets.iter().zip(&p.hrefs).map(|(pr, href)| chip(pr, href, true)) }
            </>
        }
    };
    let grouped = p.presets.len() >= GROUP_FROM;
    html! {
        <>
            <nav class={classes!("presets", format!("{}-presets", p.prefix), grouped.then_some("grouped"))} aria-label="Presets">
                { bar }
            </nav>
            if let Some(pr) = lesson {
                <p class="lesson" data-lesson={pr.slug} data-hidden={p.hide_lesson.then_some("true")}><strong>{ pr.title }{ ": " }</strong>
                    { if p.hide_lesson { "what this setup shows appears with the answer to the prediction below." } else { pr.lesson } }</p>
            }
        </>
    }
}
