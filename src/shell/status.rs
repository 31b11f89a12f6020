//! What a change of setting did, said once: after a knob, a preset, a seed or
//! an area change, one status line names the counters that changed ("Effects
//! applied twice or more: 0, was 4"), and the page title names the area and
//! the preset. Stepping says nothing here (the step caption speaks for it).

use crate::query::{Area, Query};
use crate::web;
use idemlab_sim::lab::{Counter, Lab, Preset};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The id of the status line [`super::LabLayout`] draws.
pub const STATUS_ID: &str = "change-status";

/// Changes named in one line at most; the rest are counted.
const NAMED_MAX: usize = 3;

/// The status line after a new run: each counter whose value changed, as
/// "label: new, was old", the first few by the lab's order. `None` when the
/// two runs have different counters (another kind of run).
pub fn change_words(before: &[Counter], after: &[Counter]) -> Option<String> {
    if before.len() != after.len() || before.iter().zip(after).any(|(b, a)| b.id != a.id) {
        return None;
    }
    let changed: Vec<String> = before
        .iter()
        .zip(after)
        .filter(|(b, a)| b.value.human() != a.value.human())
        .map(|(b, a)| format!("{}: {}, was {}", a.label, a.value.human(), b.value.human()))
        .collect();
    Some(match changed.len() {
        0 => "New run: no counter changed.".to_string(),
        n if n <= NAMED_MAX => format!("New run: {}.", changed.join("; ")),
        n => format!("New run: {}; and {} more changed.", changed[..NAMED_MAX].join("; "), n - NAMED_MAX),
    })
}

/// The page title: the area and the preset (or "custom").
pub fn page_title(area: &str, preset: Option<&Preset>) -> String {
    let preset = preset.map_or("custom settings", |p| p.title);
    format!("{area}: {preset} · Idempotency Lab")
}

/// Names the effect of a change in the status line and keeps the page title
/// current. `counters` are the fresh run's (`None` while it computes).
#[hook]
pub fn use_change_status<L: Lab + 'static>(
    params: &L::Params,
    preset: Option<&'static Preset>,
    counters: Option<Vec<Counter>>,
) {
    let last = use_mut_ref(|| None::<(L::Params, Vec<Counter>)>);
    let area = Area::from_slug(L::SLUG).map_or(L::SLUG, Area::title);
    let title = page_title(area, preset);
    let fresh = counters.is_some();
    use_effect_with((params.clone(), fresh, title), move |(params, _, title)| {
        // A lesson shows a lab inside the Recall page: the page keeps its own title.
        let own_page = Query::parse(&web::current_search()).area().slug() == L::SLUG;
        if let Some(doc) = web_sys::window().and_then(|w| w.document()).filter(|_| own_page) {
            doc.set_title(title);
        }
        let Some(now) = counters else { return };
        let mut last = last.borrow_mut();
        let said = match &*last {
            Some((p, before)) if p != params => change_words(before, &now),
            Some(_) => None,
            // A new area: its name and preset, the title's words.
            None => Some(format!("Showing {}.", title.trim_end_matches(" · Idempotency Lab"))),
        };
        if let Some(words) = said {
            say(&words);
        }
        *last = Some((params.clone(), now));
    });
}

/// Writes `words` into the status line (a live region the layout drew empty).
fn say(words: &str) {
    let el = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(STATUS_ID));
    if let Some(el) = el.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        el.set_text_content(Some(words));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::lab::Figure;

    fn c(id: &'static str, v: u64) -> Counter {
        Counter::new(id, id, Figure::Count(v))
    }

    #[test]
    fn a_changed_count_is_named_with_its_old_value() {
        let before = [c("applied", 10), c("twice", 4)];
        let after = [c("applied", 10), c("twice", 0)];
        assert_eq!(change_words(&before, &after).as_deref(), Some("New run: twice: 0, was 4."));
    }

    #[test]
    fn many_changes_name_three_and_count_the_rest() {
        let before: Vec<Counter> = ["a", "b", "c", "d", "e"].iter().map(|k| c(k, 1)).collect();
        let after: Vec<Counter> = ["a", "b", "c", "d", "e"].iter().map(|k| c(k, 2)).collect();
        let said = change_words(&before, &after).unwrap_or_default();
        assert!(said.ends_with("; and 2 more changed."), "{said}");
        assert!(said.contains("a: 2, was 1; b: 2, was 1; c: 2, was 1"), "{said}");
    }

    #[test]
    fn runs_with_other_counters_are_not_compared_and_equal_runs_say_so() {
        assert_eq!(change_words(&[c("a", 1)], &[c("b", 1)]), None);
        assert_eq!(change_words(&[c("a", 1)], &[c("a", 1)]).as_deref(), Some("New run: no counter changed."));
    }

    #[test]
    fn the_title_names_the_area_and_the_preset() {
        assert_eq!(page_title("About", None), "About: custom settings · Idempotency Lab");
    }
}
