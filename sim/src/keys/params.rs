//! The Keys lab's knobs, declared once: the engine's `validate()`, the
//! permalink, the CLI and the page's controls all read this schema.

use crate::backoff::Strategy;
use crate::error::SimError;
use crate::knob::{self, frac_of, pct_of, Knob, Params, Unit};
use serde::{Deserialize, Serialize};

crate::choice_enum! {
    /// How the client uses Idempotency-Keys.
    pub enum ClientPolicy {
        /// One key per operation, kept across its retries (correct).
        KeyPerOperation = ("per-op", "One key per operation (correct)"),
        /// No key at all: a retry is a new request to the server.
        NoKey = ("none", "No key"),
        /// A new key for every attempt (a bug: the server sees unrelated requests).
        FreshKeyPerAttempt = ("fresh", "Fresh key per attempt (bug)"),
        /// Each odd operation reuses the key of the operation before it (a bug).
        ReusedKey = ("reused", "One key reused for two operations (bug)"),
    }
}

crate::choice_enum! {
    /// What the server does with a key whose request ended in a 5xx.
    pub enum On5xx {
        /// Release the key keeping its recovery point, so a retry runs again (Brandur's choice for unexpected errors).
        ReleaseKey = ("release", "Release key (recovery point)"),
        /// Store the 500 and replay it to every retry (Stripe's choice).
        StoreAndReplay = ("store", "Store, replay the 500 (Stripe)"),
    }
}

crate::choice_enum! {
    /// Whether the key store survives a crash.
    pub enum Durability {
        /// Keys are in the same durable database as the charges.
        Durable = ("durable", "Durable (survives a crash)"),
        /// Keys are in memory; a crash empties the store.
        Volatile = ("volatile", "Volatile (a crash empties it)"),
    }
}

/// Every knob of a Keys run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeysParams {
    /// Operations the client intends (each one charge).
    pub ops: u32,
    /// How the client uses keys.
    pub policy: ClientPolicy,
    /// Whether the server compares request fingerprints.
    pub fingerprint: bool,
    /// Whether the server refuses a request without a key (400).
    pub require_key: bool,
    /// Whether the server sends its own Idempotency-Key to the provider,
    /// derived from the key record's id, so the provider deduplicates a resumed call.
    pub provider_keys: bool,
    /// What the server does with a key after a 5xx.
    pub on_5xx: On5xx,
    /// Whether the key store survives a crash.
    pub store: Durability,
    /// Chance that a request is lost on its way to the server, 0 to 1.
    pub request_loss: f64,
    /// Chance that a response is lost on its way back, 0 to 1.
    pub response_loss: f64,
    /// Chance that the server crashes just before it charges, 0 to 1.
    pub crash_before_charge: f64,
    /// Chance that the server crashes after the charge, before storing the response, 0 to 1.
    pub crash_after_charge: f64,
    /// Chance that the provider fails transiently, so the server answers 500, 0 to 1.
    pub provider_error: f64,
    /// Chance that the server's call to the provider times out, 0 to 1: the
    /// provider then charged or not (even odds) and the server cannot tell.
    pub provider_timeout: f64,
    /// Brandur's lock timeout, in milliseconds: a key locked longer than this
    /// may be taken over by a new request. 0: locks are released at restart.
    pub lock_timeout_ms: u32,
    /// Chance that an odd operation repeats the previous operation's payload
    /// exactly (same customer, same amount), 0 to 1.
    pub same_payload: f64,
    /// How long the server takes to process a request (the provider call), in milliseconds.
    pub processing_ms: u32,
    /// How long the client waits for a response before it retries, in milliseconds.
    pub timeout_ms: u32,
    /// How long a key is kept after its creation, in milliseconds; 0 keeps keys for ever.
    pub key_ttl_ms: u32,
    /// Attempts per operation at most, the first included.
    pub attempts_max: u32,
    /// The client's backoff strategy between attempts.
    pub backoff: Strategy,
    /// Backoff base, in milliseconds.
    pub backoff_base_ms: u32,
    /// Backoff cap, in milliseconds.
    pub backoff_cap_ms: u32,
    /// The seed of the run.
    pub seed: u64,
}

