//! The Idempotency Lab's simulation core.
//!
//! Pure and deterministic: no I/O, no wall clock, no OS entropy. Simulated time
//! ([`time::SimTime`]) advances only by popping events from
//! [`sched::Scheduler`]; one `u64` seed drives every [`rng::SimRng`] stream; every
//! engine records what it did as a typed [`trace::Trace`] and returns effects
//! and views as plain data for the web app and the CLI to render.

// sim/clippy.toml bans reading the clock. The unit tests may time a run (they
// print BENCH figures); the library itself is checked without cfg(test).
#![cfg_attr(test, allow(clippy::disallowed_methods, reason = "tests time runs; the core never does"))]
// An assertion in the core states its invariant in words, so a failure reads
// as a sentence; a test's name is its sentence already.
#![cfg_attr(not(test), warn(clippy::missing_assert_message))]

pub mod kernel;

pub mod backoff;
pub mod delivery;
pub mod glossary;
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
