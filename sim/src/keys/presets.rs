//! One preset per teaching point, as knob overrides over the schema's
//! defaults (`params.rs`). The first, the correct setup, is the schema's
//! defaults themselves: the lab's landing setup. The others start from the
//! same quiet network (no loss, crash or provider error, 10 attempts) and add
//! the one fault their lesson needs. Each sets the seed whose
//! single-operation run shows its point step by step (checked by a test).

use super::{ClientPolicy, KeysCounters};
use crate::lab::Preset;

/// Every preset, in the order the lab shows them; the first is the landing setup.
pub static PRESETS: [Preset; 13] = [
    Preset {
        slug: "correct",
        title: "Correct setup",
        chip: "Correct setup",
        lesson: "One key per operation, kept across retries; fingerprints on; keys in a durable store next to the charges; the server's own key on every provider call. Every loss, crash and timeout is absorbed: the provider's charges equal the intended operations.",
        buggy: false,
        key_counter: "charges",
        knobs: &[],
    },
    Preset {
        slug: "no-key",
        title: "No key + lost responses",
        chip: "No key",
        lesson: "Without a key the server cannot tell a retry from a new request. When a response is lost the client retries, and the provider charges again.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("policy", "none"), ("reqkey", "0"), ("rsloss", "30"), ("seed", "2")],
    },
    Preset {
        slug: "fresh-key",
        title: "Fresh key per attempt",
        chip: "Fresh key per try",
        lesson: "A key generated per attempt is no key at all: each retry is a new key, so it runs as new and charges again.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("policy", "fresh"), ("rsloss", "30"), ("seed", "2")],
    },
    Preset {
        slug: "reused-key",
        title: "Reused key, no fingerprint",
        chip: "Reused key",
        lesson: "The client reuses one key for a different charge. Without a fingerprint the server replays the first charge's response: the second charge never happens and the client believes it did. Turn the fingerprint on and it gets 422 instead.",
        buggy: true,
        key_counter: "silent_losses",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("rsloss", "0"), ("policy", "reused"), ("fp", "0"), ("seed", "0")],
    },
    Preset {
        slug: "volatile-crash",
        title: "Volatile store + crash",
        chip: "Volatile store",
        lesson: "The keys live in memory. The provider charges, the server crashes before recording it, and comes back with an empty store: the retry is new, gets a new key record (so a new provider key) and charges again.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("rsloss", "0"), ("store", "volatile"), ("crasha", "10"), ("seed", "25")],
    },
    Preset {
        slug: "short-ttl",
        title: "TTL shorter than retries",
        chip: "Short TTL",
        lesson: "Keys expire after 100 ms but the client keeps retrying for longer. A retry after expiry is treated as new, so a charge whose response was lost happens twice.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("ttl", "100"), ("rsloss", "30"), ("base", "100"), ("seed", "2")],
    },
    Preset {
        slug: "replay-5xx",
        title: "5xx stored and replayed",
        chip: "5xx replayed",
        lesson: "Stripe (API v1) stores a 500 like any response and replays it to every retry with that key. Nothing is charged twice, but the operation fails for good; switch to releasing the key and retries complete it.",
        buggy: false,
        key_counter: "replayed_5xx",
        knobs: &[("rqloss", "0"), ("crashb", "0"), ("crasha", "0"), ("rsloss", "0"), ("perr", "30"), ("on5xx", "store"), ("att", "4"), ("seed", "10")],
    },
    Preset {
        slug: "slow-409",
        title: "Timeout < processing (409)",
        chip: "409 while processing",
        lesson: "The client gives up waiting before the server finishes, and retries while the first attempt still runs. The key answers 409 until the first completes, then replays it: slow, but charged once.",
        buggy: false,
        key_counter: "conflicts_409",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("rsloss", "0"), ("proc", "150"), ("tmo", "60"), ("seed", "0")],
    },
    Preset {
        slug: "crash-window",
        title: "Crash before charge_created, no provider key",
        chip: "Crash, no provider key",
        lesson: "A durable store is not enough. The provider charges; the server crashes before it records charge_created. The retry resumes from started and calls the provider again, which has no way to know it is the same charge: charged twice.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("rsloss", "0"), ("pk", "0"), ("crasha", "20"), ("seed", "2")],
    },
    Preset {
        slug: "crash-window-pk",
        title: "Crash before charge_created, provider key",
        chip: "Crash, provider key",
        lesson: "The same crash, but the server sends the provider its own Idempotency-Key, derived from the key record's id. The resumed call carries the same key, and the provider returns its first charge instead of charging again.",
        buggy: false,
        key_counter: "provider_replays",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("rsloss", "0"), ("crasha", "20"), ("seed", "2")],
    },
    Preset {
        slug: "provider-timeout",
        title: "Provider timeout, release and retry",
        chip: "Provider timeout",
        lesson: "The provider call times out: the charge may or may not have happened. The server releases the key and the retry calls the provider again. Without the server's own key at the provider, a charge that did land is made twice; turn provider keys on and it is replayed.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("rsloss", "0"), ("pk", "0"), ("ptmo", "30"), ("seed", "0")],
    },
    Preset {
        slug: "lock-timeout",
        title: "Lock timeout shorter than processing",
        chip: "Short lock timeout",
        lesson: "Brandur's lock timeout lets a retry take over a lock that looks abandoned. Set it below the processing time and a retry takes over a request that is still running: both call the provider. Without provider keys that is two charges.",
        buggy: true,
        key_counter: "double_charges",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("rsloss", "0"), ("pk", "0"), ("proc", "200"), ("tmo", "150"), ("lockms", "100"), ("seed", "0")],
    },
    Preset {
        slug: "same-payload",
        title: "Reused key, identical payloads",
        chip: "Same payload",
        lesson: "Two operations charge the same customer the same amount under one reused key. Their fingerprints are equal, so the server takes the second for a retry and replays the first's response: silently lost with the fingerprint on. Only one key per operation cures it.",
        buggy: true,
        key_counter: "silent_losses",
        knobs: &[("att", "10"), ("rqloss", "0"), ("crashb", "0"), ("perr", "0"), ("crasha", "0"), ("rsloss", "0"), ("policy", "reused"), ("same", "100"), ("seed", "0")],
    },
];

