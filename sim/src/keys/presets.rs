//! One preset per teaching point. Each is a full set of knobs; the lab writes
//! them all into the permalink, so a preset link is also a plain link.

use super::{ClientPolicy, Durability, KeysCounters, KeysParams, On5xx};
use crate::backoff::Strategy;

/// The teaching points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// One key per operation, fingerprints, a durable store: charges equal intended operations.
    Correct,
    /// No key and lost responses: the retry charges again.
    NoKey,
    /// A fresh key on every attempt: the server cannot tell a retry from a new charge.
    FreshKey,
    /// A key reused for a second operation without a fingerprint: the second is silently lost.
    ReusedKey,
    /// A volatile key store and a crash after the charge: the retry charges again.
    VolatileCrash,
    /// A key TTL shorter than the retry window: the late retry runs as new.
    ShortTtl,
    /// Stripe's choice on a 5xx: the stored 500 is replayed to every retry.
    Replay5xx,
    /// A client timeout shorter than the processing: 409s while the first attempt runs, and no harm.
    SlowConflict,
}

impl Preset {
    /// Every preset, in the order the lab shows them.
    pub const ALL: [Preset; 8] = [
        Preset::NoKey,
        Preset::FreshKey,
        Preset::ReusedKey,
        Preset::VolatileCrash,
        Preset::ShortTtl,
        Preset::Replay5xx,
        Preset::SlowConflict,
        Preset::Correct,
    ];

