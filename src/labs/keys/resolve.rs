//! Keys' second predict-first question: a request arrives under a key the
//! server already holds, and the server resolves it (409 while the first
//! attempt runs, a replay once it completed, 422 for a different body). Read
//! from the step-through run's trace, like the crash question: the first
//! such resolution is the decisive moment, and the prompt stands before the
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
const CONFLICT: usize = 1;
const REPLAY: usize = 2;
const MISMATCH: usize = 3;

/// The question about the first request the server resolves from a key it
/// already holds, when the run has one; `None` otherwise.
pub fn question(run: &KeysRun) -> Option<Question> {
    let recs = run.trace.records();
    let (out_at, op, attempt, key, answer, for_op) = recs.iter().enumerate().find_map(|(i, s)| match s.record {
        KeysRecord::Conflict { op, attempt, key } => Some((i, op, attempt, key, CONFLICT, op)),
        KeysRecord::Replayed { op, attempt, key, for_op, .. } => Some((i, op, attempt, key, REPLAY, for_op)),
        KeysRecord::Mismatch { op, attempt, key } => Some((i, op, attempt, key, MISMATCH, op)),
        _ => None,
    })?;
    let sent_at = recs[..out_at].iter().rposition(
        |s| matches!(s.record, KeysRecord::RequestSent { op: o, attempt: a, .. } if o == op && a == attempt),
    )?;
    let (n, step) = (op + 1, out_at + 1);
    let question = format!(
        "Op {n}'s attempt #{attempt} reaches the server with Idempotency-Key K{key}, which the server already holds. What does the server answer?"
    );
    let explain = match answer {
        CONFLICT => format!(
            "The first attempt under K{key} was still running, so the server answered 409 Conflict without touching the provider (step {step}); the client retries later and gets the stored response."
        ),
        REPLAY if for_op != op => format!(
            "K{key} had completed for op {}, and without a different body to tell them apart the server replayed that response (step {step}): op {n} was never charged, and the client believes it was.",
            for_op + 1
        ),
        REPLAY => format!(
            "K{key} had completed, so the server replayed the stored response without calling the provider (step {step})."
        ),
        _ => format!(
            "K{key} was stored with another request's fingerprint, so the server refused this body with 422 and charged nothing (step {step})."
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
    fn the_prompt_stands_before_the_request_the_server_resolves() {
        let run = step_run("slow-409");
        let q = question(&run).expect("a question");
        assert!(matches!(run.trace.records()[q.step - 1].record, KeysRecord::RequestSent { .. }));
    }
}
