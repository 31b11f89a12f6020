//! One claim test per row of the Retries Sources panel: each runs the engine
//! and checks that the modelling choice the row states holds. [`CLAIMS`]
//! registers them by the row's id, and
//! `every_sources_row_has_exactly_one_claim_test` fails when a row has none.

use super::fleet::{self, BudgetScope, FleetParams, FleetRecord, GiveUp, RequestKind};
use super::occ::{self, OccParams};
use super::sources::ROWS;
use super::RetriesParams;
use crate::backoff::{retryable, AttemptResult, Backoff, Strategy, RETRY_TABLE};
use crate::knob::{self, Params};
use crate::lab::Lab;
use crate::rng::SimRng;
use crate::time::SimDuration;

/// Every claim test, by the id of the Sources row it checks.
const CLAIMS: [(&str, fn()); 14] = [
    ("backoff-formulas", backoff_formulas),
    ("study-workload", study_workload),
    ("study-ranking", study_ranking),
    ("fleet-model", fleet_model),
    ("retry-table", retry_table),
    ("idempotency", idempotency),
    ("layers", layers),
    ("budget-per-client", budget_per_client),
    ("budget-floor", budget_floor),
    ("grpc-throttle", grpc_throttle),
    ("adaptive-accepts", adaptive_accepts),
    ("local-refusals", local_refusals),
    ("retry-after", retry_after),
    ("jitter-in-a-fleet", jitter_in_a_fleet),
];

#[test]
fn every_sources_row_has_exactly_one_claim_test() {
    for row in &ROWS {
        let n = CLAIMS.iter().filter(|(id, _)| *id == row.id).count();
        assert_eq!(n, 1, "Sources row {:?} has {n} claim tests: add one to CLAIMS", row.id);
        assert_eq!(ROWS.iter().filter(|r| r.id == row.id).count(), 1, "two rows share the id {:?}", row.id);
    }
    for (id, _) in &CLAIMS {
        assert!(ROWS.iter().any(|r| r.id == *id), "claim {id:?} checks no Sources row");
    }
}

fn preset(slug: &str) -> FleetParams {
    super::RetriesLab::preset_params(super::RetriesLab::preset(slug).expect(slug)).fleet
}

fn run(p: &FleetParams) -> fleet::FleetTotals {
    fleet::run(p).unwrap().totals
}

/// A fleet without outage or errors, for the claims that add one cause at a time.
fn quiet() -> FleetParams {
    FleetParams { outage_from_s: 0, outage_to_s: 0, error_rate: 0.0, duration_s: 20, ..Default::default() }
}

#[test]
fn backoff_formulas() {
    let (base, cap) = (SimDuration::from_ms(5), SimDuration::from_ms(2_000));
    let mut rng = SimRng::stream(7, 7);
    for n in 1..12u32 {
        let t = (5_000u64 << n).min(2_000_000);
        let mut exp = Backoff::new(Strategy::Exponential, base, cap);
        assert_eq!(exp.delay(n, &mut rng).unwrap().as_us(), t, "n = {n}");
        let full = Backoff::new(Strategy::FullJitter, base, cap).delay(n, &mut rng).unwrap().as_us();
        assert!(full <= t);
        let equal = Backoff::new(Strategy::EqualJitter, base, cap).delay(n, &mut rng).unwrap().as_us();
        assert!(equal >= t / 2 && equal <= t);
    }
    let mut dec = Backoff::new(Strategy::Decorrelated, base, cap);
    let mut previous = 5_000;
    for n in 1..20 {
        let d = dec.delay(n, &mut rng).unwrap().as_us();
        assert!(d >= 5_000 && d <= (previous * 3).min(2_000_000), "n = {n}: {d}");
        previous = d;
    }
}

#[test]
fn study_workload() {
    let d = OccParams::default();
    assert_eq!((d.base_ms, d.cap_ms), (5, 2_000));
    let r = occ::run(&OccParams { clients: 30, runs: 3, strategy: Strategy::FullJitter, ..d }).unwrap();
    // Every client writes once successfully, so a run makes at least N writes.
    assert!(r.calls.iter().all(|&c| c >= 30), "{:?}", r.calls);
    // Four hops of about 10 ms each before the first write can succeed.
    assert!(r.times_us.iter().all(|&t| t >= 30_000), "{:?}", r.times_us);
}

