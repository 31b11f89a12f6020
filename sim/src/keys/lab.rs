//! The Keys lab under the engine contract, and its Sources panel: every
//! modelling choice, the reference it follows, and what it simplifies.

use super::{KeysParams, KeysRun, PRESETS};
use crate::error::SimError;
use crate::lab::{Counter, Lab, Preset, Source};

/// The IETF draft, as FACTS.md names it.
const DRAFT: &str = "IETF httpapi draft \"The Idempotency-Key HTTP Header Field\" (drafts 06-07)";
/// Brandur Leach's article.
const BRANDUR: &str = "Brandur Leach, \"Implementing Stripe-like Idempotency Keys in Postgres\" (2017)";

/// Every row of the Keys lab's Sources panel, true of the engine in this folder.
pub static SOURCES: [Source; 13] = [
    Source {
        choice: "The server answers a new key by running the request, a key in progress with 409, a completed key by replaying the stored status, a reused key with a different body with 422, and a missing key (where one is required) with 400. The client retries 409 as is; 400 and 422 mean it must fix the request.",
        reference: DRAFT,
        simplification: None,
    },
    Source {
        choice: "The fingerprint is a hash over method, path and canonical body, compared before the key's state, so a mismatch is 422 even while the first request runs. It is a knob because the draft makes it optional.",
        reference: DRAFT,
        simplification: Some("Brandur's example answers 409 for a parameter mismatch; the lab follows the draft's 422."),
    },
    Source {
        choice: "A fingerprint only tells apart payloads that differ. With identical payloads (same customer, same amount) a reused key looks like a retry: the server replays the first operation's response and the second is silently lost, fingerprint or not. Only one key per operation cures it.",
        reference: DRAFT,
        simplification: None,
    },
    Source {
        choice: "The server's work is Brandur's atomic phases: claim the key (a local transaction, recovery point started), call the provider (a foreign state mutation that cannot commit with a local transaction), record charge_created (a local transaction), then store the response. A crash after the provider charged and before charge_created is recorded resumes from started and calls the provider again.",
        reference: BRANDUR,
        simplification: Some("Each phase is one step of the simulation; Brandur runs each as its own SERIALIZABLE transaction. The ride_created phase is left out."),
    },
    Source {
        choice: "With \"Server sends its own key to the provider\" on, every call carries an Idempotency-Key derived from the key record's row id, and the provider returns its first charge for a key it has seen; with it off, a resumed call charges again.",
        reference: "Brandur Leach's article (idempotency_key: \"rocket-rides-atomic-#{key.id}\"); Stripe API docs, Idempotent requests",
        simplification: Some("A record that is pruned or wiped and created again gets a new row id, so a new provider key: only the lost record's own retries are covered. The provider stores a key only with a successful charge, and its charge is instant, so it never answers 409 to a concurrent call with the same key; Stripe stores the result once execution began (errors too) and answers 409 to a concurrent request with the key."),
    },
    Source {
        choice: "A provider timeout leaves the charge unknown (the lab draws even odds). The server answers 500; releasing the key lets a retry call the provider again, which is safe only when the provider deduplicates with the server's key.",
        reference: BRANDUR,
        simplification: Some("Brandur stores a finished response for provider errors (402, 503) and clears locked_at only on unexpected errors; the lab applies one rule, the \"Server, on a 5xx\" knob, to provider errors and timeouts alike."),
    },
    Source {
        choice: "On a 5xx the server either stores and replays the 500 (nothing runs twice, but the operation fails until the client uses a new key) or releases the key keeping its recovery point so a retry runs again.",
        reference: "Stripe API docs, Idempotent requests (API v1: a 500 is stored and replayed)",
        simplification: Some("Stripe's v2 docs describe retrying failed work to completion instead; the lab models v1."),
    },
    Source {
        choice: "A replay carries Idempotent-Replayed: true.",
        reference: "Stripe API docs, Idempotent requests",
        simplification: Some("This is Stripe's response header, not part of the IETF draft."),
    },
    Source {
        choice: "Recovering a dead request's lock: either released at restart, or Brandur's lock timeout, where a lock older than the timeout may be taken over and the request resumes from its recovery point; a younger lock answers 409. A timeout shorter than the processing time takes over a request that is still running.",
        reference: BRANDUR,
        simplification: Some("Brandur's timeout is 90 s; the lab's is milliseconds so runs stay short. \"Released at restart\" is the lab's own shortcut, not Brandur's."),
    },
    Source {
        choice: "A volatile key store forgets every key in a crash, so a retry runs as new; a durable store keeps keys and recovery points.",
        reference: BRANDUR,
        simplification: Some("The durable store is the same database as the charges' records, as in Brandur's design."),
    },
    Source {
        choice: "The TTL counts from the key's creation and prunes only completed keys, as Stripe prunes stored responses; the lab never prunes a key in progress or released with a recovery point, so pruning never starts a second execution of a running request. A retry after a completed key expired runs as new.",
        reference: "Stripe API docs, Idempotent requests (keys pruned after at least 24 hours)",
        simplification: Some("Milliseconds instead of 24 hours; the draft sets no TTL."),
    },
    Source {
        choice: "Keys belong to one client.",
        reference: "Brandur Leach's schema: unique (user_id, idempotency_key); the draft's security section",
        simplification: Some("Real stores scope keys per client; the lab has a single client, so its keys are that client's."),
    },
    Source {
        choice: "A crash drops the connections in flight; their clients notice at their timeout. The client ignores a response that arrives after it gave up on that attempt, as an HTTP client that closed the connection never reads it.",
        reference: "Lab choice",
        simplification: Some("Requests arriving while the server is down are refused at once."),
    },
];

/// The Keys lab under the engine contract: the batch is the run whose
/// counters and trace hash a permalink reproduces.
pub struct KeysLab;

impl Lab for KeysLab {
    type Params = KeysParams;
    type Run = KeysRun;
    /// The predict-first switch (`predict=0` turns it off), a lock name like Races'.
    const EXTRA_KEYS: &'static [&'static str] = &["predict"];

    fn presets() -> &'static [Preset] {
        &PRESETS
    }

    fn run(params: &KeysParams) -> Result<KeysRun, SimError> {
        super::run(params)
    }

    fn counters(run: &KeysRun) -> Vec<Counter> {
        super::counters(&run.counters)
    }

    fn trace_hash(run: &KeysRun) -> u64 {
        run.trace.stable_hash()
    }

    fn sources() -> &'static [Source] {
        &SOURCES
    }
}
