//! A word with its explanation, the same on every lab, from the one glossary
//! table (`idemlab_sim::glossary`). The definition is announced once, as
//! the term's description (`aria-describedby`), never joined into its name
//! or into a heading around it. It shows on hover, on keyboard focus and on a
//! tap; a second tap or Escape hides it.

use idemlab_sim::glossary;
use std::sync::atomic::{AtomicUsize, Ordering};
use yew::prelude::*;

/// Props of [`Term`].
#[derive(Properties, PartialEq, Clone)]
pub struct TermProps {
    /// The word as written.
    pub word: AttrValue,
    /// What it means, in a sentence; when absent, the glossary's sentence.
    #[prop_or_default]
    pub tip: Option<AttrValue>,
}

/// Numbers the definitions, so two terms on one page never share an id.
static NEXT_TIP: AtomicUsize = AtomicUsize::new(0);

/// A term whose explanation shows on hover, keyboard focus and tap.
#[component]
pub fn Term(p: &TermProps) -> Html {
    let id = use_memo((), |_| format!("term-tip-{}", NEXT_TIP.fetch_add(1, Ordering::Relaxed)));
    let open = use_state(|| false);
    let dismissed = use_state(|| false);
    let entry = glossary::lookup(&p.word);
    let tip = p.tip.clone().or_else(|| entry.map(|e| AttrValue::Static(e.tip())));
    // A word outside the table must bring its own tip.
    debug_assert!(tip.is_some(), "the term {} is not in the glossary and has no tip", p.word);
    let Some(tip) = tip else { return html! { { p.word.clone() } } };
    let key = entry.map_or_else(|| p.word.clone(), |e| AttrValue::Static(e.word));
    let toggle = {
        let (open, dismissed) = (open.clone(), dismissed.clone());
        move || {
            open.set(!*open);
            dismissed.set(false);
        }
    };
    let onclick = {
        let toggle = toggle.clone();
        Callback::from(move |_: MouseEvent| toggle())
    };
    let onkeydown = {
        let (open, dismissed) = (open.clone(), dismissed.clone());
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            // Escape hides the tip even while focus or the pointer keeps it (WCAG 1.4.13).
            "Escape" if *open || !*dismissed => {
                e.stop_propagation();
                open.set(false);
                dismissed.set(true);
            }
            "Enter" | " " => {
                e.prevent_default();
                e.stop_propagation();
                toggle();
            }
            _ => {}
        })
    };
    let onblur = {
        let (open, dismissed) = (open.clone(), dismissed.clone());
        Callback::from(move |_: FocusEvent| {
            open.set(false);
            dismissed.set(false);
        })
    };
    let class = classes!("term", open.then_some("open"), dismissed.then_some("dismissed"));
    html! {
        <span {class} tabindex="0" data-term={key} aria-describedby={(*id).clone()} {onclick} {onkeydown} {onblur}>
            { p.word.clone() }
            // Hidden from the name (and a heading's name); read as the description.
            <span class="term-tip" role="tooltip" id={(*id).clone()} aria-hidden="true">{ tip }</span>
        </span>
    }
}

/// `text` with each glossary word wrapped in a [`Term`] where it first
/// occurs, skipping the words in `done` and adding the ones it wraps: one
/// `done` across several texts explains each word once among them.
pub fn gloss(text: &str, done: &mut Vec<&'static str>) -> Html {
    let mut parts: Vec<Html> = Vec::new();
    let (mut at, mut plain) = (0, 0);
    while let Some((start, end, entry)) = glossary::find(text, at) {
        at = end;
        if done.contains(&entry.word) {
            continue;
        }
        done.push(entry.word);
        parts.push(html! { { text[plain..start].to_string() } });
        parts.push(html! { <Term word={text[start..end].to_string()} /> });
        plain = end;
    }
    parts.push(html! { { text[plain..].to_string() } });
    parts.into_iter().collect()
}

/// `text` with each glossary word explained where it first occurs in it.
pub fn gloss_once(text: &str) -> Html {
    gloss(text, &mut Vec::new())
}

/// The site's tagline, under its name on every page: its words are
/// explained there, before any lab's.
pub const TAGLINE: &str =
    "Exactly-once is an illusion. Build effectively-once: at-least-once delivery plus deduplication.";

/// The glossary words `text` explains when glossed, for a [`gloss`] below it
/// to skip; with the tagline's, which every page shows first.
pub fn explained_above(text: &str) -> Vec<&'static str> {
    let mut words = Vec::new();
    for t in [TAGLINE, text] {
        let mut at = 0;
        while let Some((_, end, entry)) = glossary::find(t, at) {
            at = end;
            if !words.contains(&entry.word) {
                words.push(entry.word);
            }
        }
    }
    words
}
