//! The Keys engine: the client, the network, the server's phases and the
//! provider as discrete events. A handler returns the events it schedules as
//! data; the run is a loop over the scheduler.

use super::counters::KeysCounters;
use super::store::{KeyStore, RecoveryPoint, Resolution};
use super::{
    body_of, canonical_body, fingerprint, Belief, ClientPolicy, CrashPhase, Durability, KeysParams, KeysRecord,
    KeysRun, METHOD, PATH,
};
use crate::backoff::{AttemptResult, Backoff};
use crate::error::SimError;
use crate::rng::{entity, SimRng};
use crate::sched::{RunLimits, Scheduler};
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;
use std::collections::{BTreeMap, BTreeSet};

mod client;
mod provider;

/// One-way network delay bounds, in microseconds.
const HOP_US_MIN: u64 = 5_000;
const HOP_US_MAX: u64 = 15_000;
/// Operations start this far apart, so the reused key's second operation
/// usually arrives while the first still runs.
const OP_SPACING: SimDuration = SimDuration::from_ms(20);
/// How long a crashed server stays down.
const RESTART: SimDuration = SimDuration::from_ms(30);
/// The last phase (store the response, answer) after `charge_created` is recorded.
const FINISH: SimDuration = SimDuration::from_ms(1);
/// Records kept per run; the counters stay exact beyond it.
const TRACE_LEN_MAX: usize = 50_000;
/// The provider's own stream (timeouts), apart from the server's so that
/// turning the knob does not move the server's crash draws.
const PROVIDER_STREAM: u64 = 5;
/// The stream that decides which operations repeat a payload.
const PAYLOAD_STREAM: u64 = 6;

/// A request as the server sees it.
#[derive(Clone, Copy, Debug)]
struct Request {
    op: u32,
    attempt: u32,
    key: Option<u32>,
    fingerprint: u64,
}

/// A request the server is running, tied to the server incarnation that
/// started it: a crash kills it. `record` is the key record's row id.
#[derive(Clone, Copy, Debug)]
struct Job {
    req: Request,
    incarnation: u32,
    claim: u64,
    record: Option<u64>,
}

/// What the provider call came back with.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// A charge (new, or the provider's replay of its first one).
    Charged,
    /// A transient error: nothing charged.
    Failed,
    /// No answer in time: charged or not, the server cannot tell.
    TimedOut,
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
    /// The provider's answer reaches the server.
    ProviderAnswer { job: Job, answer: Answer },
    /// The server stores the response and answers (the last phase).
    Finish { job: Job },
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
    body: (u32, u32),
    /// The fingerprint of `body`'s request, computed once: every attempt sends the same bytes.
    fingerprint: u64,
    twin_of: Option<u32>,
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
    provider_rng: SimRng,
    store: KeyStore,
    /// The provider's own key store: provider key to the operation it charged.
    provider_keys: BTreeMap<u64, u32>,
    incarnation: u32,
    down_until: Option<SimTime>,
    next_key: u32,
    next_claim: u64,
    ops: Vec<OpState>,
    charges: Vec<u32>,
    wiped: BTreeSet<u32>,
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
    let mut e = Engine {
        p: params,
        net: SimRng::stream(params.seed, entity::NETWORK),
        server: SimRng::stream(params.seed, entity::SERVER),
        provider_rng: SimRng::stream(params.seed, PROVIDER_STREAM),
        store: KeyStore::default(),
        provider_keys: BTreeMap::new(),
        incarnation: 0,
        down_until: None,
        next_key: 1,
        next_claim: 1,
        ops: operations(params),
        charges: vec![0; params.ops as usize],
        wiped: BTreeSet::new(),
        trace: Trace::with_limit(TRACE_LEN_MAX),
        c: KeysCounters { intended: params.ops, ..Default::default() },
    };
    // The operations start on a fixed clock, so their starts stay out of the
    // queue (which then holds only the events in flight, a few dozen instead
    // of every operation not yet started). The order is the one a queue
    // seeded with every start would give: a start was scheduled before any
    // other event, so it goes first among the events due at its instant. The
    // queue's limits count the starts as if they were queued.
    let starts = params.ops;
    let pending_starts = |next_op: u32| (starts - next_op) as usize;
    if pending_starts(0) > LIMITS.queue_len_max {
        return Err(SimError::QueueFull { len_max: LIMITS.queue_len_max });
    }
    let mut next_op = 0u32;
    // One buffer for every handler's effects, drained after each event.
    let mut out = Effects::new();
    let mut then = SimTime::ZERO;
    loop {
        let start_at = (next_op < starts).then(|| SimTime(OP_SPACING.0 * u64::from(next_op)));
        let (now, ev) = match (start_at, sched.peek_time()) {
            (None, None) => break,
            _ if sched.events_popped() + u64::from(next_op) >= LIMITS.events_max => {
                return Err(SimError::EventBudgetExceeded { events_max: LIMITS.events_max });
            }
            (Some(at), queued) if queued.is_none_or(|q| at <= q) => {
                next_op += 1;
                (at, Event::OpStart { op: next_op - 1 })
            }
            _ => sched.pop()?.ok_or(SimError::Internal("the queue emptied between peek and pop"))?,
        };
        // The start clock and the queue are merged in time order, so time never goes back.
        debug_assert!(now >= then, "keys: time went back from {then:?} to {now:?}");
        then = now;
        e.handle(now, ev, &mut out);
        for (after, next) in out.drain(..) {
            if sched.len() + pending_starts(next_op) >= LIMITS.queue_len_max {
                return Err(SimError::QueueFull { len_max: LIMITS.queue_len_max });
            }
            sched.schedule_at(now + after, next)?;
        }
    }
    Ok(e.finish())
}

