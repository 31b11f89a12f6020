//! A steady fleet of clients against one server with a finite capacity.
//!
//! - Clients: `clients` of them, each sending logical requests as a Poisson
//!   stream, `rate_rps` in total (open loop: a client does not wait for its
//!   last request before the next one, as a fleet of users does not).
//! - Retry policy: retry only what is retryable (network errors, timeouts,
//!   5xx and 429, never other 4xx); wait what the strategy says, stretched to
//!   Retry-After when the client honours it; at most `attempts_max` attempts
//!   per request; and optionally a fleet retry budget.
//! - The budget is a token bucket in the style of Finagle's RetryBudget:
//!   every first try deposits `budget_pct` % of a token, every retry spends a
//!   whole token, and a retry without a whole token is refused (and counted).
//!   So retries stay under `budget_pct` % of requests, after an initial burst
//!   of `budget_burst` tokens.
//! - Server: a FIFO queue served at `capacity_rps`; when `queue_max` requests
//!   already wait, it answers 503 at once, with Retry-After when configured.
//!   A share of served requests fails with 500 (`error_rate`) or 400
//!   (`client_error_rate`). From `outage_from_s` to `outage_to_s` the front
//!   door answers every new request with 503 and no Retry-After (it cannot
//!   know when the server will be back); queued requests are still served.
//! - Layers: optionally `layers` services sit between the client and the
//!   server, each retrying a retryable failure from below `layer_retries`
//!   times at once, with no backoff. One client attempt can then become
//!   (k+1)^N server calls: the SRE book's 4^3 = 64 with k = 3 and N = 3.
//! - Timeouts: a client stops waiting after `timeout_ms` and treats the
//!   attempt as failed; the server still does the work, which is counted as
//!   wasted. This is what lets an overload sustain itself.
//!
//! Metrics are aggregated per time bucket while the run goes; the trace keeps
//! only its first records, so a minute of a thousand clients stays small.

use crate::backoff::{is_retryable, next_wait, AttemptResult, Backoff, Strategy};
use crate::error::SimError;
use crate::retries::normal::NormalStream;
use crate::retries::queue::FastQueue;
use crate::rng::{entity, SimRng};
use crate::sched::RunLimits;
use crate::time::{SimDuration, SimTime};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// Knobs of the fleet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetParams {
    /// Clients in the fleet.
    pub clients: u32,
    /// Logical requests per second, for the whole fleet.
    pub rate_rps: u32,
    /// Simulated seconds.
    pub duration_s: u32,
    /// The backoff strategy.
    pub strategy: Strategy,
    /// Backoff base, in milliseconds.
    pub base_ms: u64,
    /// Backoff cap, in milliseconds.
    pub cap_ms: u64,
    /// Attempts per logical request at most, the first included.
    pub attempts_max: u32,
    /// How long a client waits for an answer, in milliseconds (0: forever).
    pub timeout_ms: u64,
    /// Fleet retry budget: retries as a percentage of requests (0: no budget).
    pub budget_pct: u32,
    /// Tokens the budget starts with and can hold.
    pub budget_burst: u32,
    /// Whether clients wait at least the server's Retry-After.
    pub honour_retry_after: bool,
    /// Requests the server completes per second.
    pub capacity_rps: u32,
    /// Requests that may wait in the server's queue.
    pub queue_max: u32,
    /// Retry-After sent with an overload 503, in milliseconds (0: none).
    pub retry_after_ms: u64,
    /// Share of served requests that fail with 500, 0 to 1.
    pub error_rate: f64,
    /// Share of served requests that fail with 400 (never retried), 0 to 1.
    pub client_error_rate: f64,
    /// Outage start, in seconds.
    pub outage_from_s: u32,
    /// Outage end, in seconds (equal to the start: no outage).
    pub outage_to_s: u32,
    /// Services between client and server, each retrying (0: none).
    pub layers: u32,
    /// Retries of each layer.
    pub layer_retries: u32,
    /// The seed of the run.
    pub seed: u64,
}

