//! Tests of the Keys engine: determinism, the correct setup's invariant over
//! random seeds and knobs, and every buggy preset's failure.

use super::*;
use crate::backoff::Strategy as Backoffs;
use crate::lab::Lab;
use proptest::prelude::{any, prop_assert, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig};
use proptest::strategy::Strategy as _;

/// The schema's largest value of the knob `key`.
fn max_of(key: &str) -> u32 {
    use crate::knob::Params as _;
    KeysParams::knob(key).map_or(0, |k| k.kind.bounds().1 as u32)
}

fn run_ok(p: &KeysParams) -> KeysRun {
    match run(p) {
        Ok(r) => r,
        Err(e) => panic!("run failed for {p:?}: {e}"),
    }
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for preset in PRESETS.iter() {
        let p = KeysParams { ops: 100, ..KeysLab::preset_params(preset) };
        assert_eq!(run_ok(&p).trace.stable_hash(), run_ok(&p).trace.stable_hash(), "{}", preset.slug);
    }
}

#[test]
fn a_perfect_network_charges_each_operation_once_without_retries() {
    let p = KeysParams { ops: 50, ..presets::params_of("slow-409") };
    let p = KeysParams { processing_ms: 10, timeout_ms: 200, ..p };
    let c = run_ok(&p).counters;
    assert_eq!((c.attempts, c.charges, c.replays, c.conflicts_409), (50, 50, 0, 0), "{c:?}");
}

#[test]
fn the_fingerprint_hashes_method_path_and_canonical_body() {
    let a = fingerprint(METHOD, PATH, &canonical_body(0));
    assert_eq!(a, fingerprint("POST", "/v1/charges", &canonical_body(0)));
    assert_ne!(a, fingerprint(METHOD, PATH, &canonical_body(1)));
    assert_ne!(a, fingerprint("PUT", PATH, &canonical_body(0)));
    assert_ne!(a, fingerprint(METHOD, "/v1/refunds", &canonical_body(0)));
    // Two operations that share a key differ in amount, so their bodies differ.
    assert_ne!(body_of(0).1, body_of(1).1);
}

#[test]
fn a_missing_key_where_one_is_required_gets_400_and_charges_nothing() {
    let p = KeysParams { ops: 10, policy: ClientPolicy::NoKey, require_key: true, ..presets::params_of("no-key") };
    let c = run_ok(&p).counters;
    assert_eq!(c.missing_key_400, c.attempts);
    assert_eq!(c.charges, 0);
    assert_eq!(c.failed_visibly, 10);
    assert_eq!(c.silent_losses, 0);
}

#[test]
fn a_reused_key_with_the_fingerprint_gets_422_and_no_silent_loss() {
    let p = KeysParams { ops: 40, fingerprint: true, ..presets::params_of("reused-key") };
    let c = run_ok(&p).counters;
    assert_eq!(c.mismatches_422, 20, "{c:?}");
    assert_eq!(c.silent_losses, 0);
    assert_eq!(c.failed_visibly, 20);
    assert_eq!(c.double_charges, 0);
}

#[test]
fn releasing_the_key_after_a_5xx_completes_what_replaying_the_500_fails() {
    let stored = run_ok(&KeysParams { ops: 300, ..presets::params_of("replay-5xx") }).counters;
    let released =
        run_ok(&KeysParams { ops: 300, on_5xx: On5xx::ReleaseKey, ..presets::params_of("replay-5xx") }).counters;
    assert!(stored.replayed_5xx > 0 && stored.failed_visibly > 0, "{stored:?}");
    assert_eq!(released.replayed_5xx, 0);
    assert!(released.charges > stored.charges, "{released:?} vs {stored:?}");
    for c in [&stored, &released] {
        assert_eq!(c.double_charges, 0);
        assert_eq!(c.silent_losses, 0);
    }
}

#[test]
fn a_durable_store_resumes_from_charge_created_instead_of_charging_again() {
    let p = KeysParams { ops: 200, store: Durability::Durable, ..presets::params_of("volatile-crash") };
    let c = run_ok(&p).counters;
    assert!(c.crashes > 0 && c.charges_skipped > 0, "{c:?}");
    assert_eq!(c.double_charges, 0);
    assert_eq!(c.keys_lost, 0);
}

