//! Simulated time. It is an integer count of microseconds and only the
//! scheduler moves it forward; nothing in the core reads a wall clock.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

/// A point in simulated time, in microseconds since the run began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(pub u64);

/// A span of simulated time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The instant a run starts.
    pub const ZERO: SimTime = SimTime(0);

    /// Builds a time from whole milliseconds.
    pub const fn from_ms(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(1_000))
    }

    /// Microseconds since the start of the run.
    pub const fn as_us(self) -> u64 {
        self.0
    }

    /// Milliseconds since the start of the run, as a float for charts.
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }

    /// The span from `earlier` to `self`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// Builds a span from whole microseconds.
    pub const fn from_us(us: u64) -> SimDuration {
        SimDuration(us)
    }

    /// Builds a span from whole milliseconds.
    pub const fn from_ms(ms: u64) -> SimDuration {
        SimDuration(ms.saturating_mul(1_000))
    }

    /// Builds a span from whole seconds.
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s.saturating_mul(1_000_000))
    }

    /// The span in microseconds.
    pub const fn as_us(self) -> u64 {
        self.0
    }

    /// The span in milliseconds, as a float for charts.
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1_000.0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        // Saturating: a run is bounded long before u64 microseconds overflow,
        // and a saturated time is still caught by the run's time limit.
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.saturating_since(rhs)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} ms", self.as_ms_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} ms", self.as_ms_f64())
    }
}
