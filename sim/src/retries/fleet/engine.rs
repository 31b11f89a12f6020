//! The fleet's event loop: arrivals, the server's queue, answers and retries.

use super::budget::Budgets;
use super::latency::{lat_bin, percentile_ms, LAT_BINS};
use super::model::{FleetBuckets, FleetRecord, FleetRun, FleetTotals, GiveUp};
use super::outcome::{hop_us, retry_after_ms_at, Outcome};
use super::params::{FleetParams, BUCKETS, DELAY_BINS, TRACE_LEN_MAX};
use super::throttle::Throttles;
use crate::backoff::Strategy;
use crate::backoff::{next_wait, retryable, Backoff};
use crate::error::SimError;
use crate::retries::normal::NormalStream;
use crate::retries::queue::FastQueue;
use crate::rng::{entity, SimRng};
use crate::sched::RunLimits;
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;

/// The stream of the fleet's arrivals (which client, and when). It is not in
/// `rng::entity` because only this engine uses it.
const ARRIVALS_ENTITY: u64 = 0x5245_5452; // "RETR"

/// The fleet's events. Each live request has exactly one event pending, so
/// an event needs only the request's slot; the request's state is there.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// The fleet's next logical request starts.
    Arrival,
    /// The request's current attempt reaches the server.
    AtServer { slot: u32 },
    /// The attempt's answer reaches the client, or its timer fires.
    AtClient { slot: u32, outcome: Outcome },
}

struct Request {
    id: u32,
    client: u32,
    start_us: u64,
    /// When the current attempt left the client.
    sent_us: u64,
    attempt: u32,
    backoff: Backoff,
    /// Whether the server has already done this request's work once (served
    /// it with 200), whether or not the client saw the answer.
    done: bool,
}

struct Engine<'a> {
    p: &'a FleetParams,
    end_us: u64,
    bucket_us: u64,
    svc_us: u64,
    queue: FastQueue<Event>,
    clients: Vec<NormalStream>,
    server: SimRng,
    slots: Vec<Request>,
    free: Vec<u32>,
    next_id: u32,
    last_finish_us: u64,
    budgets: Option<Budgets>,
    budget_sampled: usize,
    /// The earliest time at which `sample_budget` has a bucket to close.
    sample_next_us: u64,
    th: Throttles,
    /// Whether a 200 travels back to its client as an event: a throttle
    /// must see it when the client does.
    ok_as_event: bool,
    b: FleetBuckets,
    t: FleetTotals,
    lat: Vec<u32>,
    delay_hist: Vec<u32>,
    delay_bin_us: u64,
    trace: Trace<FleetRecord>,
    /// Records the trace still keeps; past them, records are only counted.
    trace_room: usize,
    /// Records counted past the trace's bound, added to it at the end.
    trace_dropped: u64,
}

