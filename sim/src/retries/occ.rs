//! The contended optimistic-concurrency workload of the AWS Architecture Blog
//! backoff study (Marc Brooker, "Exponential Backoff And Jitter", 2015),
//! modelled as FACTS.md describes it:
//!
//! - N clients each update one shared row once. An attempt is a read (one
//!   round trip: the server answers with the row's version when the request
//!   arrives) followed by a conditional write (one more round trip: the write
//!   succeeds only if the version is still the one read). So every attempt is
//!   four message hops, and only the write counts as a "call".
//! - A failed write means: back off, then read again. The backoff is added to
//!   the send of that next read, and the first backoff uses n = 1.
//! - Every hop takes |Normal(10 ms, 2 ms)|; base 5 ms, cap 2000 ms.
//! - "time" is when the last client got its successful write answer.
//!
//! `Strategy::None` here means what the study calls "no backoff": the client
//! reads again at once. Never retrying would simply abandon the update, and
//! the study's clients always finish theirs.
//!
//! Why a specialised loop instead of the generic `sched::Scheduler`: in this
//! workload every client has exactly one message in flight at any moment, so
//! the whole event queue is "one pending time per client", and only the
//! write needs an event (see `Client`). We keep it as a
//! 4-ary heap of packed `(time, client)` keys, preallocated per run. There is no payload map and no
//! allocation per event, which is what makes the 100-clients x 100-runs x 5
//! strategies sweep fit in a few tens of milliseconds. It stays
//! deterministic: ties break by client index, and every client draws from its
//! own stream `CLIENT_BASE + i` of the run's seed.

use crate::backoff::{Backoff, Strategy};
use crate::error::SimError;
use crate::retries::normal::NormalStream;
use crate::rng::{entity, SimRng};
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};

/// Knobs of the study workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OccParams {
    /// Clients contending for the one row.
    pub clients: u32,
    /// Independent runs to average (the study used 100).
    pub runs: u32,
    /// The backoff strategy every client uses.
    pub strategy: Strategy,
    /// Backoff base, in milliseconds (the study: 5).
    pub base_ms: u64,
    /// Backoff cap, in milliseconds (the study: 2000).
    pub cap_ms: u64,
    /// The seed; run `r` uses a seed derived from it.
    pub seed: u64,
}

impl Default for OccParams {
    fn default() -> Self {
        OccParams { clients: 100, runs: 100, strategy: Strategy::FullJitter, base_ms: 5, cap_ms: 2_000, seed: 1 }
    }
}

impl OccParams {
    /// Most clients in one run.
    pub const CLIENTS_MAX: u32 = 1_000;
    /// Most runs per point.
    pub const RUNS_MAX: u32 = 1_000;
    /// Largest base or cap, in milliseconds.
    pub const DELAY_MS_MAX: u64 = 60_000;

    /// Checks the knobs, with a reason a learner can act on.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.clients == 0 || self.clients > Self::CLIENTS_MAX {
            return Err(SimError::InvalidParameter {
                name: "clients",
                reason: format!("must be between 1 and {}", Self::CLIENTS_MAX),
            });
        }
        if self.runs == 0 || self.runs > Self::RUNS_MAX {
            return Err(SimError::InvalidParameter {
                name: "runs",
                reason: format!("must be between 1 and {}", Self::RUNS_MAX),
            });
        }
        if self.base_ms == 0 || self.base_ms > Self::DELAY_MS_MAX {
            return Err(SimError::InvalidParameter {
                name: "base_ms",
                reason: format!("must be between 1 and {} ms", Self::DELAY_MS_MAX),
            });
        }
        if self.cap_ms < self.base_ms || self.cap_ms > Self::DELAY_MS_MAX {
            return Err(SimError::InvalidParameter {
                name: "cap_ms",
                reason: format!(
                    "must be at least the base ({} ms) and at most {} ms",
                    self.base_ms,
                    Self::DELAY_MS_MAX
                ),
            });
        }
        Ok(())
    }
}

/// The outcome of one or more runs of the study workload.
#[derive(Clone, Debug, PartialEq, Hash, Serialize)]
pub struct OccResult {
    /// Clients per run.
    pub clients: u32,
    /// The strategy.
    pub strategy: Strategy,
    /// Writes ("calls") of each run.
    pub calls: Vec<u64>,
    /// When the last client finished, per run, in microseconds.
    pub times_us: Vec<u64>,
    /// Writes of the first run per `WRITES_BUCKET_MS` of simulated time,
    /// to show synchronised waves.
    pub first_run_writes: Vec<u32>,
}

impl OccResult {
    /// Mean writes per run.
    pub fn calls_mean(&self) -> f64 {
        mean(self.calls.iter().map(|&c| c as f64))
    }

    /// Mean completion time per run, in milliseconds.
    pub fn time_ms_mean(&self) -> f64 {
        mean(self.times_us.iter().map(|&t| t as f64 / 1_000.0))
    }
}

fn mean(it: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = it.len();
    if n == 0 {
        return 0.0;
    }
    it.sum::<f64>() / n as f64
}

