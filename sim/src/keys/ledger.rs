//! The two-column ledger (what the client believes, what the provider
//! charged) and the step where a run first goes wrong.

use super::view::money;
use super::{Belief, KeysRecord, KeysRun};
use serde::Serialize;

/// How a ledger line reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Tone {
    /// Fine.
    Good,
    /// Wrong: a double charge, a silent loss.
    Bad,
    /// Neither: a visible failure the client knows about.
    Neutral,
}

/// One line of the two-column ledger.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LedgerLine {
    /// The step at which it appears (1-based, as the step controls count).
    pub step: usize,
    /// The operation.
    pub op: u32,
    /// The text.
    pub text: String,
    /// How it reads.
    pub tone: Tone,
}

/// The two columns of the ledger: what the client believes, and what the
/// provider charged, each line tagged with the step that writes it.
pub fn ledger(run: &KeysRun) -> (Vec<LedgerLine>, Vec<LedgerLine>) {
    let mut client = Vec::new();
    let mut provider = Vec::new();
    for (i, r) in run.trace.records().iter().enumerate() {
        let step = i + 1;
        if let KeysRecord::OpFinished { op, belief } = &r.record {
            let charges = run.ops.get(*op as usize).map_or(0, |o| o.charges);
            let amount = money(run.ops.get(*op as usize).map_or(0, |o| o.amount_cents));
            let (text, tone) = match belief {
                Belief::Charged { attempt, replayed, for_op } => {
                    let how = if *replayed { "replayed 201" } else { "201" };
                    let whose = if for_op != op {
                        format!(", but it is op {}'s stored response", for_op + 1)
                    } else {
                        String::new()
                    };
                    (
                        format!("Op {} {amount}: charged once ({how} on attempt {attempt}{whose})", op + 1),
                        if charges == 1 { Tone::Good } else { Tone::Bad },
                    )
                }
                Belief::Rejected { status } => (format!("Op {} {amount}: failed with {status}", op + 1), Tone::Neutral),
                Belief::GaveUp { attempts } => {
                    (format!("Op {} {amount}: unknown, gave up after {attempts} attempts", op + 1), Tone::Neutral)
                }
            };
            client.push(LedgerLine { step, op: *op, text, tone });
        }
        if let KeysRecord::Charged { op, count, .. } = &r.record {
            let amount = money(run.ops.get(*op as usize).map_or(0, |o| o.amount_cents));
            let (text, tone) = if *count > 1 {
                (format!("Op {} {amount}: charged AGAIN (charge {count})", op + 1), Tone::Bad)
            } else {
                (format!("Op {} {amount}: charged", op + 1), Tone::Good)
            };
            provider.push(LedgerLine { step, op: *op, text, tone });
        }
    }
    (client, provider)
}

/// The first step (1-based, as the step controls count) where the run goes
/// wrong for good: a second charge of one operation, a 201 for an operation
/// that was never charged, a 201 that describes another operation, or a
/// client that stopped (gave up or was rejected) on an operation the
/// provider did charge. `None` when nothing goes wrong.
pub fn decisive_step(run: &KeysRun) -> Option<usize> {
    let charges = |op: u32| run.ops.get(op as usize).map_or(0, |o| o.charges);
    run.trace
        .records()
        .iter()
        .position(|r| {
            if let KeysRecord::Charged { count, .. } = &r.record {
                return *count > 1;
            }
            if let KeysRecord::OpFinished { op, belief } = &r.record {
                return match belief {
                    Belief::Charged { for_op, .. } => charges(*op) == 0 || for_op != op,
                    Belief::Rejected { .. } | Belief::GaveUp { .. } => charges(*op) > 0,
                };
            }
            false
        })
        .map(|i| i + 1)
}
