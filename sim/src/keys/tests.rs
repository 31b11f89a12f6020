//! Tests of the Keys engine: determinism, the correct setup's invariant over
//! random seeds and knobs, and every buggy preset's failure.

use super::*;
use crate::backoff::Strategy as Backoffs;
use crate::error::SimError;
use crate::keys::view;
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
    let body = |op: u32| canonical_body(body_of(op).0, body_of(op).1);
    let a = fingerprint(METHOD, PATH, &body(0));
    assert_eq!(a, fingerprint("POST", "/v1/charges", &body(0)));
    assert_ne!(a, fingerprint(METHOD, PATH, &body(1)));
    assert_ne!(a, fingerprint("PUT", PATH, &body(0)));
    assert_ne!(a, fingerprint(METHOD, "/v1/refunds", &body(0)));
    // Two operations that share a key differ in amount, so their bodies differ;
    // two with the same customer and amount give the same bytes.
    assert_ne!(body_of(0).1, body_of(1).1);
    assert_eq!(canonical_body(3, 1_000), canonical_body(3, 1_000));
}

#[test]
fn a_missing_key_where_one_is_required_gets_400_and_charges_nothing() {
    let p = KeysParams { ops: 10, policy: ClientPolicy::NoKey, require_key: true, ..presets::params_of("no-key") };
    let c = run_ok(&p).counters;
    assert_eq!(c.missing_key_400, c.attempts);
    assert_eq!(c.charges, 0);
    assert_eq!((c.rejected, c.gave_up), (10, 0));
    assert_eq!(c.silent_losses, 0);
}

#[test]
fn a_reused_key_with_the_fingerprint_gets_422_and_no_silent_loss() {
    let p = KeysParams { ops: 40, fingerprint: true, ..presets::params_of("reused-key") };
    let c = run_ok(&p).counters;
    assert_eq!(c.mismatches_422, 20, "{c:?}");
    assert_eq!(c.silent_losses, 0);
    assert_eq!(c.rejected, 20);
    assert_eq!(c.double_charges, 0);
}

#[test]
fn releasing_the_key_after_a_5xx_completes_what_replaying_the_500_fails() {
    let stored = run_ok(&KeysParams { ops: 300, ..presets::params_of("replay-5xx") }).counters;
    let released =
        run_ok(&KeysParams { ops: 300, on_5xx: On5xx::ReleaseKey, ..presets::params_of("replay-5xx") }).counters;
    assert!(stored.replayed_5xx > 0 && stored.gave_up > 0, "{stored:?}");
    assert_eq!(released.replayed_5xx, 0);
    assert!(released.charges > stored.charges, "{released:?} vs {stored:?}");
    for c in [&stored, &released] {
        assert_eq!(c.double_charges, 0);
        assert_eq!(c.silent_losses, 0);
    }
}

#[test]
fn a_crash_in_the_window_double_charges_without_provider_keys_and_is_replayed_with_them() {
    let without = run_ok(&KeysParams { ops: 200, ..presets::params_of("crash-window") }).counters;
    let with = run_ok(&KeysParams { ops: 200, ..presets::params_of("crash-window-pk") }).counters;
    assert!(without.crashes_in_window > 0 && without.double_charges > 0, "{without:?}");
    assert!(with.crashes_in_window > 0 && with.provider_replays > 0, "{with:?}");
    assert_eq!((with.double_charges, with.keys_wiped), (0, 0), "{with:?}");
}

