//! Keys' second predict-first question: a request arrives that the server
//! must tell apart from one it has seen (a retry, or another operation under
//! a reused key), and the server resolves it: 409 while the first attempt
//! runs, a replay once it completed, 422 for a different body, or a new
//! request that charges (no key, a fresh key, an expired key). Read from the
//! step-through run's trace, like the crash question: the first such
//! resolution is the decisive moment, and the prompt stands before the
//! request that meets it is sent.

use crate::shell::Question;
use idemlab_sim::keys::{KeysRecord, KeysRun};

/// The choices, the same for every run; the run picks the right one.
pub const CHOICES: &[&str] = &[
    "The server runs it as a new request and charges.",
    "409 Conflict: the first attempt still holds the key.",
    "The server replays the stored response: the provider is not called.",
    "422: the key was used with a different request body.",
];

/// Indexes into [`CHOICES`].
const NEW: usize = 0;
const CONFLICT: usize = 1;
const REPLAY: usize = 2;
const MISMATCH: usize = 3;

/// The first resolution of a request the server had to tell apart from an
/// earlier one: its index, op, attempt, the choice, and the op whose
/// response a replay carries. A charge counts when it comes from a retry or
/// charges an operation again.
fn first_resolution(run: &KeysRun) -> Option<(usize, u32, u32, usize, u32)> {
    run.trace.records().iter().enumerate().find_map(|(i, s)| match s.record {
        KeysRecord::Conflict { op, attempt, .. } => Some((i, op, attempt, CONFLICT, op)),
        KeysRecord::Replayed { op, attempt, for_op, .. } => Some((i, op, attempt, REPLAY, for_op)),
        KeysRecord::Mismatch { op, attempt, .. } => Some((i, op, attempt, MISMATCH, op)),
        KeysRecord::Charged { op, attempt, count } if attempt > 1 || count > 1 => Some((i, op, attempt, NEW, op)),
        _ => None,
    })
}

/// The key the request carries, in words: what the learner can see on the
/// client's lane before the prompt (its key, and whether the server has
/// held it or let it expire).
fn key_words(run: &KeysRun, sent_at: usize, key: Option<u32>) -> String {
    let recs = &run.trace.records()[..sent_at];
    let Some(k) = key else { return "with no Idempotency-Key".to_string() };
    let held = recs.iter().any(|s| matches!(s.record, KeysRecord::KeyClaimed { key, .. } if key == k));
    let expired = recs.iter().rposition(|s| matches!(s.record, KeysRecord::KeyExpired { key } if key == k));
    match (held, expired) {
        (_, Some(e)) => format!("with Idempotency-Key K{k}, whose record the server expired at step {}", e + 1),
        (true, None) => format!("with Idempotency-Key K{k}, which the server has seen before"),
        (false, None) => format!("with Idempotency-Key K{k}, a key the server has not seen"),
    }
}

/// How the server came to run a keyed request as new, from the records
/// between its sending and its charge.
fn how_new(between: &[idemlab_sim::trace::Stamped<KeysRecord>], k: &str) -> String {
    let took_over = between.iter().any(|s| matches!(s.record, KeysRecord::LockTakenOver { .. }));
    let resumed = between.iter().any(|s| matches!(s.record, KeysRecord::KeyClaimed { resumed_from: Some(_), .. }));
    match (took_over, resumed) {
        (true, _) => {
            format!("The lock on {k} looked abandoned, and the server took it over from the attempt still running")
        }
        (_, true) => format!("The server had released {k}, and the retry claimed it and resumed"),
        _ => format!("The server found no live record for {k}"),
    }
}