/// Every operation's client state: its body (a twin repeats the one before
/// it), its fingerprint, its backoff and its own random stream.
fn operations(params: &KeysParams) -> Vec<OpState> {
    let base = SimDuration::from_ms(u64::from(params.backoff_base_ms));
    let cap = SimDuration::from_ms(u64::from(params.backoff_cap_ms));
    let mut payloads = SimRng::stream(params.seed, PAYLOAD_STREAM);
    let mut ops: Vec<OpState> = Vec::with_capacity(params.ops as usize);
    for op in 0..params.ops {
        // Every operation draws, so the knob does not shift which ones repeat.
        let same = payloads.chance(params.same_payload);
        let twin_of = (op % 2 == 1 && same).then(|| op - 1);
        let body = match twin_of {
            Some(prev) => ops[prev as usize].body,
            None => body_of(op),
        };
        let (customer, amount) = body;
        ops.push(OpState {
            key: None,
            body,
            fingerprint: fingerprint(METHOD, PATH, &canonical_body(customer, amount)),
            twin_of,
            attempt: 0,
            waiting: false,
            belief: None,
            backoff: Backoff::new(params.backoff, base, cap),
            rng: SimRng::stream(params.seed, entity::CLIENT_BASE + u64::from(op)),
        });
    }
    ops
}

