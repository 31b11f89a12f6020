use super::*;
use crate::knob::Params;
use crate::lab::{read_link, run_link};
use crate::permalink::Query;
use crate::races::{scenario, why, Mode, ScenarioId, SCENARIO_IDS};

fn counter(r: &RacesRun, id: &str) -> u64 {
    match RacesLab::counters(r).into_iter().find(|c| c.id == id).map(|c| c.value) {
        Some(Figure::Count(n)) => n,
        other => panic!("{id}: {other:?}"),
    }
}

#[test]
fn the_first_preset_is_the_schemas_defaults_and_every_scenario_has_a_preset_in_order() {
    assert_eq!(RacesLab::preset_params(&RacesLab::presets()[0]), RacesParams::defaults());
    let slugs: Vec<&str> = RacesLab::presets().iter().map(|p| p.slug).collect();
    assert_eq!(slugs, SCENARIO_IDS.to_vec());
    for (i, pr) in RacesLab::presets().iter().enumerate() {
        assert_eq!(RacesLab::preset_params(pr).scenario, ScenarioId::ALL[i], "{}", pr.slug);
    }
}

#[test]
fn a_preset_is_buggy_exactly_when_some_schedule_of_its_scenario_double_charges() {
    for pr in RacesLab::presets() {
        let r = RacesLab::run(&RacesLab::preset_params(pr)).unwrap();
        assert_eq!(pr.buggy, counter(&r, "double_charge_schedules") > 0, "{}", pr.slug);
    }
}

#[test]
fn the_landing_run_is_the_first_counterexample_and_its_counters_say_68_of_70() {
    let r = RacesLab::run(&RacesParams::defaults()).unwrap();
    assert_eq!(r.run.schedule, vec![1, 1, 1, 2, 1, 2, 2, 2]);
    assert_eq!(counter(&r, "charges"), 2);
    assert_eq!(counter(&r, "double_charges"), 1, "one extra charge, as Keys counts double charges");
    assert_eq!((counter(&r, "double_charge_schedules"), counter(&r, "schedules")), (68, 70));
}

#[test]
fn the_decisive_step_is_the_step_of_the_second_charge_not_step_zero() {
    let r = RacesLab::run(&RacesParams::defaults()).unwrap();
    let d = r.decisive_step().expect("the counterexample charges twice");
    assert!(d > 0);
    assert_eq!(r.run.frames[d - 1].charges, 2);
    assert_eq!(r.run.frames[d - 2].charges, 1, "the step before has one charge");
    let fix = RacesLab::run(&RacesParams { scenario: ScenarioId::OnConflict, ..RacesParams::defaults() }).unwrap();
    assert_eq!(fix.decisive_step(), None, "the fix never charges twice");
}

#[test]
fn the_lesson_is_true_of_the_landing_run_the_second_select_misses_an_inserted_uncommitted_row() {
    let r = RacesLab::run(&RacesParams::defaults()).unwrap();
    let lesson = RacesLab::presets()[0].lesson;
    assert!(!lesson.contains("before either has inserted"), "{lesson}");
    assert!(lesson.contains("invisible until it commits"), "{lesson}");
    // Find T2's SELECT: it returns no row while T1's row exists, uncommitted.
    let (i, f) = r
        .run
        .frames
        .iter()
        .enumerate()
        .find(|(_, f)| {
            f.actor == 1 && matches!(f.instr, super::super::Instr::Sql { stmt: super::super::Stmt::SelectKey { .. } })
        })
        .expect("T2 selects");
    assert!(f.rows.iter().any(|v| v.written_by == 0 && !v.committed), "T1 has inserted, uncommitted");
    let w = why(&r.run, i + 1).expect("a reason");
    assert!(w.contains("READ COMMITTED") && w.contains("invisible"), "{w}");
    let pr = f.prediction.as_ref().expect("the step asks for a prediction");
    assert_eq!(pr.options[pr.answer], "it finds nothing");
}

#[test]
fn a_permalink_reproduces_its_schedules_run_and_writes_the_schedule_back() {
    let mut q = Query::parse("?area=races&scenario=on-conflict&schedule=1,2,1,1,2,2,1&mode=side");
    let report = run_link::<RacesLab>(&mut q).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(report.permalink.contains("schedule=1,2,1,1,2,2,1"), "{}", report.permalink);
    assert!(report.permalink.contains("mode=side"), "{}", report.permalink);
    let mut q = Query::parse(&report.permalink);
    let read = read_link::<RacesLab>(&mut q);
    assert_eq!(read.params.schedule, vec![1, 2, 1, 1, 2, 2, 1]);
    assert_eq!(read.params.mode, Mode::Side);
    let r = RacesLab::run(&read.params).unwrap();
    assert_eq!(crate::trace::stable_hash(&r.run.trace), u64::from_str_radix(&report.trace_hash, 16).unwrap());
}

#[test]
fn a_bad_schedule_or_mode_warns_and_the_run_is_completed_with_a_note() {
    let mut q = Query::parse("?area=races&scenario=on-conflict&schedule=1,2,2,2,2&mode=zzz");
    let read = read_link::<RacesLab>(&mut q);
    assert!(q.warnings.iter().any(|w| w.contains("mode")), "{:?}", q.warnings);
    let r = RacesLab::run(&read.params).unwrap();
    assert!(r.notes.iter().any(|n| n.contains("T2 is waiting for T1")), "{:?}", r.notes);
    assert!(r.run.outcome.finished);
}

