//! The step views of `view.rs`, one per trace record, by mechanism: what the
//! client and the network do, what the key store decides, what the provider
//! charges, and the server's own crashes. Each record's sentence and diagram
//! items are written once, in the function for its mechanism.

use super::view::{money, Badge, Lane, SeqItem, Shape, StepView};
use crate::keys::store::RecoveryPoint;
use crate::keys::{Belief, CrashPhase, KeysRecord, KeysRun};

/// Builds the step views of a run, one per kept trace record.
pub fn steps(run: &KeysRun) -> Vec<StepView> {
    let mut out = Vec::with_capacity(run.trace.len());
    let mut at_us_last = 0;
    for r in run.trace.records() {
        let mut d = Draft { run, t: r.at.as_us(), items: Vec::new(), badge: None };
        debug_assert!(d.t >= at_us_last, "trace records are kept in time order");
        at_us_last = d.t;
        let line = d.record(&r.record);
        out.push(StepView { at_us: d.t, line, items: d.items, badge: d.badge });
    }
    out
}

/// One step being built: when it happened, the items it draws and the key
/// badge it changes.
struct Draft<'a> {
    run: &'a KeysRun,
    t: u64,
    items: Vec<SeqItem>,
    badge: Option<(u32, Badge)>,
}

impl Draft<'_> {
    /// Half the server's processing time: how long a provider hop is drawn.
    fn half_us(&self) -> u64 {
        u64::from(self.run.params.processing_ms) * 500
    }

    fn item(&mut self, lane: Lane, to: Option<Lane>, x0_us: u64, x1_us: u64, label: String, shape: Shape) {
        debug_assert!(x0_us <= x1_us, "a diagram item ends after it starts");
        self.items.push(SeqItem { lane, to, x0_us, x1_us, label, shape });
    }

    /// A mark at this step's instant.
    fn mark(&mut self, lane: Lane, label: String, shape: Shape) {
        self.item(lane, None, self.t, self.t, label, shape);
    }

    fn amount(&self, op: u32) -> String {
        money(self.run.ops.get(op as usize).map_or(0, |o| o.amount_cents))
    }

    /// The record's sentence; draws its items and sets its badge on the way.
    fn record(&mut self, rec: &KeysRecord) -> String {
        match rec {
            KeysRecord::OpStarted { op, amount_cents, twin_of } => self.op_started(*op, *amount_cents, *twin_of),
            KeysRecord::RequestSent { op, attempt, key, hop_us, .. } => self.request_sent(*op, *attempt, *key, *hop_us),
            KeysRecord::Refused { attempt, .. } => self.refused(*attempt),
            KeysRecord::MissingKey { attempt, .. } => self.missing_key(*attempt),
            KeysRecord::RanWithoutKey { attempt, .. } => self.ran_without_key(*attempt),
            KeysRecord::KeyExpired { key } => self.key_expired(*key),
            KeysRecord::KeyClaimed { attempt, key, resumed_from, .. } => {
                self.key_claimed(*attempt, *key, *resumed_from)
            }
            KeysRecord::LockTakenOver { attempt, key, age_us, .. } => self.lock_taken_over(*attempt, *key, *age_us),
            KeysRecord::Conflict { attempt, key, .. } => self.conflict(*attempt, *key),
            KeysRecord::Mismatch { attempt, key, .. } => self.mismatch(*attempt, *key),
            KeysRecord::Replayed { op, attempt, key, status, for_op } => {
                self.replayed(*op, *attempt, *key, *status, *for_op)
            }
            KeysRecord::ProviderCalled { op, provider_key, .. } => self.provider_called(*op, *provider_key),
            KeysRecord::ProviderReplayed { op, provider_key, .. } => self.provider_replayed(*op, *provider_key),
            KeysRecord::ProviderTimedOut { charged, .. } => self.provider_timed_out(*charged),
            KeysRecord::Charged { op, count, .. } => self.charged(*op, *count),
            KeysRecord::ProviderFailed { .. } => self.provider_failed(),
            KeysRecord::ChargeSkipped { key, .. } => self.charge_skipped(*key),
            KeysRecord::RecoveryPointSaved { key } => self.recovery_point_saved(*key),
            KeysRecord::Crashed { phase, keys_lost, .. } => self.crashed(*phase, *keys_lost),
            KeysRecord::Restarted => self.restarted(),
            KeysRecord::KeyReleased { key, point } => self.key_released(*key, *point),
            KeysRecord::ResponseStored { key, status } => self.response_stored(*key, *status),
            KeysRecord::ResponseSent { attempt, status, replayed, hop_us, .. } => {
                self.response_sent(*attempt, *status, *replayed, *hop_us)
            }
            KeysRecord::ResponseReceived { attempt, status, replayed, .. } => {
                self.response_received(*attempt, *status, *replayed)
            }
            KeysRecord::ConnectionRefused { attempt, .. } => self.connection_refused(*attempt),
            KeysRecord::TimedOut { attempt, .. } => self.timed_out(*attempt),
            KeysRecord::LateResponseIgnored { attempt, status, .. } => self.late_response_ignored(*attempt, *status),
            KeysRecord::RetryScheduled { next_attempt, wait_us, .. } => self.retry_scheduled(*next_attempt, *wait_us),
            KeysRecord::OpFinished { op, belief } => self.op_finished(*op, *belief),
        }
    }

    fn refused(&mut self, attempt: u32) -> String {
        self.mark(Lane::Server, "down: refused".into(), Shape::Bad);
        format!("Attempt {attempt} reaches a server that is down: connection refused.")
    }

    fn missing_key(&mut self, attempt: u32) -> String {
        self.mark(Lane::Server, "400 no key".into(), Shape::Bad);
        format!("Attempt {attempt} has no Idempotency-Key where one is required: 400, nothing stored.")
    }

    fn ran_without_key(&mut self, attempt: u32) -> String {
        self.item(Lane::Server, None, self.t, self.t + 2 * self.half_us(), "run, unprotected".into(), Shape::Block);
        format!("Attempt {attempt} has no key; the server cannot know whether it ran before, so it runs it.")
    }

    fn key_expired(&mut self, key: u32) -> String {
        self.badge = Some((key, Badge::Expired));
        self.mark(Lane::Store, format!("K{key} expired"), Shape::Bad);
        format!("Key K{key} is older than its TTL and is pruned: this request will be treated as new.")
    }

    fn lock_taken_over(&mut self, attempt: u32, key: u32, age_us: u64) -> String {
        self.mark(Lane::Store, format!("K{key} taken over"), Shape::Bad);
        format!(
            "Attempt {attempt}: K{key} has been locked for {:.0} ms, longer than the lock timeout: the server takes the lock over and resumes, whether or not the old holder is still running.",
            age_us as f64 / 1_000.0
        )
    }

    fn conflict(&mut self, attempt: u32, key: u32) -> String {
        self.mark(Lane::Store, format!("K{key} busy: 409"), Shape::Bad);
        format!("Attempt {attempt}: K{key} is in progress; 409 Conflict (retryable).")
    }

    fn mismatch(&mut self, attempt: u32, key: u32) -> String {
        self.mark(Lane::Store, format!("K{key} other body: 422"), Shape::Bad);
        format!("Attempt {attempt}: K{key} was used with a different body (fingerprint mismatch): 422.")
    }

    fn provider_failed(&mut self) -> String {
        self.mark(Lane::Provider, "error".into(), Shape::Bad);
        self.item(Lane::Provider, Some(Lane::Server), self.t, self.t + self.half_us(), "503".into(), Shape::Arrow);
        "The provider fails transiently: nothing is charged, and the server will answer 500.".into()
    }

    fn charge_skipped(&mut self, key: u32) -> String {
        self.mark(Lane::Server, "skip charge".into(), Shape::Good);
        format!("K{key}'s recovery point says the charge exists: the server does not charge again.")
    }

    fn recovery_point_saved(&mut self, key: u32) -> String {
        self.badge = Some((key, Badge::ChargeRecorded));
        self.mark(Lane::Store, "charge_created".into(), Shape::Block);
        format!(
            "The server records the provider's charge as K{key}'s recovery point charge_created (a local transaction)."
        )
    }

    fn restarted(&mut self) -> String {
        self.mark(Lane::Server, "restart".into(), Shape::Block);
        "The server restarts.".into()
    }

    fn key_released(&mut self, key: u32, point: RecoveryPoint) -> String {
        self.badge = Some((key, Badge::Released));
        self.mark(Lane::Store, format!("K{key} released"), Shape::Block);
        format!("K{key} is released with recovery point {}: a retry may run it again from there.", point_name(point))
    }

    fn response_stored(&mut self, key: u32, status: u16) -> String {
        self.badge = Some((key, Badge::Completed(status)));
        self.item(Lane::Server, Some(Lane::Store), self.t, self.t + 1_000, format!("store {status}"), Shape::Arrow);
        format!("The server stores the {status} response under K{key}.")
    }

    fn connection_refused(&mut self, attempt: u32) -> String {
        self.mark(Lane::Client, "refused".into(), Shape::Bad);
        format!("Attempt {attempt}: connection refused.")
    }

    fn timed_out(&mut self, attempt: u32) -> String {
        let timeout_us = u64::from(self.run.params.timeout_ms) * 1_000;
        self.item(Lane::Client, None, self.t.saturating_sub(timeout_us), self.t, String::new(), Shape::Wait);
        self.mark(Lane::Client, "timed out".into(), Shape::Bad);
        format!("Attempt {attempt} timed out: the client cannot tell a lost request from a lost response.")
    }

    fn late_response_ignored(&mut self, attempt: u32, status: u16) -> String {
        self.mark(Lane::Client, format!("late {status}"), Shape::Block);
        format!("A {status} for abandoned attempt {attempt} arrives late; the client no longer listens.")
    }

    fn retry_scheduled(&mut self, next_attempt: u32, wait_us: u64) -> String {
        self.item(Lane::Client, None, self.t, self.t + wait_us, format!("  backoff → #{next_attempt}"), Shape::Wait);
        format!("The client backs off {:.1} ms before attempt {next_attempt}.", wait_us as f64 / 1_000.0)
    }
}

