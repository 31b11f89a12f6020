//! The shell's tests: `apply` and its locks, lock names, and the preset
//! links' memo key, for every lab.
use super::*;
use idemlab_sim::keys::KeysLab;

fn keys_link(s: &str) -> Query {
    Query::parse(s)
}

#[test]
fn a_knob_change_drops_the_preset_writes_every_knob_and_restarts_at_step_zero() {
    let q = keys_link("area=keys&preset=no-key&step=7");
    let next = apply::<KeysLab>(&q, &LabAction::SetKnob { key: "rsloss", value: 50 }).unwrap();
    assert_eq!(next.get("preset"), None);
    assert_eq!(next.get("rsloss"), Some("50"));
    assert_eq!(next.get("policy"), Some("none"), "the preset's other knobs stay");
    assert_eq!(next.get("step"), Some("0"));
}

#[test]
fn every_locked_parameter_is_frozen_for_every_action_that_could_change_it() {
    let q = keys_link("area=keys&lock=seed,step,rsloss&embed=1");
    assert!(apply::<KeysLab>(&q, &LabAction::Step(3)).is_none());
    assert!(apply::<KeysLab>(&q, &LabAction::NewSeed(9)).is_none());
    assert!(apply::<KeysLab>(&q, &LabAction::SetKnob { key: "rsloss", value: 1 }).is_none());
    // A preset that would change the seed or a locked knob is refused too.
    assert!(apply::<KeysLab>(&q, &LabAction::Preset("no-key")).is_none());
    // An unlocked knob still moves, and the embed parameters stay.
    let next = apply::<KeysLab>(&q, &LabAction::SetKnob { key: "crasha", value: 10 }).unwrap();
    assert_eq!((next.get("embed"), next.get("lock")), (Some("1"), Some("seed,step,rsloss")));
    assert!(
        apply::<KeysLab>(&keys_link("area=keys&lock=all"), &LabAction::SetKnob { key: "crasha", value: 1 }).is_none()
    );
}

#[test]
fn a_preset_link_reads_back_as_the_presets_knobs() {
    for pr in KeysLab::presets() {
        let next = apply::<KeysLab>(&keys_link("area=keys"), &LabAction::Preset(pr.slug)).unwrap();
        let mut q = Query::parse(&next.to_search());
        let read = lab::read_link::<KeysLab>(&mut q);
        assert_eq!(read.preset.map(|p| p.slug), Some(pr.slug));
        assert_eq!(read.params, KeysLab::preset_params(pr));
        assert!(q.warnings.is_empty(), "{:?}", q.warnings);
    }
}

#[test]
fn an_unknown_preset_or_parameter_is_named_in_a_warning() {
    let mut q = keys_link("area=keys&preset=reused-key-no-fingerprint&bogus=1");
    lab::warn_unknown_keys::<KeysLab>(&mut q);
    let read = lab::read_link::<KeysLab>(&mut q);
    assert!(read.preset.is_none());
    assert!(q.warnings.iter().any(|w| w.contains("reused-key-no-fingerprint")), "{:?}", q.warnings);
    assert!(q.warnings.iter().any(|w| w.contains("bogus")), "{:?}", q.warnings);
}

#[test]
fn a_page_outside_the_contract_warns_about_a_parameter_it_does_not_read() {
    let mut q = keys_link("area=recall&embed=1&lock=all&origins=https://a.example&bogus=1");
    warn_unknown_page_keys(&mut q, &[]);
    assert_eq!(q.warnings.len(), 1, "{:?}", q.warnings);
    assert!(q.warnings[0].contains("bogus"));
}

fn ctx(s: &str) -> LabCtx<KeysLab> {
    let link = LabLink::<KeysLab>::read(&Query::parse(s));
    let run = Rc::new(KeysLab::run(&link.params));
    let outcome = Some(serde_json::json!({ "preset": "custom" }));
    LabCtx { link, run, stale: false, from: "page", outcome, dispatch: Callback::noop() }
}

#[test]
fn the_gate_of_an_embed_waits_for_the_last_step_by_default() {
    assert!(ctx("area=keys&embed=1&step=3").gate(Some(9), None).hidden());
    assert!(!ctx("area=keys&embed=1&step=9").gate(Some(9), None).hidden());
    assert!(!ctx("area=keys&embed=1&step=3").gate(Some(9), Some(3)).hidden());
    assert!(!ctx("area=keys&embed=1&reveal=1").gate(Some(9), None).hidden());
    assert!(!ctx("area=keys&step=0").gate(Some(9), None).hidden());
    assert!(ctx("area=keys&embed=1&step=50").gate(None, None).hidden(), "no step-through: the button decides");
    assert_eq!(ctx("area=keys&embed=1").gate(Some(9), None).outcome, Some(serde_json::json!({ "preset": "custom" })));
}

#[test]
fn a_learners_handler_stays_with_its_scenario_and_goes_when_another_is_picked() {
    use idemlab_sim::races::RacesLab;
    let q = keys_link("area=races&scenario=select-then-insert&handler=BEGIN%3B&lanes=3");
    let edit = LabAction::Extra { key: "handler", value: "SELECT 1;".into() };
    let next = apply::<RacesLab>(&q, &edit).unwrap();
    assert_eq!((next.get("handler"), next.get("lanes")), (Some("SELECT 1;"), Some("3")));
    let other = RacesLab::presets().iter().find(|p| p.slug != "select-then-insert").unwrap();
    let next = apply::<RacesLab>(&q, &LabAction::Preset(other.slug)).unwrap();
    // The handler goes, and the lanes go back to the schema's default.
    assert_eq!((next.get("handler"), next.get("lanes")), (None, Some("2")));
}

