//! The Retries lab's claims, checked against its engine: every sentence the
//! page and its presets state about a preset holds for that preset's run.

use super::fleet::{self, FleetParams};
use super::*;
use crate::backoff::Strategy;
use crate::knob::{self, Params};
use crate::lab::Lab;

fn preset(slug: &str) -> RetriesParams {
    RetriesLab::preset_params(RetriesLab::preset(slug).expect(slug))
}

fn fleet_of(slug: &str) -> fleet::FleetRun {
    fleet::run(&preset(slug).fleet).unwrap()
}

#[test]
fn the_schema_defaults_are_the_fleet_engines_defaults_and_the_landing_preset() {
    let d = RetriesParams::defaults();
    assert_eq!(d.fleet, FleetParams::default());
    assert_eq!(d.view, View::Fleet);
    assert!(RetriesLab::presets()[0].knobs.is_empty());
    knob::validate(&d).unwrap();
}

#[test]
fn every_preset_is_valid_and_names_a_counter_the_fleet_view_shows() {
    for pr in RetriesLab::presets() {
        let mut p = RetriesParams::defaults();
        knob::apply_strict(&mut p, pr.knobs).unwrap_or_else(|e| panic!("{}: {e}", pr.slug));
        knob::validate(&p).unwrap_or_else(|e| panic!("{}: {e}", pr.slug));
        let run = RetriesLab::run(&p).unwrap();
        assert!(RetriesLab::counters(&run).iter().any(|c| c.id == pr.key_counter), "{}", pr.slug);
    }
}

#[test]
fn presets_that_compare_strategies_differ_only_in_the_strategy() {
    for (a, b) in [("outage", "herd"), ("wave", "wave-jitter")] {
        let (pa, pb) = (preset(a), preset(b));
        assert_ne!(pa.fleet.strategy, pb.fleet.strategy);
        assert_eq!(
            FleetParams { strategy: Strategy::None, ..pa.fleet },
            FleetParams { strategy: Strategy::None, ..pb.fleet }
        );
    }
}

#[test]
fn full_jitters_peak_after_the_outage_is_lower_than_no_jitters() {
    let (full, exp) = (fleet_of("outage").recovery(), fleet_of("herd").recovery());
    assert_eq!(preset("outage").fleet.strategy, Strategy::FullJitter);
    assert!(full.peak_ratio < exp.peak_ratio, "full {full:?} exponential {exp:?}");
    assert!(exp.peak_ratio > 1.0, "the synchronised wave should exceed capacity: {exp:?}");
}

#[test]
fn in_the_outage_preset_jitter_spreads_the_calls_but_does_not_make_fewer() {
    // The page says so: full jitter waits half as long on average, so it is
    // not the strategy with the fewest calls here.
    let (full, exp) = (fleet_of("outage").totals, fleet_of("herd").totals);
    assert!(full.amplification() >= exp.amplification() - 0.01, "full {full:?} exponential {exp:?}");
    // And some requests fail whatever the strategy: the outage outlasts 3 attempts.
    assert!(full.success_rate() < 0.95 && exp.success_rate() < 0.95);
}

#[test]
fn without_jitter_the_wave_overloads_the_queue_for_longer_after_the_outage() {
    let (exp, full) = (fleet_of("wave").recovery(), fleet_of("wave-jitter").recovery());
    assert!(exp.overload_ms > full.overload_ms, "exponential {exp:?} full {full:?}");
    assert!(exp.rejected_after > full.rejected_after, "exponential {exp:?} full {full:?}");
    assert!(exp.overload_ms > 0.0 && exp.recovered && full.recovered);
}

#[test]
fn the_compare_view_agrees_with_the_presets() {
    let p = RetriesParams { view: View::Compare, ..preset("herd") };
    let RetriesRun::Compare { runs } = RetriesLab::run(&p).unwrap() else { panic!("not a compare run") };
    assert_eq!(runs.len(), COMPARE.len());
    let peak = |s: Strategy| runs.iter().find(|r| r.params.strategy == s).unwrap().recovery().peak_ratio;
    assert!(peak(Strategy::FullJitter) < peak(Strategy::Exponential));
    // Each compared run is the fleet run of the same knobs under that strategy.
    let alone = fleet::run(&FleetParams { strategy: Strategy::Exponential, ..p.fleet.clone() }).unwrap();
    assert_eq!(runs[2].stable_hash(), alone.stable_hash());
}

