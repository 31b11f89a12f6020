//! Errors a run can end with. Exceeding a limit is an error value, never a hang
//! or a panic.

use serde::Serialize;
use std::fmt;

/// Why a simulation run stopped early.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SimError {
    /// The run popped more events than its budget allows.
    EventBudgetExceeded {
        /// The budget that was exceeded.
        events_max: u64,
    },
    /// Too many events were waiting at once.
    QueueFull {
        /// The queue's bound.
        len_max: usize,
    },
    /// An engine tried to schedule an event before the current time.
    ScheduledInPast {
        /// The scheduler's time when it was asked.
        now_us: u64,
        /// The time asked for.
        at_us: u64,
    },
    /// A parameter was outside what the engine accepts.
    InvalidParameter {
        /// Which parameter.
        name: &'static str,
        /// Why it was refused, in words a learner can act on.
        reason: String,
    },
    /// A broken internal invariant: always a bug in the engine.
    Internal(&'static str),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::EventBudgetExceeded { events_max } => {
                write!(f, "the run stopped after its budget of {events_max} events")
            }
            SimError::QueueFull { len_max } => {
                write!(f, "more than {len_max} events were waiting at once")
            }
            SimError::ScheduledInPast { now_us, at_us } => {
                write!(f, "an event was scheduled at {at_us} us, before the current time {now_us} us")
            }
            SimError::InvalidParameter { name, reason } => write!(f, "parameter {name}: {reason}"),
            SimError::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for SimError {}