#[test]
fn choosing_another_scenario_drops_the_schedule_that_belonged_to_the_old_one() {
    let mut p = RacesParams { schedule: vec![1, 2], ..RacesParams::defaults() };
    let k = RacesParams::knob("scenario").unwrap();
    (k.set)(&mut p, 0);
    assert_eq!(p.schedule, vec![1, 2], "the same scenario keeps it");
    (k.set)(&mut p, 3);
    assert!(p.schedule.is_empty());
}

#[test]
fn the_scheduler_mode_runs_only_the_schedule_so_far() {
    let p = RacesParams {
        scenario: ScenarioId::OnConflict,
        schedule: vec![1, 2],
        mode: Mode::Scheduler,
        ..RacesParams::defaults()
    };
    let r = RacesLab::run(&p).unwrap();
    assert_eq!(r.run.frames.len(), 2);
    assert!(!r.run.outcome.finished);
}

fn link(s: &str) -> RacesParams {
    let mut q = crate::permalink::Query::parse(s);
    read_link::<RacesLab>(&mut q).params
}

#[test]
fn a_link_with_a_handler_runs_the_handler_and_its_counters_count_its_schedules() {
    let text = scenario("select-then-insert").unwrap().sql;
    let mut q = crate::permalink::Query::default();
    q.set("area", "races");
    q.set("handler", text);
    let p = link(&q.to_search());
    assert_eq!(p.handler.as_deref(), Some(text));
    let r = RacesLab::run(&p).unwrap();
    assert_eq!(r.scenario.id, "handler");
    assert_eq!((counter(&r, "double_charge_schedules"), counter(&r, "schedules")), (68, 70));
    assert_eq!(r.run.schedule, vec![1, 1, 1, 2, 1, 2, 2, 2], "the run is its first counterexample");
    // Three requests: more schedules, and the lane count travels in the link.
    q.set("lanes", 3);
    let three = RacesLab::run(&link(&q.to_search())).unwrap();
    assert_eq!(three.scenario.programs.len(), 3);
    assert!(counter(&three, "schedules") > 70);
}

#[test]
fn a_refused_handler_is_an_error_naming_its_line_and_construct_not_a_panic() {
    let p = link("area=races&handler=BEGIN%3B%0ADELETE%20FROM%20idempotency_keys%3B%0ACOMMIT%3B%0ARESPOND%20201");
    let e = RacesLab::run(&p).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("DELETE"), "{e}");
    for hostile in ["handler=%00%00", "handler=IF%20GOTO", "handler=x&lanes=99", "handler=RESPOND%20999&lanes=-1"] {
        let p = link(&format!("area=races&{hostile}"));
        assert!(RacesLab::run(&p).is_err(), "{hostile}");
    }
}

#[test]
fn handler_lanes_and_the_side_by_side_scenario_read_back_from_the_link_they_write() {
    let p = RacesParams {
        handler: Some("BEGIN;\nCOMMIT;\nRESPOND 201".into()),
        lanes: 3,
        against: Some(ScenarioId::OnConflict),
        mode: Mode::Side,
        ..RacesParams::defaults()
    };
    let mut q = Query::default();
    q.set("area", "races");
    crate::lab::write_link(&mut q, None, &p);
    assert_eq!(q.get("against"), Some("on-conflict"));
    let back = link(&q.to_search());
    assert_eq!(back, p);
    // Beside a handler, by default, the scenario it was written from; beside a scenario, its twin.
    let started = RacesParams { scenario: ScenarioId::ForUpdate, handler: Some("x".into()), ..RacesParams::defaults() };
    assert_eq!(started.against_id("on-conflict"), ScenarioId::ForUpdate);
    assert_eq!(RacesParams::defaults().against_id("on-conflict"), ScenarioId::OnConflict);
    let mut q = crate::permalink::Query::parse("area=races&against=nope");
    let read = read_link::<RacesLab>(&mut q);
    assert_eq!(read.params.against, None);
    assert!(q.warnings.iter().any(|w| w.contains("nope")), "{:?}", q.warnings);
}

#[cfg(feature = "parser")]
#[test]
fn an_emptied_editor_is_refused_as_empty_not_replaced_by_the_first_preset() {
    let mut q = Query::parse("?area=races&scenario=select-then-insert&handler=");
    let read = read_link::<RacesLab>(&mut q);
    assert_eq!(read.params.handler.as_deref(), Some(""));
    let Err(e) = RacesLab::run(&read.params) else { panic!("an empty handler ran") };
    let words = crate::races::limits::refusal_words(&e);
    assert!(words.contains("the handler is empty") && !words.contains("parameter"), "{words}");
}

#[cfg(feature = "parser")]
#[test]
fn the_stuck_key_of_preset_4_is_true_a_crash_after_the_claim_leaves_it_started_and_the_retry_gets_409() {
    use crate::races::{corpus::STUCK_KEY, handler_scenario, run, KeyStatus, Response};
    let lesson = RacesLab::presets()[3].lesson;
    assert!(lesson.contains("leaves the key started for ever") && lesson.contains("Keys lab"), "{lesson}");
    let s = handler_scenario(STUCK_KEY, 2).unwrap();
    // T1 claims and charges, the server crashes, the retry claims nothing and reads the row.
    let r = run(&s, &[1, 1, 2, 3, 3]).unwrap();
    assert_eq!(r.outcome.responses[2], Some(Response::Conflict));
    assert_eq!(r.outcome.charges, 1);
    assert_eq!(r.outcome.final_rows.len(), 1);
    assert_eq!(r.outcome.final_rows[0].status, KeyStatus::Started, "the key stays started");
}
