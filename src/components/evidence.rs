//! The evidence panel: counters the way an operator's dashboard shows them,
//! with the one that proves the lesson highlighted.

use yew::prelude::*;

/// One counter.
#[derive(Clone, PartialEq, Debug)]
pub struct Counter {
    /// Stable id for tests and exports (`data-counter`).
    pub id: &'static str,
    /// What it counts.
    pub label: AttrValue,
    /// The value, formatted.
    pub value: AttrValue,
    /// Whether this is the counter that proves the lesson.
    pub key: bool,
    /// Whether the value is bad news (drawn with a warning mark, not only colour).
    pub bad: bool,
}

impl Counter {
    /// A plain counter.
    pub fn new(id: &'static str, label: impl Into<AttrValue>, value: impl ToString) -> Counter {
        Counter { id, label: label.into(), value: value.to_string().into(), key: false, bad: false }
    }
    /// Marks the counter that proves the lesson.
    pub fn key(mut self) -> Counter {
        self.key = true;
        self
    }
    /// Marks bad news when `bad` holds.
    pub fn bad_if(mut self, bad: bool) -> Counter {
        self.bad = bad;
        self
    }

    /// The core's counters as the panel shows them, with `key_id` starred.
    pub fn from_core(counters: &[idemlab_sim::lab::Counter], key_id: &str) -> Vec<Counter> {
        counters
            .iter()
            .map(|c| Counter {
                id: c.id,
                label: AttrValue::Static(c.label),
                value: c.value.human().into(),
                key: c.id == key_id,
                bad: c.bad,
            })
            .collect()
    }
}

/// Props of [`Evidence`].
#[derive(Properties, PartialEq, Clone)]
pub struct EvidenceProps {
    /// Heading of the panel.
    #[prop_or(AttrValue::Static("Evidence"))]
    pub title: AttrValue,
    /// What the client believes, in one sentence.
    #[prop_or_default]
    pub belief: Option<AttrValue>,
    /// The counters.
    pub counters: Vec<Counter>,
}

/// A grid of counters under a "belief versus evidence" heading.
#[component]
pub fn Evidence(p: &EvidenceProps) -> Html {
    html! {
        <section class="evidence" aria-label={p.title.clone()}>
            <h3>{ p.title.clone() }</h3>
            if let Some(b) = &p.belief { <p class="belief"><strong>{ "Belief: " }</strong>{ b.clone() }</p> }
            <dl class="counters">
                { for p.counters.iter().map(|c| html! {
                    <div class={classes!("counter", c.key.then_some("key"), c.bad.then_some("bad"))} data-counter={c.id}>
                        <dt>{ c.label.clone() }{ if c.key { " ★" } else { "" } }</dt>
                        <dd>{ if c.bad { "⚠ " } else { "" } }{ c.value.clone() }</dd>
                    </div>
                }) }
            </dl>
        </section>
    }
}

/// Props of [`LinkWarnings`].
#[derive(Properties, PartialEq, Clone)]
pub struct LinkWarningsProps {
    /// What was wrong with the link (`Query::warnings` after the lab read its parameters).
    pub warnings: Vec<String>,
}

/// Says what was wrong with the permalink and that defaults were used. Every
/// area renders it after reading its parameters, so the message covers both
/// the shell's and the lab's findings.
#[component]
pub fn LinkWarnings(p: &LinkWarningsProps) -> Html {
    if p.warnings.is_empty() {
        return html! {};
    }
    html! {
        <div class="link-warning" role="status" id="link-warning">
            <strong>{ "This link had problems, so defaults were used where needed:" }</strong>
            <ul>{ for p.warnings.iter().map(|w| html! { <li>{ w.clone() }</li> }) }</ul>
        </div>
    }
}
