//! Browser tests of the one lab shape: every lab page draws each knob's
//! control with the bounds and step of the core's knob schema, the same
//! schema the permalink, the CLI and `validate()` read (`sim/tests/schema.rs`).
#![cfg(target_arch = "wasm32")]

use idemlab_sim::knob::{KnobKind, Params};
use idemlab_sim::lab::Lab;
use idemlab_sim::labs::{Area, LabVisitor};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

/// Renders lab `L` at each of `links` and checks every knob's control
/// against the schema. A knob may be hidden in one view (Retries shows the
/// study's knobs only in the study view), but every knob must appear in one
/// of the links; a choice knob with no control of its own must be offered as
/// links, one per choice: preset buttons (the Races scenario) or tabs marked
/// `data-<key>` (the Retries view).
async fn controls_follow_the_schema<L: Lab>(links: &[&str]) {
    let mut seen = vec![false; L::Params::knobs().len()];
    for link in links {
        let root = mount_at(link);
        yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
        next_frames().await;
        assert!(root.query_selector(&format!("[data-lab=\"{}\"]", L::SLUG)).unwrap().is_some(), "{link}: no lab");
        for (i, k) in L::Params::knobs().iter().enumerate() {
            let id = format!("#{}-{}", L::SLUG, k.key);
            let Some(el) = root.query_selector(&id).unwrap() else {
                if let KnobKind::Choice(list) = k.kind {
                    let offered = |slug: &str| {
                        let sel = format!("a[data-preset=\"{slug}\"], a[data-{}=\"{slug}\"]", k.key);
                        root.query_selector(&sel).unwrap().is_some()
                    };
                    seen[i] |= list.iter().all(|(slug, _)| offered(slug));
                }
                continue;
            };
            seen[i] = true;
            let (min, max) = k.kind.bounds();
            match k.kind {
                // A few whole numbers may be a list (the Races handler's lanes): one option per value.
                KnobKind::Int { step, .. } if el.tag_name().eq_ignore_ascii_case("select") => {
                    let options = el.query_selector_all("option").unwrap();
                    let values: Vec<String> = (0..options.length())
                        .filter_map(|i| options.item(i))
                        .filter_map(|o| o.dyn_into::<web_sys::Element>().ok())
                        .filter_map(|o| o.get_attribute("value"))
                        .collect();
                    let want: Vec<String> = (min..=max).step_by(step as usize).map(|v| v.to_string()).collect();
                    assert_eq!(values, want, "{id} options");
                }
                KnobKind::Int { step, .. } => {
                    assert_eq!(el.get_attribute("min"), Some(min.to_string()), "{id} min");
                    assert_eq!(el.get_attribute("max"), Some(max.to_string()), "{id} max");
                    assert_eq!(el.get_attribute("step"), Some(step.to_string()), "{id} step");
                }
                KnobKind::Percent => {
                    assert_eq!(el.get_attribute("min").as_deref(), Some("0"), "{id} min");
                    assert_eq!(el.get_attribute("max").as_deref(), Some("100"), "{id} max");
                }
                KnobKind::Flag => assert_eq!(el.get_attribute("type").as_deref(), Some("checkbox"), "{id}"),
                KnobKind::Choice(list) => {
                    assert_eq!(el.tag_name().to_ascii_lowercase(), "select", "{id}");
                    assert_eq!(el.query_selector_all("option").unwrap().length() as usize, list.len(), "{id} options");
                }
                KnobKind::Seed => assert!(el.query_selector("button").unwrap().is_some(), "{id}: no New seed button"),
            }
        }
        root.set_inner_html("");
    }
    for (k, seen) in L::Params::knobs().iter().zip(&seen) {
        assert!(*seen, "{}: knob {} has no control on any of {links:?}", L::SLUG, k.key);
    }
}

#[wasm_bindgen_test]
async fn every_knob_control_on_every_lab_page_uses_the_schemas_bounds() {
    /// Each lab's page, and one link per value of a `mode` knob (the
    /// Retries views), since a view may hide knobs the others show.
    struct Check;
    impl LabVisitor for Check {
        type Out = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;
        fn lab<L: Lab + 'static>(self) -> Self::Out {
            let mut links = vec![format!("?area={}", L::SLUG)];
            if let Some(KnobKind::Choice(list)) = L::Params::knob("mode").map(|k| k.kind) {
                links = list.iter().map(|(m, _)| format!("?area={}&mode={m}", L::SLUG)).collect();
            }
            Box::pin(async move {
                let links: Vec<&str> = links.iter().map(String::as_str).collect();
                controls_follow_the_schema::<L>(&links).await;
            })
        }
    }
    for area in Area::LABS {
        area.visit(Check).expect("a lab area visits its engine").await;
    }
}
