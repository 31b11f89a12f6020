//! The Races page's navigation, natively: every link comes from the shell's
//! pure `apply`, so embeds keep their parameters and locks hold.

use super::explorer::show_schedule;
use crate::query::Query;
use crate::shell::{apply, LabAction};
use idemlab_sim::races::RacesLab;

#[test]
fn the_first_counterexample_link_lands_on_its_decisive_step_and_keeps_the_embed() {
    let q = Query::parse("area=races&embed=1&origins=https://course.example&lock=scenario&schedule=1,1,1,1,2,2");
    let next = apply::<RacesLab>(&q, &show_schedule(&[1, 1, 1, 2, 1, 2, 2, 2], 5)).unwrap();
    assert_eq!(next.get("schedule"), Some("1,1,1,2,1,2,2,2"));
    assert_eq!(next.get("step"), Some("5"));
    assert_eq!((next.get("embed"), next.get("origins")), (Some("1"), Some("https://course.example")));
    assert_eq!(next.get("lock"), Some("scenario"));
}

#[test]
fn a_locked_step_or_schedule_refuses_the_jump_and_the_explorers_links() {
    let jump = show_schedule(&[1, 1, 1, 2, 1, 2, 2, 2], 5);
    assert!(apply::<RacesLab>(&Query::parse("area=races&lock=step"), &jump).is_none());
    assert!(apply::<RacesLab>(&Query::parse("area=races&lock=schedule"), &jump).is_none());
    assert!(apply::<RacesLab>(&Query::parse("area=races&lock=all"), &jump).is_none());
    assert!(apply::<RacesLab>(&Query::parse("area=races&lock=mode"), &show_schedule(&[1, 2], 0)).is_none());
}

#[test]
fn a_scenario_button_drops_the_old_schedule_and_starts_at_step_zero() {
    let q = Query::parse("area=races&scenario=select-then-insert&schedule=1,1,1,2,1,2,2,2&step=5&embed=1");
    let next = apply::<RacesLab>(&q, &LabAction::Preset("on-conflict")).unwrap();
    assert_eq!(next.get("scenario"), Some("on-conflict"));
    assert_eq!(next.get("schedule"), None);
    assert_eq!(next.get("step"), Some("0"));
    assert_eq!(next.get("embed"), Some("1"));
    let knob = apply::<RacesLab>(&q, &LabAction::SetKnob { key: "scenario", value: 3 }).unwrap();
    assert_eq!(knob.get("schedule"), None, "a schedule belongs to its scenario");
    assert!(apply::<RacesLab>(&Query::parse("area=races&lock=scenario"), &LabAction::Preset("on-conflict")).is_none());
}

#[test]
fn the_scheduler_tab_clears_the_schedule_and_the_other_tabs_keep_it() {
    let q = Query::parse("area=races&schedule=1,2,1");
    let sched = LabAction::Then(vec![
        LabAction::Extra { key: "schedule", value: String::new() },
        LabAction::Extra { key: "mode", value: "scheduler".into() },
    ]);
    let next = apply::<RacesLab>(&q, &sched).unwrap();
    assert_eq!((next.get("schedule"), next.get("mode")), (None, Some("scheduler")));
    let side = apply::<RacesLab>(&q, &LabAction::Extra { key: "mode", value: "side".into() }).unwrap();
    assert_eq!((side.get("schedule"), side.get("mode")), (Some("1,2,1"), Some("side")));
}