impl Default for FleetParams {
    fn default() -> Self {
        FleetParams {
            clients: 1_000,
            rate_rps: 800,
            duration_s: 60,
            strategy: Strategy::FullJitter,
            base_ms: 100,
            cap_ms: 5_000,
            attempts_max: 3,
            timeout_ms: 1_000,
            budget_pct: 0,
            budget_burst: 100,
            honour_retry_after: true,
            capacity_rps: 1_000,
            queue_max: 500,
            retry_after_ms: 1_000,
            error_rate: 0.01,
            client_error_rate: 0.0,
            outage_from_s: 20,
            outage_to_s: 25,
            layers: 0,
            layer_retries: 0,
            seed: 1,
        }
    }
}

/// The stream of the fleet's arrivals (which client, and when). It is not in
/// `rng::entity` because only this engine uses it.
const ARRIVALS_ENTITY: u64 = 0x5245_5452; // "RETR"
/// Buckets per run, for the charts.
pub const BUCKETS: usize = 120;
/// Bins of the delay histogram.
pub const DELAY_BINS: usize = 40;
/// Bins of the latency histograms (log-linear, four per doubling).
const LAT_BINS: usize = 96;
/// Records kept in the trace; the rest are counted.
pub const TRACE_LEN_MAX: usize = 2_000;

fn invalid(name: &'static str, reason: impl Into<String>) -> SimError {
    SimError::InvalidParameter { name, reason: reason.into() }
}

impl FleetParams {
    /// Most clients.
    pub const CLIENTS_MAX: u32 = 100_000;
    /// Most logical requests per run (rate times duration).
    pub const REQUESTS_MAX: u64 = 2_000_000;
    /// Longest run, in seconds.
    pub const DURATION_S_MAX: u32 = 3_600;
    /// Largest delay knob, in milliseconds.
    pub const DELAY_MS_MAX: u64 = 600_000;

    /// Checks the knobs, with a reason a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.clients == 0 || self.clients > Self::CLIENTS_MAX {
            return Err(invalid("clients", format!("must be between 1 and {}", Self::CLIENTS_MAX)));
        }
        if self.rate_rps == 0 {
            return Err(invalid("rate_rps", "must be at least 1 request per second"));
        }
        if self.duration_s == 0 || self.duration_s > Self::DURATION_S_MAX {
            return Err(invalid("duration_s", format!("must be between 1 and {} s", Self::DURATION_S_MAX)));
        }
        if u64::from(self.rate_rps) * u64::from(self.duration_s) > Self::REQUESTS_MAX {
            return Err(invalid(
                "rate_rps",
                format!("rate times duration must stay under {} requests; lower one of them", Self::REQUESTS_MAX),
            ));
        }
        if self.base_ms > Self::DELAY_MS_MAX || self.cap_ms > Self::DELAY_MS_MAX || self.timeout_ms > Self::DELAY_MS_MAX
        {
            return Err(invalid("base_ms", format!("base, cap and timeout must be at most {} ms", Self::DELAY_MS_MAX)));
        }
        if self.retry_after_ms > Self::DELAY_MS_MAX {
            return Err(invalid("retry_after_ms", format!("must be at most {} ms", Self::DELAY_MS_MAX)));
        }
        if self.cap_ms < self.base_ms {
            return Err(invalid("cap_ms", format!("must be at least the base ({} ms)", self.base_ms)));
        }
        if self.attempts_max == 0 || self.attempts_max > 100 {
            return Err(invalid("attempts_max", "must be between 1 and 100"));
        }
        if self.budget_pct > 100 {
            return Err(invalid("budget_pct", "must be between 0 and 100"));
        }
        if self.budget_burst > 1_000_000 {
            return Err(invalid("budget_burst", "must be at most 1000000 tokens"));
        }
        if self.capacity_rps == 0 || self.capacity_rps > 1_000_000 {
            return Err(invalid("capacity_rps", "must be between 1 and 1000000 requests per second"));
        }
        if self.queue_max > 1_000_000 {
            return Err(invalid("queue_max", "must be at most 1000000"));
        }
        for (name, p) in [("error_rate", self.error_rate), ("client_error_rate", self.client_error_rate)] {
            if !(0.0..=1.0).contains(&p) {
                return Err(invalid(name, "must be between 0 and 1"));
            }
        }
        if self.outage_to_s < self.outage_from_s {
            return Err(invalid("outage_to_s", "the outage must end after it starts"));
        }
        if self.layers > 4 || self.layer_retries > 5 {
            return Err(invalid("layers", "at most 4 layers of at most 5 retries each"));
        }
        Ok(())
    }

    /// Server calls one client attempt can cause at most: (k+1)^N.
    pub fn calls_per_attempt_max(&self) -> u64 {
        u64::from(self.layer_retries + 1).pow(self.layers)
    }

    /// The width of one chart bucket, in microseconds.
    pub fn bucket_us(&self) -> u64 {
        (u64::from(self.duration_s) * 1_000_000 / BUCKETS as u64).max(1)
    }
}

