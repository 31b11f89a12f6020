//! Step controls shared by every lab: back to the start, previous step, play
//! and pause, next step, last step, speed and a scrubber, each button named
//! in words, with keyboard shortcuts (j or → for the next step, k or ← for
//! the previous one, space to play or pause, r to go back to the start, ?
//! to show the shortcuts). The step itself lives in the lab's permalink;
//! this component only asks for a new one.

use crate::web;
use gloo_timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Props of [`StepControls`].
#[derive(Properties, PartialEq, Clone)]
pub struct StepControlsProps {
    /// The current step, 0 = before the first.
    pub step: usize,
    /// The last step.
    pub steps: usize,
    /// Asks for a new step (already clamped to `0..=steps`).
    pub on_step: Callback<usize>,
    /// Whether keyboard shortcuts are bound (one set of controls per page).
    #[prop_or(true)]
    pub keyboard: bool,
    /// Locked by an embedder (`lock=step`): every control and key is inert.
    #[prop_or(false)]
    pub disabled: bool,
    /// The decisive step of the run and the button's words ("Jump to the
    /// failure"), when the run has one: one click lands on it.
    #[prop_or_default]
    pub jump: Option<(usize, AttrValue)>,
    /// What the scrubber moves through, for its label.
    #[prop_or(AttrValue::Static("Step"))]
    pub label: AttrValue,
    /// The step that waits for a prediction (the predict-first gate's
    /// `waits`): playback stops there and the button reads Play again.
    #[prop_or_default]
    pub waits: Option<usize>,
}

/// Delay between steps at each speed setting, in milliseconds.
const SPEEDS_MS: [u32; 4] = [1200, 700, 350, 120];