#[test]
fn study_ranking() {
    let p = OccParams { runs: 10, ..Default::default() };
    let points = occ::sweep(&p, &[100], &occ::STUDY_STRATEGIES).unwrap();
    let of = |s: Strategy| points.iter().find(|x| x.strategy == s).unwrap();
    let (none, exp) = (of(Strategy::None), of(Strategy::Exponential));
    for s in [Strategy::FullJitter, Strategy::EqualJitter, Strategy::Decorrelated] {
        let j = of(s);
        assert!(exp.calls_mean > j.calls_mean && exp.time_ms_mean > j.time_ms_mean, "{exp:?} vs {j:?}");
        assert!(none.calls_mean > j.calls_mean && none.time_ms_mean < j.time_ms_mean, "{none:?} vs {j:?}");
    }
    assert!(none.calls_mean > exp.calls_mean && none.time_ms_mean < exp.time_ms_mean, "{none:?} vs {exp:?}");
}

#[test]
fn fleet_model() {
    // Twice the capacity offered: the queue fills and the server answers 503.
    let t = run(&FleetParams { rate_rps: 2_000, attempts_max: 1, timeout_ms: 300, ..quiet() });
    assert!(t.rejected_overload > 0 && t.rejected_outage == 0, "{t:?}");
    // The server admits no more than its capacity for the run plus its queue.
    assert!(t.server_calls - t.rejected_overload <= 20 * 1_000 + 500 + 1, "{t:?}");
    // The queue is longer than the timeout: the server serves calls no one waits for.
    assert!(t.wasted > 0 && t.timeouts > 0, "{t:?}");
    let outage = run(&FleetParams { outage_from_s: 5, outage_to_s: 10, ..quiet() });
    assert!(outage.rejected_outage > 0 && outage.rejected_overload == 0, "{outage:?}");
}

#[test]
fn retry_table() {
    let status = |code| AttemptResult::Status { code, retry_after_ms: None };
    for row in &RETRY_TABLE {
        assert!(!row.source.is_empty(), "{}", row.what);
    }
    for code in [408, 409, 429, 500, 502, 503, 504] {
        assert!(retryable(status(code), false), "{code}");
    }
    for code in [400, 404, 422, 501, 505] {
        assert!(!retryable(status(code), true), "{code}");
    }
    // The fleet engine follows it: 400s are never retried, 500s are.
    let t = run(&FleetParams { client_error_rate: 0.2, error_rate: 0.2, ..quiet() });
    assert!(t.gave_up_not_retryable > 0 && t.retries > 0, "{t:?}");
    // A careful client without a key does not retry a timeout...
    let slow = FleetParams { rate_rps: 2_000, attempts_max: 3, timeout_ms: 300, ..quiet() };
    let careful = fleet::run(&FleetParams { request: RequestKind::UnkeyedCareful, ..slow.clone() }).unwrap();
    let retried_after_timeout = careful.trace.records().windows(2).any(|w| {
        matches!((&w[0].record, &w[1].record),
            (FleetRecord::Answered { req: a, code: 0, .. }, FleetRecord::RetryScheduled { req: b, .. }) if a == b)
    });
    assert!(careful.totals.timeouts > 0 && !retried_after_timeout, "{:?}", careful.totals);
    // ...and one with a key does.
    let keyed = run(&FleetParams { request: RequestKind::Keyed, ..slow });
    assert!(keyed.retries > careful.totals.retries, "{keyed:?}");
}

#[test]
fn idempotency() {
    let cap = preset("cap");
    let keyed = run(&FleetParams { request: RequestKind::Keyed, ..cap.clone() });
    let unkeyed = run(&FleetParams { request: RequestKind::UnkeyedRetried, ..cap.clone() });
    let careful = run(&FleetParams { request: RequestKind::UnkeyedCareful, ..cap });
    // The same calls are served twice; only without a key is the work done twice.
    assert!(keyed.replayed > 0 && keyed.duplicates == 0, "{keyed:?}");
    assert_eq!(unkeyed.duplicates, keyed.replayed);
    assert_eq!(unkeyed.replayed, 0);
    assert!(careful.duplicates == 0 && careful.replayed == 0, "{careful:?}");
}

