//! The Keys lab: the Idempotency-Key state machine under lost messages,
//! crashes and client bugs.
//!
//! Actors: a client making charge operations, the network between client and
//! server, a server with a key store ([`store::KeyStore`]), and a payment
//! provider. The server resolves each request's key to new, in progress
//! (409), completed (replay, marked `Idempotent-Replayed: true`, Stripe's
//! header) or a fingerprint mismatch (422); a missing key where one is
//! required gets 400. Clients retry with the shared backoff engine
//! ([`crate::backoff`]).
//!
//! The server's work follows Brandur Leach's atomic phases: claim the key (a
//! local transaction, recovery point `started`), call the provider (a foreign
//! state mutation, which cannot commit with a local transaction), then record
//! `charge_created` (a local transaction) and finally store the response. A
//! crash can strike between the provider's charge and that record; only the
//! server's own Idempotency-Key at the provider (`provider_keys`) makes the
//! resumed call harmless. Every modelling choice, its source and its
//! simplification is a row of [`lab::SOURCES`], shown on the page.

pub mod counters;
mod engine;
pub mod lab;
pub mod ledger;
pub mod params;
pub mod presets;
mod steps;
pub mod store;
pub mod view;

use crate::trace::{stable_hash, Trace};
use serde::Serialize;
use store::RecoveryPoint;

pub use counters::{counters, KeysCounters, KeysRates};
pub use engine::{run, LIMITS};
pub use lab::KeysLab;
pub use params::{ClientPolicy, Durability, KeysParams, On5xx};
pub use presets::PRESETS;

/// The method and path every operation uses.
pub const METHOD: &str = "POST";
/// The resource every operation charges through.
pub const PATH: &str = "/v1/charges";

/// The body of operation `op` when its payload is its own: its customer and
/// amount. Operations `2k` and `2k + 1` charge the same customer different
/// amounts, which is what the reused-key bug mixes up. (With `same_payload`,
/// the engine may give an odd operation its predecessor's body instead.)
pub fn body_of(op: u32) -> (u32, u32) {
    let customer = op / 2;
    let amount_cents = 1_000 + 250 * (op % 8);
    (customer, amount_cents)
}

/// The canonical body: fields sorted by name, no whitespace, so that equal
/// requests give equal bytes. It holds only what the client sends: two
/// operations charging the same customer the same amount give equal bytes.
pub fn canonical_body(customer: u32, amount_cents: u32) -> String {
    format!("amount={amount_cents}&currency=usd&customer=cus_{customer}")
}

/// The request fingerprint: a stable hash over the method, the path and the canonical body.
pub fn fingerprint(method: &str, path: &str, canonical_body: &str) -> u64 {
    stable_hash(&(method, path, canonical_body))
}

/// What the client concluded about an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "belief", rename_all = "snake_case")]
pub enum Belief {
    /// A 201 came back: the client believes its charge happened once.
    Charged {
        /// The attempt that got the 201.
        attempt: u32,
        /// Whether it was a replay.
        replayed: bool,
        /// The operation the response actually describes.
        for_op: u32,
    },
    /// A non-retryable status (400, 422): the client knows it failed.
    Rejected {
        /// The status.
        status: u16,
    },
    /// Every attempt failed: the client does not know what happened.
    GaveUp {
        /// The attempts made.
        attempts: u32,
    },
}

/// Where a server crash struck.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPhase {
    /// After the key was claimed (`started`), before the provider was called.
    BeforeCharge,
    /// After the provider charged, before `charge_created` was recorded: the window.
    AfterCharge,
}