/// Play, pause, step and scrub through a run.
#[component]
pub fn StepControls(p: &StepControlsProps) -> Html {
    let playing = use_state(|| false);
    let speed = use_state(|| 1usize);
    let help = use_state(|| false);
    let (step, steps) = (p.step.min(p.steps), p.steps);

    // The listeners below outlive the render that registered them, so they
    // call the latest `on_step`: the one a render before a knob change held
    // would write the link as it was before the change (pressing j right
    // after moving a slider undid the move).
    let latest_on_step = use_mut_ref(|| p.on_step.clone());
    *latest_on_step.borrow_mut() = p.on_step.clone();
    let call_latest = {
        let latest = latest_on_step.clone();
        Callback::from(move |to: usize| {
            let on_step = latest.borrow().clone();
            on_step.emit(to);
        })
    };

    // A prompt that waits for a prediction stops playback (the gate refused the step).
    {
        let playing = playing.clone();
        use_effect_with(p.waits, move |waits| {
            if waits.is_some() {
                playing.set(false);
            }
        });
    }

    // While playing, a timer asks for the next step; it stops at the end.
    {
        let (playing, on_step) = (playing.clone(), call_latest.clone());
        let delay = SPEEDS_MS[(*speed).min(SPEEDS_MS.len() - 1)];
        use_effect_with((*playing, step, steps, delay), move |(is_playing, step, steps, delay)| {
            let (step, steps) = (*step, *steps);
            let timer = (*is_playing).then(|| {
                Interval::new(*delay, move || {
                    if step >= steps {
                        playing.set(false);
                    } else {
                        on_step.emit(step + 1);
                    }
                })
            });
            move || drop(timer)
        });
    }

    // Keyboard shortcuts, unless the learner is typing in a field. Keys
    // pressed faster than the page renders count from the last step asked
    // for, not from the step last drawn: j, j is two steps.
    let cursor = use_mut_ref(|| step);
    *cursor.borrow_mut() = step;
    {
        let (playing, on_step, keyboard) = (playing.clone(), call_latest.clone(), p.keyboard && !p.disabled);
        let cursor = cursor.clone();
        let help = help.clone();
        use_effect_with((steps, keyboard, *playing, *help), move |(steps, keyboard, is_playing, shown)| {
            let (steps, is_playing, shown) = (*steps, *is_playing, *shown);
            let guard = (*keyboard).then(|| web_sys::window().and_then(|w| w.document())).flatten().map(|doc| {
                web::listen(&doc, "keydown", move |e: web_sys::Event| {
                    let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                    if k.ctrl_key() || k.meta_key() || k.alt_key() || typing_in_field(&e) {
                        return;
                    }
                    let at = *cursor.borrow();
                    let go = |to: usize| {
                        *cursor.borrow_mut() = to;
                        on_step.emit(to);
                    };
                    match k.key().as_str() {
                        "ArrowRight" | "j" => go((at + 1).min(steps)),
                        "ArrowLeft" | "k" => go(at.saturating_sub(1)),
                        " " => playing.set(!is_playing),
                        "r" => {
                            playing.set(false);
                            go(0);
                        }
                        "?" => help.set(!shown),
                        "Escape" if shown => help.set(false),
                        _ => return,
                    }
                    e.prevent_default();
                })
            });
            move || drop(guard)
        });
    }

    let emit = |to: usize| {
        let on_step = p.on_step.clone();
        Callback::from(move |_| on_step.emit(to))
    };
    let toggle = {
        let playing = playing.clone();
        let on_step = p.on_step.clone();
        Callback::from(move |_| {
            if !*playing && step >= steps {
                on_step.emit(0);
            }
            playing.set(!*playing);
        })
    };
    let reset = {
        let (playing, on_step) = (playing.clone(), p.on_step.clone());
        Callback::from(move |_| {
            playing.set(false);
            on_step.emit(0);
        })
    };
    let scrub = {
        let on_step = p.on_step.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<usize>() {
                on_step.emit(v.min(steps));
            }
        })
    };
    let on_speed = {
        let speed = speed.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<usize>() {
                speed.set(v.min(SPEEDS_MS.len() - 1));
            }
        })
    };
    let toggle_help = {
        let help = help.clone();
        Callback::from(move |_| help.set(!*help))
    };
    let at_end = step >= steps;
    html! {
        <fieldset class="step-controls" disabled={p.disabled} aria-label="Step controls">
            <button type="button" class="reset" onclick={reset} disabled={step == 0} title="Back to the start (r)">
                <span aria-hidden="true">{ "⇤ " }</span>{ "Start" }
            </button>
            <button type="button" class="back" onclick={emit(step.saturating_sub(1))} disabled={step == 0}
                title="Previous step (k or ←)">
                <span aria-hidden="true">{ "◀ " }</span>{ "Previous" }
            </button>
            <button type="button" class="play primary" onclick={toggle} aria-pressed={(*playing).to_string()}
                title="Play or pause (space)">
                if *playing { <span aria-hidden="true">{ "❚❚ " }</span>{ "Pause" } }
                else { <span aria-hidden="true">{ "▶ " }</span>{ if at_end && steps > 0 { "Replay" } else { "Play" } } }
            </button>
            <button type="button" class="forward" onclick={emit((step + 1).min(steps))} disabled={at_end}
                title="Next step (j or →)">
                { "Next step" }<span aria-hidden="true">{ " ▶" }</span>
            </button>
            <button type="button" class="last" onclick={emit(steps)} disabled={at_end} title="Last step">
                { "Last step" }<span aria-hidden="true">{ " ⇥" }</span>
            </button>
            if let Some((to, words)) = &p.jump {
                <button type="button" class="jump" onclick={emit((*to).min(steps))} data-jump={to.to_string()}>{ words.clone() }</button>
            }
            <label class="scrubber">
                <span class="visually-hidden">{ p.label.clone() }</span>
                <input type="range" min="0" max={steps.to_string()} value={step.to_string()} oninput={scrub}
                    aria-label={format!("{} scrubber", p.label)} aria-valuetext={format!("{} {step} of {steps}", p.label)} />
            </label>
            <span class="step-count" aria-live="polite">{ format!("{} {step} / {steps}", p.label) }</span>
            <label class="speed">
                <span>{ "Speed" }</span>
                <input type="range" min="0" max={(SPEEDS_MS.len() - 1).to_string()} value={speed.to_string()}
                    oninput={on_speed} aria-label="Playback speed" />
            </label>
            <button type="button" class="shortcuts-button" onclick={toggle_help} aria-expanded={(*help).to_string()}
                aria-controls="step-shortcuts" title="Keyboard shortcuts (?)">{ "?" }<span class="visually-hidden">{ " Keyboard shortcuts" }</span></button>
            if *help {
                <dl class="shortcuts" id="step-shortcuts" aria-label="Keyboard shortcuts">
                    <div><dt><kbd>{ "j" }</kbd>{ " or " }<kbd>{ "→" }</kbd></dt><dd>{ "next step" }</dd></div>
                    <div><dt><kbd>{ "k" }</kbd>{ " or " }<kbd>{ "←" }</kbd></dt><dd>{ "previous step" }</dd></div>
                    <div><dt><kbd>{ "space" }</kbd></dt><dd>{ "play or pause" }</dd></div>
                    <div><dt><kbd>{ "r" }</kbd></dt><dd>{ "back to the start" }</dd></div>
                    <div><dt><kbd>{ "?" }</kbd></dt><dd>{ "show or hide these shortcuts" }</dd></div>
                </dl>
            }
        </fieldset>
    }
}

fn typing_in_field(e: &web_sys::Event) -> bool {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    let tag = el.tag_name().to_ascii_lowercase();
    // Range inputs use the arrow keys themselves; text fields use every key.
    matches!(tag.as_str(), "input" | "textarea" | "select") || el.has_attribute("contenteditable")
}
