//! The fleet engine's own tests.

use super::latency::{lat_bin, lat_bin_upper_ms, LAT_BINS};
use super::outcome::retry_after_ms_at;
use super::*;
use crate::error::SimError;

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
    assert!(t.gave_up_not_retryable <= t.errors_4xx && t.gave_up_not_retryable + t.unfinished >= t.errors_4xx, "{t:?}");
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
    // Few clients, so each budget sees many requests in its window.
    let p = FleetParams { clients: 10, error_rate: 0.5, attempts_max: 5, budget_pct: 10, ..quiet() };
    let t = run(&p).unwrap().totals;
    assert!(t.budget_refusals > 0, "{t:?}");
    // 10 % of requests (a window's deposits may still pay for retries in
    // the next window, hence a little over 10 % per client).
    assert!(t.retries <= t.requests / 10 + t.requests / 50, "{t:?}");
    assert!(t.retries >= t.requests / 10 - t.requests / 50, "{t:?}");
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

#[test]
fn a_retry_after_date_waits_until_the_whole_second_it_names() {
    let secs = FleetParams { retry_after_ms: 2_000, ..Default::default() };
    assert_eq!(retry_after_ms_at(&secs, 1_300_000), 2_000);
    let date = FleetParams { retry_after_date: true, ..secs };
    // Answered at 1.3 s with Retry-After 2 s: the date says 4 s (3.3 s rounded up), 2.7 s away.
    assert_eq!(retry_after_ms_at(&date, 1_300_000), 2_700);
    // Two clients turned away in the same second retry at the same instant.
    assert_eq!(1_300 + retry_after_ms_at(&date, 1_300_000), 1_900 + retry_after_ms_at(&date, 1_900_000));
    assert_eq!(retry_after_ms_at(&date, 3_000_000), 2_000);
}
