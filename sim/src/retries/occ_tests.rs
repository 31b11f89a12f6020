//! Tests of the AWS study's contention workload (`occ.rs`).

use super::*;

fn at(clients: u32, runs: u32, strategy: Strategy, seed: u64) -> OccResult {
    run(&OccParams { clients, runs, strategy, seed, ..Default::default() }).unwrap()
}

#[test]
fn one_client_writes_once_after_four_hops() {
    let r = at(1, 20, Strategy::Exponential, 3);
    assert!(r.calls.iter().all(|&c| c == 1));
    // Four hops of about 10 ms each.
    assert!((r.time_ms_mean() - 40.0).abs() < 3.0, "{}", r.time_ms_mean());
}

#[test]
fn every_client_finishes_so_calls_are_at_least_clients() {
    for s in STUDY_STRATEGIES {
        let r = at(30, 10, s, 9);
        assert!(r.calls.iter().all(|&c| c >= 30), "{s:?} {:?}", r.calls);
    }
}

#[test]
fn the_same_seed_gives_the_same_runs() {
    assert_eq!(at(50, 5, Strategy::Decorrelated, 7), at(50, 5, Strategy::Decorrelated, 7));
    assert_ne!(at(50, 5, Strategy::Decorrelated, 7).calls, at(50, 5, Strategy::Decorrelated, 8).calls);
}

#[test]
fn bad_knobs_are_refused_with_a_reason() {
    let p = OccParams { clients: 0, ..Default::default() };
    assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "clients", .. })));
    let p = OccParams { cap_ms: 1, base_ms: 5, ..Default::default() };
    assert!(matches!(run(&p), Err(SimError::InvalidParameter { name: "cap_ms", .. })));
}

/// The study's findings, checked over many runs: these are the orderings the
/// lab claims on screen.
mod study_findings {
    use super::*;

    fn point(clients: u32, seed: u64) -> Vec<OccResult> {
        STUDY_STRATEGIES
            .iter()
            .map(|&strategy| run(&OccParams { clients, runs: 100, strategy, seed, ..Default::default() }).unwrap())
            .collect()
    }

    #[test]
    fn the_study_orderings_hold_over_many_runs() {
        for (clients, seed) in [(50, 1), (100, 2), (100, 77), (150, 3)] {
            let r = point(clients, seed);
            let (none, expo, full, equal, decorr) = (&r[0], &r[1], &r[2], &r[3], &r[4]);
            let ctx = format!("clients {clients} seed {seed}");
            // Exponential without jitter is the worst backoff on work and on time.
            for other in [full, equal, decorr] {
                assert!(expo.calls_mean() > other.calls_mean(), "{ctx}: calls {:?}", other.strategy);
                assert!(expo.time_ms_mean() > other.time_ms_mean(), "{ctx}: time {:?}", other.strategy);
            }
            assert!(expo.time_ms_mean() > none.time_ms_mean(), "{ctx}");
            // Full and equal jitter do about the same work; decorrelated does more.
            let (f, e, d) = (full.calls_mean(), equal.calls_mean(), decorr.calls_mean());
            assert!((f - e).abs() < 0.1 * f, "{ctx}: full {f} equal {e}");
            assert!(d > 1.05 * f.max(e), "{ctx}: decorrelated {d} full {f} equal {e}");
            // Equal jitter takes longer than full jitter.
            assert!(equal.time_ms_mean() > full.time_ms_mean(), "{ctx}");
            // No backoff at all does the most work.
            assert!(none.calls_mean() > expo.calls_mean(), "{ctx}");
        }
    }

    #[test]
    fn at_one_hundred_clients_full_jitter_less_than_halves_exponential_calls() {
        for seed in [1, 2, 3] {
            let r = point(100, seed);
            let (expo, full) = (r[1].calls_mean(), r[2].calls_mean());
            assert!(full < 0.5 * expo, "seed {seed}: full {full}, exponential {expo}");
        }
    }

    #[test]
    fn no_strategy_removes_the_quadratic_growth() {
        // Doubling the clients more than doubles the work, for every strategy.
        let small = point(50, 5);
        let big = point(100, 5);
        for (s, b) in small.iter().zip(&big) {
            assert!(
                b.calls_mean() > 2.2 * s.calls_mean(),
                "{:?}: {} then {}",
                s.strategy,
                s.calls_mean(),
                b.calls_mean()
            );
        }
    }
}
