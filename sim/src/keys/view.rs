//! The sequence diagram and the ledger as plain data: one step per trace
//! record, each with the items it adds, a sentence for the event log, and the
//! key's state badge. The web app only maps these onto its components.

use super::store::RecoveryPoint;
use super::{Belief, CrashPhase, KeysRecord, KeysRun};
use serde::Serialize;

pub use super::ledger::{decisive_step, ledger, LedgerLine, Tone};

/// The lanes of the sequence diagram, top to bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Lane {
    /// The client making charges.
    Client,
    /// The network between client and server (lost messages stop here).
    Network,
    /// The server.
    Server,
    /// The server's key store.
    Store,
    /// The payment provider.
    Provider,
}

impl Lane {
    /// Every lane in order.
    pub const ALL: [Lane; 5] = [Lane::Client, Lane::Network, Lane::Server, Lane::Store, Lane::Provider];

    /// The lane's row.
    pub fn index(self) -> usize {
        match self {
            Lane::Client => 0,
            Lane::Network => 1,
            Lane::Server => 2,
            Lane::Store => 3,
            Lane::Provider => 4,
        }
    }

    /// The lane's label.
    pub fn title(self) -> &'static str {
        match self {
            Lane::Client => "client",
            Lane::Network => "network",
            Lane::Server => "server",
            Lane::Store => "key store",
            Lane::Provider => "provider",
        }
    }
}

/// The shape of a diagram item (mapped onto the shared timeline's kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Shape {
    /// Ordinary work.
    Block,
    /// Waiting (timeout, backoff).
    Wait,
    /// Something that went right.
    Good,
    /// Something that went wrong.
    Bad,
    /// A message that arrived.
    Arrow,
    /// A message the network lost.
    LostArrow,
    /// A crash.
    Marker,
}

/// One item of the diagram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeqItem {
    /// Where it starts (for arrows: the sender).
    pub lane: Lane,
    /// For arrows: the receiver.
    pub to: Option<Lane>,
    /// Start, in microseconds of simulated time.
    pub x0_us: u64,
    /// End, in microseconds.
    pub x1_us: u64,
    /// A short label.
    pub label: String,
    /// Its shape.
    pub shape: Shape,
}

/// The state badge of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Badge {
    /// No record.
    Absent,
    /// Claimed by a running request.
    InProgress,
    /// Claimed, and the charge is recorded (`charge_created`).
    ChargeRecorded,
    /// A response is stored and will be replayed.
    Completed(u16),
    /// Released: the next request resumes from the recovery point.
    Released,
    /// Pruned for age.
    Expired,
    /// Lost with a volatile store.
    Forgotten,
}

impl Badge {
    /// The badge text.
    pub fn text(self) -> String {
        match self {
            Badge::Absent => "absent".into(),
            Badge::InProgress => "in progress".into(),
            Badge::ChargeRecorded => "in progress · charge_created".into(),
            Badge::Completed(s) => format!("completed · {s} stored"),
            Badge::Released => "released".into(),
            Badge::Expired => "expired".into(),
            Badge::Forgotten => "forgotten (store wiped)".into(),
        }
    }

    /// A CSS-safe slug.
    pub fn slug(self) -> &'static str {
        match self {
            Badge::Absent => "absent",
            Badge::InProgress => "in-progress",
            Badge::ChargeRecorded => "charge-recorded",
            Badge::Completed(_) => "completed",
            Badge::Released => "released",
            Badge::Expired => "expired",
            Badge::Forgotten => "forgotten",
        }
    }
}

/// One step of the step-through: what the record adds to the picture.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    /// When it happened, in microseconds.
    pub at_us: u64,
    /// The event log's sentence.
    pub line: String,
    /// The items it draws.
    pub items: Vec<SeqItem>,
    /// A key whose state changed, and the new state.
    pub badge: Option<(u32, Badge)>,
}

pub(super) fn money(cents: u32) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
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