/// Width of the buckets of `OccResult::first_run_writes`.
pub const WRITES_BUCKET_MS: u64 = 10;
/// The first run's write histogram stops here, so that it stays bounded.
const WRITES_BUCKETS_MAX: usize = 2_000;
/// Hop delay: |Normal(mean, sd)|, in microseconds.
const HOP_MEAN_US: f64 = 10_000.0;
const HOP_SD_US: f64 = 2_000.0;
/// A run that needs more writes than this stops with an error.
pub const WRITES_MAX_PER_RUN: u64 = 2_000_000;
/// Packed heap keys keep the client index in the low bits.
const CLIENT_BITS: u32 = 20;
/// Simulated time must fit in the remaining 44 bits (about 200 days).
const TIME_US_MAX: u64 = (1u64 << (64 - CLIENT_BITS)) - 1;

/// A client between writes. Reads change nothing on the server, so a read
/// needs no event of its own: the client remembers when its read reached the
/// server, and when its write arrives the write succeeds exactly when no
/// other write succeeded after that read (`last_success_us <= read_at_us`).
/// Writes are processed in time order, so every earlier success is known by
/// then. Only the client's own stream decides its hops and sleeps, so
/// folding them into the next write changes nothing another client sees:
/// one event per attempt instead of four.
struct Client {
    draws: NormalStream,
    backoff: Backoff,
    read_at_us: u64,
    retries: u32,
}

