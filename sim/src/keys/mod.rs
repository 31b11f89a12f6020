//! The Keys lab: the Idempotency-Key state machine under lost messages,
//! crashes and client bugs.
//!
//! Actors: a client making charge operations, the network between client and
//! server, a server with a key store ([`store::KeyStore`]), and a payment
//! provider. The server resolves each request's key to new, in progress
//! (409), completed (replay, marked `Idempotent-Replayed: true`) or a
//! fingerprint mismatch (422); a missing key where one is required gets 400.
//! Clients retry with the shared backoff engine ([`crate::backoff`]).
//!
//! Modelling choices the lab states on screen:
//! - The charge and the key's recovery point `charge_created` are recorded in
//!   one atomic step (Brandur Leach's atomic phases). A durable store keeps
//!   that point through a crash, so a retry resumes without charging again; a
//!   volatile store forgets every key on a crash, so a retry runs as new.
//! - After a crash, a durable store's keys held by dead requests are released
//!   at restart (Brandur takes over locks older than 90 s; the lab does it at
//!   restart so runs stay short).
//! - A crash drops the connections in flight; their clients find out at their
//!   timeout. Requests that arrive while the server is down are refused.
//! - The client abandons an attempt at its timeout: a late response to it is
//!   ignored, as an HTTP client that closed the connection never reads it.

pub mod params;
pub mod presets;
pub mod store;
pub mod view;

use crate::backoff::{self, AttemptResult, Backoff};
use crate::error::SimError;
use crate::rng::{entity, SimRng};
use crate::sched::{RunLimits, Scheduler};
use crate::time::{SimDuration, SimTime};
use crate::trace::{stable_hash, Trace};
use serde::Serialize;
use store::{KeyStore, RecoveryPoint, Resolution};

pub use params::{ClientPolicy, Durability, KeysParams, On5xx};
pub use presets::PRESETS;

/// The method and path every operation uses.
pub const METHOD: &str = "POST";
/// The resource every operation charges through.
pub const PATH: &str = "/v1/charges";

/// The body of operation `op`: its customer and amount. Operations `2k` and
/// `2k + 1` charge the same customer different amounts, which is what the
/// reused-key bug mixes up.
pub fn body_of(op: u32) -> (u32, u32) {
    let customer = op / 2;
    let amount_cents = 1_000 + 250 * (op % 8);
    (customer, amount_cents)
}

/// The canonical body: fields sorted by name, no whitespace, so that equal
/// requests give equal bytes.
pub fn canonical_body(op: u32) -> String {
    let (customer, amount_cents) = body_of(op);
    format!("amount={amount_cents}&currency=usd&customer=cus_{customer}&op={op}")
}

/// The request fingerprint: a stable hash over the method, the path and the canonical body.
pub fn fingerprint(method: &str, path: &str, canonical_body: &str) -> u64 {
    stable_hash(&(method, path, canonical_body))
}

/// What the client concluded about an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "belief", rename_all = "snake_case")]
pub enum Belief {
    /// A 201 came back: the client believes its charge happened once.
    Charged {
        /// The attempt that got the 201.
        attempt: u32,
        /// Whether it was a replay.
        replayed: bool,
        /// The operation the response actually describes.
        for_op: u32,
    },
    /// A non-retryable status (400, 422): the client knows it failed.
    Rejected {
        /// The status.
        status: u16,
    },
    /// Every attempt failed: the client does not know what happened.
    GaveUp {
        /// The attempts made.
        attempts: u32,
    },
}

/// Why a server crashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPhase {
    /// After the key was claimed, before the charge.
    BeforeCharge,
    /// After the charge, before the response was stored.
    AfterCharge,
}

