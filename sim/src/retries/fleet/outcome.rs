//! What one attempt of the fleet came back with, as the client sees it.

use crate::backoff::AttemptResult;

/// What a call came back with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// 200.
    Ok,
    /// 503 because the queue was full, maybe with Retry-After.
    Overload,
    /// 503 during the outage.
    Outage,
    /// 500.
    ServerError,
    /// 400.
    ClientError,
    /// The client stopped waiting.
    Timeout,
}

impl Outcome {
    pub(super) fn as_result(self, retry_after_ms: u64) -> AttemptResult {
        let status = |code| AttemptResult::Status { code, retry_after_ms: None };
        match self {
            Outcome::Ok => status(200),
            Outcome::Overload => {
                AttemptResult::Status { code: 503, retry_after_ms: (retry_after_ms > 0).then_some(retry_after_ms) }
            }
            Outcome::Outage => status(503),
            Outcome::ServerError => status(500),
            Outcome::ClientError => status(400),
            Outcome::Timeout => AttemptResult::Timeout,
        }
    }

    pub(super) fn code(self) -> u16 {
        match self {
            Outcome::Ok => 200,
            Outcome::Overload | Outcome::Outage => 503,
            Outcome::ServerError => 500,
            Outcome::ClientError => 400,
            Outcome::Timeout => 0,
        }
    }
}