/// Runs the fleet.
pub fn run(params: &FleetParams) -> Result<FleetRun, SimError> {
    params.validate()?;
    let p = params;
    let end_us = u64::from(p.duration_s) * 1_000_000;
    let bucket_us = p.bucket_us();
    let expected = (u64::from(p.rate_rps) * u64::from(p.duration_s)) as usize;
    // Room for the events of every request plus its retries, bounded so a
    // huge run cannot exhaust memory before its limits stop it.
    let limits = RunLimits { events_max: 20_000_000, queue_len_max: 4_000_000 };
    let zeros = || vec![0u32; BUCKETS];
    let mut e = Engine {
        p,
        end_us,
        bucket_us,
        svc_us: (1_000_000 / u64::from(p.capacity_rps)).max(1),
        queue: FastQueue::new(limits, end_us, (p.clients as usize + 1_024).min(1 << 16)),
        clients: Vec::with_capacity(p.clients as usize),
        server: SimRng::stream(p.seed, entity::SERVER),
        slots: Vec::with_capacity(expected.min(1 << 16) / 8 + 64),
        free: Vec::new(),
        next_id: 0,
        last_finish_us: 0,
        budgets: Budgets::new(p),
        budget_sampled: 0,
        sample_next_us: bucket_us,
        th: Throttles::new(p),
        ok_as_event: p.grpc_max_tokens > 0 || p.adaptive_k_tenths > 0,
        b: FleetBuckets {
            bucket_us,
            first_tries: zeros(),
            retries: zeros(),
            layer_calls: zeros(),
            successes: zeros(),
            failures: zeros(),
            rejected: zeros(),
            wasted: zeros(),
            budget_refusals: zeros(),
            throttled: zeros(),
            budget_tokens: zeros(),
            latency_ms_p50: vec![0; BUCKETS],
            latency_ms_p99: vec![0; BUCKETS],
        },
        t: FleetTotals::default(),
        lat: vec![0; BUCKETS * LAT_BINS],
        delay_hist: vec![0; DELAY_BINS],
        delay_bin_us: (p.cap_ms * 1_000 / DELAY_BINS as u64).max(1),
        trace: Trace::with_limit(TRACE_LEN_MAX),
        trace_room: TRACE_LEN_MAX,
        trace_dropped: 0,
    };
    for i in 0..p.clients {
        e.clients.push(NormalStream::new(SimRng::stream(p.seed, entity::CLIENT_BASE + u64::from(i))));
    }
    // N Poisson streams of rate R/N together are one Poisson stream of rate
    // R whose requests each come from a uniformly chosen client. Drawing it
    // that way keeps one arrival pending instead of one per client, which
    // matters for the queue's speed at a thousand clients.
    let mean_gap_us = 1e6 / f64::from(p.rate_rps);
    let mut arrivals = SimRng::stream(p.seed, ARRIVALS_ENTITY);
    // The next arrival waits beside the queue's heap, in the same order.
    e.queue.schedule_side_at(arrivals.exponential(mean_gap_us) as u64, Event::Arrival)?;
    while let Some((now, ev)) = e.queue.pop()? {
        e.sample_budget(now);
        match ev {
            Event::Arrival => {
                let client = arrivals.between_u64(0, u64::from(p.clients) - 1) as u32;
                let next = now + arrivals.exponential(mean_gap_us) as u64;
                if next < end_us {
                    e.queue.schedule_side_at(next, Event::Arrival)?;
                }
                e.on_arrival(now, client)?
            }
            Event::AtServer { slot } => e.on_server(now, slot)?,
            Event::AtClient { slot, outcome } => e.on_answer(now, slot, outcome)?,
        }
    }
    e.sample_budget(end_us);
    Ok(e.finish())
}