#[test]
fn layers() {
    // Every call fails with 500, so every layer spends all its retries.
    let p = FleetParams {
        error_rate: 1.0,
        timeout_ms: 0,
        rate_rps: 20,
        capacity_rps: 100_000,
        queue_max: 100_000,
        layer_retries: 3,
        ..quiet()
    };
    // The SRE book's 4^3 = 64 with the client as one of three layers.
    let client_and_two = run(&FleetParams { attempts_max: 4, layers: 2, ..p.clone() });
    let three_layers = run(&FleetParams { attempts_max: 1, layers: 3, ..p });
    for t in [client_and_two, three_layers] {
        let finished = t.requests - t.unfinished;
        assert!(finished > 0);
        assert!(t.server_calls >= 64 * finished && t.server_calls <= 64 * t.requests, "{t:?}");
    }
}

/// The `budget` preset's budget over a fleet of `clients` at the same total rate.
fn budget_with(clients: u32, scope: BudgetScope) -> fleet::FleetTotals {
    run(&FleetParams { clients, budget_scope: scope, ..preset("budget") })
}

#[test]
fn budget_per_client() {
    let per_client: Vec<u64> =
        [10, 1_000, 10_000].map(|n| budget_with(n, BudgetScope::PerClient).budget_refusals).into();
    assert!(per_client[0] < per_client[1] && per_client[1] < per_client[2], "{per_client:?}");
    // One shared budget does not care how the requests are spread.
    let shared: Vec<u64> = [10, 1_000, 10_000].map(|n| budget_with(n, BudgetScope::Shared).budget_refusals).into();
    let (lo, hi) = (shared.iter().min().unwrap(), shared.iter().max().unwrap());
    assert!(hi - lo <= lo / 50, "{shared:?}");
    // And the budget preset still holds the cap preset's overload.
    let budget = fleet::run(&preset("budget")).unwrap();
    assert!(budget.recovery().recovered && budget.recovery().rejected_after == 0, "{:?}", budget.recovery());
}

#[test]
fn budget_floor() {
    let herd = fleet::run(&preset("quiet-herd")).unwrap();
    let cap = fleet::run(&preset("cap")).unwrap();
    // 1,000 floors of 10 a second: the budgets refuse nothing, as if there were none.
    assert_eq!(herd.totals.budget_refusals, 0, "{:?}", herd.totals);
    assert!(!herd.recovery().recovered && herd.totals.amplification() >= cap.totals.amplification() - 0.01);
    let shared = fleet::run(&FleetParams { budget_scope: BudgetScope::Shared, ..preset("quiet-herd") }).unwrap();
    assert!(shared.totals.budget_refusals > 0 && shared.recovery().recovered, "{:?}", shared.totals);
    // The budgets together allow the sum of their floors: 1,000 × 10 × 10 s.
    assert!(herd.buckets.budget_tokens[0] >= 99_000, "{:?}", &herd.buckets.budget_tokens[..3]);
}

#[test]
fn grpc_throttle() {
    // Every call fails, so no success refills a client's tokens: from 10, a
    // client may retry after its first 4 failures only (10 - 4 = 6 > 5).
    let p = FleetParams {
        clients: 50,
        error_rate: 1.0,
        attempts_max: 10,
        timeout_ms: 0,
        grpc_max_tokens: 10,
        strategy: Strategy::Immediate,
        ..quiet()
    };
    let t = run(&p);
    assert_eq!(t.retries, 4 * 50, "one count per client: {t:?}");
    assert!(t.grpc_refusals > 0);
    // Successes refill the tokens: the same fleet with successes retries more.
    let some_ok = run(&FleetParams { error_rate: 0.5, ..p.clone() });
    assert!(some_ok.retries > 4 * 50, "{some_ok:?}");
    // A 200 served after its client timed out gives no token back: the
    // client saw a timeout, which costs one.
    let late = run(&FleetParams {
        clients: 20,
        error_rate: 0.0,
        rate_rps: 200,
        capacity_rps: 100,
        queue_max: 100_000,
        timeout_ms: 50,
        ..p
    });
    assert!(late.wasted > 1_000 && late.grpc_refusals > 1_000 && late.retries <= 5 * 20, "{late:?}");
}

