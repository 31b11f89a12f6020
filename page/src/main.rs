//! Entry point Trunk builds to wasm32.

fn main() {
    idemlab_web::web::install_panic_hook();
    // index.html paints a line before the WebAssembly arrives; the app replaces it.
    if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
        boot.remove();
    }
    yew::Renderer::<idemlab_web::app::App>::new().render();
}
