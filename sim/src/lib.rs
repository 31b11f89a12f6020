//! The Idempotency Lab's simulation core.
//!
//! Pure and deterministic: no I/O, no wall clock, no OS entropy. Simulated time
//! ([`time::SimTime`]) advances only by popping events from
//! [`sched::Scheduler`]; one `u64` seed drives every [`rng::SimRng`] stream; every
//! engine records what it did as a typed [`trace::Trace`] and returns effects
//! and views as plain data for the web app and the CLI to render.

pub mod kernel;

pub mod backoff;
pub mod delivery;
pub mod golden;
pub mod keys;
pub mod labs;
pub mod outbox;
pub mod races;
pub mod retries;

// The kernel's modules at the crate root, where every engine imports them.
pub use kernel::{error, knob, lab, permalink, rng, sched, time, trace};

pub use error::SimError;
pub use time::{SimDuration, SimTime};