/// Why a logical request ended without success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GiveUp {
    /// The answer was not retryable (a 4xx other than 429).
    NotRetryable,
    /// The strategy never retries.
    NoRetry,
    /// The per-request attempt cap was reached.
    AttemptCap,
    /// The fleet budget had no token for a retry.
    BudgetRefused,
}

/// One thing that happened in a fleet run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FleetRecord {
    /// Client `client` started logical request `req`.
    Started { req: u32, client: u32 },
    /// A call reached the server: client attempt `attempt`, call `call` of its layers' fan-out.
    AtServer { req: u32, attempt: u32, call: u32 },
    /// The client got an answer (`code` 0 means a timeout).
    Answered { req: u32, attempt: u32, code: u16 },
    /// The client will retry after `wait_us`.
    RetryScheduled { req: u32, attempt: u32, wait_us: u64 },
    /// The request succeeded after `latency_us`.
    Succeeded { req: u32, latency_us: u64 },
    /// The request ended without success.
    GaveUp { req: u32, why: GiveUp },
}

/// Per-bucket series, each `BUCKETS` long.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct FleetBuckets {
    /// Width of a bucket, in microseconds.
    pub bucket_us: u64,
    /// First tries reaching the server.
    pub first_tries: Vec<u32>,
    /// Client retries reaching the server.
    pub retries: Vec<u32>,
    /// Extra server calls made by retrying layers.
    pub layer_calls: Vec<u32>,
    /// Logical requests that succeeded, by completion time.
    pub successes: Vec<u32>,
    /// Logical requests that ended without success.
    pub failures: Vec<u32>,
    /// Calls the server answered 503 at once (overload or outage).
    pub rejected: Vec<u32>,
    /// Calls the server served for a client that had already timed out.
    pub wasted: Vec<u32>,
    /// Retries refused by the budget.
    pub budget_refusals: Vec<u32>,
    /// Budget tokens at the end of the bucket (whole tokens).
    pub budget_tokens: Vec<u32>,
    /// Median completion latency of the bucket's successes, ms (0: none).
    pub latency_ms_p50: Vec<u64>,
    /// 99th percentile completion latency, ms (0: none).
    pub latency_ms_p99: Vec<u64>,
}