/// Whether `c` shows what the preset `slug` is about.
pub fn shows_its_point(slug: &str, c: &KeysCounters) -> bool {
    match slug {
        "correct" => c.charges == c.intended && c.double_charges == 0 && c.silent_losses == 0,
        "no-key" | "fresh-key" | "volatile-crash" | "short-ttl" => c.double_charges > 0,
        "reused-key" => c.silent_losses > 0,
        "replay-5xx" => c.replayed_5xx > 0 && c.double_charges == 0,
        "slow-409" => c.conflicts_409 > 0 && c.double_charges == 0 && c.charges == c.intended,
        "crash-window" => c.crashes_in_window > 0 && c.double_charges > 0,
        "crash-window-pk" => c.crashes_in_window > 0 && c.provider_replays > 0 && c.double_charges == 0,
        "provider-timeout" => c.provider_timeouts > 0 && c.double_charges > 0,
        "lock-timeout" => c.lock_takeovers > 0 && c.double_charges > 0,
        "same-payload" => c.silent_losses > 0 && c.mismatches_422 == 0,
        _ => false,
    }
}

/// The preset that shows the cure for the buggy preset `slug`: the same
/// kind of fault, absorbed (a newcomer's "and the fix" after seeing the bug).
/// `None` for a preset that is no bug, or whose cure no preset shows.
pub fn fix_of(slug: &str) -> Option<&'static str> {
    match slug {
        // The correct setup loses responses and crashes after charging too
        // (its defaults), keeps one key per operation in a durable store and
        // fingerprints bodies: each of these bugs' faults, absorbed.
        "no-key" | "fresh-key" | "reused-key" | "same-payload" | "volatile-crash" | "short-ttl" | "lock-timeout" => {
            Some("correct")
        }
        // The same crash in the same window, with the server's own provider key.
        "crash-window" => Some("crash-window-pk"),
        _ => None,
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

/// The parameters of the preset called `slug` (the landing setup for an unknown one).
pub fn params_of(slug: &str) -> super::KeysParams {
    use crate::lab::Lab;
    let preset = super::KeysLab::preset(slug).unwrap_or(&PRESETS[0]);
    super::KeysLab::preset_params(preset)
}
