//! The few places the app touches the browser: the URL, storage, media
//! queries, fresh seeds and the panic hook. Everything here degrades to a
//! harmless default when an API is missing, so no browser quirk can panic.

use crate::query::Query;
use wasm_bindgen::JsValue;

/// The current query string (`?…`), or empty.
pub fn current_search() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Writes `query` into the address bar now, dropping any write still
/// waiting ([`replace_search_soon`]). `push` adds a history entry (for a
/// change of area); otherwise the entry is replaced, so the back button does
/// not replay every drag.
pub fn write_url(query: &Query, push: bool) {
    cancel_pending_url();
    write_search(&query.to_search(), push);
}

/// How long the address bar waits after the last change before it follows,
/// in milliseconds (issue 13).
///
/// A history write is not free: in Chromium, `history.replaceState` costs
/// 2 to 3 ms and makes the browser load the page's icon again, 5 to 8 ms
/// in all per change, inside the frame the learner is waiting for. And
/// browsers cap history changes: Chromium ignores them past 200 in 10 s,
/// Firefox throws past 200 and Safari past 100 (whatwg/html issue 11844),
/// which a slider dragged for a few seconds, one write per input, would pass.
/// So the address bar follows once the learner pauses: a drag writes once,
/// no input's frame carries a write, and even steps held at 9 a second stay
/// under Safari's cap. While a write waits, `<html>` carries
/// `data-url-pending` (outside `<body>`, for scripts that read the address
/// bar: the end-to-end tests wait for it to go).
pub const URL_DELAY_MS: u32 = 100;

/// The address-bar change waiting to be written.
struct Pending {
    search: String,
    /// When the last change came, by the page's clock.
    changed_at: f64,
    /// One timer per pause, not per change: a change while it runs only
    /// moves `changed_at`, and the timer, when it fires early, waits out the
    /// rest (re-arming a browser timer on every input costs more than the
    /// check).
    _timer: gloo_timers::callback::Timeout,
}

thread_local! {
    static PENDING: std::cell::RefCell<Option<Pending>> = const { std::cell::RefCell::new(None) };
}

/// Marks `<html data-app-ready>`: the app has drawn its first page and its listeners are in place.
/// Sets or removes a `data-` flag on the root element (`<html>`), for styles
/// that scale from the root (the presenter view's type).
pub fn set_root_flag(name: &str, on: bool) {
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else { return };
    let _ = root.toggle_attribute_with_force(&format!("data-{name}"), on);
}

pub fn mark_app_ready() {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-app-ready", "");
    }
}

fn mark_pending(on: bool) {
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else { return };
    let _ = if on { root.set_attribute("data-url-pending", "") } else { root.remove_attribute("data-url-pending") };
}

fn arm(delay_ms: u32) -> gloo_timers::callback::Timeout {
    gloo_timers::callback::Timeout::new(delay_ms, || {
        let due = PENDING.with(|p| {
            let mut p = p.borrow_mut();
            let rest = p.as_ref().map(|x| f64::from(URL_DELAY_MS) - (now_ms() - x.changed_at))?;
            if rest >= 1.0 {
                // A change came since the timer was set: wait out the rest of its pause.
                if let Some(x) = p.as_mut() {
                    x._timer = arm(rest.ceil() as u32);
                }
                return None;
            }
            p.take().map(|x| x.search)
        });
        if let Some(search) = due {
            mark_pending(false);
            write_search(&search, false);
        }
    })
}

/// Replaces the address bar's query string with `search` (from
/// `Query::to_search`) once [`URL_DELAY_MS`] have passed without another
/// call, unless it is already there. The address bar lags behind the page,
/// never ahead of it.
pub fn replace_search_soon(search: &str) {
    if search == current_search() {
        // Back where the address bar already is: nothing to write.
        cancel_pending_url();
        return;
    }
    let now = now_ms();
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        match p.as_mut() {
            Some(x) => {
                x.search = search.to_string();
                x.changed_at = now;
            }
            None => {
                *p = Some(Pending { search: search.to_string(), changed_at: now, _timer: arm(URL_DELAY_MS) });
                mark_pending(true);
            }
        }
    });
}

/// Writes a waiting address-bar change now (the page is being hidden or left).
pub fn flush_pending_url() {
    if let Some(x) = PENDING.with(|p| p.borrow_mut().take()) {
        mark_pending(false);
        write_search(&x.search, false);
    }
}

