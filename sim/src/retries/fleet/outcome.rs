//! What one attempt of the fleet came back with, as the client sees it.

use super::params::FleetParams;
use crate::backoff::AttemptResult;
use crate::retries::normal::NormalStream;

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

/// The Retry-After a client reads from an overload 503 answered at `now`,
/// in ms. As delay-seconds it is the knob (whole seconds); as an HTTP-date
/// (RFC 9110, 10.2.3) it names a whole second of the server's clock, so the
/// client waits until that second begins: every client turned away within
/// the same second retries at the same instant. The modelled server writes
/// now + delay rounded up to its second, so no client waits less than the
/// delay; a server whose date formatter drops the fraction would name the
/// second before, up to a second sooner.
pub(super) fn retry_after_ms_at(p: &FleetParams, now: u64) -> u64 {
    let ra = p.retry_after_ms;
    if !p.retry_after_date || ra == 0 {
        return ra;
    }
    let at = (now + ra * 1_000).div_ceil(1_000_000) * 1_000_000;
    (at - now).div_ceil(1_000)
}

/// Hop delay: |Normal(10 ms, 2 ms)| as in the study workload.
#[inline]
pub(super) fn hop_us(draws: &mut NormalStream) -> u64 {
    (draws.normal(10_000.0, 2_000.0).abs() + 0.5) as u64
}