#[test]
fn adaptive_accepts() {
    let adaptive = preset("adaptive");
    // The timeout case both ways. Without a timeout, or with one longer than
    // the queue, every served call is an answer the client receives: the
    // throttle sees accepts and rejects next to nothing.
    for timeout_ms in [0, 5_000] {
        let t = run(&FleetParams { timeout_ms, ..adaptive.clone() });
        assert_eq!(t.wasted, 0, "{t:?}");
        assert!(t.adaptive_first_tries + t.adaptive_retries < 200, "timeout {timeout_ms}: {t:?}");
    }
    // With the preset's 500 ms timeout, the calls the deep queue serves after
    // their clients stopped waiting are not accepts, so it rejects thousands.
    let t = run(&adaptive);
    assert!(t.wasted > 10_000, "{t:?}");
    assert!(t.adaptive_first_tries + t.adaptive_retries > 10_000, "{t:?}");
}

#[test]
fn local_refusals() {
    for slug in ["budget", "grpc-throttle", "adaptive"] {
        let r = fleet::run(&preset(slug)).unwrap();
        let t = &r.totals;
        let local = t.budget_refusals + t.grpc_refusals + t.adaptive_first_tries + t.adaptive_retries;
        assert!(local > 0, "{slug}");
        assert_eq!(
            t.failures,
            local + t.gave_up_attempt_cap + t.gave_up_not_retryable + t.gave_up_no_retry,
            "{slug}: {t:?}"
        );
        // Budget and gRPC refusals are retries: the request had an attempt first.
        for rec in r.trace.records() {
            if let FleetRecord::GaveUp { why: GiveUp::BudgetRefused | GiveUp::GrpcThrottled, req } = rec.record {
                assert!(r
                    .trace
                    .records()
                    .iter()
                    .any(|x| x.record == FleetRecord::AtServer { req, attempt: 1, call: 0 }));
            }
        }
    }
    // The adaptive preset rejects first tries too, and more of them than retries.
    let t = run(&preset("adaptive"));
    assert!(t.adaptive_first_tries > t.adaptive_retries && t.adaptive_retries > 0, "{t:?}");
}

#[test]
fn retry_after() {
    // delay-seconds is whole seconds: 1500 ms is refused with the RFC's reason.
    let mut p = RetriesParams::defaults();
    p.fleet.retry_after_ms = 1_500;
    let err = knob::validate(&p).unwrap_err().to_string();
    assert!(err.contains("whole seconds"), "{err}");
    // An honouring client waits at least the Retry-After of an overload 503.
    let full = FleetParams { rate_rps: 1_500, queue_max: 5, retry_after_ms: 2_000, ..quiet() };
    let r = fleet::run(&full).unwrap();
    let recs = r.trace.records();
    let mut seen = 0;
    for w in recs.windows(2) {
        if let (FleetRecord::Answered { req: a, code: 503, .. }, FleetRecord::RetryScheduled { req: b, wait_us, .. }) =
            (&w[0].record, &w[1].record)
        {
            assert!(a == b && *wait_us >= 2_000_000, "{w:?}");
            seen += 1;
        }
    }
    assert!(seen > 0);
    // As an HTTP-date it waits until the whole second after now + delay.
    let date = fleet::run(&FleetParams { retry_after_date: true, ..full }).unwrap();
    let mut seen = 0;
    for w in date.trace.records().windows(2) {
        if let (FleetRecord::Answered { code: 503, .. }, FleetRecord::RetryScheduled { wait_us, .. }) =
            (&w[0].record, &w[1].record)
        {
            // Whole milliseconds: the retry starts within a millisecond of the second.
            let at = w[1].at.0 + wait_us;
            assert!(at % 1_000_000 < 1_000 && *wait_us >= 2_000_000 && *wait_us <= 3_000_000, "{w:?}");
            seen += 1;
        }
    }
    assert!(seen > 0);
}

#[test]
fn jitter_in_a_fleet() {
    let (full, exp) = (fleet::run(&preset("outage")).unwrap(), fleet::run(&preset("herd")).unwrap());
    assert!(full.recovery().peak_ratio < exp.recovery().peak_ratio);
    assert!(full.totals.amplification() >= exp.totals.amplification() - 0.01);
}
