//! The Keys lab's evidence: the counters an operator's dashboard would show,
//! the rates derived from them, and their display order and labels.

use crate::lab::Counter;
use serde::Serialize;

/// The counters of a run, the way an operator's dashboard shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeysCounters {
    /// Operations the client intended.
    pub intended: u32,
    /// Requests sent, retries included.
    pub attempts: u32,
    /// Charges the provider made.
    pub charges: u32,
    /// Operations charged at least once.
    pub ops_charged: u32,
    /// Charges beyond the first for the same operation.
    pub double_charges: u32,
    /// Operations the client believes charged that were never charged.
    pub silent_losses: u32,
    /// Operations the client believes charged.
    pub believed_charged: u32,
    /// Operations refused with 400 or 422 and never charged: the client knows they failed.
    pub rejected: u32,
    /// Operations refused with 400 or 422 although an earlier attempt had charged them.
    pub rejected_but_charged: u32,
    /// Operations the client gave up on: it does not know whether they were charged.
    pub gave_up: u32,
    /// Of those, the operations the provider did charge.
    pub gave_up_but_charged: u32,
    /// Replayed responses (`Idempotent-Replayed: true`).
    pub replays: u32,
    /// Replays of a stored 500.
    pub replayed_5xx: u32,
    /// 409 Conflict answers.
    pub conflicts_409: u32,
    /// 422 answers.
    pub mismatches_422: u32,
    /// 400 answers.
    pub missing_key_400: u32,
    /// 500 answers computed by the server (not replays).
    pub errors_5xx: u32,
    /// Provider calls that timed out (the charge may or may not have happened).
    pub provider_timeouts: u32,
    /// Provider calls the provider answered from its own key store, charging nothing.
    pub provider_replays: u32,
    /// Locks older than the lock timeout that a request took over.
    pub lock_takeovers: u32,
    /// Requests lost on the way in.
    pub requests_lost: u32,
    /// Responses lost on the way back.
    pub responses_lost: u32,
    /// Client timeouts.
    pub timeouts: u32,
    /// Server crashes.
    pub crashes: u32,
    /// Crashes after the provider charged and before `charge_created` was recorded.
    pub crashes_in_window: u32,
    /// Distinct keys a volatile store forgot in crashes (each key counted once).
    pub keys_wiped: u32,
    /// Completed keys pruned for age when a request for them arrived.
    pub keys_expired: u32,
    /// Resumed requests that found the charge recorded and did not charge again.
    pub charges_skipped: u32,
}

/// Rates for the evidence panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeysRates {
    /// Replays per request.
    pub replay_rate: f64,
    /// 409s per request.
    pub conflict_rate: f64,
    /// 422s per request.
    pub mismatch_rate: f64,
    /// 400s per request.
    pub missing_key_rate: f64,
    /// Extra charges per intended operation.
    pub double_charge_rate: f64,
    /// Silent losses per intended operation.
    pub silent_loss_rate: f64,
    /// Requests per intended operation.
    pub retry_amplification: f64,
}

impl KeysCounters {
    /// The rates derived from the counters.
    pub fn rates(&self) -> KeysRates {
        let per = |n: u32, d: u32| if d == 0 { 0.0 } else { f64::from(n) / f64::from(d) };
        KeysRates {
            replay_rate: per(self.replays, self.attempts),
            conflict_rate: per(self.conflicts_409, self.attempts),
            mismatch_rate: per(self.mismatches_422, self.attempts),
            missing_key_rate: per(self.missing_key_400, self.attempts),
            double_charge_rate: per(self.double_charges, self.intended),
            silent_loss_rate: per(self.silent_losses, self.intended),
            retry_amplification: per(self.attempts, self.intended),
        }
    }
}

/// The evidence counters of a batch, in display order.
pub fn counters(c: &KeysCounters) -> Vec<Counter> {
    use crate::lab::Figure::{Count, Ratio, Share};
    let n = |x: u32| Count(u64::from(x));
    let r = c.rates();
    vec![
        Counter::new("intended", "Intended operations", n(c.intended)),
        Counter::new("charges", "Provider charges", n(c.charges)).bad_if(c.charges != c.intended),
        Counter::new("double_charges", "Double charges", n(c.double_charges)).bad_if(c.double_charges > 0),
        Counter::new(
            "silent_losses",
            "Silently lost operations (client believes charged; nothing was)",
            n(c.silent_losses),
        )
        .bad_if(c.silent_losses > 0),
        Counter::new("rejected", "Rejected (400/422), nothing charged", n(c.rejected)),
        Counter::new("rejected_but_charged", "Rejected (400/422), but charged", n(c.rejected_but_charged))
            .bad_if(c.rejected_but_charged > 0),
        Counter::new("gave_up", "Gave up, outcome unknown", n(c.gave_up)),
        Counter::new("gave_up_but_charged", "Gave up, but charged", n(c.gave_up_but_charged))
            .bad_if(c.gave_up_but_charged > 0),
        Counter::new("requests_sent", "Requests sent", n(c.attempts)),
        Counter::new("replays", "Replays (Idempotent-Replayed)", n(c.replays)),
        Counter::new("replayed_5xx", "Replayed 500s", n(c.replayed_5xx)).bad_if(c.replayed_5xx > 0),
        Counter::new("conflicts_409", "409 Conflict", n(c.conflicts_409)),
        Counter::new("mismatches_422", "422 fingerprint mismatch", n(c.mismatches_422)),
        Counter::new("missing_key_400", "400 missing key", n(c.missing_key_400)),
        Counter::new("provider_timeouts", "Provider calls timed out (outcome unknown)", n(c.provider_timeouts)),
        Counter::new("provider_replays", "Provider replays (its own key store)", n(c.provider_replays)),
        Counter::new("lock_takeovers", "Lock takeovers (lock timeout)", n(c.lock_takeovers)),
        Counter::new("crashes", "Server crashes", n(c.crashes)),
        Counter::new("crashes_in_window", "Crashes after the charge, before charge_created", n(c.crashes_in_window)),
        Counter::new("keys_wiped", "Distinct keys a crash wiped (volatile store)", n(c.keys_wiped))
            .bad_if(c.keys_wiped > 0),
        Counter::new("keys_expired", "Completed keys expired (TTL)", n(c.keys_expired)),
        Counter::new("replay_rate", "Replay rate (per request)", Share(r.replay_rate)),
        Counter::new("conflict_rate", "409 + 422 rate (per request)", Share(r.conflict_rate + r.mismatch_rate)),
        Counter::new("double_charge_rate", "Double charges per operation", Share(r.double_charge_rate))
            .bad_if(r.double_charge_rate > 0.0),
        Counter::new("retry_amplification", "Requests per operation", Ratio(r.retry_amplification)),
    ]
}