static KNOBS: [Knob<KeysParams>; 23] = [
    Knob::choice(
        "policy",
        "policy",
        "Client: keys",
        ClientPolicy::CHOICES,
        0,
        "How the client puts Idempotency-Keys on its requests.",
        |p| p.policy.index() as u64,
        |p, v| p.policy = ClientPolicy::from_index(v),
    ),
    Knob::switch(
        "fp",
        "fingerprint",
        "Server compares fingerprints (422 on mismatch)",
        true,
        "The server stores a hash of method, path and canonical body with the key, and answers 422 when a reuse differs.",
        |p| u64::from(p.fingerprint),
        |p, v| p.fingerprint = v == 1,
    ),
    Knob::choice(
        "store",
        "store",
        "Key store",
        Durability::CHOICES,
        0,
        "A durable store keeps keys through a crash; a volatile one forgets them.",
        |p| p.store.index() as u64,
        |p, v| p.store = Durability::from_index(v),
    ),
    Knob::percent(
        "rsloss",
        "response-loss",
        "Response lost",
        20,
        "Chance that the server's answer never reaches the client, which then retries.",
        |p| pct_of(p.response_loss),
        |p, v| p.response_loss = frac_of(v),
    ),
    Knob::percent(
        "crasha",
        "crash-after",
        "Crash after the charge, before charge_created",
        5,
        "Chance that the server dies after the provider charged and before charge_created is recorded: the provider call is foreign and cannot commit with the local transaction.",
        |p| pct_of(p.crash_after_charge),
        |p, v| p.crash_after_charge = frac_of(v),
    ),
    Knob::switch(
        "pk",
        "provider-keys",
        "Server sends its own key to the provider",
        true,
        "The server passes an Idempotency-Key derived from its key record's id to the provider, so a resumed call is deduplicated there.",
        |p| u64::from(p.provider_keys),
        |p, v| p.provider_keys = v == 1,
    ),
    Knob::more(Knob::switch(
        "reqkey",
        "require-key",
        "Server requires a key (400 without)",
        true,
        "A request without a key is refused with 400 instead of running unprotected.",
        |p| u64::from(p.require_key),
        |p, v| p.require_key = v == 1,
    )),
    Knob::more(Knob::choice(
        "on5xx",
        "on-5xx",
        "Server, on a 5xx",
        On5xx::CHOICES,
        0,
        "Store the 500 and replay it (Stripe, API v1), or release the key keeping its recovery point so a retry runs again. The lab applies it to provider errors and provider timeouts alike.",
        |p| p.on_5xx.index() as u64,
        |p, v| p.on_5xx = On5xx::from_index(v),
    )),
    Knob::more(Knob::percent(
        "rqloss",
        "request-loss",
        "Request lost",
        20,
        "Chance that a request never reaches the server.",
        |p| pct_of(p.request_loss),
        |p, v| p.request_loss = frac_of(v),
    )),
    Knob::more(Knob::percent(
        "crashb",
        "crash-before",
        "Crash before the provider call",
        5,
        "Chance that the server dies after claiming the key (recovery point started) and before calling the provider.",
        |p| pct_of(p.crash_before_charge),
        |p, v| p.crash_before_charge = frac_of(v),
    )),
    Knob::more(Knob::percent(
        "perr",
        "provider-error",
        "Provider error (server answers 500)",
        5,
        "Chance that the provider fails transiently and the server answers 500.",
        |p| pct_of(p.provider_error),
        |p, v| p.provider_error = frac_of(v),
    )),
    Knob::more(Knob::percent(
        "ptmo",
        "provider-timeout",
        "Provider call times out (charged or not, unknown)",
        0,
        "Chance that the server's call to the provider times out; the provider charged or not, with even odds, and the server cannot tell. It answers 500.",
        |p| pct_of(p.provider_timeout),
        |p, v| p.provider_timeout = frac_of(v),
    )),
    Knob::more(Knob::count(
        "lockms",
        "lock-timeout-ms",
        "Lock timeout (0 = released at restart)",
        Unit::Ms,
        (0, 5_000, 10),
        0,
        "A key locked longer than this may be taken over by a new request, which resumes from its recovery point (Brandur uses 90 s). 0 releases a crashed server's locks at restart instead.",
        |p| u64::from(p.lock_timeout_ms),
        |p, v| p.lock_timeout_ms = v as u32,
    )),
    Knob::more(Knob::percent(
        "same",
        "same-payload",
        "Operations with identical payloads",
        0,
        "Chance that an odd operation charges the same customer the same amount as the one before it: a fingerprint cannot tell the two apart.",
        |p| pct_of(p.same_payload),
        |p, v| p.same_payload = frac_of(v),
    )),
    Knob::more(Knob::count(
        "proc",
        "processing-ms",
        "Server processing",
        Unit::Ms,
        (10, 2_000, 10),
        80,
        "How long the server takes to run a request (the provider call).",
        |p| u64::from(p.processing_ms),
        |p, v| p.processing_ms = v as u32,
    )),
    Knob::more(Knob::count(
        "tmo",
        "timeout-ms",
        "Client timeout",
        Unit::Ms,
        (10, 5_000, 10),
        150,
        "How long the client waits for an answer before it retries.",
        |p| u64::from(p.timeout_ms),
        |p, v| p.timeout_ms = v as u32,
    )),
    Knob::more(Knob::count(
        "ttl",
        "ttl-ms",
        "Key TTL (0 = never expires)",
        Unit::Ms,
        (0, 60_000, 50),
        0,
        "How long a key is kept after its creation; a retry after that runs as new.",
        |p| u64::from(p.key_ttl_ms),
        |p, v| p.key_ttl_ms = v as u32,
    )),
    Knob::more(Knob::count(
        "att",
        "attempts",
        "Attempts per operation",
        Unit::Count,
        (1, 20, 1),
        20,
        "Attempts at most, the first included, before the client gives up.",
        |p| u64::from(p.attempts_max),
        |p, v| p.attempts_max = v as u32,
    )),
    Knob::more(Knob::choice(
        "bo",
        "backoff",
        "Client backoff",
        Strategy::CHOICES,
        4,
        "How the client waits between attempts.",
        |p| p.backoff.index() as u64,
        |p, v| p.backoff = Strategy::from_index(v),
    )),
    Knob::more(Knob::count(
        "base",
        "base-ms",
        "Backoff base",
        Unit::Ms,
        (10, 2_000, 10),
        50,
        "The first backoff's scale.",
        |p| u64::from(p.backoff_base_ms),
        |p, v| p.backoff_base_ms = v as u32,
    )),
    Knob::more(Knob::count(
        "cap",
        "cap-ms",
        "Backoff cap",
        Unit::Ms,
        (10, 10_000, 10),
        1_000,
        "The longest wait between attempts; at least the base.",
        |p| u64::from(p.backoff_cap_ms),
        |p, v| p.backoff_cap_ms = v as u32,
    )),
    Knob::more(Knob::count(
        "ops",
        "ops",
        "Operations in the batch",
        Unit::Count,
        (1, 5_000, 1),
        200,
        "How many charge operations the batch runs with the same seed.",
        |p| u64::from(p.ops),
        |p, v| p.ops = v as u32,
    )),
    crate::seed_knob!(217),
];

