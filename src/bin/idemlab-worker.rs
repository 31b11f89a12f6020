//! The Web Worker entry Trunk builds next to the app (`data-type="worker"`):
//! it runs the jobs labs hand to `offload::use_offload`.

use gloo_worker::Registrable;

fn main() {
    idemlab_web::offload::OffloadWorker::registrar().register();
}