#[test]
fn a_request_resumed_from_charge_created_does_not_call_the_provider_again() {
    // Another request's crash can strike after charge_created is recorded and
    // before the response is stored; the retry then skips the charge.
    let found = (0..40u64).find_map(|seed| {
        let p = KeysParams { ops: 100, seed, crash_before_charge: 0.1, ..presets::params_of("crash-window") };
        let c = run_ok(&p).counters;
        (c.charges_skipped > 0).then_some(c)
    });
    let c = found.expect("some seed resumes from charge_created");
    assert!(c.charges_skipped > 0, "{c:?}");
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
fn each_fix_is_a_preset_whose_step_through_charges_every_operation_once() {
    for preset in PRESETS.iter() {
        let Some(fix) = presets::fix_of(preset.slug) else {
            continue;
        };
        assert!(preset.buggy, "{} is no bug, yet names a fix", preset.slug);
        let fixed = KeysLab::preset(fix).unwrap_or_else(|| panic!("{}: no preset {fix}", preset.slug));
        assert!(!fixed.buggy, "{}: the fix {fix} is itself a bug", preset.slug);
        let params = KeysLab::preset_params(fixed);
        let c = run_ok(&KeysParams { ops: presets::step_ops(params.policy), ..params }).counters;
        assert_eq!((c.double_charges, c.silent_losses, c.charges), (0, 0, c.intended), "{fix}: {c:?}");
    }
    // Every preset that double-charges has a fix a newcomer can step to.
    for preset in PRESETS.iter().filter(|p| p.key_counter == "double_charges" && p.slug != "provider-timeout") {
        assert!(presets::fix_of(preset.slug).is_some(), "{} has no fix", preset.slug);
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

/// Every fault as whole percents: request loss, response loss, crash before
/// the call, crash in the window, provider error, provider timeout.
fn faults() -> impl proptest::strategy::Strategy<Value = [u32; 6]> {
    (0u32..=40, 0u32..=40, 0u32..=20, 0u32..=20, 0u32..=20, 0u32..=20).prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f])
}

fn with_faults(p: KeysParams, f: [u32; 6]) -> KeysParams {
    let pct = |x: u32| f64::from(x) / 100.0;
    KeysParams {
        request_loss: pct(f[0]),
        response_loss: pct(f[1]),
        crash_before_charge: pct(f[2]),
        crash_after_charge: pct(f[3]),
        provider_error: pct(f[4]),
        provider_timeout: pct(f[5]),
        ..p
    }
}

fn backoffs() -> impl proptest::strategy::Strategy<Value = Backoffs> {
    prop_oneof![
        Just(Backoffs::FullJitter),
        Just(Backoffs::EqualJitter),
        Just(Backoffs::Decorrelated),
        Just(Backoffs::Exponential)
    ]
}

/// The correct setup (one key per operation, fingerprint, durable store,
/// provider keys, a TTL beyond the retries) under every fault, either 5xx
/// choice, any lock recovery and identical payloads.
fn correct_setup() -> impl proptest::strategy::Strategy<Value = KeysParams> {
    (
        any::<u64>(),
        faults(),
        (10u32..=300, 20u32..=400),
        (prop_oneof![Just(0u32), Just(60_000u32)], prop_oneof![Just(0u32), 50u32..=400]),
        (any::<bool>(), 0u32..=100),
        backoffs(),
    )
        .prop_map(|(seed, f, (proc_ms, timeout_ms), (ttl, lock), (release, same), backoff)| {
            let p = KeysParams {
                ops: 30,
                policy: ClientPolicy::KeyPerOperation,
                fingerprint: true,
                require_key: true,
                provider_keys: true,
                on_5xx: if release { On5xx::ReleaseKey } else { On5xx::StoreAndReplay },
                store: Durability::Durable,
                processing_ms: proc_ms,
                timeout_ms,
                key_ttl_ms: ttl,
                lock_timeout_ms: lock,
                same_payload: f64::from(same) / 100.0,
                attempts_max: 20,
                backoff,
                backoff_base_ms: 20,
                backoff_cap_ms: 1_000,
                seed,
                ..KeysParams::default()
            };
            with_faults(p, f)
        })
}

/// Every knob the lesson turns, including TTLs short enough to prune during
/// an operation and lock timeouts shorter than the processing time.
fn any_setup() -> impl proptest::strategy::Strategy<Value = KeysParams> {
    (
        (any::<u64>(), 0usize..4, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        faults(),
        (prop_oneof![Just(0u32), 50u32..=400, Just(60_000u32)], prop_oneof![Just(0u32), 50u32..=400]),
        (0u32..=100, 1u32..=20, 10u32..=300, 20u32..=400),
    )
        .prop_map(|((seed, policy, fp, volatile, pk, release), f, (ttl, lock), (same, attempts, proc_ms, tmo))| {
            let p = KeysParams {
                ops: 20,
                policy: ClientPolicy::ALL[policy],
                fingerprint: fp,
                store: if volatile { Durability::Volatile } else { Durability::Durable },
                provider_keys: pk,
                on_5xx: if release { On5xx::ReleaseKey } else { On5xx::StoreAndReplay },
                key_ttl_ms: ttl,
                lock_timeout_ms: lock,
                same_payload: f64::from(same) / 100.0,
                attempts_max: attempts,
                processing_ms: proc_ms,
                timeout_ms: tmo,
                seed,
                ..KeysParams::default()
            };
            with_faults(p, f)
        })
}

/// The operations a crash struck in the window, and those whose timed-out
/// provider call did charge.
fn struck(r: &KeysRun) -> Vec<u32> {
    let mut ops: Vec<u32> = r
        .trace
        .records()
        .iter()
        .filter_map(|x| match x.record {
            KeysRecord::Crashed { op, phase: CrashPhase::AfterCharge, .. } => Some(op),
            KeysRecord::ProviderTimedOut { op, charged: true, .. } => Some(op),
            _ => None,
        })
        .collect();
    ops.dedup();
    ops
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_correct_setup_charges_each_operation_once_or_the_client_gave_up_and_the_counters_say_so(
        p in correct_setup()
    ) {
        let r = run_ok(&p);
        let c = &r.counters;
        prop_assert_eq!((c.double_charges, c.silent_losses, c.rejected, c.rejected_but_charged), (0, 0, 0, 0), "{:?}", c);
        let mut gave_up_charged = 0;
        for o in &r.ops {
            prop_assert!(o.charges <= 1, "op {} charged {} times: {:?}", o.op, o.charges, p);
            match o.belief {
                Some(Belief::Charged { for_op, .. }) => {
                    prop_assert_eq!(o.charges, 1);
                    prop_assert_eq!(for_op, o.op);
                }
                Some(Belief::GaveUp { .. }) => gave_up_charged += o.charges,
                Some(Belief::Rejected { status }) => prop_assert!(false, "op {} rejected with {}", o.op, status),
                None => prop_assert!(false, "operation {} never finished", o.op),
            }
        }
        prop_assert_eq!(c.believed_charged + c.gave_up, c.intended);
        prop_assert_eq!(c.gave_up_but_charged, gave_up_charged);
        if p.on_5xx == On5xx::ReleaseKey && c.gave_up == 0 {
            prop_assert_eq!(c.charges, c.intended);
        }
    }

    #[test]
    fn any_knobs_finish_within_the_limits_and_the_counters_match_each_operation(p in any_setup()) {
        let r = run_ok(&p);
        let c = &r.counters;
        let count = |f: &dyn Fn(&OpOutcome) -> bool| r.ops.iter().filter(|o| f(o)).count() as u32;
        let believed = |o: &OpOutcome| matches!(o.belief, Some(Belief::Charged { .. }));
        let rejected = |o: &OpOutcome| matches!(o.belief, Some(Belief::Rejected { .. }));
        let gave_up = |o: &OpOutcome| matches!(o.belief, Some(Belief::GaveUp { .. }));
        prop_assert!(r.ops.iter().all(|o| o.belief.is_some()));
        prop_assert_eq!(c.believed_charged, count(&believed));
        prop_assert_eq!(c.silent_losses, count(&|o| believed(o) && o.charges == 0));
        prop_assert_eq!(c.rejected, count(&|o| rejected(o) && o.charges == 0));
        prop_assert_eq!(c.rejected_but_charged, count(&|o| rejected(o) && o.charges > 0));
        prop_assert_eq!(c.gave_up, count(&gave_up));
        prop_assert_eq!(c.gave_up_but_charged, count(&|o| gave_up(o) && o.charges > 0));
        prop_assert_eq!(c.believed_charged + c.rejected + c.rejected_but_charged + c.gave_up, c.intended);
        prop_assert_eq!(r.ops.iter().map(|o| o.charges).sum::<u32>(), c.charges);
        prop_assert_eq!(r.ops.iter().map(|o| o.charges.saturating_sub(1)).sum::<u32>(), c.double_charges);
        prop_assert!(c.attempts <= c.intended * p.attempts_max);
        // The ledger's provider column has one line per charge, naming its operation.
        let (_, provider) = view::ledger(&r);
        prop_assert_eq!(provider.len() as u32, c.charges);
        // Without provider keys, nothing but a stopped client escapes a second
        // charge once the window or a timed-out call that charged struck.
        if !p.provider_keys && p.store == Durability::Durable && p.lock_timeout_ms == 0 && p.policy == ClientPolicy::KeyPerOperation && p.on_5xx == On5xx::ReleaseKey && p.key_ttl_ms == 0 {
            for op in struck(&r) {
                let o = &r.ops[op as usize];
                prop_assert!(o.charges >= 2 || gave_up(o), "op {} struck in the window but {:?}", op, o);
            }
        }
        // With provider keys, one key per operation and a durable store that never prunes,
        // no operation is charged twice, whatever else goes wrong.
        if p.provider_keys && p.store == Durability::Durable && p.policy == ClientPolicy::KeyPerOperation && p.key_ttl_ms == 0 {
            prop_assert_eq!(c.double_charges, 0, "{:?}", p);
        }
    }

    #[test]
    fn a_reused_key_over_identical_payloads_is_silently_lost_even_with_the_fingerprint(
        seed in any::<u64>(), ops in 2u32..=40,
    ) {
        let p = KeysParams { ops, seed, fingerprint: true, same_payload: 1.0, ..presets::params_of("same-payload") };
        let r = run_ok(&p);
        for o in r.ops.iter().filter(|o| o.op % 2 == 1) {
            prop_assert_eq!(o.twin_of, Some(o.op - 1));
            prop_assert_eq!(o.charges, 0);
            prop_assert!(matches!(o.belief, Some(Belief::Charged { for_op, .. }) if for_op == o.op - 1), "{:?}", o);
        }
        prop_assert_eq!(r.counters.silent_losses, ops / 2);
        prop_assert_eq!(r.counters.mismatches_422, 0);
        // One key per operation cures it.
        let cured = run_ok(&KeysParams { policy: ClientPolicy::KeyPerOperation, ..p }).counters;
        prop_assert_eq!((cured.silent_losses, cured.charges), (0, ops));
    }
}

#[test]
fn a_provider_timeout_with_release_double_charges_only_without_provider_keys() {
    let without = run_ok(&KeysParams { ops: 300, ..presets::params_of("provider-timeout") }).counters;
    let with = run_ok(&KeysParams { ops: 300, provider_keys: true, ..presets::params_of("provider-timeout") }).counters;
    assert!(without.provider_timeouts > 0 && without.double_charges > 0, "{without:?}");
    assert!(with.provider_timeouts > 0 && with.provider_replays > 0, "{with:?}");
    assert_eq!(with.double_charges, 0, "{with:?}");
}

#[test]
fn a_ttl_that_prunes_during_the_retries_is_found_to_double_charge_even_with_provider_keys() {
    // A pruned record comes back with a new id, so a new provider key.
    let c = run_ok(&KeysParams { ops: 300, provider_keys: true, ..presets::params_of("short-ttl") }).counters;
    assert!(c.keys_expired > 0 && c.double_charges > 0, "{c:?}");
}

#[test]
fn a_lock_taken_over_from_a_running_request_double_charges_without_provider_keys_only() {
    let without = run_ok(&KeysParams { ops: 200, ..presets::params_of("lock-timeout") }).counters;
    let with = run_ok(&KeysParams { ops: 200, provider_keys: true, ..presets::params_of("lock-timeout") }).counters;
    assert!(without.lock_takeovers > 0 && without.double_charges > 0, "{without:?}");
    assert!(with.lock_takeovers > 0 && with.double_charges == 0, "{with:?}");
    // A lock timeout longer than the processing time: retries while the lock
    // is younger than the timeout get 409, and nothing is taken over.
    let long = run_ok(&KeysParams { ops: 200, lock_timeout_ms: 1_000, ..presets::params_of("lock-timeout") }).counters;
    assert!(long.conflicts_409 > 0 && long.lock_takeovers == 0 && long.double_charges == 0, "{long:?}");
}

#[test]
fn the_decisive_step_is_the_second_charge_in_the_crash_window_preset() {
    let params = presets::params_of("crash-window");
    let r = run_ok(&KeysParams { ops: presets::step_ops(params.policy), ..params });
    let step = view::decisive_step(&r).expect("a failure to jump to");
    assert!(matches!(r.trace.records()[step - 1].record, KeysRecord::Charged { count: 2, .. }));
    let correct = presets::params_of("correct");
    assert_eq!(view::decisive_step(&run_ok(&KeysParams { ops: 1, ..correct })), None);
}
