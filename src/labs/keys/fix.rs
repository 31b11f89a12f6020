//! "The fix": once a buggy preset's failure is on screen and its question is
//! answered, a link to the preset that shows the same fault absorbed
//! (`presets::fix_of`), written by the shell's link writer and opening at
//! that run's own landing step, its caption in view.

use crate::labs::LabPage;
use crate::query::Query;
use crate::shell::{apply, LabAction};
use crate::web;
use idemlab_sim::keys::{presets, KeysLab};
use idemlab_sim::lab::Lab;
use yew::prelude::*;

/// The link to the fix of preset `slug`, or nothing when it has none (or a
/// lock forbids changing the preset).
pub fn fix_link(q: &Query, slug: &str, on_query: &Callback<Query>) -> Html {
    let Some(fixed) = presets::fix_of(slug).and_then(KeysLab::preset) else { return html! {} };
    let at = KeysLab::landing_step(&KeysLab::preset_params(fixed));
    let action = LabAction::Then(vec![LabAction::Preset(fixed.slug), LabAction::Step(at)]);
    let Some(mut next) = apply::<KeysLab>(q, &action) else { return html! {} };
    next.warnings.clear();
    let onclick = {
        let (next, on_query) = (next.clone(), on_query.clone());
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            // Back returns to the bug; the fix's step caption comes into view.
            web::write_url(&next, true);
            web::scroll_after_render("step-caption");
            on_query.emit(next.clone());
        })
    };
    html! {
        <p class="keys-fix">
            <a class="fix-link" href={next.to_search()} data-fix={fixed.slug} {onclick}>
                { format!("The fix: {} →", fixed.title) }
            </a>
        </p>
    }
}