/// The question about the first request the server resolves against an
/// earlier one, when the run has one; `None` otherwise.
pub fn question(run: &KeysRun) -> Option<Question> {
    let recs = run.trace.records();
    let (out_at, op, attempt, answer, for_op) = first_resolution(run)?;
    let (sent_at, key) = recs[..out_at].iter().enumerate().rev().find_map(|(i, s)| match s.record {
        KeysRecord::RequestSent { op: o, attempt: a, key, .. } if o == op && a == attempt => Some((i, key)),
        _ => None,
    })?;
    let (n, step) = (op + 1, out_at + 1);
    let keyed = key_words(run, sent_at, key);
    let what = if attempt > 1 { "a retry" } else { "a new operation" };
    let question = format!("Op {n}'s attempt #{attempt} ({what}) reaches the server {keyed}. What does the server do?");
    let k = key.map_or_else(String::new, |k| format!("K{k}"));
    let again = matches!(recs[out_at].record, KeysRecord::Charged { count: 2.., .. });
    let explain = match answer {
        NEW if key.is_none() => format!(
            "Without a key the server cannot tell a retry from a new payment: it ran the request as new and the provider charged op {n} {} (step {step}).",
            if again { "a second time" } else { "for the first time" }
        ),
        NEW => format!(
            "{}, so it ran the request again and the provider charged op {n} {} (step {step}).",
            how_new(&recs[sent_at..out_at], &k),
            if again { "a second time" } else { "for the first time" }
        ),
        CONFLICT => format!(
            "The first attempt under {k} was still running, so the server answered 409 Conflict without touching the provider (step {step}); the client retries later and gets the stored response."
        ),
        REPLAY if for_op != op => format!(
            "{k} had completed for op {}, and without a different body to tell them apart the server replayed that response (step {step}): op {n} was never charged, and the client believes it was.",
            for_op + 1
        ),
        REPLAY => format!(
            "{k} had completed, so the server replayed the stored response without calling the provider (step {step})."
        ),
        _ => format!(
            "{k} was stored with another request's fingerprint, so the server refused this body with 422 and charged nothing (step {step})."
        ),
    };
    Some(Question {
        id: "keys-key-resolution".into(),
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

    fn step_run(slug: &str) -> KeysRun {
        let p = presets::params_of(slug);
        idemlab_sim::keys::run(&KeysParams { ops: presets::step_ops(p.policy), ..p }).expect("run")
    }

    #[test]
    fn a_slow_first_attempt_and_a_reused_key_are_both_met_with_409_first() {
        let q = question(&step_run("slow-409")).expect("a retry meets the running attempt");
        assert_eq!(q.answer, CONFLICT, "{}", q.explain);
        // In the one-operation-pair step run, op 2 meets K1 while op 1 still runs: 409 first.
        let q = question(&step_run("reused-key")).expect("the second op meets the first's key");
        assert_eq!(q.answer, CONFLICT, "{}", q.explain);
        assert!(q.question.contains("Op 2"), "{}", q.question);
    }

    #[test]
    fn without_a_key_the_retry_is_predicted_to_charge_again() {
        let q = question(&step_run("no-key")).expect("a retry after a lost response");
        assert_eq!(q.answer, NEW, "{}", q.explain);
        assert!(q.question.contains("with no Idempotency-Key"), "{}", q.question);
        assert!(q.explain.contains("a second time"), "{}", q.explain);
    }

    #[test]
    fn every_preset_with_a_decisive_moment_asks_about_it_before_it() {
        use idemlab_sim::keys::view;
        use idemlab_sim::lab::Lab;
        for p in idemlab_sim::keys::KeysLab::presets() {
            let run = step_run(p.slug);
            let asked: Vec<_> = super::super::question::question(&run).or_else(|| question(&run)).into_iter().collect();
            // A decisive step (a second charge, a wrong belief) or a 409/422 the server answers.
            let resolves = run.trace.records().iter().any(|s| {
                matches!(
                    s.record,
                    KeysRecord::Conflict { .. } | KeysRecord::Mismatch { .. } | KeysRecord::Replayed { .. }
                )
            });
            if let Some(d) = view::decisive_step(&run) {
                assert!(asked.iter().any(|q| q.step <= d), "{}: the failure at step {d} is asked before it", p.slug);
            }
            if resolves {
                assert!(!asked.is_empty(), "{}: the server resolves a key and nothing asks", p.slug);
            }
            for q in &asked {
                assert!(q.answer < q.choices.len() && q.step >= 1 && q.step <= run.trace.records().len(), "{}", p.slug);
            }
        }
    }

    #[test]
    fn the_prompt_stands_before_the_request_the_server_resolves() {
        let run = step_run("slow-409");
        let q = question(&run).expect("a question");
        assert!(matches!(run.trace.records()[q.step - 1].record, KeysRecord::RequestSent { .. }));
    }
}
