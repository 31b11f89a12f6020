//! The Idempotency Lab's web app: a thin Yew face over `idemlab-sim`.
//!
//! `shell` is the one lab shape every lab page uses (its state hook, typed
//! actions, knob panel and preset bar); `components` are the shared views
//! (sliders, step controls, timeline, charts, evidence counters); `labs` has
//! one module per area, holding its markup and lab-specific views. `web` and
//! `host` are the edges to the browser: the URL, storage, timers, and
//! messages from an embedding page. The permalink itself is the core's
//! (`idemlab_sim::permalink`), so `idemlab url` reads links exactly as the
//! page does.

pub mod app;
pub mod components;
pub mod host;
pub mod labs;
pub mod offload;
pub mod shell;
pub mod web;

/// The permalink state, from the core, with the registry's areas.
pub mod query {
    pub use idemlab_sim::labs::Area;
    pub use idemlab_sim::permalink::*;
}
