//! The kernel every engine stands on: simulated time, the event queue and its
//! limits, seeded random streams, typed traces, errors, the knob schema, the
//! permalink and the engine contract. Nothing here knows any lab.

pub mod error;
pub mod knob;
pub mod lab;
pub mod permalink;
pub mod rng;
pub mod sched;
pub mod time;
pub mod trace;