/// `lock=all` and `lock=preset,step,seed` freeze every action of lab `L`.
fn locks_hold_in<L: Lab>() {
    let all = Query::parse(&format!("area={}&lock=all&embed=1", L::SLUG));
    let some = Query::parse(&format!("area={}&lock=preset,step,seed&embed=1", L::SLUG));
    for pr in L::presets() {
        assert!(apply::<L>(&all, &LabAction::Preset(pr.slug)).is_none(), "{} lock=all: preset {}", L::SLUG, pr.slug);
        assert!(apply::<L>(&some, &LabAction::Preset(pr.slug)).is_none(), "{} lock=preset: {}", L::SLUG, pr.slug);
    }
    for q in [&all, &some] {
        assert!(apply::<L>(q, &LabAction::Step(2)).is_none(), "{}: step moved", L::SLUG);
        assert!(apply::<L>(q, &LabAction::NewSeed(5)).is_none(), "{}: seed moved", L::SLUG);
    }
    for k in L::Params::knobs() {
        let (min, max) = k.kind.bounds();
        let action = LabAction::SetKnob { key: k.key, value: if k.default == min { max } else { min } };
        assert!(apply::<L>(&all, &action).is_none(), "{} lock=all: knob {} moved", L::SLUG, k.key);
        let one = Query::parse(&format!("area={}&lock={}", L::SLUG, k.key));
        assert!(apply::<L>(&one, &action).is_none(), "{} lock={}: it moved", L::SLUG, k.key);
    }
}

#[test]
fn every_lock_holds_for_every_action_in_every_lab() {
    struct Locks;
    impl idemlab_sim::labs::LabVisitor for Locks {
        type Out = ();
        fn lab<L: Lab + 'static>(self) {
            locks_hold_in::<L>();
        }
    }
    for area in crate::query::Area::LABS {
        area.visit(Locks).expect("a lab area visits its engine");
    }
}

#[test]
fn lock_names_cover_every_knob_the_preset_and_the_step() {
    let names = lock_names::<KeysLab>();
    assert!(names.contains(&"seed") && names.contains(&"step") && names.contains(&"preset"));
    assert!(names.contains(&"rsloss"));
}

/// A preset's link is the same whether built from the whole link or from
/// the part `use_preset_hrefs` keys its memo on, after any knob change,
/// at any step, from a preset or not, with a stray key or a lock.
fn preset_links_depend_only_on_their_key<L: Lab>(keep: &[&str], href: impl Fn(&Query, &LabAction) -> String) {
    let slug = L::SLUG;
    let mut links = vec![
        Query::parse(&format!("area={slug}")),
        Query::parse(&format!("area={slug}&step=5&embed=1&typo=1")),
        Query::parse(&format!("area={slug}&lock={}", L::Params::knobs()[0].key)),
    ];
    if let Some(pr) = L::presets().last() {
        links.push(Query::parse(&format!("area={slug}&preset={}&step=2", pr.slug)));
    }
    for k in L::Params::knobs() {
        let (min, max) = k.kind.bounds();
        let value = if k.default == min { max } else { min };
        for base in links.clone().iter().take(2) {
            if let Some(next) = apply::<L>(base, &LabAction::SetKnob { key: k.key, value }) {
                // The same knob locked at its new value: presets that would move it are refused.
                let mut locked = next.clone();
                locked.set("lock", k.key);
                links.push(locked);
                links.push(next);
            }
        }
    }
    for q in &links {
        let link = LabLink::<L>::read(q);
        let key = link.preset_links_key(keep);
        for pr in L::presets() {
            let a = LabAction::Preset(pr.slug);
            assert_eq!(href(&link.query, &a), href(&key, &a), "{slug}: {} from {}", pr.slug, q.to_search());
        }
    }
}

#[test]
fn every_labs_preset_links_depend_only_on_what_their_memo_is_keyed_on() {
    struct Links;
    impl crate::labs::PageVisitor for Links {
        type Out = ();
        fn page<P: crate::labs::LabPage>(self) {
            preset_links_depend_only_on_their_key::<P>(P::PRESET_KEEPS, |q, a| {
                P::next_link(q, a).unwrap_or_else(|| q.clone()).to_search()
            });
        }
    }
    for &area in crate::query::Area::LABS {
        crate::labs::visit_page(area, Links).expect("a lab area has a page");
    }
    // Leaving the view out of the Retries key would be wrong: its preset links keep the view.
    let q = Query::parse("area=retries&mode=compare");
    let link = LabLink::<idemlab_sim::retries::RetriesLab>::read(&q);
    let a = LabAction::Preset("wave");
    let whole = crate::labs::retries::next_link(&link.query, &a).unwrap().to_search();
    let without_view = crate::labs::retries::next_link(&link.preset_links_key(&[]), &a).unwrap().to_search();
    assert_ne!(whole, without_view);
}
