//! The Idempotency Lab's web app: a thin Yew face over `idemlab-sim`.
//!
//! `query` holds the permalink state (pure, tested natively); `web` is the
//! only module that calls browser APIs directly; `components` are shared by
//! every lab (sliders, step controls, timeline, charts, evidence counters);
//! `labs` has one module per area.

pub mod app;
pub mod components;
pub mod labs;
pub mod query;
pub mod web;
