//! The Idempotency Lab's simulation core.
//!
//! Pure and deterministic: no I/O, no wall clock, no OS entropy. Simulated time
//! ([`time::SimTime`]) advances only by popping events from
//! [`sched::Scheduler`]; one `u64` seed drives every [`rng::SimRng`] stream; every
//! engine records what it did as a typed [`trace::Trace`] and returns effects
//! and views as plain data for the web app and the CLI to render.

pub mod backoff;
pub mod delivery;
pub mod error;
pub mod golden;
pub mod keys;
pub mod outbox;
pub mod races;
pub mod retries;
pub mod rng;
pub mod sched;
pub mod time;
pub mod trace;

pub use error::SimError;
pub use time::{SimDuration, SimTime};
