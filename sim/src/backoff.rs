//! Backoff strategies and the retry decision, shared by the Retries and Keys
//! labs. The formulas are those of Marc Brooker's "Exponential Backoff And
//! Jitter" (AWS Architecture Blog, 2015), in integer microseconds:
//!
//! - exponential: `min(cap, base * 2^n)`
//! - full jitter: `random_between(0, min(cap, base * 2^n))`
//! - equal jitter: `t = min(cap, base * 2^n); t/2 + random_between(0, t/2)`
//! - decorrelated: `min(cap, random_between(base, 3 * previous))`, previous starting at base
//!
//! `n` is the retry number and starts at 1 for the first backoff, as in the study.

use crate::rng::SimRng;
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

crate::choice_enum! {
    /// How a client waits between attempts.
    pub enum Strategy {
        /// Never retry.
        None = ("none", "No retry"),
        /// Retry at once.
        Immediate = ("immediate", "Immediate retry"),
        /// Always wait `base`.
        Constant = ("constant", "Constant delay"),
        /// `min(cap, base * 2^n)`, no jitter: clients that failed together retry together.
        Exponential = ("exponential", "Exponential, no jitter"),
        /// `random_between(0, min(cap, base * 2^n))`.
        FullJitter = ("full", "Full jitter"),
        /// Half the exponential delay fixed, half random.
        EqualJitter = ("equal", "Equal jitter"),
        /// `min(cap, random_between(base, 3 * previous))`.
        Decorrelated = ("decorrelated", "Decorrelated jitter"),
    }
}

/// The backoff state of one logical request (decorrelated jitter remembers
/// its previous sleep).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    strategy: Strategy,
    base_us: u64,
    cap_us: u64,
    previous_us: u64,
}

impl Backoff {
    /// A fresh backoff. `cap` below `base` is raised to `base`.
    pub fn new(strategy: Strategy, base: SimDuration, cap: SimDuration) -> Backoff {
        let base_us = base.as_us();
        Backoff { strategy, base_us, cap_us: cap.as_us().max(base_us), previous_us: base_us }
    }

    /// `min(cap, base * 2^n)` without overflow.
    fn exp_us(&self, n: u32) -> u64 {
        let factor = 1u64.checked_shl(n.min(63)).unwrap_or(u64::MAX);
        self.base_us.saturating_mul(factor).min(self.cap_us)
    }

    /// The sleep before retry number `n` (1 for the first retry), or `None`
    /// when the strategy does not retry.
    pub fn delay(&mut self, n: u32, rng: &mut SimRng) -> Option<SimDuration> {
        let us = match self.strategy {
            Strategy::None => return None,
            Strategy::Immediate => 0,
            Strategy::Constant => self.base_us.min(self.cap_us),
            Strategy::Exponential => self.exp_us(n),
            Strategy::FullJitter => rng.between_u64(0, self.exp_us(n)),
            Strategy::EqualJitter => {
                let t = self.exp_us(n);
                t / 2 + rng.between_u64(0, t / 2)
            }
            Strategy::Decorrelated => {
                let hi = self.previous_us.saturating_mul(3).max(self.base_us);
                let sleep = rng.between_u64(self.base_us, hi).min(self.cap_us);
                self.previous_us = sleep;
                sleep
            }
        };
        Some(SimDuration(us))
    }
}

/// What came back from an attempt, as far as the retry decision cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptResult {
    /// The network failed: connection refused or reset, request or response lost.
    NetworkError,
    /// The client gave up waiting.
    Timeout,
    /// An HTTP status, with a Retry-After delay when the server sent one.
    Status { code: u16, retry_after_ms: Option<u64> },
}

/// What the retry table says about one kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Retry it (after a backoff, and Retry-After when the server sent one).
    Retry,
    /// Retry it only when the request is idempotent or carries an
    /// Idempotency-Key: the server may have done the work already.
    OnlyIdempotent,
    /// Never retry it as it is.
    Never,
}

