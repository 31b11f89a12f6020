//! The client-side throttles the sources describe, beside the Finagle-style
//! budget the engine keeps itself. Each is off at its zero setting, and then
//! draws nothing and changes nothing, so runs without it are unchanged.
//!
//! - gRPC retry throttling (gRPC A6 "Client Retries"): each client holds a
//!   token count starting at maxTokens; a failed attempt costs 1, a success
//!   adds tokenRatio, and a retry is allowed only while tokens > maxTokens / 2.
//!   Both are counted when the answer reaches the client.
//! - Adaptive client throttling (Google SRE book, "Handling Overload"): a
//!   client rejects a request locally with probability
//!   max(0, (requests - K × accepts) / (requests + 1)) over the last two
//!   minutes. An accept is an answer the backend gave (200, 500, 400) and
//!   the client received, counted when it arrives; a timeout is none, even
//!   when the server served the call after the client stopped waiting.
//!   Simplification: the fleet shares one two-minute history (the book
//!   keeps one per client), counted in one-second slots.

use super::params::FleetParams;
use crate::rng::SimRng;

/// The adaptive throttle's window, in seconds (the SRE book's two minutes).
pub const WINDOW_S: usize = 120;
/// The stream of the adaptive throttle's draws.
const ADAPTIVE_ENTITY: u64 = 0x5448_524f; // "THRO"

struct Grpc {
    max_milli: i64,
    ratio_milli: i64,
    tokens: Vec<i64>,
}

struct Adaptive {
    k_tenths: u64,
    requests: [u64; WINDOW_S],
    accepts: [u64; WINDOW_S],
    /// The sums of `requests` and `accepts`, kept as slots change.
    requests_sum: u64,
    accepts_sum: u64,
    sec: u64,
    rng: SimRng,
}

impl Adaptive {
    fn advance(&mut self, now_us: u64) -> usize {
        let s = now_us / 1_000_000;
        while self.sec < s {
            self.sec += 1;
            let i = (self.sec % WINDOW_S as u64) as usize;
            self.requests_sum -= self.requests[i];
            self.accepts_sum -= self.accepts[i];
            self.requests[i] = 0;
            self.accepts[i] = 0;
        }
        // Only accepted requests count as accepts, so the window never holds more of them.
        debug_assert!(
            self.accepts_sum <= self.requests_sum,
            "{} accepts of {} requests",
            self.accepts_sum,
            self.requests_sum
        );
        (self.sec % WINDOW_S as u64) as usize
    }
}

/// The throttles of one run.
pub(super) struct Throttles {
    grpc: Option<Grpc>,
    adaptive: Option<Adaptive>,
}

impl Throttles {
    pub(super) fn new(p: &FleetParams) -> Throttles {
        Throttles {
            grpc: (p.grpc_max_tokens > 0).then(|| Grpc {
                max_milli: i64::from(p.grpc_max_tokens) * 1_000,
                ratio_milli: i64::from(p.grpc_token_ratio_milli),
                tokens: vec![i64::from(p.grpc_max_tokens) * 1_000; p.clients as usize],
            }),
            adaptive: (p.adaptive_k_tenths > 0).then(|| Adaptive {
                k_tenths: u64::from(p.adaptive_k_tenths),
                requests: [0; WINDOW_S],
                accepts: [0; WINDOW_S],
                requests_sum: 0,
                accepts_sum: 0,
                sec: 0,
                rng: SimRng::stream(p.seed, ADAPTIVE_ENTITY),
            }),
        }
    }

    /// Whether the adaptive throttle lets an attempt leave the client at
    /// `now` (always, when it is off). Counts the attempt as a request.
    pub(super) fn admit(&mut self, now: u64) -> bool {
        let Some(a) = &mut self.adaptive else { return true };
        let i = a.advance(now);
        let (requests, accepts) = (a.requests_sum, a.accepts_sum);
        a.requests[i] += 1;
        a.requests_sum += 1;
        let excess = requests as f64 - (a.k_tenths as f64 / 10.0) * accepts as f64;
        let p_reject = (excess / (requests as f64 + 1.0)).max(0.0);
        a.rng.unit_f64() >= p_reject
    }

    /// The client received the backend's answer to an attempt (whatever its
    /// status); called at the time it arrives.
    pub(super) fn accepted(&mut self, now: u64) {
        if let Some(a) = &mut self.adaptive {
            let i = a.advance(now);
            a.accepts[i] += 1;
            a.accepts_sum += 1;
        }
    }

    /// Whether gRPC's throttle lets `client` retry (always, when it is off).
    pub(super) fn grpc_allows_retry(&self, client: u32) -> bool {
        self.grpc.as_ref().is_none_or(|g| g.tokens[client as usize] > g.max_milli / 2)
    }

    /// `client`'s attempt failed with a retryable status.
    pub(super) fn failed(&mut self, client: u32) {
        if let Some(g) = &mut self.grpc {
            let t = &mut g.tokens[client as usize];
            *t = (*t - 1_000).max(0);
            debug_assert!((0..=g.max_milli).contains(t), "gRPC tokens {t} outside [0, {}]", g.max_milli);
        }
    }

    /// `client`'s attempt succeeded.
    pub(super) fn succeeded(&mut self, client: u32) {
        if let Some(g) = &mut self.grpc {
            let t = &mut g.tokens[client as usize];
            *t = (*t + g.ratio_milli).min(g.max_milli);
            debug_assert!((0..=g.max_milli).contains(t), "gRPC tokens {t} outside [0, {}]", g.max_milli);
        }
    }
}
