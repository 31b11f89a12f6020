//! Keys' third predict-first question: the provider charged, the server's
//! answer was lost on its way back, and the client retries. Asked when the
//! run has neither a crash nor a key the server resolves (the other two
//! questions), which is the case of the bugs a newcomer arrives with: no key,
//! a fresh key per attempt, a key that expired before the retry. Read from
//! the step-through run's trace, like the others.

use crate::shell::Question;
use idemlab_sim::keys::{ClientPolicy, KeysRecord, KeysRun};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "The provider charges the card again: the customer pays twice.",
    "The server replays its stored response: the provider is not called.",
    "The server answers 409 Conflict: the first attempt still holds the key.",
    "The provider recognises the server's own key and returns its first charge.",
];

/// Indexes into [`CHOICES`].
const AGAIN: usize = 0;
const REPLAY: usize = 1;
const CONFLICT: usize = 2;
const PROVIDER_REPLAY: usize = 3;

/// The question about the first retry after a lost response to an attempt
/// the provider charged; `None` when the run has none.
pub fn question(run: &KeysRun) -> Option<Question> {
    let recs = run.trace.records();
    // The first charged attempt whose response the network lost.
    let (lost_at, op, lost_attempt) = recs.iter().enumerate().find_map(|(i, s)| match s.record {
        KeysRecord::ResponseSent { op, attempt, hop_us: None, .. } => {
            let charged = recs[..i]
                .iter()
                .any(|r| matches!(r.record, KeysRecord::Charged { op: o, attempt: a, .. } if o == op && a == attempt));
            charged.then_some((i, op, attempt))
        }
        _ => None,
    })?;
    // The next attempt of that operation, and what met it first.
    let (sent_at, attempt) = recs.iter().enumerate().skip(lost_at + 1).find_map(|(i, s)| match s.record {
        KeysRecord::RequestSent { op: o, attempt, .. } if o == op && attempt > lost_attempt => Some((i, attempt)),
        _ => None,
    })?;
    let (out_at, answer) = recs.iter().enumerate().skip(sent_at + 1).find_map(|(i, s)| {
        let (o, a, answer) = match s.record {
            KeysRecord::Charged { op, attempt, .. } => (op, attempt, AGAIN),
            KeysRecord::Replayed { op, attempt, .. } => (op, attempt, REPLAY),
            KeysRecord::Conflict { op, attempt, .. } => (op, attempt, CONFLICT),
            KeysRecord::ProviderReplayed { op, attempt, .. } => (op, attempt, PROVIDER_REPLAY),
            _ => return None,
        };
        (o == op && a == attempt).then_some((i, answer))
    })?;
    let n = op + 1;
    // A key expires when the store looks it up again, so after the retry is sent.
    let expired = recs[lost_at..out_at].iter().any(|s| matches!(s.record, KeysRecord::KeyExpired { .. }));
    let key = match run.params.policy {
        ClientPolicy::NoKey => "no Idempotency-Key",
        ClientPolicy::FreshKeyPerAttempt => "a new Idempotency-Key, made for this attempt",
        ClientPolicy::KeyPerOperation | ClientPolicy::ReusedKey => "the same Idempotency-Key",
    };
    let why = match run.params.policy {
        ClientPolicy::NoKey => "With no key, the server cannot tell a retry from a new charge, so it ran it as new",
        ClientPolicy::FreshKeyPerAttempt => {
            "The key was new to the server, so it ran the retry as a new charge, with a new key record and so a new provider key"
        }
        ClientPolicy::KeyPerOperation | ClientPolicy::ReusedKey if expired => {
            "The key had expired before the retry came, so the server no longer knew it and ran the retry as new"
        }
        ClientPolicy::KeyPerOperation | ClientPolicy::ReusedKey => "The server looked the key up",
    };
    let step = out_at + 1;
    let explain = match answer {
        AGAIN => format!("{why}: the provider charged op {n} a second time (step {step})."),
        REPLAY => format!("{why}: it had completed, so the server replayed the stored response (step {step})."),
        CONFLICT => format!("{why}: the first attempt still held it, so the server answered 409 (step {step})."),
        _ => format!("{why}: the provider knew the server's key and returned its first charge (step {step})."),
    };
    Some(Question {
        id: "keys-retry-after-lost-response".into(),
        question: format!(
            "The provider charged op {n}, but the server's answer to attempt {lost_attempt} was lost on the way back. The client times out and retries with {key}. What happens?"
        ),
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

    fn step_run(slug: &str) -> KeysRun {
        let p = presets::params_of(slug);
        idemlab_sim::keys::run(&KeysParams { ops: presets::step_ops(p.policy), ..p }).expect("run")
    }

    #[test]
    fn a_retry_without_a_key_or_with_a_fresh_or_expired_one_charges_again() {
        for slug in ["no-key", "fresh-key", "short-ttl"] {
            let run = step_run(slug);
            let q = question(&run).unwrap_or_else(|| panic!("{slug}: no lost response and retry"));
            assert_eq!(q.answer, AGAIN, "{slug}: {}", q.explain);
            // The prompt stands before the retry is sent, and the second charge comes after it.
            assert!(matches!(run.trace.records()[q.step - 1].record, KeysRecord::RequestSent { attempt: 2.., .. }));
            let second = idemlab_sim::keys::view::decisive_step(&run).expect("a second charge");
            assert!(q.step < second, "{slug}: asked at {} after the second charge at {second}", q.step);
        }
        assert!(question(&step_run("short-ttl")).expect("asks").explain.contains("expired"));
    }

    #[test]
    fn a_run_whose_responses_all_arrive_asks_nothing() {
        assert_eq!(question(&step_run("slow-409")), None);
    }
}
