//! Step controls shared by every lab: back to the start, previous step, play
//! and pause, next step, last step, speed and a scrubber, each button named
//! in words, with keyboard shortcuts a keyboard and a presentation clicker
//! can drive (which key does what, and where focus lets it, is
//! [`super::step_keys`]), the step caption under them and the one polite
//! announcement per step ([`super::step_caption`]). The step itself lives in
//! the lab's permalink; this component only asks for a new one.

use super::step_caption::{announcement, caption_text, use_announcement, StepCaption};
use super::step_keys::{focus_of, key_action, Focus, KeyAction};
use crate::web;
use gloo_timers::callback::Interval;
use std::cell::Cell;
use std::rc::Rc;
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
    /// What happened at this step, in one plain sentence from the engine's
    /// narration (at step 0, `None` gives the shared words for it).
    #[prop_or_default]
    pub caption: Option<AttrValue>,
    /// How the run ended, said with the last step ("2 charges, 2 rows: double charge").
    #[prop_or_default]
    pub outcome: Option<AttrValue>,
    /// The step that waits for a prediction (the predict-first gate's
    /// `waits`): playback stops there and the button reads Play again.
    #[prop_or_default]
    pub waits: Option<usize>,
    /// The step an answered prediction lets happen: the reveal, which takes
    /// focus and names the step, is its one message, so the step is not
    /// announced again (issue 29: one message per answered step).
    #[prop_or_default]
    pub told: Option<usize>,
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

    // The step this component last asked for: only that step is announced,
    // so a knob change that sends the cursor to 0 stays silent here (the
    // shell's status line names its effect).
    let asked: Rc<Cell<Option<usize>>> = use_memo((), |_| Cell::new(None));
    let ask = {
        let (asked, call) = (asked.clone(), call_latest.clone());
        Callback::from(move |to: usize| {
            asked.set(Some(to));
            call.emit(to);
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
        let (playing, on_step) = (playing.clone(), ask.clone());
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

    // Keyboard shortcuts (see `step_keys` for where focus lets them). Keys
    // pressed faster than the page renders count from the last step asked
    // for, not from the step last drawn: j, j is two steps.
    let cursor = use_mut_ref(|| step);
    *cursor.borrow_mut() = step;
    let blank = use_state(|| false);
    let by_pointer = use_pointer_focus(p.keyboard && !p.disabled);
    {
        let keyboard = p.keyboard && !p.disabled;
        let (playing, help, blank, cursor, ask) =
            (playing.clone(), help.clone(), blank.clone(), cursor.clone(), ask.clone());
        use_effect_with(
            (steps, keyboard, *playing, *help, *blank),
            move |(steps, keyboard, is_playing, shown, blanked)| {
                let state = KeyState { steps: *steps, playing: *is_playing, help: *shown, blank: *blanked };
                let guard = (*keyboard).then(|| web_sys::window().and_then(|w| w.document())).flatten().map(|doc| {
                    web::listen(&doc, "keydown", move |e: web_sys::Event| {
                        let Some(k) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                        if k.ctrl_key() || k.meta_key() || k.alt_key() {
                            return;
                        }
                        let focus = focus_now(&e, by_pointer.get());
                        let Some(action) = key_action(&k.key(), focus, state.help, state.blank) else { return };
                        let setters =
                            Setters { playing: &playing, help: &help, blank: &blank, cursor: &cursor, ask: &ask };
                        carry_out(action, state, &setters);
                        e.prevent_default();
                    })
                });
                move || drop(guard)
            },
        );
    }

    let emit = |to: usize| {
        let on_step = ask.clone();
        Callback::from(move |_| on_step.emit(to))
    };
    let toggle = {
        let playing = playing.clone();
        let on_step = ask.clone();
        Callback::from(move |_| {
            if !*playing && step >= steps {
                on_step.emit(0);
            }
            playing.set(!*playing);
        })
    };
    let reset = {
        let (playing, on_step) = (playing.clone(), ask.clone());
        Callback::from(move |_| {
            playing.set(false);
            on_step.emit(0);
        })
    };
    let scrub = {
        let on_step = ask.clone();
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
    if p.told == Some(step) && asked.get() == Some(step) {
        asked.set(None);
    }
    let text = caption_text(step, p.caption.as_ref());
    let said = {
        let (label, text, outcome) = (p.label.clone(), text.clone(), p.outcome.clone());
        use_announcement(step, asked, move || announcement(&label, step, steps, &text, outcome.as_deref()))
    };
    let unblank = {
        let blank = blank.clone();
        Callback::from(move |_| blank.set(false))
    };
    html! {
        <>
        <fieldset class="step-controls" disabled={p.disabled} aria-label="Step controls">
            <button type="button" class="reset" onclick={reset} disabled={step == 0} title="Back to the start (r)">
                <span aria-hidden="true">{ "⇤ " }</span>{ "Start" }
            </button>
            <button type="button" class="back" onclick={emit(step.saturating_sub(1))} disabled={step == 0}
                title="Previous step (k, ← or PageUp)">
                <span aria-hidden="true">{ "◀ " }</span>{ "Previous" }
            </button>
            <button type="button" class="play primary" onclick={toggle} aria-pressed={(*playing).to_string()}
                title="Play or pause (space)">
                if *playing { <span aria-hidden="true">{ "❚❚ " }</span>{ "Pause" } }
                else { <span aria-hidden="true">{ "▶ " }</span>{ if at_end && steps > 0 { "Replay" } else { "Play" } } }
            </button>
            <button type="button" class="forward" onclick={emit((step + 1).min(steps))} disabled={at_end}
                title="Next step (j, → or PageDown)">
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
            // Not live: the caption's announcement says the step once.
            <span class="step-count" aria-hidden="true">{ format!("{} {step} / {steps}", p.label) }</span>
            <label class="speed">
                <span>{ "Speed" }</span>
                <input type="range" min="0" max={(SPEEDS_MS.len() - 1).to_string()} value={speed.to_string()}
                    oninput={on_speed} aria-label="Playback speed" aria-valuetext={speed_words(*speed)} />
            </label>
            <button type="button" class="shortcuts-button" onclick={toggle_help} aria-expanded={(*help).to_string()}
                aria-controls="step-shortcuts" title="Keyboard shortcuts (?)">{ "?" }<span class="visually-hidden">{ " Keyboard shortcuts" }</span></button>
            if *help { { shortcuts_overlay() } }
        </fieldset>
        <StepCaption label={p.label.clone()} step={step} steps={steps} text={text} outcome={p.outcome.clone()} said={said} />
        if *blank {
            <div class="blank-stage" id="blank-stage" data-blank="true" onclick={unblank}>
                <p class="visually-hidden" role="status">{ "The stage is blanked. Press b, the full stop or a step key to bring it back." }</p>
            </div>
        }
        </>
    }
}

/// The speed slider's value in words, with its unit.
fn speed_words(speed: usize) -> String {
    let ms = SPEEDS_MS[speed.min(SPEEDS_MS.len() - 1)];
    let name = ["slow", "normal", "fast", "fastest"][speed.min(3)];
    format!("{name}: one step every {:.2} s", f64::from(ms) / 1000.0)
}

/// The `?` overlay: every shortcut, and where focus lets it work.
fn shortcuts_overlay() -> Html {
    let row = |keys: &[&'static str], what: &'static str| {
        let n = keys.len();
        html! {
            <div><dt>{ for keys.iter().enumerate().map(|(i, k)| html! {
                <><kbd>{ *k }</kbd>{ if i + 1 < n { " or " } else { "" } }</>
            }) }</dt><dd>{ what }</dd></div>
        }
    };
    html! {
        <div class="shortcuts" id="step-shortcuts">
            <dl aria-label="Keyboard shortcuts">
                { row(&["PageDown", "→", "j"], "next step") }
                { row(&["PageUp", "←", "k"], "previous step") }
                { row(&["space"], "play or pause") }
                { row(&["r"], "back to the start") }
                { row(&["b", "."], "blank the stage (black); again, or any step key, brings it back") }
                { row(&["?"], "show or hide these shortcuts") }
                { row(&["Esc"], "hide these shortcuts, or give focus back to the page") }
            </dl>
            <p class="shortcuts-rules">{ "Where keys go: on the page, the picture or a control you clicked, every shortcut works, so a presentation clicker (PageDown, PageUp, b) steps and never moves the knob clicked last. A slider, list or radio reached with Tab keeps its own keys (arrows, PageUp, PageDown, Home, End); the letter shortcuts still work there. On a button, link, switch or summary, Space and Enter act on it. In a text field every key types." }</p>
            <p class="shortcuts-rules">{ "With a screen reader: in browse mode (NVDA, JAWS) single letters and arrows move the reader, not the lab. Switch to focus mode to use these shortcuts (NVDA+Space in NVDA; in JAWS, Insert+Z turns the virtual cursor off), or use the buttons, which work in both modes." }</p>
        </div>
    }
}

/// The step-through's state a key press reads.
#[derive(Clone, Copy)]
struct KeyState {
    steps: usize,
    playing: bool,
    help: bool,
    blank: bool,
}

/// What a key press may change.
struct Setters<'a> {
    playing: &'a UseStateHandle<bool>,
    help: &'a UseStateHandle<bool>,
    blank: &'a UseStateHandle<bool>,
    cursor: &'a Rc<std::cell::RefCell<usize>>,
    ask: &'a Callback<usize>,
}

/// Carries out a key's action.
fn carry_out(action: KeyAction, st: KeyState, to: &Setters) {
    let at = *to.cursor.borrow();
    let go = |step: usize| {
        *to.cursor.borrow_mut() = step;
        to.ask.emit(step);
    };
    match action {
        KeyAction::Next => go((at + 1).min(st.steps)),
        KeyAction::Previous => go(at.saturating_sub(1)),
        KeyAction::Start => {
            to.playing.set(false);
            go(0);
        }
        KeyAction::PlayPause => to.playing.set(!st.playing),
        KeyAction::ToggleHelp => to.help.set(!st.help),
        KeyAction::CloseHelp => to.help.set(false),
        KeyAction::ToggleBlank => to.blank.set(!st.blank),
        KeyAction::Unblank => to.blank.set(false),
        KeyAction::ReleaseFocus => {
            let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
            if let Some(el) = active.and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.blur();
            }
        }
        KeyAction::HoldBack => {}
    }
}

/// How the element a key event went to takes keys.
fn focus_now(e: &web_sys::Event, by_pointer: bool) -> Focus {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return Focus::Page };
    let tag = el.tag_name().to_ascii_lowercase();
    let kind = el.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
    let role = el.get_attribute("role").unwrap_or_default();
    let editable = el.dyn_ref::<web_sys::HtmlElement>().is_some_and(|h| h.is_content_editable());
    focus_of(&tag, &kind, &role, editable, by_pointer)
}

/// Whether focus last came from a pointer (mouse, touch, pen) rather than
/// from Tab: a knob the pointer touched must not take a clicker's keys.
#[hook]
fn use_pointer_focus(on: bool) -> Rc<Cell<bool>> {
    let by_pointer: Rc<Cell<bool>> = use_memo((), |_| Cell::new(false));
    {
        let by_pointer = by_pointer.clone();
        use_effect_with(on, move |on| {
            let doc = (*on).then(|| web_sys::window().and_then(|w| w.document())).flatten();
            let guards = doc.map(|doc| {
                let (down, tab) = (by_pointer.clone(), by_pointer);
                let pointer = web::listen(&doc, "pointerdown", move |_| down.set(true));
                let key = web::listen(&doc, "keydown", move |e| {
                    if e.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|k| k.key() == "Tab") {
                        tab.set(false);
                    }
                });
                (pointer, key)
            });
            move || drop(guards)
        });
    }
    by_pointer
}
