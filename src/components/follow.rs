//! The picture follows the cursor where the picture is not a timeline (the
//! timeline has its own, sideways, in `timeline.rs`): Outbox's pipeline
//! marks the actor that acts at this step, About's strip the record. After
//! each step the marked element is scrolled into view, as little as needed,
//! in its own scroll box and in the page, so a jump or a clicker's step on a
//! phone or a projector never leaves it off screen.

use yew::prelude::*;

/// After each step but the first, scrolls the element `selector` finds
/// inside `root` into view when it is off screen or outside the box that
/// scrolls it sideways: "nearest", so the page moves as little as it can
/// and does not move at all while the mark shows (the step buttons stay
/// under a presenter's pointer).
#[hook]
pub fn use_keep_in_view(root: &NodeRef, selector: &'static str, step: usize) {
    let root = root.clone();
    use_effect_with(step, move |step| {
        // Step 0 is the landing: the page stays where the learner is.
        if *step == 0 {
            return;
        }
        let Some(el) = root.cast::<web_sys::Element>() else { return };
        let Ok(Some(mark)) = el.query_selector(selector) else { return };
        if shows(&mark) {
            return;
        }
        let opts = web_sys::ScrollIntoViewOptions::new();
        opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
        opts.set_inline(web_sys::ScrollLogicalPosition::Nearest);
        mark.scroll_into_view_with_scroll_into_view_options(&opts);
    });
}

/// Whether `mark` shows: it reaches into the viewport's height, and its
/// middle lies inside the viewport's width and inside the nearest box that
/// scrolls sideways around it.
fn shows(mark: &web_sys::Element) -> bool {
    let Some(win) = web_sys::window() else { return true };
    let size = |v: Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let (w, h) = (size(win.inner_width()), size(win.inner_height()));
    let r = mark.get_bounding_client_rect();
    let x = r.left() + r.width() / 2.0;
    if r.bottom() <= 0.0 || r.top() >= h || x < 0.0 || x > w {
        return false;
    }
    let mut up = mark.parent_element();
    for _ in 0..8 {
        match up {
            Some(p) if p.scroll_width() > p.client_width() + 1 => {
                let b = p.get_bounding_client_rect();
                return x >= b.left() && x <= b.right();
            }
            Some(p) => up = p.parent_element(),
            None => break,
        }
    }
    true
}