impl Engine<'_> {
    /// Appends a record to the trace, or counts it once the trace is full
    /// (most of a run's records), without a call into the trace.
    #[inline(always)]
    fn record(&mut self, at: SimTime, record: FleetRecord) {
        if self.trace_room > 0 {
            self.trace_room -= 1;
            self.trace.push(at, record);
        } else {
            self.trace_dropped += 1;
        }
    }

    #[inline]
    fn bucket(&self, at_us: u64) -> usize {
        // The same quotient; a 32-bit division is the cheaper instruction,
        // and times within the run (at most 2^32 µs) fit in 32 bits.
        let q = match (u32::try_from(at_us), u32::try_from(self.bucket_us)) {
            (Ok(at), Ok(width)) => (at / width) as usize,
            _ => (at_us / self.bucket_us) as usize,
        };
        q.min(BUCKETS - 1)
    }

    /// Records the budget's tokens for every bucket that ended by `now`.
    #[inline]
    fn sample_budget(&mut self, now: u64) {
        // Nearly every event falls in a bucket already sampled up to.
        if now < self.sample_next_us {
            return;
        }
        let b = if now >= self.end_us { BUCKETS } else { self.bucket(now) };
        let allowed = self.budgets.as_mut().map_or(0, |bs| bs.retries_allowed(now.min(self.end_us)));
        while self.budget_sampled < b {
            self.b.budget_tokens[self.budget_sampled] = allowed.min(u64::from(u32::MAX)) as u32;
            self.budget_sampled += 1;
        }
        // Below this time, `b` is at most `budget_sampled`: before the last
        // bucket, the next bucket's start (never past `end_us`); in the last
        // one, the end of the run; after it, never.
        self.sample_next_us = match self.budget_sampled {
            n if n + 1 < BUCKETS => (n as u64 + 1) * self.bucket_us,
            n if n + 1 == BUCKETS => self.end_us,
            _ => u64::MAX,
        };
    }

    fn on_arrival(&mut self, now: u64, client: u32) -> Result<(), SimError> {
        let hop = hop_us(&mut self.clients[client as usize]);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let backoff =
            Backoff::new(self.p.strategy, SimDuration::from_ms(self.p.base_ms), SimDuration::from_ms(self.p.cap_ms));
        let req = Request { id, client, start_us: now, sent_us: now, attempt: 1, backoff, done: false };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = req;
                s
            }
            None => {
                self.slots.push(req);
                (self.slots.len() - 1) as u32
            }
        };
        self.t.requests += 1;
        self.record(SimTime(now), FleetRecord::Started { req: id, client });
        if let Some(b) = &mut self.budgets {
            // Each request earns budget_pct % of a retry, for the budget's ttl.
            b.deposit(client, now);
        }
        if !self.th.admit(now) {
            // Rejected locally by adaptive throttling: it never leaves the client.
            self.give_up(now, slot, GiveUp::AdaptiveFirstTry);
            return Ok(());
        }
        self.queue.schedule_at(now + hop, Event::AtServer { slot })
    }

    /// One server call at `at`, in bucket `bk`: its outcome and when that outcome is known.
    fn serve(&mut self, at: u64, bk: usize) -> (Outcome, u64) {
        let in_outage =
            at >= u64::from(self.p.outage_from_s) * 1_000_000 && at < u64::from(self.p.outage_to_s) * 1_000_000;
        let waiting = self.last_finish_us.saturating_sub(at) / self.svc_us;
        if in_outage {
            self.t.rejected_outage += 1;
            self.b.rejected[bk] += 1;
            return (Outcome::Outage, at);
        }
        if waiting >= u64::from(self.p.queue_max) {
            self.t.rejected_overload += 1;
            self.b.rejected[bk] += 1;
            return (Outcome::Overload, at);
        }
        let finish = self.last_finish_us.max(at) + self.svc_us;
        self.last_finish_us = finish;
        // One draw decides both, always made, so a knob at zero does not
        // shift later draws: [0, 4xx rate) is a 400, the next 5xx rate a 500.
        let u = self.server.unit_f64();
        let client_error = u < self.p.client_error_rate;
        let server_error = !client_error && u < self.p.client_error_rate + self.p.error_rate;
        if client_error {
            self.t.errors_4xx += 1;
            (Outcome::ClientError, finish)
        } else if server_error {
            self.t.errors_5xx += 1;
            (Outcome::ServerError, finish)
        } else {
            (Outcome::Ok, finish)
        }
    }

    /// A client attempt reaches the server (through the layers, if any).
    ///
    /// The whole fan-out of the layers is resolved here, at once: the layers
    /// retry immediately, without backoff, so their calls follow each other
    /// as fast as answers come. A layer's retry after a 500 is admitted as
    /// if it arrived when that 500 was known, which may be a little after
    /// calls we have not processed yet; the server's capacity is still
    /// charged for every call, which is what the amplification is about.
    /// Resolving the answer here, rather than scheduling every layer call
    /// and a separate timer, keeps one event in flight per request.
    fn on_server(&mut self, now: u64, slot: u32) -> Result<(), SimError> {
        let r = &self.slots[slot as usize];
        let (id, client, sent_us, attempt) = (r.id, r.client, r.sent_us, r.attempt);
        let deadline = (self.p.timeout_ms > 0).then(|| sent_us + self.p.timeout_ms * 1_000);
        let hop = hop_us(&mut self.clients[client as usize]);
        let calls_max = self.p.calls_per_attempt_max();
        let mut at = now;
        let mut call = 0u32;
        let (outcome, known) = loop {
            let bk = self.bucket(at);
            self.t.server_calls += 1;
            if call == 0 {
                if attempt == 1 {
                    self.t.first_tries += 1;
                    self.b.first_tries[bk] += 1;
                } else {
                    self.t.retries += 1;
                    self.b.retries[bk] += 1;
                }
            } else {
                self.t.layer_calls += 1;
                self.b.layer_calls[bk] += 1;
            }
            self.record(SimTime(at), FleetRecord::AtServer { req: id, attempt, call });
            let (outcome, known) = self.serve(at, bk);
            let served = !matches!(outcome, Outcome::Overload | Outcome::Outage);
            if served && deadline.is_some_and(|d| known + hop > d) {
                // The client will have stopped waiting: this work is wasted.
                self.t.wasted += 1;
                let wb = self.bucket(known);
                self.b.wasted[wb] += 1;
            }
            if outcome == Outcome::Ok {
                self.done_again(slot);
            }
            let again = outcome != Outcome::Ok
                && retryable(outcome.as_result(self.p.retry_after_ms), self.p.request.retries_timeouts());
            if again && u64::from(call) + 1 < calls_max {
                // The innermost layer with retries left tries again at once:
                // the calls of one attempt count up in base k+1, a digit a layer.
                call += 1;
                at = known;
                continue;
            }
            break (outcome, known);
        };
        let (outcome, answer_at) = match deadline {
            Some(d) if known + hop > d => (Outcome::Timeout, d.max(now)),
            Some(_) | None => (outcome, known + hop),
        };
        if outcome == Outcome::Ok && !self.ok_as_event {
            // Without a throttle, a success changes nothing another request
            // can see (no server state, and the budget counts retries, not
            // answers), so it is recorded now, at the time it will reach the
            // client, without an event of its own: a third fewer events. An
            // answer still travelling when the run ends leaves the request
            // unfinished, as an event past the horizon would.
            if answer_at <= self.end_us {
                self.succeed(answer_at, slot);
            }
            return Ok(());
        }
        self.queue.schedule_at(answer_at, Event::AtClient { slot, outcome })
    }

    fn succeed(&mut self, at: u64, slot: u32) {
        let r = &self.slots[slot as usize];
        let (id, attempt, latency_us) = (r.id, r.attempt, at - r.start_us);
        let bk = self.bucket(at);
        self.t.successes += 1;
        self.b.successes[bk] += 1;
        self.lat[bk * LAT_BINS + lat_bin(latency_us)] += 1;
        self.record(SimTime(at), FleetRecord::Answered { req: id, attempt, code: 200 });
        self.record(SimTime(at), FleetRecord::Succeeded { req: id, latency_us });
        self.free.push(slot);
    }

    /// The server served the request's current call with 200: its work is
    /// done, once more if it was done before. With a key, the server answers
    /// a repeat from the key; without one, the work happens again.
    fn done_again(&mut self, slot: u32) {
        let r = &mut self.slots[slot as usize];
        if r.done {
            if self.p.request.has_key() {
                self.t.replayed += 1;
            } else {
                self.t.duplicates += 1;
            }
        }
        r.done = true;
    }

    fn on_answer(&mut self, now: u64, slot: u32, outcome: Outcome) -> Result<(), SimError> {
        let r = &self.slots[slot as usize];
        let (id, client, attempt) = (r.id, r.client, r.attempt);
        if outcome != Outcome::Ok {
            self.record(SimTime(now), FleetRecord::Answered { req: id, attempt, code: outcome.code() });
        }
        // The throttles learn of an answer when the client does: an accept
        // is an answer the backend gave and the client received (the SRE
        // book), so a timeout is never one, even if the server served it.
        if matches!(outcome, Outcome::Ok | Outcome::ServerError | Outcome::ClientError) {
            self.th.accepted(now);
        }
        if outcome == Outcome::Ok {
            self.th.succeeded(client);
            self.succeed(now, slot);
            return Ok(());
        }
        if outcome == Outcome::Timeout {
            self.t.timeouts += 1;
        }
        let result = outcome.as_result(retry_after_ms_at(self.p, now));
        let again = retryable(result, self.p.request.retries_timeouts());
        if again {
            self.th.failed(client);
        }
        let why = if !again {
            Some(GiveUp::NotRetryable)
        } else if self.p.strategy == Strategy::None {
            Some(GiveUp::NoRetry)
        } else if attempt >= self.p.attempts_max {
            Some(GiveUp::AttemptCap)
        } else if !self.budgets.as_mut().is_none_or(|b| b.allows(client, now)) {
            Some(GiveUp::BudgetRefused)
        } else if !self.th.grpc_allows_retry(client) {
            Some(GiveUp::GrpcThrottled)
        } else if !self.th.admit(now) {
            Some(GiveUp::AdaptiveRetry)
        } else {
            None
        };
        if let Some(why) = why {
            self.give_up(now, slot, why);
            return Ok(());
        }
        if let Some(b) = &mut self.budgets {
            b.withdraw(client, now);
        }
        let draws = &mut self.clients[client as usize];
        let r = &mut self.slots[slot as usize];
        // None never gets here; every other strategy gives a delay.
        let delay = r.backoff.delay(attempt, &mut draws.rng).unwrap_or(SimDuration::ZERO);
        let wait = next_wait(delay, result, self.p.honour_retry_after).as_us();
        r.attempt += 1;
        r.sent_us = now + wait;
        let next_attempt = r.attempt;
        let hop = hop_us(draws);
        let bin = ((delay.as_us() / self.delay_bin_us) as usize).min(DELAY_BINS - 1);
        self.delay_hist[bin] += 1;
        self.record(SimTime(now), FleetRecord::RetryScheduled { req: id, attempt: next_attempt, wait_us: wait });
        self.queue.schedule_at(now + wait + hop, Event::AtServer { slot })
    }

    /// Ends a request without success.
    fn give_up(&mut self, now: u64, slot: u32, why: GiveUp) {
        let bk = self.bucket(now);
        match why {
            GiveUp::NotRetryable => self.t.gave_up_not_retryable += 1,
            GiveUp::NoRetry => self.t.gave_up_no_retry += 1,
            GiveUp::AttemptCap => self.t.gave_up_attempt_cap += 1,
            GiveUp::BudgetRefused => {
                self.t.budget_refusals += 1;
                self.b.budget_refusals[bk] += 1;
            }
            GiveUp::GrpcThrottled => {
                self.t.grpc_refusals += 1;
                self.b.throttled[bk] += 1;
            }
            GiveUp::AdaptiveFirstTry => {
                self.t.adaptive_first_tries += 1;
                self.b.throttled[bk] += 1;
            }
            GiveUp::AdaptiveRetry => {
                self.t.adaptive_retries += 1;
                self.b.throttled[bk] += 1;
            }
        }
        self.t.failures += 1;
        self.b.failures[bk] += 1;
        let id = self.slots[slot as usize].id;
        self.record(SimTime(now), FleetRecord::GaveUp { req: id, why });
        self.free.push(slot);
    }

    fn finish(mut self) -> FleetRun {
        self.t.unfinished = (self.slots.len() - self.free.len()) as u64;
        self.t.events = self.queue.popped();
        self.trace.count_dropped(self.trace_dropped);
        let mut all = vec![0u32; LAT_BINS];
        for bk in 0..BUCKETS {
            let h = &self.lat[bk * LAT_BINS..(bk + 1) * LAT_BINS];
            self.b.latency_ms_p50[bk] = percentile_ms(h, 0.50);
            self.b.latency_ms_p99[bk] = percentile_ms(h, 0.99);
            for (a, c) in all.iter_mut().zip(h) {
                *a += c;
            }
        }
        self.t.latency_ms_p50 = percentile_ms(&all, 0.50);
        self.t.latency_ms_p99 = percentile_ms(&all, 0.99);
        FleetRun {
            params: self.p.clone(),
            buckets: self.b,
            totals: self.t,
            delay_hist: self.delay_hist,
            delay_bin_us: self.delay_bin_us,
            trace: self.trace,
        }
    }
}
