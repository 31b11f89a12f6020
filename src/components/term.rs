//! A word with its explanation on hover and on keyboard focus, the same on
//! every lab (recovery point, fingerprint, relay, partition, 23505, ...).

use yew::prelude::*;

/// Props of [`Term`].
#[derive(Properties, PartialEq, Clone)]
pub struct TermProps {
    /// The word as written.
    pub word: AttrValue,
    /// What it means, in a sentence.
    pub tip: AttrValue,
}

/// A term whose explanation shows on hover and on keyboard focus.
#[component]
pub fn Term(p: &TermProps) -> Html {
    html! {
        <span class="term" tabindex="0" data-term={p.word.clone()} data-tip={p.tip.clone()}>
            { p.word.clone() }<span class="visually-hidden">{ format!(" ({})", p.tip) }</span>
        </span>
    }
}
