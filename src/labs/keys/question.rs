//! Keys' predict-first question: the client's retry after a server crash.
//! Everything it says is read from the step-through run's trace: where the
//! crash struck, the attempt that retried after it, how the server took it
//! (resumed, new, 409, replay) and what the provider did.

use crate::shell::Question;
use idemlab_sim::keys::store::RecoveryPoint;
use idemlab_sim::keys::{ClientPolicy, CrashPhase, Durability, KeysRecord, KeysRun};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "The provider charges the card again: the customer pays twice.",
    "The provider recognises the server's own key and returns its first charge: the customer pays once.",
    "The provider charges for the first time: the customer pays once.",
    "The server answers 409 Conflict: the crashed attempt still holds the key.",
    "The server replays its stored response: the provider is not called.",
];

/// Indexes into [`CHOICES`].
const AGAIN: usize = 0;
const PROVIDER_REPLAY: usize = 1;
const FIRST: usize = 2;
const CONFLICT: usize = 3;
const SERVER_REPLAY: usize = 4;

/// The question's words: where the server crashed, and what key the retry carries.
fn question_words(run: &KeysRun, phase: CrashPhase, n: u32) -> String {
    let key = match run.params.policy {
        ClientPolicy::KeyPerOperation | ClientPolicy::ReusedKey => "the same Idempotency-Key",
        ClientPolicy::FreshKeyPerAttempt => "a fresh Idempotency-Key",
        ClientPolicy::NoKey => "no Idempotency-Key",
    };
    match phase {
        CrashPhase::AfterCharge => format!(
            "The server crashed after the provider charged op {n} and before it recorded charge_created. The client retries with {key}. What happens?"
        ),
        CrashPhase::BeforeCharge => format!(
            "The server crashed after claiming the key for op {n}, before calling the provider. The client retries with {key}. What happens?"
        ),
    }
}