/// The client and the network: operations, requests and responses.
impl Draft<'_> {
    fn op_started(&mut self, op: u32, amount_cents: u32, twin_of: Option<u32>) -> String {
        self.mark(Lane::Client, format!("op {}", op + 1), Shape::Block);
        match twin_of {
            Some(prev) => format!(
                "The client starts operation {}: charge {}, the same customer and amount as operation {} (an identical payload).",
                op + 1,
                money(amount_cents),
                prev + 1
            ),
            None => format!("The client starts operation {}: charge {}.", op + 1, money(amount_cents)),
        }
    }

    fn request_sent(&mut self, op: u32, attempt: u32, key: Option<u32>, hop_us: Option<u64>) -> String {
        let (t, label) = (self.t, format!("#{attempt} {}", key_name(key)));
        match hop_us {
            Some(h) => {
                self.item(Lane::Client, Some(Lane::Server), t, t + h, label, Shape::Arrow);
                format!("Operation {}, attempt {attempt}: POST /v1/charges with {}.", op + 1, key_header(key))
            }
            None => {
                self.item(Lane::Client, Some(Lane::Server), t, t + 10_000, label, Shape::LostArrow);
                format!(
                    "Operation {}, attempt {attempt}: POST with {}; the network loses the request.",
                    op + 1,
                    key_header(key)
                )
            }
        }
    }

    fn response_sent(&mut self, attempt: u32, status: u16, replayed: bool, hop_us: Option<u64>) -> String {
        let t = self.t;
        // A replay's arrow follows its request within a hop, so their labels
        // would collide; the store lane's "replay" item names it instead.
        let label = if replayed { String::new() } else { status.to_string() };
        match hop_us {
            Some(h) => {
                self.item(Lane::Server, Some(Lane::Client), t, t + h, label, Shape::Arrow);
                format!(
                    "The server answers attempt {attempt} with {status}{}.",
                    if replayed { " (Idempotent-Replayed: true)" } else { "" }
                )
            }
            None => {
                self.item(Lane::Server, Some(Lane::Client), t, t + 10_000, label, Shape::LostArrow);
                format!("The server answers attempt {attempt} with {status}; the network loses the response.")
            }
        }
    }

    fn response_received(&mut self, attempt: u32, status: u16, replayed: bool) -> String {
        // A failure is followed at once by the backoff, whose label
        // says what happens next; the arrow already names the status.
        let (label, shape) = match status {
            200..=299 => (format!("got {status}"), Shape::Good),
            409 => (String::new(), Shape::Block),
            _ => (String::new(), Shape::Bad),
        };
        self.mark(Lane::Client, label, shape);
        format!("The client receives {status}{} for attempt {attempt}.", if replayed { " (replayed)" } else { "" })
    }

    fn op_finished(&mut self, op: u32, belief: Belief) -> String {
        // No diagram item: the response is already drawn, and the
        // ledger beside the diagram carries the belief.
        match belief {
            Belief::Charged { .. } => format!("The client believes operation {} was charged once.", op + 1),
            Belief::Rejected { status } => {
                format!("The client knows operation {} failed ({status}); it must fix the request.", op + 1)
            }
            Belief::GaveUp { attempts } => {
                self.mark(Lane::Client, "gave up".into(), Shape::Bad);
                format!("The client gives up on operation {} after {attempts} attempts, not knowing whether it was charged.", op + 1)
            }
        }
    }
}