/// Loads the page again at `search` (`?…`), in place of the current history
/// entry: how a page build for one area reaches another area (`labs::built`).
/// An element asked for by [`scroll_after_render`] and not drawn yet rides
/// along as the address's fragment (`#step-caption`), which the new page
/// reads on its first render ([`scroll_from_fragment`]): the address is
/// rewritten in place and then reloaded, since a `replace` that differs only
/// in its fragment would not load the page. The browser is told not to put
/// back the old page's scroll position over it.
pub fn reload_at(search: &str) {
    cancel_pending_url();
    let Some(window) = web_sys::window() else { return };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    let fragment = SCROLL_TARGET.with(|t| t.take()).map_or_else(String::new, |(id, _)| format!("#{id}"));
    if let Ok(history) = window.history() {
        if !fragment.is_empty() {
            let _ = history.set_scroll_restoration(web_sys::ScrollRestoration::Manual);
        }
        if history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{search}{fragment}"))).is_ok() {
            let _ = window.location().reload();
            return;
        }
    }
    let _ = window.location().replace(&format!("{path}{search}"));
}

/// The ids a reload may carry in its fragment to be brought into view.
const CARRIED: &[&str] = &["step-caption", "lesson-stop"];

/// Reads a fragment [`reload_at`] left, asks for its element once the page
/// has drawn, and takes the fragment off the address (a permalink copied
/// afterwards carries none). Other fragments are left alone.
pub fn scroll_from_fragment() {
    let Some(window) = web_sys::window() else { return };
    let hash = window.location().hash().unwrap_or_default();
    let Some(id) = CARRIED.iter().find(|id| hash.strip_prefix('#') == Some(**id)) else { return };
    scroll_after_render(id);
    if let Ok(history) = window.history() {
        let path = window.location().pathname().unwrap_or_else(|_| "/".into());
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}{}", current_search())));
    }
}

/// Drops a waiting address-bar change (the back button changed the address
/// bar, which is now the truth).
pub fn cancel_pending_url() {
    if PENDING.with(|p| p.borrow_mut().take()).is_some() {
        mark_pending(false);
    }
}

fn write_search(search: &str, push: bool) {
    let Some(window) = web_sys::window() else { return };
    let Ok(history) = window.history() else { return };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    let url = format!("{path}{search}");
    let current = format!("{path}{}", current_search());
    if url == current {
        return;
    }
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&url))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
    };
}

/// The absolute permalink of `query`.
pub fn permalink(query: &Query) -> String {
    let Some(window) = web_sys::window() else { return query.to_search() };
    let loc = window.location();
    let origin = loc.origin().unwrap_or_default();
    let path = loc.pathname().unwrap_or_else(|_| "/".into());
    format!("{origin}{path}{}", query.to_search())
}

/// Whether the learner asked the system for less motion.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// Reads a string from localStorage.
pub fn storage_get(key: &str) -> Option<String> {
    web_sys::window()?.local_storage().ok()??.get_item(key).ok()?
}

/// Writes a string to localStorage (silently a no-op where storage is denied).
pub fn storage_set(key: &str, value: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(key, value);
    }
}

/// Removes a key from localStorage.
pub fn storage_remove(key: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.remove_item(key);
    }
}

/// A fresh seed from the browser's entropy, for the "new seed" button. The
/// core never draws entropy itself; the seed then goes into the permalink.
pub fn fresh_seed() -> u64 {
    let mut buf = [0u8; 8];
    match getrandom::fill(&mut buf) {
        // Seeds stay below 2^53 so they survive a trip through JavaScript numbers.
        Ok(()) => u64::from_le_bytes(buf) & ((1u64 << 53) - 1),
        Err(_) => js_sys::Date::now() as u64,
    }
}

/// Milliseconds from the page's performance clock, for the in-browser
/// benchmarks and the address bar's pause (never inside the simulation).
pub fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// Shows any panic in the page and the console, so the app never dies silently.
/// Yew's renderer installs its own console-only hook unless a custom one is
/// registered with it, so this goes through `yew::set_custom_panic_hook`.
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let msg = format!("The lab hit an internal error (a bug): {info}");
        web_sys::console::error_1(&JsValue::from_str(&msg));
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
        let banner = doc.get_element_by_id("panic-banner").or_else(|| {
            let el = doc.create_element("div").ok()?;
            el.set_id("panic-banner");
            let _ = el.set_attribute("role", "alert");
            doc.body()?.prepend_with_node_1(&el).ok()?;
            Some(el)
        });
        if let Some(el) = banner {
            el.set_text_content(Some(&format!("{msg}. Reload the page to continue; the link keeps your place.")));
        }
    }));
}