/// One thing that happened in a Keys run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeysRecord {
    /// The client began an operation.
    OpStarted { op: u32, amount_cents: u32 },
    /// The client sent an attempt; `hop_us` is its travel time, `None` when the network lost it.
    RequestSent { op: u32, attempt: u32, key: Option<u32>, fingerprint: u64, hop_us: Option<u64> },
    /// The server was down and refused the connection.
    Refused { op: u32, attempt: u32 },
    /// A request without a key where one is required: 400, not stored.
    MissingKey { op: u32, attempt: u32 },
    /// The server ran a request that carried no key, with no protection.
    RanWithoutKey { op: u32, attempt: u32 },
    /// A key older than its TTL was pruned when a request for it arrived.
    KeyExpired { key: u32 },
    /// The request claimed its key atomically and runs (from a recovery point if resumed).
    KeyClaimed { op: u32, attempt: u32, key: u32, resumed_from: Option<RecoveryPoint> },
    /// Another request holds the key: 409.
    Conflict { op: u32, attempt: u32, key: u32 },
    /// The key was used with a different request: 422.
    Mismatch { op: u32, attempt: u32, key: u32 },
    /// The stored response is replayed.
    Replayed { op: u32, attempt: u32, key: u32, status: u16, for_op: u32 },
    /// The server called the provider to charge for `op`.
    ProviderCalled { op: u32, attempt: u32 },
    /// The provider charged; `count` is how many charges `op` now has.
    Charged { op: u32, attempt: u32, count: u32 },
    /// The provider failed transiently; nothing was charged.
    ProviderFailed { op: u32, attempt: u32 },
    /// A resumed request found `charge_created` and did not charge again.
    ChargeSkipped { op: u32, attempt: u32, key: u32 },
    /// The charge's recovery point was recorded with the charge.
    RecoveryPointSaved { key: u32 },
    /// The server crashed; a volatile store lost `keys_lost` keys.
    Crashed { op: u32, attempt: u32, phase: CrashPhase, keys_lost: u32 },
    /// The server came back.
    Restarted,
    /// A key was released with its recovery point (after a 5xx, or at restart).
    KeyReleased { key: u32, point: RecoveryPoint },
    /// The response was stored under the key.
    ResponseStored { key: u32, status: u16 },
    /// The server answered; `hop_us` is its travel time, `None` when the network lost it.
    ResponseSent { op: u32, attempt: u32, status: u16, replayed: bool, hop_us: Option<u64> },
    /// The client got a status.
    ResponseReceived { op: u32, attempt: u32, status: u16, replayed: bool },
    /// The client got a refused connection.
    ConnectionRefused { op: u32, attempt: u32 },
    /// The client stopped waiting.
    TimedOut { op: u32, attempt: u32 },
    /// A response arrived for an attempt the client had abandoned.
    LateResponseIgnored { op: u32, attempt: u32, status: u16 },
    /// The client will retry after `wait_us`.
    RetryScheduled { op: u32, next_attempt: u32, wait_us: u64 },
    /// The client finished the operation with this belief.
    OpFinished { op: u32, belief: Belief },
}

/// Per-operation outcome: what the client believes beside what was charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OpOutcome {
    /// The operation.
    pub op: u32,
    /// Its amount.
    pub amount_cents: u32,
    /// The key it started with (`None` without keys).
    pub key: Option<u32>,
    /// Attempts made.
    pub attempts: u32,
    /// What the client believes (`None` if the run ended first; it cannot in a finished run).
    pub belief: Option<Belief>,
    /// How many times the provider charged it.
    pub charges: u32,
}

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
    /// Operations the client knows failed (400, 422) or gave up on.
    pub failed_visibly: u32,
    /// Operations the client gave up on although they were charged.
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
    /// Requests lost on the way in.
    pub requests_lost: u32,
    /// Responses lost on the way back.
    pub responses_lost: u32,
    /// Client timeouts.
    pub timeouts: u32,
    /// Server crashes.
    pub crashes: u32,
    /// Keys a volatile store lost in crashes.
    pub keys_lost: u32,
    /// Keys pruned for age when a request for them arrived.
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

/// A finished run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeysRun {
    /// The knobs it ran with.
    pub params: KeysParams,
    /// Everything that happened, in order.
    pub trace: Trace<KeysRecord>,
    /// Each operation's belief and charges.
    pub ops: Vec<OpOutcome>,
    /// The evidence.
    pub counters: KeysCounters,
}

/// One-way network delay bounds, in microseconds.
const HOP_US_MIN: u64 = 5_000;
const HOP_US_MAX: u64 = 15_000;
/// Operations start this far apart, so the reused key's second operation
/// usually arrives while the first still runs.
const OP_SPACING: SimDuration = SimDuration::from_ms(20);
/// How long a crashed server stays down.
const RESTART: SimDuration = SimDuration::from_ms(30);
/// Records kept per run; the counters stay exact beyond it.
const TRACE_LEN_MAX: usize = 50_000;

