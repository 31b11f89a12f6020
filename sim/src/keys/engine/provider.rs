//! The server's foreign call in the Keys engine: the payment provider
//! charges (or replays its first charge for a provider key it has seen),
//! fails or times out, and the server records `charge_created` or answers
//! 500 (Brandur Leach's phases; the crash window sits between the charge
//! and that record).

use super::{Answer, Effects, Engine, Event, Job, Request, FINISH};
use crate::keys::{CrashPhase, KeysRecord, On5xx, RecoveryPoint};
use crate::time::SimTime;

impl Engine<'_> {
    /// The foreign call: the provider charges (or replays its first charge
    /// for a provider key it has seen), fails, or does not answer in time.
    pub(super) fn provider_call(&mut self, now: SimTime, job: Job, out: &mut Effects) {
        if job.incarnation != self.incarnation {
            // The server died before it got here: the call never left.
            return;
        }
        let req = job.req;
        if self.server.chance(self.p.crash_before_charge) {
            self.crash(now, req, CrashPhase::BeforeCharge, out);
            return;
        }
        let provider_key = if self.p.provider_keys { job.record } else { None };
        self.push(now, KeysRecord::ProviderCalled { op: req.op, attempt: req.attempt, provider_key });
        let failed = self.server.chance(self.p.provider_error);
        let timed_out = self.provider_rng.chance(self.p.provider_timeout);
        let lands = self.provider_rng.chance(0.5);
        let half = self.half();
        if failed {
            self.push(now, KeysRecord::ProviderFailed { op: req.op, attempt: req.attempt });
            out.push((half, Event::ProviderAnswer { job, answer: Answer::Failed }));
            return;
        }
        if !timed_out || lands {
            self.charge(now, req, provider_key);
        }
        if timed_out {
            self.c.provider_timeouts += 1;
            self.push(now, KeysRecord::ProviderTimedOut { op: req.op, attempt: req.attempt, charged: lands });
            out.push((half, Event::ProviderAnswer { job, answer: Answer::TimedOut }));
        } else {
            out.push((half, Event::ProviderAnswer { job, answer: Answer::Charged }));
        }
    }

    /// The provider charges `req`'s operation, unless its key store already
    /// holds `provider_key`: then it returns the first charge.
    fn charge(&mut self, now: SimTime, req: Request, provider_key: Option<u64>) {
        if let Some(pk) = provider_key {
            if self.provider_keys.contains_key(&pk) {
                self.c.provider_replays += 1;
                self.push(now, KeysRecord::ProviderReplayed { op: req.op, attempt: req.attempt, provider_key: pk });
                return;
            }
            self.provider_keys.insert(pk, req.op);
        }
        let count = &mut self.charges[req.op as usize];
        *count += 1;
        let count = *count;
        self.c.charges += 1;
        self.push(now, KeysRecord::Charged { op: req.op, attempt: req.attempt, count });
    }

    pub(super) fn provider_answer(&mut self, now: SimTime, job: Job, answer: Answer, out: &mut Effects) {
        if job.incarnation != self.incarnation {
            // The server crashed while the provider worked; the answer has nobody to go to.
            return;
        }
        let req = job.req;
        match answer {
            Answer::Failed | Answer::TimedOut => {
                self.c.errors_5xx += 1;
                if let Some(key) = req.key {
                    match self.p.on_5xx {
                        On5xx::StoreAndReplay => {
                            if self.store.complete(key, job.claim, 500, req.op) {
                                self.push(now, KeysRecord::ResponseStored { key, status: 500 });
                            }
                        }
                        On5xx::ReleaseKey => {
                            if self.store.release(key, job.claim, RecoveryPoint::Started) {
                                self.push(now, KeysRecord::KeyReleased { key, point: RecoveryPoint::Started });
                            }
                        }
                    }
                }
                self.respond(now, req, 500, false, req.op, out);
            }
            Answer::Charged => {
                // The window: the provider has charged, charge_created is not recorded.
                if self.server.chance(self.p.crash_after_charge) {
                    self.crash(now, req, CrashPhase::AfterCharge, out);
                    return;
                }
                if let Some(key) = req.key {
                    if self.store.mark_charged(key, job.claim) {
                        self.push(now, KeysRecord::RecoveryPointSaved { key });
                    }
                }
                out.push((FINISH, Event::Finish { job }));
            }
        }
    }
}
