//! One module per area. `render` picks the area's component.

use crate::query::{Area, Query};
use crate::shell::LabProps;
use yew::prelude::*;

pub mod about;
pub mod keys;
pub mod lessons;
pub mod outbox;
pub mod races;
pub mod races_editor;
pub mod recall;
pub mod retries;

/// The component for `area`, given the permalink state.
pub fn render(area: Area, query: Query, on_query: Callback<Query>) -> Html {
    let props = LabProps { query, on_query };
    match area {
        Area::About => html! { <about::About ..props /> },
        Area::Keys => html! { <keys::Keys ..props /> },
        Area::Retries => html! { <retries::Retries ..props /> },
        Area::Outbox => html! { <outbox::OutboxPage ..props /> },
        Area::Races => html! { <races::Races ..props /> },
        // A guided lesson is a route under Recall: `?area=recall&lesson=<id>`.
        Area::Recall if props.query.get("lesson").is_some() => html! { <lessons::LessonPage ..props /> },
        Area::Recall => html! { <recall::Recall ..props /> },
    }
}