/// Adds an event listener for `kind` on `target`; dropping the guard removes it.
pub fn listen(target: &web_sys::EventTarget, kind: &str, f: impl Fn(web_sys::Event) + 'static) -> ListenerGuard {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let closure = Closure::<dyn Fn(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    ListenerGuard { target: target.clone(), kind: kind.to_string(), closure }
}

/// Removes its listener when dropped.
pub struct ListenerGuard {
    target: web_sys::EventTarget,
    kind: String,
    closure: wasm_bindgen::closure::Closure<dyn Fn(web_sys::Event)>,
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        use wasm_bindgen::JsCast;
        let _ = self.target.remove_event_listener_with_callback(&self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// Posts a lab event to the embedding page, when there is one. The schema is
/// `{ source: "idemlab", version: 1, type, area, detail }` ([`crate::host`],
/// and README, section Embedding); `detail` is JSON built by the caller.
pub fn post_event(kind: &str, area: &str, detail: serde_json::Value) {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    // A page that is not framed is its own parent: nothing to tell.
    if js_sys::Object::is(&parent, &window) {
        return;
    }
    let msg = crate::host::lab_message(kind, area, detail);
    let Ok(value) = js_sys::JSON::parse(&msg.to_string()) else { return };
    let _ = parent.post_message(&value, "*");
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(a) = doc.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Copies `text` to the clipboard (best effort; some contexts deny it).
pub fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

thread_local! {
    static LAST_HEIGHT: std::cell::Cell<i32> = const { std::cell::Cell::new(-1) };
}

/// In an iframe, tells the embedding page the document's height when it
/// changed, so the page can size the frame without a scrollbar.
pub fn post_height(area: &str) {
    // The body's own height, not the document's scroll height: the latter
    // never drops below the frame's current height, so a frame could grow
    // but never shrink.
    let Some(h) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()).map(|b| b.offset_height()) else {
        return;
    };
    if LAST_HEIGHT.with(|c| c.replace(h)) != h {
        post_event("height", area, serde_json::json!({ "height": h }));
    }
}

/// A message from the embedding page, already checked against the allowed
/// origins: the parameters it asks to change.
pub fn host_message(e: &web_sys::Event, allowed_origins: &[String]) -> Option<Vec<(String, String)>> {
    use wasm_bindgen::JsCast;
    let m = e.dyn_ref::<web_sys::MessageEvent>()?;
    if !allowed_origins.iter().any(|o| *o == m.origin()) {
        return None;
    }
    let text = js_sys::JSON::stringify(&m.data()).ok()?.as_string()?;
    crate::host::parse_host_message(&text)
}

thread_local! {
    /// The element a navigation asked to bring into view once the next page
    /// has drawn, and how many more renders may pass before it is dropped.
    static SCROLL_TARGET: std::cell::Cell<Option<(&'static str, u8)>> = const { std::cell::Cell::new(None) };
}

/// Asks for the element with id `id` to be brought to the top of the view
/// after the next render of the app (issue 23: a symptom's link lands on the
/// step caption, "Next stop" on the stop's question, not 566 px past it).
pub fn scroll_after_render(id: &'static str) {
    SCROLL_TARGET.with(|t| t.set(Some((id, 4))));
}

/// Brings the element asked for by [`scroll_after_render`] to the top of the
/// view, once, unless it is wholly in view already; called by the app after
/// each render. An element not drawn yet (a page build that must first load
/// another: `reload_at` carries the request) stays asked for, for up to four
/// renders; nothing happens when none was asked for.
pub fn scroll_to_asked() {
    if let Some((id, left)) = SCROLL_TARGET.with(|t| t.get()) {
        let keep = !bring_into_view(id) && left > 1;
        SCROLL_TARGET.with(|t| t.set(keep.then_some((id, left - 1))));
    }
}

/// Brings the element with id `id` to the top of the view, unless it is
/// wholly in view already; false when the page has no such element.
pub fn bring_into_view(id: &str) -> bool {
    let Some(win) = web_sys::window() else { return true };
    let Some(el) = win.document().and_then(|d| d.get_element_by_id(id)) else { return false };
    let r = el.get_bounding_client_rect();
    let height = win.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
    if r.top() >= 0.0 && r.bottom() <= height {
        return true;
    }
    let opts = web_sys::ScrollIntoViewOptions::new();
    opts.set_block(web_sys::ScrollLogicalPosition::Start);
    opts.set_behavior(web_sys::ScrollBehavior::Instant);
    el.scroll_into_view_with_scroll_into_view_options(&opts);
    true
}
