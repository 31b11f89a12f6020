//! The honest page for an area whose lab is not built yet.

use crate::components::LinkWarnings;
use crate::query::Area;
use yew::prelude::*;

/// Props of [`Pending`].
#[derive(Properties, PartialEq, Clone)]
pub struct PendingProps {
    /// Which area.
    pub area: Area,
    /// What was wrong with the link.
    pub warnings: Vec<String>,
}

/// Says plainly that this lab is not built yet.
#[component]
pub fn Pending(p: &PendingProps) -> Html {
    html! {
        <section class="lab pending" data-lab={p.area.slug()}>
            <LinkWarnings warnings={p.warnings.clone()} />
            <h2>{ p.area.title() }</h2>
            <p class="not-built">{ "This lab is not built yet. The About page's delivery demonstration already runs on the simulation core every lab will use." }</p>
        </section>
    }
}
