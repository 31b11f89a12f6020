//! The knob panel: every control of a lab drawn from its schema, so a
//! slider's range, step, label and unit are the ones the URL, the CLI and
//! `validate()` use. The lesson's knobs come first; the rest sit under
//! "More faults and settings".

use super::LabAction;
use crate::components::{Select, Slider, Toggle};
use crate::query::Query;
use idemlab_sim::knob::{Group, Knob, KnobKind, Params};
use yew::prelude::*;

/// Props of [`KnobPanel`].
#[derive(Properties, PartialEq, Clone)]
pub struct KnobPanelProps<P: Params> {
    /// The lab's DOM id prefix (`keys` gives `#keys-rsloss`).
    pub prefix: AttrValue,
    /// The parameters shown.
    pub params: P,
    /// The link, for its locks.
    pub query: Query,
    /// Where changes go.
    pub dispatch: Callback<LabAction>,
    /// Knobs this panel leaves out (the page draws them elsewhere).
    #[prop_or_default]
    pub hide: Vec<&'static str>,
}

/// Every knob of `P`, grouped.
#[component]
pub fn KnobPanel<P: Params>(p: &KnobPanelProps<P>) -> Html {
    let shown = |g: Group| {
        P::knobs()
            .iter()
            .filter(move |k| k.group == g && !p.hide.contains(&k.key))
            .map(|k| control(p, k))
            .collect::<Html>()
    };
    let more = P::knobs().iter().any(|k| k.group == Group::More && !p.hide.contains(&k.key));
    html! {
        <div class={classes!("controls", format!("{}-controls", p.prefix))}>
            <div class="controls-main">{ shown(Group::Main) }</div>
            if more {
                <details class="controls-more">
                    <summary>{ "More faults and settings" }</summary>
                    <div class="controls-more-body">{ shown(Group::More) }</div>
                </details>
            }
        </div>
    }
}

fn control<P: Params>(p: &KnobPanelProps<P>, k: &'static Knob<P>) -> Html {
    let id = AttrValue::from(format!("{}-{}", p.prefix, k.key));
    let value = (k.get)(&p.params);
    let disabled = p.query.locked(k.key);
    let key = k.key;
    let help = Some(AttrValue::Static(k.help));
    match k.kind {
        KnobKind::Int { min, max, step } => {
            let on_change = p.dispatch.reform(move |v: i64| LabAction::SetKnob { key, value: v.max(0) as u64 });
            html! {
                <Slider id={id} label={k.label} unit={k.unit.suffix()} value={value as i64} min={min as i64} max={max as i64}
                    step={step as i64} disabled={disabled} help={help} on_change={on_change} />
            }
        }
        KnobKind::Percent => {
            let on_change = p.dispatch.reform(move |v: i64| LabAction::SetKnob { key, value: v.max(0) as u64 });
            html! {
                <Slider id={id} label={k.label} unit={k.unit.suffix()} value={value as i64} min={0} max={100}
                    disabled={disabled} help={help} on_change={on_change} />
            }
        }
        KnobKind::Flag => {
            let on_change = p.dispatch.reform(move |v: bool| LabAction::SetKnob { key, value: u64::from(v) });
            html! { <Toggle id={id} label={k.label} checked={value == 1} disabled={disabled} help={help} on_change={on_change} /> }
        }
        KnobKind::Choice(list) => {
            let options: Vec<(AttrValue, AttrValue)> =
                list.iter().map(|(s, t)| (AttrValue::Static(s), AttrValue::Static(t))).collect();
            let on_change = p.dispatch.reform(move |slug: String| {
                let i = list.iter().position(|(s, _)| *s == slug).unwrap_or(0);
                LabAction::SetKnob { key, value: i as u64 }
            });
            html! {
                <Select id={id} label={k.label} options={options} value={AttrValue::from(k.show(value))}
                    disabled={disabled} on_change={on_change} />
            }
        }
        KnobKind::Seed => {
            let new_seed = p.dispatch.reform(|_: MouseEvent| LabAction::NewSeed(crate::web::fresh_seed()));
            html! {
                <div class="control seed" id={id}>
                    <span>{ format!("{} {value}", k.label) }</span>
                    <button type="button" class="new-seed" onclick={new_seed} disabled={disabled}>{ "New seed" }</button>
                </div>
            }
        }
    }
}