#[test]
fn bad_knobs_are_refused_with_a_reason() {
    let cases = [
        KeysParams { ops: 0, ..Default::default() },
        KeysParams { ops: max_of("ops") + 1, ..Default::default() },
        KeysParams { attempts_max: 0, ..Default::default() },
        KeysParams { response_loss: f64::NAN, ..Default::default() },
        KeysParams { request_loss: 1.5, ..Default::default() },
        KeysParams { backoff_cap_ms: 1, backoff_base_ms: 50, ..Default::default() },
        KeysParams { timeout_ms: 0, ..Default::default() },
    ];
    for p in cases {
        assert!(matches!(run(&p), Err(SimError::InvalidParameter { .. })), "{p:?}");
    }
}

#[test]
fn the_largest_run_stays_within_its_limits() {
    // Worst case for the event budget: the most operations, the most
    // attempts, every attempt failing.
    let p = KeysParams { ops: max_of("ops"), attempts_max: max_of("att"), request_loss: 1.0, ..Default::default() };
    let c = run_ok(&p).counters;
    assert_eq!(c.attempts, max_of("ops") * max_of("att"));
    assert_eq!(c.charges, 0);
}

#[test]
fn every_preset_shows_its_point_in_its_own_step_through() {
    for preset in PRESETS.iter() {
        let params = KeysLab::preset_params(preset);
        let p = KeysParams { ops: presets::step_ops(params.policy), ..params };
        let c = run_ok(&p).counters;
        assert!(
            presets::shows_its_point(preset.slug, &c),
            "preset {} at seed {} does not show its point: {c:?}",
            preset.slug,
            p.seed
        );
    }
}

#[test]
fn every_buggy_preset_shows_its_failure_within_ten_seeds_of_ten_operations() {
    for preset in PRESETS.iter().filter(|p| p.buggy) {
        let seed = (0..10u64).find(|&seed| {
            let p = KeysParams { ops: 10, seed, ..KeysLab::preset_params(preset) };
            presets::shows_its_point(preset.slug, &run_ok(&p).counters)
        });
        assert!(seed.is_some(), "preset {} never showed its failure", preset.slug);
    }
}

#[test]
fn every_preset_shows_its_point_in_its_default_batch() {
    for preset in PRESETS.iter() {
        let c = run_ok(&KeysLab::preset_params(preset)).counters;
        assert!(presets::shows_its_point(preset.slug, &c), "preset {}: {c:?}", preset.slug);
    }
}

#[test]
fn the_correct_setup_charges_every_intended_operation_once_across_seeds() {
    for seed in 0..100u64 {
        let p = KeysParams { ops: 50, seed, ..presets::params_of("correct") };
        let c = run_ok(&p).counters;
        assert_eq!(c.charges, c.intended, "seed {seed}: {c:?}");
        assert_eq!(c.believed_charged, c.intended, "seed {seed}: {c:?}");
        assert_eq!((c.double_charges, c.silent_losses), (0, 0), "seed {seed}");
    }
    // The lab's own batch size, at the preset's seed and a few others.
    for seed in [presets::params_of("correct").seed, 1, 2, 3] {
        let c = run_ok(&KeysParams { ops: 1_000, seed, ..presets::params_of("correct") }).counters;
        assert_eq!((c.charges, c.double_charges, c.silent_losses), (1_000, 0, 0), "seed {seed}: {c:?}");
    }
}

#[test]
fn every_step_has_a_sentence_and_the_ledger_agrees_with_the_counters() {
    for preset in PRESETS.iter() {
        let r = run_ok(&KeysParams { ops: 20, ..KeysLab::preset_params(preset) });
        let steps = view::steps(&r);
        assert_eq!(steps.len(), r.trace.len());
        assert!(steps.iter().all(|s| !s.line.is_empty()));
        // Every record but the client's final belief (which the ledger shows) draws something.
        for (s, r) in steps.iter().zip(r.trace.records()) {
            assert!(!s.items.is_empty() || matches!(r.record, KeysRecord::OpFinished { .. }), "{:?}", r.record);
        }
        let (client, provider) = view::ledger(&r);
        assert_eq!(provider.len() as u32, r.counters.charges);
        assert_eq!(client.len() as u32, r.counters.intended);
    }
}

