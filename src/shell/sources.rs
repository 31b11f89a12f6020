//! The Sources panel: every modelling choice a lab makes, the reference it
//! follows, and what it simplifies on purpose. One implementation for every
//! lab; the rows live in the core beside the engine (`Lab::sources`).

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
    html! {
        <details class="sources">
            <summary>{ "Sources and modelling choices" }</summary>
            <table>
                <thead><tr><th scope="col">{ "What the lab does" }</th><th scope="col">{ "Source" }</th><th scope="col">{ "Simplified on purpose" }</th></tr></thead>
                <tbody>
                    { for p.sources.iter().map(|s| html! {
                        <tr>
                            <td>{ s.choice }</td>
                            <td>{ s.reference }</td>
                            <td>{ s.simplification.unwrap_or("—") }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </details>
    }
}
