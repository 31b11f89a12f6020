//! Helpers shared by the browser component tests (`tests/web*.rs`).
#![allow(dead_code, reason = "each test file uses its own subset")]

/// Lets Yew render: it schedules renders asynchronously, and two timer
/// turns are enough for a mount plus one state update to settle.
pub async fn next_frames() {
    gloo_timers::future::TimeoutFuture::new(0).await;
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Replaces the page's query string, as a permalink would set it.
pub fn set_url(search: &str) {
    let w = web_sys::window().unwrap();
    w.history().unwrap().replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(search)).unwrap();
}

/// A fresh element appended to the body, to mount a component into.
pub fn mount_point() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    el
}

/// Sets the query string, then returns a fresh mount point.
pub fn mount_at(search: &str) -> web_sys::Element {
    set_url(search);
    mount_point()
}