/// A request as the server sees it.
#[derive(Clone, Copy, Debug)]
struct Request {
    op: u32,
    attempt: u32,
    key: Option<u32>,
    fingerprint: u64,
}

/// A request the server is running, tied to the server incarnation that
/// started it: a crash kills it.
#[derive(Clone, Copy, Debug)]
struct Job {
    req: Request,
    incarnation: u32,
    claim: u64,
}

/// What reaches the client.
#[derive(Clone, Copy, Debug)]
enum Reply {
    Status { code: u16, replayed: bool, for_op: u32 },
    Refused,
}

#[derive(Debug)]
enum Event {
    /// The client begins an operation.
    OpStart { op: u32 },
    /// The client sends the operation's next attempt.
    Send { op: u32 },
    /// A request reaches the server.
    Arrive { req: Request },
    /// The server, still alive, calls the provider.
    ProviderCall { job: Job },
    /// The provider's answer reaches the server (`charged` false: it failed).
    ProviderAnswer { job: Job, charged: bool },
    /// The crashed server comes back.
    Restart,
    /// A reply reaches the client.
    Deliver { op: u32, attempt: u32, reply: Reply },
    /// The client's timer for an attempt fires.
    Timeout { op: u32, attempt: u32 },
}

/// Things a handler wants scheduled, returned as data.
type Effects = Vec<(SimDuration, Event)>;

struct OpState {
    key: Option<u32>,
    attempt: u32,
    waiting: bool,
    belief: Option<Belief>,
    backoff: Backoff,
    rng: SimRng,
}

struct Engine<'a> {
    p: &'a KeysParams,
    net: SimRng,
    server: SimRng,
    store: KeyStore,
    incarnation: u32,
    down_until: Option<SimTime>,
    next_key: u32,
    next_claim: u64,
    ops: Vec<OpState>,
    charges: Vec<u32>,
    trace: Trace<KeysRecord>,
    c: KeysCounters,
}

/// The limits of one run: generous enough for 10,000 operations with 20
/// attempts each, small enough that no setting can hang a browser tab.
pub const LIMITS: RunLimits = RunLimits { events_max: 3_000_000, queue_len_max: 200_000 };

/// Runs `params.ops` operations and returns the trace and counters.
pub fn run(params: &KeysParams) -> Result<KeysRun, SimError> {
    params.validate()?;
    let mut sched = Scheduler::new(LIMITS);
    let base = SimDuration::from_ms(u64::from(params.backoff_base_ms));
    let cap = SimDuration::from_ms(u64::from(params.backoff_cap_ms));
    let mut e = Engine {
        p: params,
        net: SimRng::stream(params.seed, entity::NETWORK),
        server: SimRng::stream(params.seed, entity::SERVER),
        store: KeyStore::default(),
        incarnation: 0,
        down_until: None,
        next_key: 1,
        next_claim: 1,
        ops: (0..params.ops)
            .map(|op| OpState {
                key: None,
                attempt: 0,
                waiting: false,
                belief: None,
                backoff: Backoff::new(params.backoff, base, cap),
                rng: SimRng::stream(params.seed, entity::CLIENT_BASE + u64::from(op)),
            })
            .collect(),
        charges: vec![0; params.ops as usize],
        trace: Trace::with_limit(TRACE_LEN_MAX),
        c: KeysCounters { intended: params.ops, ..Default::default() },
    };
    for op in 0..params.ops {
        sched.schedule_at(SimTime(OP_SPACING.0 * u64::from(op)), Event::OpStart { op })?;
    }
    while let Some((now, ev)) = sched.pop()? {
        for (after, next) in e.handle(now, ev) {
            sched.schedule_in(after, next)?;
        }
    }
    Ok(e.finish())
}

