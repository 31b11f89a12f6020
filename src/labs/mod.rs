//! One module per area. `render` picks the area's component.

use crate::app::LabProps;
use crate::query::{Area, Query};
use yew::prelude::*;

pub mod about;
pub mod pending;
pub mod retries;

/// The component for `area`, given the permalink state.
pub fn render(area: Area, query: Query, on_query: Callback<Query>) -> Html {
    let props = LabProps { query, on_query };
    match area {
        Area::About => html! { <about::About ..props /> },
        Area::Keys => html! { <pending::Pending area={area} /> },
        Area::Retries => html! { <retries::Retries ..props /> },
        Area::Outbox => html! { <pending::Pending area={area} /> },
        Area::Races => html! { <pending::Pending area={area} /> },
        Area::Recall => html! { <pending::Pending area={area} /> },
    }
}