/// Whole-run counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct FleetTotals {
    /// Logical requests started.
    pub requests: u64,
    /// First tries that reached the server.
    pub first_tries: u64,
    /// Client retries that reached the server.
    pub retries: u64,
    /// Every call the server received, layer retries included.
    pub server_calls: u64,
    /// Extra calls made by retrying layers.
    pub layer_calls: u64,
    /// Logical requests that succeeded.
    pub successes: u64,
    /// Logical requests that ended without success.
    pub failures: u64,
    /// Of those: not retryable.
    pub gave_up_not_retryable: u64,
    /// Of those: the strategy never retries.
    pub gave_up_no_retry: u64,
    /// Of those: the attempt cap.
    pub gave_up_attempt_cap: u64,
    /// Retries the budget refused.
    pub budget_refusals: u64,
    /// Calls answered 503 because the queue was full.
    pub rejected_overload: u64,
    /// Calls answered 503 during the outage.
    pub rejected_outage: u64,
    /// Calls answered 500.
    pub errors_5xx: u64,
    /// Calls answered 400.
    pub errors_4xx: u64,
    /// Attempts the client gave up waiting for.
    pub timeouts: u64,
    /// Calls served for a client that had already timed out.
    pub wasted: u64,
    /// Logical requests still in flight when the run ended.
    pub unfinished: u64,
    /// Median completion latency of successes, ms.
    pub latency_ms_p50: u64,
    /// 99th percentile completion latency of successes, ms.
    pub latency_ms_p99: u64,
    /// Events processed.
    pub events: u64,
}

impl FleetTotals {
    /// Server calls per logical request: the amplification an operator sees.
    pub fn amplification(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        self.server_calls as f64 / self.requests as f64
    }

    /// Client attempts per logical request.
    pub fn attempts_per_request(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        (self.first_tries + self.retries) as f64 / self.requests as f64
    }

    /// Share of logical requests that succeeded, 0 to 1.
    pub fn success_rate(&self) -> f64 {
        let done = self.successes + self.failures;
        if done == 0 {
            return 0.0;
        }
        self.successes as f64 / done as f64
    }
}

/// A finished fleet run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetRun {
    /// The knobs it ran with.
    pub params: FleetParams,
    /// The per-bucket series.
    pub buckets: FleetBuckets,
    /// The whole-run counters.
    pub totals: FleetTotals,
    /// The strategy's chosen delays (before Retry-After), `DELAY_BINS` bins of `delay_bin_us`.
    pub delay_hist: Vec<u32>,
    /// Width of a delay bin, in microseconds; the last bin holds the cap.
    pub delay_bin_us: u64,
    /// The first records of the run.
    pub trace: Trace<FleetRecord>,
}

impl FleetRun {
    /// The stable hash of everything the run reports.
    pub fn stable_hash(&self) -> u64 {
        crate::trace::stable_hash(&(self.trace.stable_hash(), &self.buckets, &self.totals, &self.delay_hist))
    }
}

/// What a call came back with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 200.
    Ok,
    /// 503 because the queue was full, maybe with Retry-After.
    Overload,
    /// 503 during the outage.
    Outage,
    /// 500.
    ServerError,
    /// 400.
    ClientError,
    /// The client stopped waiting.
    Timeout,
}

impl Outcome {
    fn as_result(self, retry_after_ms: u64) -> AttemptResult {
        let status = |code| AttemptResult::Status { code, retry_after_ms: None };
        match self {
            Outcome::Ok => status(200),
            Outcome::Overload => {
                AttemptResult::Status { code: 503, retry_after_ms: (retry_after_ms > 0).then_some(retry_after_ms) }
            }
            Outcome::Outage => status(503),
            Outcome::ServerError => status(500),
            Outcome::ClientError => status(400),
            Outcome::Timeout => AttemptResult::Timeout,
        }
    }

    fn code(self) -> u16 {
        match self {
            Outcome::Ok => 200,
            Outcome::Overload | Outcome::Outage => 503,
            Outcome::ServerError => 500,
            Outcome::ClientError => 400,
            Outcome::Timeout => 0,
        }
    }
}

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
}

/// Hop delay: |Normal(10 ms, 2 ms)| as in the study workload.
#[inline]
fn hop_us(draws: &mut NormalStream) -> u64 {
    (draws.normal(10_000.0, 2_000.0).abs() + 0.5) as u64
}

fn lat_bin(us: u64) -> usize {
    let ms = us / 1_000;
    if ms < 4 {
        return ms as usize;
    }
    let octave = 63 - ms.leading_zeros() as usize;
    let sub = ((ms >> (octave - 2)) & 3) as usize;
    (4 + (octave - 2) * 4 + sub).min(LAT_BINS - 1)
}