impl Engine<'_> {
    fn hop(&mut self) -> SimDuration {
        SimDuration(self.net.between_u64(HOP_US_MIN, HOP_US_MAX))
    }

    fn push(&mut self, now: SimTime, r: KeysRecord) {
        self.trace.push(now, r);
    }

    fn handle(&mut self, now: SimTime, ev: Event) -> Effects {
        let mut out = Effects::new();
        match ev {
            Event::OpStart { op } => {
                let key = match self.p.policy {
                    ClientPolicy::NoKey | ClientPolicy::FreshKeyPerAttempt => None,
                    ClientPolicy::KeyPerOperation => Some(self.new_key()),
                    ClientPolicy::ReusedKey if op % 2 == 1 => self.ops[op as usize - 1].key,
                    ClientPolicy::ReusedKey => Some(self.new_key()),
                };
                self.ops[op as usize].key = key;
                self.push(now, KeysRecord::OpStarted { op, amount_cents: body_of(op).1 });
                out.push((SimDuration::ZERO, Event::Send { op }));
            }
            Event::Send { op } => self.send(now, op, &mut out),
            Event::Arrive { req } => self.arrive(now, req, &mut out),
            Event::ProviderCall { job } => self.provider_call(now, job, &mut out),
            Event::ProviderAnswer { job, charged } => self.provider_answer(now, job, charged, &mut out),
            Event::Restart => {
                self.down_until = None;
                // A volatile store was wiped at the crash; a durable one
                // still holds the dead requests' keys, released here.
                for (key, point) in self.store.release_orphans() {
                    self.push(now, KeysRecord::KeyReleased { key, point });
                }
                self.push(now, KeysRecord::Restarted);
            }
            Event::Deliver { op, attempt, reply } => self.deliver(now, op, attempt, reply, &mut out),
            Event::Timeout { op, attempt } => {
                let s = &self.ops[op as usize];
                if s.belief.is_none() && s.waiting && s.attempt == attempt {
                    self.ops[op as usize].waiting = false;
                    self.c.timeouts += 1;
                    self.push(now, KeysRecord::TimedOut { op, attempt });
                    self.retry_or_give_up(now, op, AttemptResult::Timeout, &mut out);
                }
            }
        }
        out
    }

    fn new_key(&mut self) -> u32 {
        let k = self.next_key;
        self.next_key += 1;
        k
    }

    fn send(&mut self, now: SimTime, op: u32, out: &mut Effects) {
        let key = match self.p.policy {
            ClientPolicy::FreshKeyPerAttempt => Some(self.new_key()),
            ClientPolicy::NoKey | ClientPolicy::KeyPerOperation | ClientPolicy::ReusedKey => self.ops[op as usize].key,
        };
        let s = &mut self.ops[op as usize];
        s.attempt += 1;
        s.waiting = true;
        let attempt = s.attempt;
        self.c.attempts += 1;
        let fp = fingerprint(METHOD, PATH, &canonical_body(op));
        let lost = self.net.chance(self.p.request_loss);
        let hop = self.hop();
        let req = Request { op, attempt, key, fingerprint: fp };
        if lost {
            self.c.requests_lost += 1;
        } else {
            out.push((hop, Event::Arrive { req }));
        }
        self.push(now, KeysRecord::RequestSent { op, attempt, key, fingerprint: fp, hop_us: (!lost).then_some(hop.0) });
        out.push((SimDuration::from_ms(u64::from(self.p.timeout_ms)), Event::Timeout { op, attempt }));
    }

    fn respond(&mut self, now: SimTime, req: Request, code: u16, replayed: bool, for_op: u32, out: &mut Effects) {
        let lost = self.net.chance(self.p.response_loss);
        let hop = self.hop();
        if lost {
            self.c.responses_lost += 1;
        } else {
            out.push((
                hop,
                Event::Deliver { op: req.op, attempt: req.attempt, reply: Reply::Status { code, replayed, for_op } },
            ));
        }
        self.push(
            now,
            KeysRecord::ResponseSent {
                op: req.op,
                attempt: req.attempt,
                status: code,
                replayed,
                hop_us: (!lost).then_some(hop.0),
            },
        );
    }

    fn arrive(&mut self, now: SimTime, req: Request, out: &mut Effects) {
        let Request { op, attempt, .. } = req;
        if self.down_until.is_some() {
            self.push(now, KeysRecord::Refused { op, attempt });
            let hop = self.hop();
            out.push((hop, Event::Deliver { op, attempt, reply: Reply::Refused }));
            return;
        }
        let claim = self.next_claim;
        self.next_claim += 1;
        let job = Job { req, incarnation: self.incarnation, claim };
        let half = SimDuration::from_us(u64::from(self.p.processing_ms) * 500);
        let Some(key) = req.key else {
            if self.p.require_key {
                self.c.missing_key_400 += 1;
                self.push(now, KeysRecord::MissingKey { op, attempt });
                self.respond(now, req, 400, false, op, out);
            } else {
                self.push(now, KeysRecord::RanWithoutKey { op, attempt });
                out.push((half, Event::ProviderCall { job }));
            }
            return;
        };
        let ttl = SimDuration::from_ms(u64::from(self.p.key_ttl_ms));
        if self.store.prune_if_expired(key, now, ttl) {
            self.c.keys_expired += 1;
            self.push(now, KeysRecord::KeyExpired { key });
        }
        match self.store.resolve(now, key, req.fingerprint, self.p.fingerprint, claim) {
            Resolution::Run { resumed_from } => {
                self.push(now, KeysRecord::KeyClaimed { op, attempt, key, resumed_from });
                match resumed_from {
                    None | Some(RecoveryPoint::Started) => out.push((half, Event::ProviderCall { job })),
                    Some(RecoveryPoint::ChargeCreated) => {
                        self.c.charges_skipped += 1;
                        self.push(now, KeysRecord::ChargeSkipped { op, attempt, key });
                        // Reading the recorded charge and building the response takes
                        // half the processing time, like the provider's answer would.
                        out.push((half, Event::ProviderAnswer { job, charged: true }));
                    }
                }
            }
            Resolution::Conflict => {
                self.c.conflicts_409 += 1;
                self.push(now, KeysRecord::Conflict { op, attempt, key });
                self.respond(now, req, 409, false, op, out);
            }
            Resolution::Mismatch => {
                self.c.mismatches_422 += 1;
                self.push(now, KeysRecord::Mismatch { op, attempt, key });
                self.respond(now, req, 422, false, op, out);
            }
            Resolution::Replay { status, for_op } => {
                self.c.replays += 1;
                if status >= 500 {
                    self.c.replayed_5xx += 1;
                }
                self.push(now, KeysRecord::Replayed { op, attempt, key, status, for_op });
                self.respond(now, req, status, true, for_op, out);
            }
        }
    }

    fn crash(&mut self, now: SimTime, req: Request, phase: CrashPhase, out: &mut Effects) {
        self.incarnation += 1;
        self.c.crashes += 1;
        let keys_lost = match self.p.store {
            Durability::Volatile => self.store.wipe() as u32,
            Durability::Durable => 0,
        };
        self.c.keys_lost += keys_lost;
        self.down_until = Some(now + RESTART);
        self.push(now, KeysRecord::Crashed { op: req.op, attempt: req.attempt, phase, keys_lost });
        out.push((RESTART, Event::Restart));
    }

    fn provider_call(&mut self, now: SimTime, job: Job, out: &mut Effects) {
        if job.incarnation != self.incarnation {
            // The server died before it got here: the call never left.
            return;
        }
        let req = job.req;
        if self.server.chance(self.p.crash_before_charge) {
            self.crash(now, req, CrashPhase::BeforeCharge, out);
            return;
        }
        self.push(now, KeysRecord::ProviderCalled { op: req.op, attempt: req.attempt });
        let half = SimDuration::from_us(u64::from(self.p.processing_ms) * 500);
        if self.server.chance(self.p.provider_error) {
            self.push(now, KeysRecord::ProviderFailed { op: req.op, attempt: req.attempt });
            out.push((half, Event::ProviderAnswer { job, charged: false }));
            return;
        }
        // The charge and its recovery point are one atomic step (see the module notes).
        let count = &mut self.charges[req.op as usize];
        *count += 1;
        let count = *count;
        self.c.charges += 1;
        self.push(now, KeysRecord::Charged { op: req.op, attempt: req.attempt, count });
        if let Some(key) = req.key {
            if self.store.mark_charged(key, job.claim) {
                self.push(now, KeysRecord::RecoveryPointSaved { key });
            }
        }
        out.push((half, Event::ProviderAnswer { job, charged: true }));
    }

    fn provider_answer(&mut self, now: SimTime, job: Job, charged: bool, out: &mut Effects) {
        if job.incarnation != self.incarnation {
            // The server crashed while the provider worked; the answer has nobody to go to.
            return;
        }
        let req = job.req;
        if !charged {
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
            return;
        }
        if self.server.chance(self.p.crash_after_charge) {
            self.crash(now, req, CrashPhase::AfterCharge, out);
            return;
        }
        if let Some(key) = req.key {
            if self.store.complete(key, job.claim, 201, req.op) {
                self.push(now, KeysRecord::ResponseStored { key, status: 201 });
            }
        }
        self.respond(now, req, 201, false, req.op, out);
    }

    fn deliver(&mut self, now: SimTime, op: u32, attempt: u32, reply: Reply, out: &mut Effects) {
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

    fn retry_or_give_up(&mut self, now: SimTime, op: u32, result: AttemptResult, out: &mut Effects) {
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

    fn finish_op(&mut self, now: SimTime, op: u32, belief: Belief) {
        self.ops[op as usize].belief = Some(belief);
        self.push(now, KeysRecord::OpFinished { op, belief });
    }

    fn finish(mut self) -> KeysRun {
        let mut outcomes = Vec::with_capacity(self.ops.len());
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
                Some(Belief::Rejected { .. }) => self.c.failed_visibly += 1,
                Some(Belief::GaveUp { .. }) => {
                    self.c.failed_visibly += 1;
                    self.c.gave_up_but_charged += u32::from(charges > 0);
                }
                None => {}
            }
            outcomes.push(OpOutcome {
                op,
                amount_cents: body_of(op).1,
                key: s.key,
                attempts: s.attempt,
                belief: s.belief,
                charges,
            });
        }
        KeysRun { params: self.p.clone(), trace: self.trace, ops: outcomes, counters: self.c }
    }
}

