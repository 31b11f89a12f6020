//! Labelled form controls. Each has a visible label, an ARIA label, and
//! reports values already clamped to its range, so an extreme value can never
//! reach an engine unchecked.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Props of [`Slider`].
#[derive(Properties, PartialEq, Clone)]
pub struct SliderProps {
    /// DOM id, also used by tests (`#<id>`).
    pub id: AttrValue,
    /// The visible label.
    pub label: AttrValue,
    /// The current value.
    pub value: i64,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
    /// Step between values.
    #[prop_or(1)]
    pub step: i64,
    /// Unit shown after the value ("%", "ms", …).
    #[prop_or_default]
    pub unit: AttrValue,
    /// A short explanation under the control.
    #[prop_or_default]
    pub help: Option<AttrValue>,
    /// Locked by an embedder.
    #[prop_or(false)]
    pub disabled: bool,
    /// Called with the new, clamped value on every input.
    pub on_change: Callback<i64>,
}

/// A range input with its value shown beside the label.
#[component]
pub fn Slider(p: &SliderProps) -> Html {
    let (min, max, on_change) = (p.min, p.max, p.on_change.clone());
    let oninput = Callback::from(move |e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        if let Ok(v) = input.value().parse::<f64>() {
            on_change.emit((v as i64).clamp(min, max));
        }
    });
    let help_id = format!("{}-help", p.id);
    html! {
        <div class="control slider">
            <label for={p.id.clone()}>
                <span>{ p.label.clone() }</span>
                // Not live and not in the name: the slider's value text says it once.
                <output for={p.id.clone()} aria-hidden="true" aria-live="off">{ format!("{}{}", p.value, p.unit) }</output>
            </label>
            <input type="range" id={p.id.clone()} min={p.min.to_string()} max={p.max.to_string()}
                step={p.step.to_string()} value={p.value.to_string()} disabled={p.disabled}
                aria-label={p.label.clone()} aria-valuetext={format!("{}{}", p.value, spoken_unit(&p.unit))}
                aria-describedby={p.help.as_ref().map(|_| help_id.clone())} {oninput} />
            if let Some(h) = &p.help { <small id={help_id}>{ h.clone() }</small> }
        </div>
    }
}

/// A unit as a screen reader should say it after the value (" ms" is read
/// letter by letter by some readers).
pub fn spoken_unit(suffix: &str) -> &str {
    match suffix {
        " %" | "%" => " percent",
        " ms" => " milliseconds",
        " s" => " seconds",
        " /s" => " per second",
        other => other,
    }
}

/// Props of [`Toggle`].
#[derive(Properties, PartialEq, Clone)]
pub struct ToggleProps {
    /// DOM id.
    pub id: AttrValue,
    /// The visible label.
    pub label: AttrValue,
    /// Whether it is on.
    pub checked: bool,
    /// Locked by an embedder.
    #[prop_or(false)]
    pub disabled: bool,
    /// A short explanation.
    #[prop_or_default]
    pub help: Option<AttrValue>,
    /// Called with the new state.
    pub on_change: Callback<bool>,
}

/// A labelled checkbox.
#[component]
pub fn Toggle(p: &ToggleProps) -> Html {
    let on_change = p.on_change.clone();
    let onchange = Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        on_change.emit(input.checked());
    });
    html! {
        <div class="control toggle">
            <label for={p.id.clone()}>
                <input type="checkbox" id={p.id.clone()} checked={p.checked} disabled={p.disabled} {onchange} />
                <span>{ p.label.clone() }</span>
            </label>
            if let Some(h) = &p.help { <small>{ h.clone() }</small> }
        </div>
    }
}

/// Props of [`Select`].
#[derive(Properties, PartialEq, Clone)]
pub struct SelectProps {
    /// DOM id.
    pub id: AttrValue,
    /// The visible label.
    pub label: AttrValue,
    /// (value, label) pairs.
    pub options: Vec<(AttrValue, AttrValue)>,
    /// The selected value.
    pub value: AttrValue,
    /// Locked by an embedder.
    #[prop_or(false)]
    pub disabled: bool,
    /// Called with the chosen value.
    pub on_change: Callback<String>,
}

/// A labelled drop-down.
#[component]
pub fn Select(p: &SelectProps) -> Html {
    let on_change = p.on_change.clone();
    let onchange = Callback::from(move |e: Event| {
        let sel: HtmlSelectElement = e.target_unchecked_into();
        on_change.emit(sel.value());
    });
    html! {
        <div class="control select">
            <label for={p.id.clone()}><span>{ p.label.clone() }</span></label>
            <select id={p.id.clone()} disabled={p.disabled} {onchange}>
                { for p.options.iter().map(|(v, l)| html! {
                    <option value={v.clone()} selected={*v == p.value}>{ l.clone() }</option>
                }) }
            </select>
        </div>
    }
}