impl Engine<'_> {
    fn hop(&mut self) -> SimDuration {
        SimDuration(self.net.between_u64(HOP_US_MIN, HOP_US_MAX))
    }

    fn half(&self) -> SimDuration {
        SimDuration::from_us(u64::from(self.p.processing_ms) * 500)
    }

    fn push(&mut self, now: SimTime, r: KeysRecord) {
        self.trace.push(now, r);
    }

    /// Handles one event, appending what it schedules to `out`.
    fn handle(&mut self, now: SimTime, ev: Event, out: &mut Effects) {
        match ev {
            Event::OpStart { op } => {
                let key = match self.p.policy {
                    ClientPolicy::NoKey | ClientPolicy::FreshKeyPerAttempt => None,
                    ClientPolicy::KeyPerOperation => Some(self.new_key()),
                    ClientPolicy::ReusedKey if op % 2 == 1 => self.ops[op as usize - 1].key,
                    ClientPolicy::ReusedKey => Some(self.new_key()),
                };
                let s = &mut self.ops[op as usize];
                s.key = key;
                let (amount_cents, twin_of) = (s.body.1, s.twin_of);
                self.push(now, KeysRecord::OpStarted { op, amount_cents, twin_of });
                out.push((SimDuration::ZERO, Event::Send { op }));
            }
            Event::Send { op } => self.send(now, op, out),
            Event::Arrive { req } => self.arrive(now, req, out),
            Event::ProviderCall { job } => self.provider_call(now, job, out),
            Event::ProviderAnswer { job, answer } => self.provider_answer(now, job, answer, out),
            Event::Finish { job } => self.finish_request(now, job, out),
            Event::Restart => {
                self.down_until = None;
                // A volatile store was wiped at the crash. A durable one still
                // holds the dead requests' locks: released here, unless a lock
                // timeout is set (then a retry takes them over once they are old).
                if self.p.lock_timeout_ms == 0 {
                    for (key, point) in self.store.release_orphans() {
                        self.push(now, KeysRecord::KeyReleased { key, point });
                    }
                }
                self.push(now, KeysRecord::Restarted);
            }
            Event::Deliver { op, attempt, reply } => self.deliver(now, op, attempt, reply, out),
            Event::Timeout { op, attempt } => {
                let s = &self.ops[op as usize];
                if s.belief.is_none() && s.waiting && s.attempt == attempt {
                    self.ops[op as usize].waiting = false;
                    self.c.timeouts += 1;
                    self.push(now, KeysRecord::TimedOut { op, attempt });
                    self.retry_or_give_up(now, op, AttemptResult::Timeout, out);
                }
            }
        }
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
        let fp = s.fingerprint;
        self.c.attempts += 1;
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
        let (op, attempt) = (req.op, req.attempt);
        self.push(
            now,
            KeysRecord::ResponseSent { op, attempt, status: code, replayed, hop_us: (!lost).then_some(hop.0) },
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
        let mut job = Job { req, incarnation: self.incarnation, claim, record: None };
        let half = self.half();
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
        let lock_timeout = SimDuration::from_ms(u64::from(self.p.lock_timeout_ms));
        let resolution = self.store.resolve(now, key, req.fingerprint, self.p.fingerprint, claim, lock_timeout);
        job.record = self.store.get(key).map(|r| r.id);
        let resumed_from = match resolution {
            Resolution::Run { resumed_from } => resumed_from,
            Resolution::TakeOver { point, age } => {
                self.c.lock_takeovers += 1;
                self.push(now, KeysRecord::LockTakenOver { op, attempt, key, age_us: age.0 });
                Some(point)
            }
            Resolution::Conflict => {
                self.c.conflicts_409 += 1;
                self.push(now, KeysRecord::Conflict { op, attempt, key });
                self.respond(now, req, 409, false, op, out);
                return;
            }
            Resolution::Mismatch => {
                self.c.mismatches_422 += 1;
                self.push(now, KeysRecord::Mismatch { op, attempt, key });
                self.respond(now, req, 422, false, op, out);
                return;
            }
            Resolution::Replay { status, for_op } => {
                self.c.replays += 1;
                if status >= 500 {
                    self.c.replayed_5xx += 1;
                }
                self.push(now, KeysRecord::Replayed { op, attempt, key, status, for_op });
                self.respond(now, req, status, true, for_op, out);
                return;
            }
        };
        self.push(now, KeysRecord::KeyClaimed { op, attempt, key, resumed_from });
        match resumed_from {
            None | Some(RecoveryPoint::Started) => out.push((half, Event::ProviderCall { job })),
            Some(RecoveryPoint::ChargeCreated) => {
                self.c.charges_skipped += 1;
                self.push(now, KeysRecord::ChargeSkipped { op, attempt, key });
                // Reading the recorded charge and building the response takes
                // half the processing time, like the provider's answer would.
                out.push((half, Event::Finish { job }));
            }
        }
    }

    fn crash(&mut self, now: SimTime, req: Request, phase: CrashPhase, out: &mut Effects) {
        self.incarnation += 1;
        self.c.crashes += 1;
        if phase == CrashPhase::AfterCharge {
            self.c.crashes_in_window += 1;
        }
        let keys_lost = match self.p.store {
            Durability::Volatile => {
                let keys = self.store.wipe();
                let n = keys.len() as u32;
                self.wiped.extend(keys);
                n
            }
            Durability::Durable => 0,
        };
        self.down_until = Some(now + RESTART);
        self.push(now, KeysRecord::Crashed { op: req.op, attempt: req.attempt, phase, keys_lost });
        out.push((RESTART, Event::Restart));
    }

    /// The last phase: store the 201 under the key and answer.
    fn finish_request(&mut self, now: SimTime, job: Job, out: &mut Effects) {
        if job.incarnation != self.incarnation {
            return;
        }
        let req = job.req;
        if let Some(key) = req.key {
            if self.store.complete(key, job.claim, 201, req.op) {
                self.push(now, KeysRecord::ResponseStored { key, status: 201 });
            }
        }
        self.respond(now, req, 201, false, req.op, out);
    }
}