/// Builds the step views of a run, one per kept trace record.
pub fn steps(run: &KeysRun) -> Vec<StepView> {
    let half_us = u64::from(run.params.processing_ms) * 500;
    let timeout_us = u64::from(run.params.timeout_ms) * 1_000;
    let amount = |op: u32| money(run.ops.get(op as usize).map_or(0, |o| o.amount_cents));
    let item = |lane: Lane, to: Option<Lane>, x0: u64, x1: u64, label: String, shape: Shape| SeqItem {
        lane,
        to,
        x0_us: x0,
        x1_us: x1,
        label,
        shape,
    };
    let mut out = Vec::with_capacity(run.trace.len());
    for r in run.trace.records() {
        let t = r.at.as_us();
        let mut badge = None;
        let mut items = Vec::new();
        let line = match &r.record {
            KeysRecord::OpStarted { op, amount_cents, twin_of } => {
                items.push(item(Lane::Client, None, t, t, format!("op {}", op + 1), Shape::Block));
                match twin_of {
                    Some(prev) => format!(
                        "The client starts operation {}: charge {}, the same customer and amount as operation {} (an identical payload).",
                        op + 1,
                        money(*amount_cents),
                        prev + 1
                    ),
                    None => format!("The client starts operation {}: charge {}.", op + 1, money(*amount_cents)),
                }
            }
            KeysRecord::RequestSent { op, attempt, key, hop_us, .. } => {
                let label = format!("#{attempt} {}", key_name(*key));
                match hop_us {
                    Some(h) => {
                        items.push(item(Lane::Client, Some(Lane::Server), t, t + h, label, Shape::Arrow));
                        format!("Operation {}, attempt {attempt}: POST /v1/charges with {}.", op + 1, key_header(*key))
                    }
                    None => {
                        items.push(item(Lane::Client, Some(Lane::Server), t, t + 10_000, label, Shape::LostArrow));
                        format!(
                            "Operation {}, attempt {attempt}: POST with {}; the network loses the request.",
                            op + 1,
                            key_header(*key)
                        )
                    }
                }
            }
            KeysRecord::Refused { attempt, .. } => {
                items.push(item(Lane::Server, None, t, t, "down: refused".into(), Shape::Bad));
                format!("Attempt {attempt} reaches a server that is down: connection refused.")
            }
            KeysRecord::MissingKey { attempt, .. } => {
                items.push(item(Lane::Server, None, t, t, "400 no key".into(), Shape::Bad));
                format!("Attempt {attempt} has no Idempotency-Key where one is required: 400, nothing stored.")
            }
            KeysRecord::RanWithoutKey { attempt, .. } => {
                items.push(item(Lane::Server, None, t, t + 2 * half_us, "run, unprotected".into(), Shape::Block));
                format!("Attempt {attempt} has no key; the server cannot know whether it ran before, so it runs it.")
            }
            KeysRecord::KeyExpired { key } => {
                badge = Some((*key, Badge::Expired));
                items.push(item(Lane::Store, None, t, t, format!("K{key} expired"), Shape::Bad));
                format!("Key K{key} is older than its TTL and is pruned: this request will be treated as new.")
            }
            KeysRecord::KeyClaimed { attempt, key, resumed_from, .. } => {
                badge = Some((*key, Badge::InProgress));
                items.push(item(Lane::Server, Some(Lane::Store), t, t + 1_000, "claim".into(), Shape::Arrow));
                match resumed_from {
                    None => format!("Attempt {attempt}: K{key} is new; the server claims it atomically (in progress) and processes."),
                    Some(p) => format!("Attempt {attempt}: K{key} was released; the server claims it and resumes from {}.", point_name(*p)),
                }
            }
            KeysRecord::LockTakenOver { attempt, key, age_us, .. } => {
                items.push(item(Lane::Store, None, t, t, format!("K{key} taken over"), Shape::Bad));
                format!(
                    "Attempt {attempt}: K{key} has been locked for {:.0} ms, longer than the lock timeout: the server takes the lock over and resumes, whether or not the old holder is still running.",
                    *age_us as f64 / 1_000.0
                )
            }
            KeysRecord::Conflict { attempt, key, .. } => {
                items.push(item(Lane::Store, None, t, t, format!("K{key} busy: 409"), Shape::Bad));
                format!("Attempt {attempt}: K{key} is in progress; 409 Conflict (retryable).")
            }
            KeysRecord::Mismatch { attempt, key, .. } => {
                items.push(item(Lane::Store, None, t, t, format!("K{key} other body: 422"), Shape::Bad));
                format!("Attempt {attempt}: K{key} was used with a different body (fingerprint mismatch): 422.")
            }
            KeysRecord::Replayed { op, attempt, key, status, for_op } => {
                items.push(item(
                    Lane::Store,
                    None,
                    t,
                    t,
                    format!("replay {status}"),
                    if *status < 300 { Shape::Good } else { Shape::Bad },
                ));
                if for_op != op {
                    format!("Attempt {attempt}: K{key} is completed; the server replays the stored {status}, which belongs to operation {}.", for_op + 1)
                } else {
                    format!("Attempt {attempt}: K{key} is completed; the server replays the stored {status} (Idempotent-Replayed: true).")
                }
            }
            KeysRecord::ProviderCalled { op, provider_key, .. } => {
                items.push(item(
                    Lane::Server,
                    Some(Lane::Provider),
                    t.saturating_sub(half_us),
                    t,
                    format!("charge {}", amount(*op)),
                    Shape::Arrow,
                ));
                match provider_key {
                    Some(pk) => format!(
                        "The server asks the provider to charge {}, sending its own Idempotency-Key P{pk} (derived from the key record's id). This call is foreign: no local transaction covers it.",
                        amount(*op)
                    ),
                    None => format!(
                        "The server asks the provider to charge {}, with no key of its own. This call is foreign: no local transaction covers it.",
                        amount(*op)
                    ),
                }
            }
            KeysRecord::ProviderReplayed { op, provider_key, .. } => {
                items.push(item(Lane::Provider, None, t, t, format!("P{provider_key} seen: replay"), Shape::Good));
                items.push(item(Lane::Provider, Some(Lane::Server), t, t + half_us, String::new(), Shape::Arrow));
                format!(
                    "The provider has seen key P{provider_key}: it returns its first charge for operation {} and charges nothing.",
                    op + 1
                )
            }
            KeysRecord::ProviderTimedOut { charged, .. } => {
                items.push(item(
                    Lane::Provider,
                    Some(Lane::Server),
                    t,
                    t + half_us,
                    "no answer".into(),
                    Shape::LostArrow,
                ));
                if *charged {
                    "The provider's answer does not come back in time. It did charge, but the server cannot know: it answers 500.".into()
                } else {
                    "The provider's answer does not come back in time. It did not charge, but the server cannot know: it answers 500.".into()
                }
            }
            KeysRecord::Charged { op, count, .. } => {
                let (label, shape) = if *count > 1 {
                    (format!("charged ×{count}!"), Shape::Bad)
                } else {
                    ("charged".to_string(), Shape::Good)
                };
                items.push(item(Lane::Provider, None, t, t, label, shape));
                items.push(item(Lane::Provider, Some(Lane::Server), t, t + half_us, String::new(), Shape::Arrow));
                if *count > 1 {
                    format!("The provider charges {} again: this operation is now charged {count} times.", amount(*op))
                } else {
                    format!("The provider charges {}.", amount(*op))
                }
            }
            KeysRecord::ProviderFailed { .. } => {
                items.push(item(Lane::Provider, None, t, t, "error".into(), Shape::Bad));
                items.push(item(Lane::Provider, Some(Lane::Server), t, t + half_us, "503".into(), Shape::Arrow));
                "The provider fails transiently: nothing is charged, and the server will answer 500.".into()
            }
            KeysRecord::ChargeSkipped { key, .. } => {
                items.push(item(Lane::Server, None, t, t, "skip charge".into(), Shape::Good));
                format!("K{key}'s recovery point says the charge exists: the server does not charge again.")
            }
            KeysRecord::RecoveryPointSaved { key } => {
                badge = Some((*key, Badge::ChargeRecorded));
                items.push(item(Lane::Store, None, t, t, "charge_created".into(), Shape::Block));
                format!("The server records the provider's charge as K{key}'s recovery point charge_created (a local transaction).")
            }
            KeysRecord::Crashed { phase, keys_lost, .. } => {
                let when = match phase {
                    CrashPhase::BeforeCharge => "before calling the provider",
                    CrashPhase::AfterCharge => "after the provider charged, before recording charge_created",
                };
                items.push(item(Lane::Server, None, t, t, "crash".into(), Shape::Marker));
                if *keys_lost > 0 {
                    items.push(item(Lane::Store, None, t, t, format!("wiped ({keys_lost})"), Shape::Bad));
                    badge = run.ops.first().and_then(|o| o.key).map(|k| (k, Badge::Forgotten));
                    format!("The server crashes {when}. The volatile key store loses {keys_lost} key(s).")
                } else {
                    match phase {
                        CrashPhase::AfterCharge => format!("The server crashes {when}. The durable store keeps the key, but at recovery point started: the provider's charge is not recorded, so a resumed request will call the provider again."),
                        CrashPhase::BeforeCharge => format!("The server crashes {when}. The connection drops; the key store keeps its records."),
                    }
                }
            }
            KeysRecord::Restarted => {
                items.push(item(Lane::Server, None, t, t, "restart".into(), Shape::Block));
                "The server restarts.".into()
            }
            KeysRecord::KeyReleased { key, point } => {
                badge = Some((*key, Badge::Released));
                items.push(item(Lane::Store, None, t, t, format!("K{key} released"), Shape::Block));
                format!(
                    "K{key} is released with recovery point {}: a retry may run it again from there.",
                    point_name(*point)
                )
            }
            KeysRecord::ResponseStored { key, status } => {
                badge = Some((*key, Badge::Completed(*status)));
                items.push(item(
                    Lane::Server,
                    Some(Lane::Store),
                    t,
                    t + 1_000,
                    format!("store {status}"),
                    Shape::Arrow,
                ));
                format!("The server stores the {status} response under K{key}.")
            }
            KeysRecord::ResponseSent { attempt, status, replayed, hop_us, .. } => {
                // A replay's arrow follows its request within a hop, so their labels
                // would collide; the store lane's "replay" item names it instead.
                let label = if *replayed { String::new() } else { status.to_string() };
                match hop_us {
                    Some(h) => {
                        items.push(item(Lane::Server, Some(Lane::Client), t, t + h, label, Shape::Arrow));
                        format!(
                            "The server answers attempt {attempt} with {status}{}.",
                            if *replayed { " (Idempotent-Replayed: true)" } else { "" }
                        )
                    }
                    None => {
                        items.push(item(Lane::Server, Some(Lane::Client), t, t + 10_000, label, Shape::LostArrow));
                        format!("The server answers attempt {attempt} with {status}; the network loses the response.")
                    }
                }
            }
            KeysRecord::ResponseReceived { attempt, status, replayed, .. } => {
                // A failure is followed at once by the backoff, whose label
                // says what happens next; the arrow already names the status.
                let (label, shape) = match status {
                    200..=299 => (format!("got {status}"), Shape::Good),
                    409 => (String::new(), Shape::Block),
                    _ => (String::new(), Shape::Bad),
                };
                items.push(item(Lane::Client, None, t, t, label, shape));
                format!(
                    "The client receives {status}{} for attempt {attempt}.",
                    if *replayed { " (replayed)" } else { "" }
                )
            }
            KeysRecord::ConnectionRefused { attempt, .. } => {
                items.push(item(Lane::Client, None, t, t, "refused".into(), Shape::Bad));
                format!("Attempt {attempt}: connection refused.")
            }
            KeysRecord::TimedOut { attempt, .. } => {
                items.push(item(Lane::Client, None, t.saturating_sub(timeout_us), t, String::new(), Shape::Wait));
                items.push(item(Lane::Client, None, t, t, "timed out".into(), Shape::Bad));
                format!("Attempt {attempt} timed out: the client cannot tell a lost request from a lost response.")
            }
            KeysRecord::LateResponseIgnored { attempt, status, .. } => {
                items.push(item(Lane::Client, None, t, t, format!("late {status}"), Shape::Block));
                format!("A {status} for abandoned attempt {attempt} arrives late; the client no longer listens.")
            }
            KeysRecord::RetryScheduled { next_attempt, wait_us, .. } => {
                items.push(item(
                    Lane::Client,
                    None,
                    t,
                    t + wait_us,
                    format!("  backoff → #{next_attempt}"),
                    Shape::Wait,
                ));
                format!("The client backs off {:.1} ms before attempt {next_attempt}.", *wait_us as f64 / 1_000.0)
            }
            KeysRecord::OpFinished { op, belief } => {
                // No diagram item: the response is already drawn, and the
                // ledger beside the diagram carries the belief.
                match belief {
                    Belief::Charged { .. } => format!("The client believes operation {} was charged once.", op + 1),
                    Belief::Rejected { status } => {
                        format!("The client knows operation {} failed ({status}); it must fix the request.", op + 1)
                    }
                    Belief::GaveUp { attempts } => {
                        items.push(item(Lane::Client, None, t, t, "gave up".into(), Shape::Bad));
                        format!("The client gives up on operation {} after {attempts} attempts, not knowing whether it was charged.", op + 1)
                    }
                }
            }
        };
        out.push(StepView { at_us: t, line, items, badge });
    }
    out
}

fn key_header(key: Option<u32>) -> String {
    match key {
        Some(k) => format!("Idempotency-Key K{k}"),
        None => "no Idempotency-Key".into(),
    }
}
