//! The Web Worker entry Trunk builds next to the app (`data-type="worker"`):
//! it runs the jobs labs hand to `offload::use_offload`.

use gloo_worker::Registrable;

fn main() {
    // Loaded on a page's own thread (a browser that gives the page no Web
    // Worker, `offload::here`), this wasm only lends its handler parser
    // (`explore_handler`): there is no worker scope to register in.
    if web_sys::window().is_some() {
        return;
    }
    idemlab_web::offload::OffloadWorker::registrar().register();
}