/// One row of the retry table: what failed, the verdict, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RetryRow {
    /// The failure: a status code or a kind of failure.
    pub what: &'static str,
    /// Whether a client retries it.
    pub verdict: Verdict,
    /// The source of the verdict.
    pub source: &'static str,
}

/// The retry table every lab's client follows, with its sources. The codes
/// are those [`status_verdict`] decides on; [`retryable`] reads both.
pub static RETRY_TABLE: [RetryRow; 10] = [
    RetryRow { what: "408 Request Timeout", verdict: Verdict::Retry, source: "RFC 9110 section 15.5.9: the client may repeat the request" },
    RetryRow { what: "409 Conflict, key in progress", verdict: Verdict::Retry, source: "IETF Idempotency-Key draft: a request with this key is still being processed; retry later. Any other 409 is a conflict the client must resolve (the labs send no other 409)" },
    RetryRow { what: "429 Too Many Requests", verdict: Verdict::Retry, source: "RFC 6585 section 4, with Retry-After when sent" },
    RetryRow { what: "500 Internal Server Error", verdict: Verdict::Retry, source: "RFC 9110 section 15.6.1: a server error that may not recur" },
    RetryRow { what: "502 Bad Gateway", verdict: Verdict::Retry, source: "RFC 9110 section 15.6.3: an upstream failed" },
    RetryRow { what: "503 Service Unavailable", verdict: Verdict::Retry, source: "RFC 9110 section 15.6.4: temporary overload or maintenance, with Retry-After when sent" },
    RetryRow { what: "504 Gateway Timeout", verdict: Verdict::Retry, source: "RFC 9110 section 15.6.5: an upstream did not answer in time" },
    RetryRow { what: "501, 505 and other 4xx", verdict: Verdict::Never, source: "RFC 9110 sections 15.5, 15.6.2 and 15.6.6: the server does not support the request, or the client must change it" },
    RetryRow { what: "Network error", verdict: Verdict::OnlyIdempotent, source: "RFC 9110 section 9.2.2: the request may have been applied; retry automatically only when it is idempotent (an Idempotency-Key makes it so)" },
    RetryRow { what: "Timeout", verdict: Verdict::OnlyIdempotent, source: "RFC 9110 section 9.2.2, as for a network error: the server may still do the work" },
];

/// The table's verdict on an HTTP status.
pub fn status_verdict(code: u16) -> Verdict {
    match code {
        408 | 409 | 429 | 500 | 502 | 503 | 504 => Verdict::Retry,
        _ => Verdict::Never,
    }
}

/// Whether an attempt's result may be retried, by [`RETRY_TABLE`]:
/// `idempotent` says whether the client treats the request as safe to
/// repeat (an idempotent request, or one carrying an Idempotency-Key).
pub fn retryable(result: AttemptResult, idempotent: bool) -> bool {
    let verdict = match result {
        AttemptResult::NetworkError | AttemptResult::Timeout => Verdict::OnlyIdempotent,
        AttemptResult::Status { code, .. } => status_verdict(code),
    };
    match verdict {
        Verdict::Retry => true,
        Verdict::OnlyIdempotent => idempotent,
        Verdict::Never => false,
    }
}

/// Whether an attempt's result may be retried for a request the client
/// treats as idempotent (the Keys lab's client: its lesson is what such
/// retries do with and without a key).
pub fn is_retryable(result: AttemptResult) -> bool {
    retryable(result, true)
}

/// The wait before the next attempt: the backoff's delay, stretched to the
/// server's Retry-After when the client honours it and the server sent one.
pub fn next_wait(backoff_delay: SimDuration, result: AttemptResult, honour_retry_after: bool) -> SimDuration {
    match result {
        AttemptResult::Status { retry_after_ms: Some(ms), .. } if honour_retry_after => {
            backoff_delay.max(SimDuration::from_ms(ms))
        }
        AttemptResult::Status { .. } | AttemptResult::NetworkError | AttemptResult::Timeout => backoff_delay,
    }
}

#[cfg(test)]
mod tests {
    use super::Strategy;
    use super::*;
    use proptest::prelude::*;

    const BASE: SimDuration = SimDuration::from_ms(5);
    const CAP: SimDuration = SimDuration::from_ms(2_000);