/// The seed of run `run` of a point seeded `seed` (SplitMix64 of both, so
/// neighbouring seeds and runs give unrelated streams).
pub fn run_seed(seed: u64, run: u32) -> u64 {
    let mut z = seed ^ (u64::from(run).wrapping_add(1)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One hop of the network: |Normal(10 ms, 2 ms)|, rounded to microseconds.
#[inline]
fn hop_us(draws: &mut NormalStream) -> u64 {
    // Adding one half and truncating rounds half up; `f64::round` is a libm
    // call on baseline x86-64, and this is the hottest line of the sweep.
    (draws.normal(HOP_MEAN_US, HOP_SD_US).abs() + 0.5) as u64
}

/// A 4-ary min-heap of packed `(time, client)` keys. Every key is unique (it
/// contains the client index), so the order is total and deterministic. Four
/// children per node halve the depth of a binary heap, and the hot operation
/// here is "replace the smallest key", a single sift-down.
#[derive(Default)]
struct KeyHeap {
    keys: Vec<u64>,
}

impl KeyHeap {
    fn clear(&mut self) {
        self.keys.clear();
    }

    fn push(&mut self, key: u64) {
        let mut i = self.keys.len();
        self.keys.push(key);
        while i > 0 {
            let parent = (i - 1) / 4;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[i] = self.keys[parent];
            i = parent;
        }
        self.keys[i] = key;
    }

    fn top(&self) -> Option<u64> {
        self.keys.first().copied()
    }

    /// Replaces the smallest key with `key` and restores the order.
    fn replace_top(&mut self, key: u64) {
        let keys = &mut self.keys[..];
        let n = keys.len();
        let mut i = 0;
        loop {
            let first = 4 * i + 1;
            let (m, im) = if first + 4 <= n {
                // All four children: pick the smallest with selects rather
                // than branches, which mispredict half the time here.
                let c = &keys[first..first + 4];
                let (m01, i01) = if c[1] < c[0] { (c[1], 1) } else { (c[0], 0) };
                let (m23, i23) = if c[3] < c[2] { (c[3], 3) } else { (c[2], 2) };
                if m23 < m01 {
                    (m23, first + i23)
                } else {
                    (m01, first + i01)
                }
            } else if first < n {
                let mut im = first;
                for c in first + 1..n {
                    if keys[c] < keys[im] {
                        im = c;
                    }
                }
                (keys[im], im)
            } else {
                break;
            };
            if m >= key {
                break;
            }
            keys[i] = m;
            i = im;
        }
        keys[i] = key;
    }

    /// Removes the smallest key.
    fn pop_top(&mut self) {
        if let Some(last) = self.keys.pop() {
            if !self.keys.is_empty() {
                self.replace_top(last);
            }
        }
    }
}

/// Two consecutive hops. The sum of two independent Normal(10 ms, 2 ms) is
/// Normal(20 ms, 2.83 ms), so one draw stands for both; it differs from the
/// sum of two absolute values only when a hop would be negative, a 5-sigma
/// event (p < 3e-7). Half the draws is a third of the sweep's time.
#[inline]
fn two_hops_us(draws: &mut NormalStream) -> u64 {
    (draws.normal(2.0 * HOP_MEAN_US, HOP_SD_US * std::f64::consts::SQRT_2).abs() + 0.5) as u64
}

/// Reusable buffers, so a sweep allocates once rather than per run.
#[derive(Default)]
pub struct OccScratch {
    clients: Vec<Client>,
    heap: KeyHeap,
}

/// Runs `params.runs` independent runs of the study workload.
pub fn run(params: &OccParams) -> Result<OccResult, SimError> {
    run_with(params, &mut OccScratch::default())
}

/// Like [`run`], reusing `scratch`'s buffers.
pub fn run_with(params: &OccParams, scratch: &mut OccScratch) -> Result<OccResult, SimError> {
    params.validate()?;
    let mut out = OccResult {
        clients: params.clients,
        strategy: params.strategy,
        calls: Vec::with_capacity(params.runs as usize),
        times_us: Vec::with_capacity(params.runs as usize),
        first_run_writes: Vec::new(),
    };
    for r in 0..params.runs {
        let hist = if r == 0 { Some(&mut out.first_run_writes) } else { None };
        let (calls, time_us) = one_run(params, run_seed(params.seed, r), scratch, hist)?;
        out.calls.push(calls);
        out.times_us.push(time_us);
    }
    Ok(out)
}

fn one_run(
    p: &OccParams,
    seed: u64,
    s: &mut OccScratch,
    mut writes_hist: Option<&mut Vec<u32>>,
) -> Result<(u64, u64), SimError> {
    let base = SimDuration::from_ms(p.base_ms);
    let cap = SimDuration::from_ms(p.cap_ms);
    s.clients.clear();
    s.heap.clear();
    s.heap.keys.reserve(p.clients as usize);
    for i in 0..p.clients {
        let mut draws = NormalStream::new(SimRng::light_stream(seed, entity::CLIENT_BASE + u64::from(i)));
        // Every client starts at time zero by sending its first read; the
        // version travels back, then the write travels out.
        let read_at_us = hop_us(&mut draws);
        let write_at_us = read_at_us + two_hops_us(&mut draws);
        s.clients.push(Client { draws, backoff: Backoff::new(p.strategy, base, cap), read_at_us, retries: 0 });
        s.heap.push((write_at_us << CLIENT_BITS) | u64::from(i));
    }
    // Ties at one microsecond: a write that reaches the server at the same
    // instant as a read is seen by that read.
    let mut last_success_us: Option<u64> = None;
    let mut calls = 0u64;
    let mut last_us = 0u64;
    let client_mask = (1u64 << CLIENT_BITS) - 1;
    while let Some(key) = s.heap.top() {
        let now = key >> CLIENT_BITS;
        let i = (key & client_mask) as usize;
        let c = &mut s.clients[i];
        calls += 1;
        if calls > WRITES_MAX_PER_RUN {
            return Err(SimError::EventBudgetExceeded { events_max: WRITES_MAX_PER_RUN });
        }
        if let Some(h) = writes_hist.as_deref_mut() {
            let b = (now / (WRITES_BUCKET_MS * 1_000)) as usize;
            if b < WRITES_BUCKETS_MAX {
                if h.len() <= b {
                    h.resize(b + 1, 0);
                }
                h[b] += 1;
            }
        }
        if last_success_us.is_none_or(|t| t <= c.read_at_us) {
            last_success_us = Some(now);
            // The client is done when the answer reaches it.
            last_us = last_us.max(now + hop_us(&mut c.draws));
            s.heap.pop_top();
            continue;
        }
        c.retries += 1;
        // "No backoff" in the study: read again at once.
        let sleep = c.backoff.delay(c.retries, &mut c.draws.rng).map_or(0, SimDuration::as_us);
        // The failed write's answer comes back, the client sleeps, its read goes out.
        c.read_at_us = now + sleep + two_hops_us(&mut c.draws);
        // The version comes back, the write goes out.
        let next_us = c.read_at_us + two_hops_us(&mut c.draws);
        if next_us > TIME_US_MAX {
            return Err(SimError::InvalidParameter {
                name: "cap_ms",
                reason: "the run outlasted the simulator's clock; lower the cap or the clients".into(),
            });
        }
        s.heap.replace_top((next_us << CLIENT_BITS) | i as u64);
    }
    Ok((calls, last_us))
}

/// One point of the study sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// Clients at this point.
    pub clients: u32,
    /// The strategy.
    pub strategy: Strategy,
    /// Mean writes per run.
    pub calls_mean: f64,
    /// Mean completion time per run, in milliseconds.
    pub time_ms_mean: f64,
}

/// The study sweep: every strategy at every client count, `base.runs` runs
/// each, same seed for every point (so strategies meet the same network
/// draws where they can).
pub fn sweep(base: &OccParams, clients: &[u32], strategies: &[Strategy]) -> Result<Vec<SweepPoint>, SimError> {
    let mut scratch = OccScratch::default();
    let mut out = Vec::with_capacity(clients.len() * strategies.len());
    for &n in clients {
        for &strategy in strategies {
            let p = OccParams { clients: n, strategy, ..base.clone() };
            let r = run_with(&p, &mut scratch)?;
            out.push(SweepPoint { clients: n, strategy, calls_mean: r.calls_mean(), time_ms_mean: r.time_ms_mean() });
        }
    }
    Ok(out)
}

/// The five strategies of the study's own simulator, in its order.
pub const STUDY_STRATEGIES: [Strategy; 5] =
    [Strategy::None, Strategy::Exponential, Strategy::FullJitter, Strategy::EqualJitter, Strategy::Decorrelated];

#[cfg(test)]
#[path = "occ_tests.rs"]
mod tests;
