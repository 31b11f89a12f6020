//! Entry point Trunk builds to wasm32.

fn main() {
    idemlab_web::web::install_panic_hook();
    yew::Renderer::<idemlab_web::app::App>::new().render();
}
