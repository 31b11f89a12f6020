//! Browser tests of the one lab shape: every lab page draws each knob's
//! control with the bounds and step of the core's knob schema, the same
//! schema the permalink, the CLI and `validate()` read (`sim/tests/schema.rs`).
#![cfg(target_arch = "wasm32")]

use idemlab_sim::knob::{KnobKind, Params};
use idemlab_sim::lab::Lab;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod support;
use support::*;

/// Renders lab `L` and checks every knob's control against the schema.
async fn controls_follow_the_schema<L: Lab>() {
    let root = mount_at(&format!("?area={}", L::SLUG));
    yew::Renderer::<idemlab_web::app::App>::with_root(root.clone()).render();
    next_frames().await;
    let mut checked = 0;
    for k in L::Params::knobs() {
        let id = format!("#{}-{}", L::SLUG, k.key);
        let el = root.query_selector(&id).unwrap().unwrap_or_else(|| panic!("{id}: no control on the page"));
        let (min, max) = k.kind.bounds();
        match k.kind {
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
        checked += 1;
    }
    assert!(checked > 0);
    root.set_inner_html("");
}

#[wasm_bindgen_test]
async fn every_knob_control_on_every_lab_page_uses_the_schemas_bounds() {
    controls_follow_the_schema::<idemlab_sim::keys::KeysLab>().await;
}