/// The key store's decisions.
impl Draft<'_> {
    fn key_claimed(&mut self, attempt: u32, key: u32, resumed_from: Option<RecoveryPoint>) -> String {
        self.badge = Some((key, Badge::InProgress));
        self.item(Lane::Server, Some(Lane::Store), self.t, self.t + 1_000, "claim".into(), Shape::Arrow);
        match resumed_from {
            None => format!(
                "Attempt {attempt}: K{key} is new; the server claims it atomically (in progress) and processes."
            ),
            Some(p) => format!(
                "Attempt {attempt}: K{key} was released; the server claims it and resumes from {}.",
                point_name(p)
            ),
        }
    }

    fn replayed(&mut self, op: u32, attempt: u32, key: u32, status: u16, for_op: u32) -> String {
        self.mark(Lane::Store, format!("replay {status}"), if status < 300 { Shape::Good } else { Shape::Bad });
        if for_op != op {
            format!("Attempt {attempt}: K{key} is completed; the server replays the stored {status}, which belongs to operation {}.", for_op + 1)
        } else {
            format!("Attempt {attempt}: K{key} is completed; the server replays the stored {status} (Idempotent-Replayed: true).")
        }
    }
}

/// The payment provider, and the server's crashes around its call.
impl Draft<'_> {
    fn provider_called(&mut self, op: u32, provider_key: Option<u64>) -> String {
        let t = self.t;
        let amount = self.amount(op);
        self.item(
            Lane::Server,
            Some(Lane::Provider),
            t.saturating_sub(self.half_us()),
            t,
            format!("charge {amount}"),
            Shape::Arrow,
        );
        match provider_key {
            Some(pk) => format!(
                "The server asks the provider to charge {amount}, sending its own Idempotency-Key P{pk} (derived from the key record's id). This call is foreign: no local transaction covers it."
            ),
            None => format!(
                "The server asks the provider to charge {amount}, with no key of its own. This call is foreign: no local transaction covers it."
            ),
        }
    }

    fn provider_replayed(&mut self, op: u32, provider_key: u64) -> String {
        self.mark(Lane::Provider, format!("P{provider_key} seen: replay"), Shape::Good);
        self.item(Lane::Provider, Some(Lane::Server), self.t, self.t + self.half_us(), String::new(), Shape::Arrow);
        format!(
            "The provider has seen key P{provider_key}: it returns its first charge for operation {} and charges nothing.",
            op + 1
        )
    }

    fn provider_timed_out(&mut self, charged: bool) -> String {
        self.item(
            Lane::Provider,
            Some(Lane::Server),
            self.t,
            self.t + self.half_us(),
            "no answer".into(),
            Shape::LostArrow,
        );
        if charged {
            "The provider's answer does not come back in time. It did charge, but the server cannot know: it answers 500.".into()
        } else {
            "The provider's answer does not come back in time. It did not charge, but the server cannot know: it answers 500.".into()
        }
    }

    fn charged(&mut self, op: u32, count: u32) -> String {
        debug_assert!(count >= 1, "a charge record counts the charge it records");
        let (label, shape) =
            if count > 1 { (format!("charged ×{count}!"), Shape::Bad) } else { ("charged".to_string(), Shape::Good) };
        self.mark(Lane::Provider, label, shape);
        self.item(Lane::Provider, Some(Lane::Server), self.t, self.t + self.half_us(), String::new(), Shape::Arrow);
        if count > 1 {
            format!("The provider charges {} again: this operation is now charged {count} times.", self.amount(op))
        } else {
            format!("The provider charges {}.", self.amount(op))
        }
    }

    fn crashed(&mut self, phase: CrashPhase, keys_lost: u32) -> String {
        let when = match phase {
            CrashPhase::BeforeCharge => "before calling the provider",
            CrashPhase::AfterCharge => "after the provider charged, before recording charge_created",
        };
        self.mark(Lane::Server, "crash".into(), Shape::Marker);
        if keys_lost > 0 {
            self.mark(Lane::Store, format!("wiped ({keys_lost})"), Shape::Bad);
            self.badge = self.run.ops.first().and_then(|o| o.key).map(|k| (k, Badge::Forgotten));
            return format!("The server crashes {when}. The volatile key store loses {keys_lost} key(s).");
        }
        match phase {
            CrashPhase::AfterCharge => format!("The server crashes {when}. The durable store keeps the key, but at recovery point started: the provider's charge is not recorded, so a resumed request will call the provider again."),
            CrashPhase::BeforeCharge => format!("The server crashes {when}. The connection drops; the key store keeps its records."),
        }
    }
}

fn key_name(key: Option<u32>) -> String {
    match key {
        Some(k) => format!("K{k}"),
        None => "no key".into(),
    }
}

fn point_name(p: RecoveryPoint) -> &'static str {
    match p {
        RecoveryPoint::Started => "started",
        RecoveryPoint::ChargeCreated => "charge_created",
    }
}

fn key_header(key: Option<u32>) -> String {
    match key {
        Some(k) => format!("Idempotency-Key K{k}"),
        None => "no Idempotency-Key".into(),
    }
}