/// One thing that happened in a Keys run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeysRecord {
    /// The client began an operation; `twin_of` names the earlier operation
    /// whose payload it repeats exactly (same customer, same amount).
    OpStarted { op: u32, amount_cents: u32, twin_of: Option<u32> },
    /// The client sent an attempt; `hop_us` is its travel time, `None` when the network lost it.
    RequestSent { op: u32, attempt: u32, key: Option<u32>, fingerprint: u64, hop_us: Option<u64> },
    /// The server was down and refused the connection.
    Refused { op: u32, attempt: u32 },
    /// A request without a key where one is required: 400, not stored.
    MissingKey { op: u32, attempt: u32 },
    /// The server ran a request that carried no key, with no protection.
    RanWithoutKey { op: u32, attempt: u32 },
    /// A completed key older than its TTL was pruned when a request for it arrived.
    KeyExpired { key: u32 },
    /// The request claimed its key atomically and runs (from a recovery point if resumed).
    KeyClaimed { op: u32, attempt: u32, key: u32, resumed_from: Option<RecoveryPoint> },
    /// The key's lock was older than the lock timeout: this request takes it over.
    LockTakenOver { op: u32, attempt: u32, key: u32, age_us: u64 },
    /// Another request holds the key: 409.
    Conflict { op: u32, attempt: u32, key: u32 },
    /// The key was used with a different request: 422.
    Mismatch { op: u32, attempt: u32, key: u32 },
    /// The stored response is replayed.
    Replayed { op: u32, attempt: u32, key: u32, status: u16, for_op: u32 },
    /// The server called the provider to charge for `op`, with its own
    /// provider key (derived from the key record's id) when `provider_key` is set.
    ProviderCalled { op: u32, attempt: u32, provider_key: Option<u64> },
    /// The provider charged; `count` is how many charges `op` now has.
    Charged { op: u32, attempt: u32, count: u32 },
    /// The provider had seen this provider key: it returns its first charge, charging nothing.
    ProviderReplayed { op: u32, attempt: u32, provider_key: u64 },
    /// The provider failed transiently; nothing was charged.
    ProviderFailed { op: u32, attempt: u32 },
    /// The server's call to the provider timed out; `charged` is what the
    /// provider actually did, which the server cannot know.
    ProviderTimedOut { op: u32, attempt: u32, charged: bool },
    /// A resumed request found `charge_created` and did not charge again.
    ChargeSkipped { op: u32, attempt: u32, key: u32 },
    /// The server recorded the provider's answer as recovery point `charge_created`.
    RecoveryPointSaved { key: u32 },
    /// The server crashed; a volatile store lost `keys_lost` keys.
    Crashed { op: u32, attempt: u32, phase: CrashPhase, keys_lost: u32 },
    /// The server came back.
    Restarted,
    /// A key was released with its recovery point (after a 5xx, or at restart).
    KeyReleased { key: u32, point: RecoveryPoint },
    /// The response was stored under the key.
    ResponseStored { key: u32, status: u16 },
    /// The server answered; `hop_us` is its travel time, `None` when the network lost it.
    ResponseSent { op: u32, attempt: u32, status: u16, replayed: bool, hop_us: Option<u64> },
    /// The client got a status.
    ResponseReceived { op: u32, attempt: u32, status: u16, replayed: bool },
    /// The client got a refused connection.
    ConnectionRefused { op: u32, attempt: u32 },
    /// The client stopped waiting.
    TimedOut { op: u32, attempt: u32 },
    /// A response arrived for an attempt the client had abandoned.
    LateResponseIgnored { op: u32, attempt: u32, status: u16 },
    /// The client will retry after `wait_us`.
    RetryScheduled { op: u32, next_attempt: u32, wait_us: u64 },
    /// The client finished the operation with this belief.
    OpFinished { op: u32, belief: Belief },
}

/// Per-operation outcome: what the client believes beside what was charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OpOutcome {
    /// The operation.
    pub op: u32,
    /// Its amount.
    pub amount_cents: u32,
    /// The earlier operation whose payload it repeats exactly, if any.
    pub twin_of: Option<u32>,
    /// The key it started with (`None` without keys).
    pub key: Option<u32>,
    /// Attempts made.
    pub attempts: u32,
    /// What the client believes (`None` if the run ended first; it cannot in a finished run).
    pub belief: Option<Belief>,
    /// How many times the provider charged it.
    pub charges: u32,
}

/// A finished run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeysRun {
    /// The knobs it ran with.
    pub params: KeysParams,
    /// Everything that happened, in order.
    pub trace: Trace<KeysRecord>,
    /// Each operation's belief and charges.
    pub ops: Vec<OpOutcome>,
    /// The evidence.
    pub counters: KeysCounters,
}

#[cfg(test)]
mod tests;