#[test]
fn the_cap_preset_overloads_to_the_end_and_the_budget_holds_it() {
    let (cap, budget) = (fleet_of("cap"), fleet_of("budget"));
    assert!(!cap.recovery().recovered, "{:?}", cap.recovery());
    assert!(budget.totals.budget_refusals > 0);
    assert!(budget.totals.success_rate() > cap.totals.success_rate());
    assert!(budget.totals.amplification() < cap.totals.amplification());
}

#[test]
fn honouring_retry_after_sends_fewer_retries() {
    assert!(fleet_of("ra-honoured").totals.retries < fleet_of("ra-ignored").totals.retries);
}

#[test]
fn a_link_that_breaks_a_relation_falls_back_with_a_warning() {
    let mut q = crate::permalink::Query::parse("area=retries&preset=herd&of=50&ot=10");
    let read = crate::lab::read_link::<RetriesLab>(&mut q);
    assert_eq!(read.params, preset("herd"));
    assert!(!q.warnings.is_empty());
}

#[test]
fn the_study_view_runs_the_sweep_and_its_waves() {
    let p = RetriesParams {
        view: View::Study,
        study: StudyParams { clients_max: 30, runs: 2, wave_clients: 20 },
        ..Default::default()
    };
    let RetriesRun::Study(s) = RetriesLab::run(&p).unwrap() else { panic!("not a study run") };
    assert_eq!(s.points.len(), 3 * 5);
    assert_eq!(s.waves.len(), 2);
    assert_eq!(RetriesLab::counters(&RetriesRun::Study(s)).len(), 10);
}

#[test]
fn grpc_retry_throttling_holds_the_cap_presets_fleet() {
    let (cap, grpc) = (fleet_of("cap"), fleet_of("grpc-throttle"));
    assert!(grpc.totals.grpc_refusals > 0 && grpc.totals.budget_refusals == 0);
    assert!(grpc.recovery().recovered && grpc.recovery().rejected_after == 0, "{:?}", grpc.recovery());
    assert!(grpc.totals.success_rate() > cap.totals.success_rate() + 0.3);
}

#[test]
fn adaptive_throttling_ends_the_overload_but_lets_timed_out_work_go_on() {
    let (cap, adaptive) = (fleet_of("cap"), fleet_of("adaptive"));
    assert!(adaptive.totals.adaptive_retries > 0 && adaptive.totals.budget_refusals == 0);
    assert!(!cap.recovery().recovered && adaptive.recovery().recovered, "{:?}", adaptive.recovery());
    assert!(adaptive.totals.wasted > 0, "{:?}", adaptive.totals);
}

#[test]
fn the_throttles_at_zero_change_nothing() {
    // Each throttle off draws nothing, so the run equals one without the knob.
    let p = preset("cap").fleet;
    let same = FleetParams {
        grpc_token_ratio_milli: 500,
        min_retries_per_s: 10,
        retry_after_date: true,
        retry_after_ms: 0,
        ..p.clone()
    };
    assert_eq!(
        fleet::run(&FleetParams { retry_after_ms: 0, ..p }).unwrap().stable_hash(),
        fleet::run(&same).unwrap().stable_hash()
    );
}

#[test]
fn the_budgets_floor_lets_retries_through_an_empty_budget() {
    let p = FleetParams {
        budget_pct: 1,
        error_rate: 0.5,
        attempts_max: 4,
        outage_from_s: 0,
        outage_to_s: 0,
        duration_s: 20,
        budget_scope: fleet::BudgetScope::Shared,
        ..Default::default()
    };
    let without = fleet::run(&p).unwrap().totals;
    let with = fleet::run(&FleetParams { min_retries_per_s: 50, ..p }).unwrap().totals;
    assert!(with.retries > without.retries, "{without:?} vs {with:?}");
    // At most the floor's 50 per second (over the run and one window before
    // it) on top of the 1 % deposits.
    assert!(with.retries <= without.retries + 50 * (20 + 10), "{with:?}");
}