    /// The name in permalinks (`preset=...`) and on the command line.
    pub fn slug(self) -> &'static str {
        match self {
            Preset::Correct => "correct",
            Preset::NoKey => "no-key",
            Preset::FreshKey => "fresh-key",
            Preset::ReusedKey => "reused-key",
            Preset::VolatileCrash => "volatile-crash",
            Preset::ShortTtl => "short-ttl",
            Preset::Replay5xx => "replay-5xx",
            Preset::SlowConflict => "slow-409",
        }
    }

    /// The button label.
    pub fn title(self) -> &'static str {
        match self {
            Preset::Correct => "Correct setup",
            Preset::NoKey => "No key + lost responses",
            Preset::FreshKey => "Fresh key per attempt",
            Preset::ReusedKey => "Reused key, no fingerprint",
            Preset::VolatileCrash => "Volatile store + crash",
            Preset::ShortTtl => "TTL shorter than retries",
            Preset::Replay5xx => "5xx stored and replayed",
            Preset::SlowConflict => "Timeout < processing (409)",
        }
    }

    /// What the preset teaches, in one or two sentences.
    pub fn lesson(self) -> &'static str {
        match self {
            Preset::Correct => "One key per operation, kept across retries; fingerprints on; keys in a durable store next to the charges. Every loss, crash and timeout is absorbed: the provider's charges equal the intended operations.",
            Preset::NoKey => "Without a key the server cannot tell a retry from a new request. When a response is lost the client retries, and the provider charges again.",
            Preset::FreshKey => "A key generated per attempt is no key at all: each retry is a new key, so it runs as new and charges again.",
            Preset::ReusedKey => "The client reuses one key for a different charge. Without a fingerprint the server replays the first charge's response: the second charge never happens and the client believes it did. Turn the fingerprint on and it gets 422 instead.",
            Preset::VolatileCrash => "The keys live in memory. The server charges, crashes before storing the response, and comes back with an empty store: the retry is new and charges again.",
            Preset::ShortTtl => "Keys expire after 100 ms but the client keeps retrying for longer. A retry after expiry is treated as new, so a charge whose response was lost happens twice.",
            Preset::Replay5xx => "Stripe stores a 500 like any response and replays it to every retry with that key. Nothing is charged twice, but the operation fails for good; switch to releasing the key and retries complete it.",
            Preset::SlowConflict => "The client gives up waiting before the server finishes, and retries while the first attempt still runs. The key answers 409 until the first completes, then replays it: slow, but charged once.",
        }
    }

    /// The counter that proves the preset's point (`data-counter` id).
    pub fn key_counter(self) -> &'static str {
        match self {
            Preset::Correct => "charges",
            Preset::NoKey | Preset::FreshKey | Preset::VolatileCrash | Preset::ShortTtl => "double_charges",
            Preset::ReusedKey => "silent_losses",
            Preset::Replay5xx => "replayed_5xx",
            Preset::SlowConflict => "conflicts_409",
        }
    }

    /// Whether the preset is one of the bugs (its failure must show).
    pub fn is_buggy(self) -> bool {
        match self {
            Preset::NoKey | Preset::FreshKey | Preset::ReusedKey | Preset::VolatileCrash | Preset::ShortTtl => true,
            Preset::Correct | Preset::Replay5xx | Preset::SlowConflict => false,
        }
    }

    /// Whether `c` shows what the preset is about.
    pub fn shows_its_point(self, c: &KeysCounters) -> bool {
        match self {
            Preset::Correct => c.charges == c.intended && c.double_charges == 0 && c.silent_losses == 0,
            Preset::NoKey | Preset::FreshKey | Preset::VolatileCrash | Preset::ShortTtl => c.double_charges > 0,
            Preset::ReusedKey => c.silent_losses > 0,
            Preset::Replay5xx => c.replayed_5xx > 0 && c.double_charges == 0,
            Preset::SlowConflict => c.conflicts_409 > 0 && c.double_charges == 0 && c.charges == c.intended,
        }
    }

    /// Reads a preset from its slug.
    pub fn from_slug(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.slug() == s)
    }

    /// The preset's knobs. The seed is one whose single-operation run shows
    /// the point step by step (checked by a test).
    pub fn params(self) -> KeysParams {
        let base = KeysParams {
            ops: 200,
            policy: ClientPolicy::KeyPerOperation,
            fingerprint: true,
            require_key: true,
            on_5xx: On5xx::ReleaseKey,
            store: Durability::Durable,
            request_loss: 0.0,
            response_loss: 0.0,
            crash_before_charge: 0.0,
            crash_after_charge: 0.0,
            provider_error: 0.0,
            processing_ms: 80,
            timeout_ms: 150,
            key_ttl_ms: 0,
            attempts_max: 10,
            backoff: Strategy::FullJitter,
            backoff_base_ms: 50,
            backoff_cap_ms: 1_000,
            seed: self.step_seed(),
        };
        match self {
            Preset::Correct => KeysParams {
                attempts_max: 20,
                request_loss: 0.2,
                response_loss: 0.2,
                crash_before_charge: 0.05,
                crash_after_charge: 0.05,
                provider_error: 0.05,
                ..base
            },
            Preset::NoKey => KeysParams { policy: ClientPolicy::NoKey, require_key: false, response_loss: 0.3, ..base },
            Preset::FreshKey => KeysParams { policy: ClientPolicy::FreshKeyPerAttempt, response_loss: 0.3, ..base },
            Preset::ReusedKey => KeysParams { policy: ClientPolicy::ReusedKey, fingerprint: false, ..base },
            Preset::VolatileCrash => KeysParams { store: Durability::Volatile, crash_after_charge: 0.1, ..base },
            Preset::ShortTtl => KeysParams { key_ttl_ms: 100, response_loss: 0.3, backoff_base_ms: 100, ..base },
            Preset::Replay5xx => {
                KeysParams { provider_error: 0.3, on_5xx: On5xx::StoreAndReplay, attempts_max: 4, ..base }
            }
            Preset::SlowConflict => KeysParams { processing_ms: 150, timeout_ms: 60, ..base },
        }
    }

    /// A seed whose single-operation run shows the point.
    fn step_seed(self) -> u64 {
        match self {
            Preset::Correct => 217,
            Preset::NoKey => 2,
            Preset::FreshKey => 2,
            Preset::ReusedKey => 0,
            Preset::VolatileCrash => 25,
            Preset::ShortTtl => 2,
            Preset::Replay5xx => 10,
            Preset::SlowConflict => 0,
        }
    }
}

/// Operations in a step-through run: one, or two for the reused key (the bug
/// needs a second operation to show).
pub fn step_ops(policy: ClientPolicy) -> u32 {
    match policy {
        ClientPolicy::ReusedKey => 2,
        ClientPolicy::NoKey | ClientPolicy::FreshKeyPerAttempt | ClientPolicy::KeyPerOperation => 1,
    }
}