/// The upper edge of a latency bin, in milliseconds.
fn lat_bin_upper_ms(bin: usize) -> u64 {
    if bin < 4 {
        return bin as u64 + 1;
    }
    let octave = (bin - 4) / 4 + 2;
    let sub = ((bin - 4) % 4) as u64;
    ((4 + sub + 1) << (octave - 2)).max(1)
}

fn percentile_ms(hist: &[u32], q: f64) -> u64 {
    let total: u64 = hist.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return 0;
    }
    let want = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0u64;
    for (bin, &c) in hist.iter().enumerate() {
        seen += u64::from(c);
        if seen >= want {
            return lat_bin_upper_ms(bin);
        }
    }
    lat_bin_upper_ms(hist.len() - 1)
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
    tokens_milli: u64,
    tokens_milli_max: u64,
    budget_sampled: usize,
    b: FleetBuckets,
    t: FleetTotals,
    lat: Vec<u32>,
    delay_hist: Vec<u32>,
    delay_bin_us: u64,
    trace: Trace<FleetRecord>,
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
        tokens_milli: u64::from(p.budget_burst) * 1_000,
        tokens_milli_max: u64::from(p.budget_burst) * 1_000,
        budget_sampled: 0,
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
            budget_tokens: zeros(),
            latency_ms_p50: vec![0; BUCKETS],
            latency_ms_p99: vec![0; BUCKETS],
        },
        t: FleetTotals::default(),
        lat: vec![0; BUCKETS * LAT_BINS],
        delay_hist: vec![0; DELAY_BINS],
        delay_bin_us: (p.cap_ms * 1_000 / DELAY_BINS as u64).max(1),
        trace: Trace::with_limit(TRACE_LEN_MAX),
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
    e.queue.schedule_at(arrivals.exponential(mean_gap_us) as u64, Event::Arrival)?;
    while let Some((now, ev)) = e.queue.pop()? {
        e.sample_budget(now);
        match ev {
            Event::Arrival => {
                let client = arrivals.between_u64(0, u64::from(p.clients) - 1) as u32;
                let next = now + arrivals.exponential(mean_gap_us) as u64;
                if next < end_us {
                    e.queue.schedule_at(next, Event::Arrival)?;
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
    fn bucket(&self, at_us: u64) -> usize {
        ((at_us / self.bucket_us) as usize).min(BUCKETS - 1)
    }

    fn sample_budget(&mut self, now: u64) {
        let b = if now >= self.end_us { BUCKETS } else { self.bucket(now) };
        while self.budget_sampled < b {
            self.b.budget_tokens[self.budget_sampled] = (self.tokens_milli / 1_000) as u32;
            self.budget_sampled += 1;
        }
    }

    fn on_arrival(&mut self, now: u64, client: u32) -> Result<(), SimError> {
        let hop = hop_us(&mut self.clients[client as usize]);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let backoff =
            Backoff::new(self.p.strategy, SimDuration::from_ms(self.p.base_ms), SimDuration::from_ms(self.p.cap_ms));
        let req = Request { id, client, start_us: now, sent_us: now, attempt: 1, backoff };
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
        self.trace.push(SimTime(now), FleetRecord::Started { req: id, client });
        if self.p.budget_pct > 0 {
            // Each request earns budget_pct % of a retry.
            self.tokens_milli = (self.tokens_milli + u64::from(self.p.budget_pct) * 10).min(self.tokens_milli_max);
        }
        self.queue.schedule_at(now + hop, Event::AtServer { slot })
    }

    /// One server call at `at`: its outcome and when that outcome is known.
    fn serve(&mut self, at: u64) -> (Outcome, u64) {
        let bk = self.bucket(at);
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
            self.trace.push(SimTime(at), FleetRecord::AtServer { req: id, attempt, call });
            let (outcome, known) = self.serve(at);
            let served = !matches!(outcome, Outcome::Overload | Outcome::Outage);
            if served && deadline.is_some_and(|d| known + hop > d) {
                // The client will have stopped waiting: this work is wasted.
                self.t.wasted += 1;
                let wb = self.bucket(known);
                self.b.wasted[wb] += 1;
            }
            let retryable = outcome != Outcome::Ok && is_retryable(outcome.as_result(self.p.retry_after_ms));
            if retryable && u64::from(call) + 1 < calls_max {
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
        if outcome == Outcome::Ok {
            // A success changes nothing another client can see (no budget,
            // no server state), so it is recorded now, at the time it will
            // reach the client, without an event of its own: a third fewer
            // events. An answer still travelling when the run ends leaves
            // the request unfinished, as an event past the horizon would.
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
        self.trace.push(SimTime(at), FleetRecord::Answered { req: id, attempt, code: 200 });
        self.trace.push(SimTime(at), FleetRecord::Succeeded { req: id, latency_us });
        self.free.push(slot);
    }

    fn on_answer(&mut self, now: u64, slot: u32, outcome: Outcome) -> Result<(), SimError> {
        let r = &self.slots[slot as usize];
        let (id, client, attempt) = (r.id, r.client, r.attempt);
        let bk = self.bucket(now);
        self.trace.push(SimTime(now), FleetRecord::Answered { req: id, attempt, code: outcome.code() });
        if outcome == Outcome::Ok {
            self.succeed(now, slot);
            return Ok(());
        }
        if outcome == Outcome::Timeout {
            self.t.timeouts += 1;
        }
        let result = outcome.as_result(self.p.retry_after_ms);
        let why = if !is_retryable(result) {
            Some(GiveUp::NotRetryable)
        } else if self.p.strategy == Strategy::None {
            Some(GiveUp::NoRetry)
        } else if attempt >= self.p.attempts_max {
            Some(GiveUp::AttemptCap)
        } else if self.p.budget_pct > 0 && self.tokens_milli < 1_000 {
            Some(GiveUp::BudgetRefused)
        } else {
            None
        };
        if let Some(why) = why {
            match why {
                GiveUp::NotRetryable => self.t.gave_up_not_retryable += 1,
                GiveUp::NoRetry => self.t.gave_up_no_retry += 1,
                GiveUp::AttemptCap => self.t.gave_up_attempt_cap += 1,
                GiveUp::BudgetRefused => {
                    self.t.budget_refusals += 1;
                    self.b.budget_refusals[bk] += 1;
                }
            }
            self.t.failures += 1;
            self.b.failures[bk] += 1;
            self.trace.push(SimTime(now), FleetRecord::GaveUp { req: id, why });
            self.free.push(slot);
            return Ok(());
        }
        if self.p.budget_pct > 0 {
            self.tokens_milli -= 1_000;
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
        self.trace.push(SimTime(now), FleetRecord::RetryScheduled { req: id, attempt: next_attempt, wait_us: wait });
        self.queue.schedule_at(now + wait + hop, Event::AtServer { slot })
    }

    fn finish(mut self) -> FleetRun {
        self.t.unfinished = (self.slots.len() - self.free.len()) as u64;
        self.t.events = self.queue.popped();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet() -> FleetParams {
        FleetParams { outage_from_s: 0, outage_to_s: 0, error_rate: 0.0, duration_s: 20, ..Default::default() }
    }

    #[test]
    fn latency_bins_are_ordered_and_cover_their_values() {
        for ms in [0u64, 1, 3, 4, 5, 7, 8, 15, 16, 100, 999, 65_000] {
            let b = lat_bin(ms * 1_000);
            assert!(lat_bin_upper_ms(b) > ms || b == LAT_BINS - 1, "{ms} ms in bin {b}");
            if b > 0 {
                assert!(lat_bin_upper_ms(b - 1) <= ms, "{ms} ms: bin {b} starts too late");
            }
        }
    }

    #[test]
    fn a_healthy_fleet_succeeds_without_retries() {
        let r = run(&quiet()).unwrap();
        let t = &r.totals;
        assert_eq!(t.retries, 0, "{t:?}");
        assert_eq!(t.failures, 0);
        assert!(t.successes + t.unfinished == t.requests, "{t:?}");
        assert_eq!(t.server_calls, t.first_tries);
        assert!((t.amplification() - 1.0).abs() < 0.01);
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let p = FleetParams { duration_s: 30, ..Default::default() };
        assert_eq!(run(&p).unwrap().stable_hash(), run(&p).unwrap().stable_hash());
        let q = FleetParams { seed: 2, ..p };
        assert_ne!(run(&q).unwrap().stable_hash(), run(&FleetParams { seed: 1, ..q.clone() }).unwrap().stable_hash());
    }

    #[test]
    fn client_errors_are_never_retried() {
        let p = FleetParams { client_error_rate: 0.3, ..quiet() };
        let t = run(&p).unwrap().totals;
        assert!(t.errors_4xx > 0);
        // Every 400 ends its request, except answers still on their way at the end.
        assert!(
            t.gave_up_not_retryable <= t.errors_4xx && t.gave_up_not_retryable + t.unfinished >= t.errors_4xx,
            "{t:?}"
        );
        assert_eq!(t.retries, 0, "a 400 was retried: {t:?}");
    }

    #[test]
    fn no_request_makes_more_attempts_than_the_cap() {
        let p = FleetParams { error_rate: 0.6, attempts_max: 2, ..quiet() };
        let r = run(&p).unwrap();
        assert!(r.totals.retries > 0);
        assert!(r.totals.first_tries + r.totals.retries <= 2 * r.totals.requests);
        for rec in r.trace.records() {
            if let FleetRecord::AtServer { attempt, .. } = rec.record {
                assert!(attempt <= 2);
            }
        }
    }

    #[test]
    fn each_layer_multiplies_calls_up_to_k_plus_one_to_the_n() {
        // Every call fails, so every layer spends all its retries: 4^3 = 64.
        let p = FleetParams { error_rate: 1.0, layers: 3, layer_retries: 3, attempts_max: 1, timeout_ms: 0, ..quiet() };
        let t = run(&FleetParams { rate_rps: 20, capacity_rps: 100_000, queue_max: 100_000, ..p }).unwrap().totals;
        assert_eq!(t.server_calls, 64 * t.first_tries, "{t:?}");
    }

    #[test]
    fn the_budget_keeps_retries_near_its_percentage() {
        let p = FleetParams { error_rate: 0.5, attempts_max: 5, budget_pct: 10, budget_burst: 20, ..quiet() };
        let t = run(&p).unwrap().totals;
        assert!(t.budget_refusals > 0, "{t:?}");
        // 10 % of requests plus the initial burst.
        assert!(t.retries <= t.requests / 10 + 20, "{t:?}");
    }

    #[test]
    fn retry_after_is_honoured_only_when_asked() {
        let overloaded = FleetParams { rate_rps: 1_500, retry_after_ms: 3_000, ..quiet() };
        let honoured = run(&FleetParams { honour_retry_after: true, ..overloaded.clone() }).unwrap();
        let ignored = run(&FleetParams { honour_retry_after: false, ..overloaded }).unwrap();
        assert!(honoured.totals.rejected_overload > 0);
        // Honouring a 3 s Retry-After sends far fewer retries into the overload.
        assert!(honoured.totals.retries < ignored.totals.retries, "{:?} vs {:?}", honoured.totals, ignored.totals);
    }

    #[test]
    fn bad_knobs_are_refused_with_a_reason() {
        let bad = [
            FleetParams { clients: 0, ..Default::default() },
            FleetParams { rate_rps: 100_000, duration_s: 3_600, ..Default::default() },
            FleetParams { error_rate: 1.5, ..Default::default() },
            FleetParams { outage_from_s: 30, outage_to_s: 10, ..Default::default() },
            FleetParams { cap_ms: 10, base_ms: 100, ..Default::default() },
        ];
        for p in bad {
            assert!(matches!(run(&p), Err(SimError::InvalidParameter { .. })), "{p:?}");
        }
    }
}