    #[test]
    fn exponential_doubles_from_n_equals_one_and_stops_at_the_cap() {
        let mut b = Backoff::new(Strategy::Exponential, BASE, CAP);
        let mut r = SimRng::stream(1, 1);
        let ms: Vec<u64> = (1..=12).map(|n| b.delay(n, &mut r).unwrap().as_us() / 1000).collect();
        assert_eq!(ms, vec![10, 20, 40, 80, 160, 320, 640, 1280, 2000, 2000, 2000, 2000]);
    }

    #[test]
    fn no_retry_gives_no_delay_and_immediate_gives_zero() {
        let mut r = SimRng::stream(1, 1);
        assert_eq!(Backoff::new(Strategy::None, BASE, CAP).delay(1, &mut r), None);
        assert_eq!(Backoff::new(Strategy::Immediate, BASE, CAP).delay(3, &mut r), Some(SimDuration::ZERO));
        assert_eq!(Backoff::new(Strategy::Constant, BASE, CAP).delay(9, &mut r), Some(BASE));
    }

    #[test]
    fn huge_attempt_numbers_do_not_overflow() {
        let mut r = SimRng::stream(1, 1);
        let mut b = Backoff::new(Strategy::FullJitter, SimDuration(u64::MAX / 2), SimDuration(u64::MAX));
        assert!(b.delay(u32::MAX, &mut r).is_some());
    }

    #[test]
    fn only_the_tables_statuses_are_retried() {
        let st = |code| AttemptResult::Status { code, retry_after_ms: None };
        for code in [408, 409, 429, 500, 502, 503, 504] {
            assert!(retryable(st(code), false), "{code}");
        }
        for code in [400, 401, 403, 404, 422, 501, 505] {
            assert!(!retryable(st(code), true), "{code}");
        }
    }

    #[test]
    fn network_errors_and_timeouts_are_retried_only_for_idempotent_requests() {
        for r in [AttemptResult::NetworkError, AttemptResult::Timeout] {
            assert!(retryable(r, true) && is_retryable(r));
            assert!(!retryable(r, false));
        }
    }

    #[test]
    fn every_status_the_table_names_gets_the_tables_verdict() {
        for row in &RETRY_TABLE {
            let codes: Vec<u16> = row
                .what
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .filter(|c| (100..600).contains(c))
                .collect();
            for code in codes {
                assert_eq!(status_verdict(code), row.verdict, "{}", row.what);
            }
        }
    }

    #[test]
    fn retry_after_stretches_the_wait_only_when_honoured() {
        let r = AttemptResult::Status { code: 503, retry_after_ms: Some(3_000) };
        assert_eq!(next_wait(SimDuration::from_ms(10), r, true), SimDuration::from_ms(3_000));
        assert_eq!(next_wait(SimDuration::from_ms(10), r, false), SimDuration::from_ms(10));
        assert_eq!(next_wait(SimDuration::from_ms(5_000), r, true), SimDuration::from_ms(5_000));
    }

    proptest! {
        #[test]
        fn jittered_delays_stay_within_their_formulas(seed in any::<u64>(), n in 1u32..20) {
            let mut r = SimRng::stream(seed, 9);
            let t = (BASE.as_us() << n).min(CAP.as_us());
            let full = Backoff::new(Strategy::FullJitter, BASE, CAP).delay(n, &mut r).unwrap().as_us();
            prop_assert!(full <= t);
            let equal = Backoff::new(Strategy::EqualJitter, BASE, CAP).delay(n, &mut r).unwrap().as_us();
            prop_assert!(equal >= t / 2 && equal <= t);
            let mut d = Backoff::new(Strategy::Decorrelated, BASE, CAP);
            let mut prev = BASE.as_us();
            for k in 1..=n {
                let s = d.delay(k, &mut r).unwrap().as_us();
                prop_assert!(s >= BASE.as_us().min(CAP.as_us()) && s <= CAP.as_us());
                prop_assert!(s <= (prev * 3).max(BASE.as_us()));
                prev = s;
            }
        }
    }
}