fn correct_setup() -> impl proptest::strategy::Strategy<Value = KeysParams> {
    (
        any::<u64>(),
        (0u32..=40, 0u32..=40, 0u32..=20, 0u32..=20, 0u32..=20),
        (10u32..=300, 20u32..=400),
        prop_oneof![Just(0u32), Just(60_000u32)],
        any::<bool>(),
        prop_oneof![
            Just(Backoffs::FullJitter),
            Just(Backoffs::EqualJitter),
            Just(Backoffs::Decorrelated),
            Just(Backoffs::Exponential)
        ],
    )
        .prop_map(|(seed, (rq, rs, cb, ca, pe), (proc_ms, timeout_ms), ttl, release, backoff)| KeysParams {
            ops: 30,
            policy: ClientPolicy::KeyPerOperation,
            fingerprint: true,
            require_key: true,
            on_5xx: if release { On5xx::ReleaseKey } else { On5xx::StoreAndReplay },
            store: Durability::Durable,
            request_loss: f64::from(rq) / 100.0,
            response_loss: f64::from(rs) / 100.0,
            crash_before_charge: f64::from(cb) / 100.0,
            crash_after_charge: f64::from(ca) / 100.0,
            provider_error: f64::from(pe) / 100.0,
            processing_ms: proc_ms,
            timeout_ms,
            key_ttl_ms: ttl,
            attempts_max: 20,
            backoff,
            backoff_base_ms: 20,
            backoff_cap_ms: 1_000,
            seed,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn with_one_key_per_operation_a_fingerprint_and_a_durable_store_nothing_is_charged_twice_or_silently_lost(
        p in correct_setup()
    ) {
        let r = run_ok(&p);
        let c = &r.counters;
        prop_assert_eq!(c.double_charges, 0, "seed {}: {:?}", p.seed, c);
        prop_assert_eq!(c.silent_losses, 0, "seed {}: {:?}", p.seed, c);
        for o in &r.ops {
            prop_assert!(o.charges <= 1);
            match o.belief {
                Some(Belief::Charged { for_op, .. }) => {
                    prop_assert_eq!(o.charges, 1);
                    prop_assert_eq!(for_op, o.op);
                }
                Some(Belief::Rejected { .. }) | Some(Belief::GaveUp { .. }) => {}
                None => prop_assert!(false, "operation {} never finished", o.op),
            }
        }
        // Charges equal intended operations unless the client ran out of
        // attempts, or Stripe's choice replayed a 500 (both visible to it).
        prop_assert_eq!(c.charges + c.failed_visibly - c.gave_up_but_charged, c.intended, "{:?}", c);
        if p.on_5xx == On5xx::ReleaseKey && c.failed_visibly == 0 {
            prop_assert_eq!(c.charges, c.intended);
        }
    }

    #[test]
    fn any_knobs_finish_within_the_limits_and_keep_the_books_consistent(
        seed in any::<u64>(), policy in 0usize..4, fp in any::<bool>(), volatile in any::<bool>(),
        rq in 0u32..=100, rs in 0u32..=100, cb in 0u32..=100, ca in 0u32..=100, pe in 0u32..=100,
        ttl in 0u32..=1_000, attempts in 1u32..=20,
    ) {
        let p = KeysParams {
            ops: 20,
            policy: ClientPolicy::ALL[policy],
            fingerprint: fp,
            store: if volatile { Durability::Volatile } else { Durability::Durable },
            request_loss: f64::from(rq) / 100.0,
            response_loss: f64::from(rs) / 100.0,
            crash_before_charge: f64::from(cb) / 100.0,
            crash_after_charge: f64::from(ca) / 100.0,
            provider_error: f64::from(pe) / 100.0,
            key_ttl_ms: ttl,
            attempts_max: attempts,
            seed,
            ..Default::default()
        };
        let r = run_ok(&p);
        let c = &r.counters;
        prop_assert!(r.ops.iter().all(|o| o.belief.is_some()));
        prop_assert_eq!(c.believed_charged + c.failed_visibly, c.intended);
        prop_assert_eq!(r.ops.iter().map(|o| o.charges).sum::<u32>(), c.charges);
        prop_assert!(c.attempts <= c.intended * attempts);
    }
}
