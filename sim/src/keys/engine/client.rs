//! The client's half of the Keys engine: what it does with a reply, when
//! it retries or gives up, and the per-operation outcome at the end.

use super::{Effects, Engine, Event, Reply};
use crate::backoff::{self, AttemptResult};
use crate::keys::{Belief, KeysRecord, KeysRun, OpOutcome};
use crate::time::SimTime;

impl Engine<'_> {
    pub(super) fn deliver(&mut self, now: SimTime, op: u32, attempt: u32, reply: Reply, out: &mut Effects) {
        let s = &self.ops[op as usize];
        if s.belief.is_some() || !s.waiting || s.attempt != attempt {
            if let Reply::Status { code, .. } = reply {
                self.push(now, KeysRecord::LateResponseIgnored { op, attempt, status: code });
            }
            return;
        }
        self.ops[op as usize].waiting = false;
        let result = match reply {
            Reply::Refused => {
                self.push(now, KeysRecord::ConnectionRefused { op, attempt });
                AttemptResult::NetworkError
            }
            Reply::Status { code, replayed, for_op } => {
                self.push(now, KeysRecord::ResponseReceived { op, attempt, status: code, replayed });
                if (200..300).contains(&code) {
                    self.finish_op(now, op, Belief::Charged { attempt, replayed, for_op });
                    return;
                }
                AttemptResult::Status { code, retry_after_ms: None }
            }
        };
        if backoff::is_retryable(result) {
            self.retry_or_give_up(now, op, result, out);
        } else if let AttemptResult::Status { code, .. } = result {
            self.finish_op(now, op, Belief::Rejected { status: code });
        }
    }

    pub(super) fn retry_or_give_up(&mut self, now: SimTime, op: u32, result: AttemptResult, out: &mut Effects) {
        let s = &mut self.ops[op as usize];
        let attempt = s.attempt;
        let delay = if attempt < self.p.attempts_max { s.backoff.delay(attempt, &mut s.rng) } else { None };
        match delay {
            Some(d) => {
                let wait = backoff::next_wait(d, result, true);
                self.push(now, KeysRecord::RetryScheduled { op, next_attempt: attempt + 1, wait_us: wait.0 });
                out.push((wait, Event::Send { op }));
            }
            None => self.finish_op(now, op, Belief::GaveUp { attempts: attempt }),
        }
    }

    pub(super) fn finish_op(&mut self, now: SimTime, op: u32, belief: Belief) {
        debug_assert!(self.ops[op as usize].belief.is_none(), "operation {} finishes once", op + 1);
        self.ops[op as usize].belief = Some(belief);
        self.push(now, KeysRecord::OpFinished { op, belief });
    }

    pub(super) fn finish(mut self) -> KeysRun {
        let mut outcomes = Vec::with_capacity(self.ops.len());
        self.c.keys_wiped = self.wiped.len() as u32;
        for (i, s) in self.ops.iter().enumerate() {
            let op = i as u32;
            let charges = self.charges[i];
            self.c.ops_charged += u32::from(charges > 0);
            self.c.double_charges += charges.saturating_sub(1);
            match s.belief {
                Some(Belief::Charged { .. }) => {
                    self.c.believed_charged += 1;
                    self.c.silent_losses += u32::from(charges == 0);
                }
                Some(Belief::Rejected { .. }) if charges > 0 => self.c.rejected_but_charged += 1,
                Some(Belief::Rejected { .. }) => self.c.rejected += 1,
                Some(Belief::GaveUp { .. }) => {
                    self.c.gave_up += 1;
                    self.c.gave_up_but_charged += u32::from(charges > 0);
                }
                None => {}
            }
            outcomes.push(OpOutcome {
                op,
                amount_cents: s.body.1,
                twin_of: s.twin_of,
                key: s.key,
                attempts: s.attempt,
                belief: s.belief,
                charges,
            });
        }
        // The provider's ledger and the run's counters tell one story.
        debug_assert_eq!(
            self.charges.iter().map(|&n| u64::from(n)).sum::<u64>(),
            u64::from(self.c.charges),
            "the per-operation charges add up to the charge counter"
        );
        debug_assert_eq!(
            self.c.ops_charged + self.c.double_charges,
            self.c.charges,
            "every charge is an operation's first or one of its doubles"
        );
        KeysRun { params: self.p.clone(), trace: self.trace, ops: outcomes, counters: self.c }
    }
}