impl Params for KeysParams {
    fn knobs() -> &'static [Knob<Self>] {
        &KNOBS
    }

    fn base() -> Self {
        KeysParams {
            ops: 1,
            policy: ClientPolicy::KeyPerOperation,
            fingerprint: true,
            require_key: true,
            provider_keys: true,
            on_5xx: On5xx::ReleaseKey,
            store: Durability::Durable,
            request_loss: 0.0,
            response_loss: 0.0,
            crash_before_charge: 0.0,
            crash_after_charge: 0.0,
            provider_error: 0.0,
            provider_timeout: 0.0,
            lock_timeout_ms: 0,
            same_payload: 0.0,
            processing_ms: 80,
            timeout_ms: 150,
            key_ttl_ms: 0,
            attempts_max: 1,
            backoff: Strategy::FullJitter,
            backoff_base_ms: 50,
            backoff_cap_ms: 1_000,
            seed: 0,
        }
    }

    fn validate_relations(&self) -> Result<(), SimError> {
        if self.backoff_cap_ms < self.backoff_base_ms {
            return Err(SimError::InvalidParameter {
                name: "cap-ms",
                reason: format!(
                    "the backoff cap ({} ms) must be at least the base ({} ms)",
                    self.backoff_cap_ms, self.backoff_base_ms
                ),
            });
        }
        Ok(())
    }
}

impl Default for KeysParams {
    fn default() -> Self {
        Self::defaults()
    }
}

impl KeysParams {
    /// Checks the knobs against the schema, with a message a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        knob::validate(self)
    }
}