/// The question about the first crash of the run, when a later attempt of
/// the same operation reached an outcome the choices name; `None` otherwise
/// (no crash, or the client never got a retry through).
pub fn question(run: &KeysRun) -> Option<Question> {
    let recs = run.trace.records();
    let (crash_at, op, crashed_attempt, phase, keys_lost) =
        recs.iter().enumerate().find_map(|(i, s)| match s.record {
            KeysRecord::Crashed { op, attempt, phase, keys_lost } => Some((i, op, attempt, phase, keys_lost)),
            _ => None,
        })?;
    // The first outcome of a later attempt of the same operation.
    let (out_at, attempt, answer) = recs.iter().enumerate().skip(crash_at + 1).find_map(|(i, s)| {
        let (o, a, answer) = match s.record {
            KeysRecord::Charged { op, attempt, count } => (op, attempt, if count > 1 { AGAIN } else { FIRST }),
            KeysRecord::ProviderReplayed { op, attempt, .. } => (op, attempt, PROVIDER_REPLAY),
            KeysRecord::Conflict { op, attempt, .. } => (op, attempt, CONFLICT),
            KeysRecord::Replayed { op, attempt, .. } => (op, attempt, SERVER_REPLAY),
            _ => return None,
        };
        (o == op && a > crashed_attempt).then_some((i, a, answer))
    })?;
    // The decisive step: the client sends that retry.
    let sent_at = recs.iter().position(
        |s| matches!(s.record, KeysRecord::RequestSent { op: o, attempt: a, .. } if o == op && a == attempt),
    )?;
    if sent_at <= crash_at || sent_at > out_at {
        return None;
    }
    let between = &recs[sent_at..out_at];
    let claim = between.iter().find_map(|s| match s.record {
        KeysRecord::KeyClaimed { op: o, attempt: a, resumed_from, .. } if o == op && a == attempt => {
            Some(match resumed_from {
                Some(RecoveryPoint::Started) => {
                    "found its key released at restart with recovery point started and resumed from there"
                }
                Some(RecoveryPoint::ChargeCreated) => "found its key released with charge_created recorded",
                None => "found no key record and ran as new, with a new key record",
            })
        }
        KeysRecord::LockTakenOver { op: o, attempt: a, .. } if o == op && a == attempt => {
            Some("took over the crashed attempt's lock")
        }
        KeysRecord::RanWithoutKey { op: o, attempt: a } if o == op && a == attempt => Some("ran without a key"),
        _ => None,
    });
    let call = between.iter().find_map(|s| match s.record {
        KeysRecord::ProviderCalled { op: o, attempt: a, provider_key } if o == op && a == attempt => {
            Some(if provider_key.is_some() {
                "called the provider with the server's own key"
            } else {
                "called the provider with no key of the server's own"
            })
        }
        _ => None,
    });
    let step = out_at + 1;
    let what = match (claim, call) {
        (Some(c), Some(p)) => format!("The retry {c}, then {p}"),
        (Some(c), None) => format!("The retry {c}"),
        (None, _) => "The retry reached the server".to_string(),
    };
    let volatile = run.params.store == Durability::Volatile;
    let lost = if keys_lost > 0 || volatile {
        format!("The key store is in memory: the crash emptied it (keys lost: {keys_lost}). ")
    } else {
        String::new()
    };
    let n = op + 1;
    let explain = match answer {
        AGAIN => format!(
            "{lost}{what}; the provider could not tell the call from a new charge and charged op {n} a second time (step {step}).{}",
            if run.params.provider_keys && volatile {
                " The server's own provider key does not help here: it is derived from the key record, and the record was lost with the store."
            } else {
                ""
            }
        ),
        PROVIDER_REPLAY => format!(
            "{lost}{what}; the provider had seen that key already and returned its first charge, charging nothing (step {step})."
        ),
        FIRST => format!(
            "{lost}The crash struck before the provider was called, so nothing had been charged. {what}, and the provider charged op {n} for the first time (step {step})."
        ),
        CONFLICT => format!("{what}: the key was still locked, so the server answered 409 Conflict (step {step})."),
        _ => format!(
            "{what}: the key had completed, so the server replayed the stored response without calling the provider (step {step})."
        ),
    };
    let question = question_words(run, phase, n);
    Some(Question {
        id: "keys-retry-after-crash".into(),
        question,
        choices: CHOICES.to_vec(),
        answer,
        explain,
        step: sent_at + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idemlab_sim::keys::{presets, KeysParams};

    fn step_run(p: KeysParams) -> KeysRun {
        idemlab_sim::keys::run(&KeysParams { ops: presets::step_ops(p.policy), ..p }).expect("run")
    }

    #[test]
    fn the_right_answer_follows_the_provider_keys_switch() {
        let without = question(&step_run(presets::params_of("crash-window"))).expect("a crash and a retry");
        let with = question(&step_run(presets::params_of("crash-window-pk"))).expect("a crash and a retry");
        assert_eq!((without.answer, with.answer), (AGAIN, PROVIDER_REPLAY));
        // The same question, the same choices: only the answer and its reason differ.
        assert_eq!((without.question.as_str(), without.choices), (with.question.as_str(), with.choices));
        assert!(without.explain.contains("second time") && with.explain.contains("returned its first charge"));
        // The prompt stands before the retry is sent, after the crash.
        let run = step_run(presets::params_of("crash-window"));
        assert!(matches!(run.trace.records()[without.step - 1].record, KeysRecord::RequestSent { attempt: 2.., .. }));
    }

    #[test]
    fn a_volatile_store_charges_again_even_with_provider_keys() {
        let p = presets::params_of("volatile-crash");
        let q = question(&step_run(KeysParams { provider_keys: true, ..p })).expect("a crash and a retry");
        assert_eq!(q.answer, AGAIN);
        assert!(q.explain.contains("emptied"), "{}", q.explain);
    }

    #[test]
    fn a_run_without_a_crash_asks_nothing() {
        assert_eq!(question(&step_run(presets::params_of("no-key"))), None);
    }
}