/// The Keys lab under the engine contract: the batch is the run whose
/// counters and trace hash a permalink reproduces.
pub struct KeysLab;

impl crate::lab::Lab for KeysLab {
    const SLUG: &'static str = "keys";
    type Params = KeysParams;
    type Run = KeysRun;

    fn presets() -> &'static [crate::lab::Preset] {
        &PRESETS
    }

    fn run(params: &KeysParams) -> Result<KeysRun, SimError> {
        run(params)
    }

    fn counters(run: &KeysRun) -> Vec<crate::lab::Counter> {
        counters(&run.counters)
    }

    fn trace_hash(run: &KeysRun) -> u64 {
        run.trace.stable_hash()
    }
}

/// The evidence counters of a batch, in display order.
pub fn counters(c: &KeysCounters) -> Vec<crate::lab::Counter> {
    use crate::lab::Counter;
    use crate::lab::Figure::{Count, Ratio, Share};
    let n = |x: u32| Count(u64::from(x));
    let r = c.rates();
    vec![
        Counter::new("intended", "Intended operations", n(c.intended)),
        Counter::new("charges", "Provider charges", n(c.charges)).bad_if(c.charges != c.intended),
        Counter::new("double_charges", "Double charges", n(c.double_charges)).bad_if(c.double_charges > 0),
        Counter::new("silent_losses", "Silently lost operations", n(c.silent_losses)).bad_if(c.silent_losses > 0),
        Counter::new("failed_visibly", "Failed, and the client knows", n(c.failed_visibly)),
        Counter::new("gave_up_but_charged", "Gave up, but charged", n(c.gave_up_but_charged)),
        Counter::new("requests_sent", "Requests sent", n(c.attempts)),
        Counter::new("replays", "Replays (Idempotent-Replayed)", n(c.replays)),
        Counter::new("replayed_5xx", "Replayed 500s", n(c.replayed_5xx)).bad_if(c.replayed_5xx > 0),
        Counter::new("conflicts_409", "409 Conflict", n(c.conflicts_409)),
        Counter::new("mismatches_422", "422 fingerprint mismatch", n(c.mismatches_422)),
        Counter::new("missing_key_400", "400 missing key", n(c.missing_key_400)),
        Counter::new("crashes", "Server crashes", n(c.crashes)),
        Counter::new("keys_lost", "Keys wiped by crashes (summed over every crash)", n(c.keys_lost))
            .bad_if(c.keys_lost > 0),
        Counter::new("keys_expired", "Keys expired (TTL)", n(c.keys_expired)),
        Counter::new("replay_rate", "Replay rate (per request)", Share(r.replay_rate)),
        Counter::new("conflict_rate", "409 + 422 rate (per request)", Share(r.conflict_rate + r.mismatch_rate)),
        Counter::new("double_charge_rate", "Double charges per operation", Share(r.double_charge_rate))
            .bad_if(r.double_charge_rate > 0.0),
        Counter::new("retry_amplification", "Requests per operation", Ratio(r.retry_amplification)),
    ]
}

#[cfg(test)]
mod tests;
