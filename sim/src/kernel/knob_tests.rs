//! Tests of the knob schema: strict and lenient reading, defaults, validation
//! and round trips, on a small demo schema.

use super::*;

#[derive(Clone, PartialEq, Debug)]
struct Demo {
    n: u32,
    loss: f64,
    on: bool,
    pick: usize,
    seed: u64,
}

const PICKS: &[(&str, &str)] = &[("a", "Apple"), ("b", "Banana")];

static DEMO_KNOBS: [Knob<Demo>; 5] = [
    Knob {
        key: "n",
        flag: "count",
        label: "Count",
        unit: Unit::Count,
        kind: KnobKind::Int { min: 1, max: 50, step: 1 },
        default: 10,
        group: Group::Main,
        help: "How many.",
        get: |p| u64::from(p.n),
        set: |p, v| p.n = v as u32,
    },
    Knob {
        key: "loss",
        flag: "loss",
        label: "Loss",
        unit: Unit::Percent,
        kind: KnobKind::Percent,
        default: 20,
        group: Group::Main,
        help: "How lossy.",
        get: |p| (p.loss * 100.0).round() as u64,
        set: |p, v| p.loss = v as f64 / 100.0,
    },
    Knob {
        key: "on",
        flag: "on",
        label: "On",
        unit: Unit::Count,
        kind: KnobKind::Flag,
        default: 1,
        group: Group::More,
        help: "Whether.",
        get: |p| u64::from(p.on),
        set: |p, v| p.on = v == 1,
    },
    Knob {
        key: "pick",
        flag: "pick",
        label: "Pick",
        unit: Unit::Count,
        kind: KnobKind::Choice(PICKS),
        default: 1,
        group: Group::More,
        help: "Which.",
        get: |p| p.pick as u64,
        set: |p, v| p.pick = v as usize,
    },
    Knob {
        key: "seed",
        flag: "seed",
        label: "Seed",
        unit: Unit::Count,
        kind: KnobKind::Seed,
        default: 7,
        group: Group::More,
        help: "The seed.",
        get: |p| p.seed,
        set: |p, v| p.seed = v,
    },
];

impl Params for Demo {
    fn knobs() -> &'static [Knob<Self>] {
        &DEMO_KNOBS
    }
    fn base() -> Self {
        Demo { n: 0, loss: 0.0, on: false, pick: 0, seed: 0 }
    }
}

#[test]
fn defaults_come_from_the_schema() {
    assert_eq!(Demo::defaults(), Demo { n: 10, loss: 0.2, on: true, pick: 1, seed: 7 });
    assert!(validate(&Demo::defaults()).is_ok());
}

#[test]
fn strict_reading_refuses_what_lenient_reading_clamps() {
    let n = Demo::knob("n").unwrap();
    assert_eq!(n.parse("50"), Ok(50));
    assert!(n.parse("51").is_err());
    assert_eq!(n.parse_lenient("900", 10).0, 50);
    assert_eq!(n.parse_lenient("-3", 10).0, 1);
    assert_eq!(n.parse_lenient("x", 10), (10, Some("n=\"x\" is not a whole number from 1 to 50; using 10.".into())));
}

#[test]
fn a_fraction_where_percents_are_expected_is_refused_with_what_to_write() {
    let loss = Demo::knob("loss").unwrap();
    assert_eq!(loss.parse("20"), Ok(20));
    assert_eq!(loss.parse("20%"), Ok(20));
    let e = loss.parse("0.1").unwrap_err();
    assert!(e.contains("whole percentage"), "{e}");
}

#[test]
fn choices_and_switches_read_their_words() {
    let pick = Demo::knob("pick").unwrap();
    assert_eq!(pick.parse("a"), Ok(0));
    assert!(pick.parse("Apple").is_err());
    assert_eq!(pick.show(1), "b");
    let on = Demo::knob("on").unwrap();
    assert_eq!(on.parse("off"), Ok(0));
    assert_eq!(on.parse("true"), Ok(1));
}

#[test]
fn validate_refuses_a_value_outside_the_schema() {
    let mut d = Demo::defaults();
    d.n = 0;
    assert!(validate(&d).is_err());
    d.n = 3;
    d.loss = 1.5;
    assert!(validate(&d).is_err());
}

#[test]
fn pairs_round_trip_through_strict_reading() {
    let mut d = Demo::defaults();
    d.n = 33;
    d.pick = 0;
    d.seed = u64::MAX;
    let pairs = to_pairs(&d);
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut back = Demo::base();
    apply_strict(&mut back, &borrowed).unwrap();
    assert_eq!(back, d);
}
