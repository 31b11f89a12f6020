//! The Sources panel: every modelling choice a lab makes, the reference it
//! follows, and what it simplifies on purpose. One implementation for every
//! lab; the rows live in the core beside the engine (`Lab::sources`).

use crate::components::gloss;
use idemlab_sim::lab::Source;
use yew::prelude::*;

/// Props of [`SourcesPanel`].
#[derive(Properties, PartialEq, Clone)]
pub struct SourcesPanelProps {
    /// The lab's rows.
    pub sources: &'static [Source],
}

/// A collapsible table of choices, references and simplifications.
#[component]
pub fn SourcesPanel(p: &SourcesPanelProps) -> Html {
    if p.sources.is_empty() {
        return html! {};
    }
    // Each word is explained once in the panel, for a reader who opens it
    // straight from a link or a search.
    let mut done = Vec::new();
    html! {
        <details class="sources">
            <summary>{ "Sources and modelling choices" }</summary>
            <table>
                <thead><tr><th scope="col">{ "What the lab does" }</th><th scope="col">{ "Source" }</th><th scope="col">{ "Simplified on purpose" }</th></tr></thead>
                <tbody>
                    { for p.sources.iter().map(|s| html! {
                        <tr>
                            <td>{ gloss(s.choice, &mut done) }</td>
                            <td>{ gloss(s.reference, &mut done) }</td>
                            <td>{ gloss(s.simplification.unwrap_or("—"), &mut done) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </details>
    }
}
