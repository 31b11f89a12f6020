//! The knob schema is the one source of every bound and default: this walks
//! every knob of every lab and checks that the permalink reader, the strict
//! reader the CLI uses, `validate()` and the presets agree with it. (The
//! slider's range is checked against the same schema in the browser tests,
//! `tests/web_shell.rs`, and the CLI's `--help` in `cli/tests/schema.rs`.)

use idemlab_sim::knob::{self, FieldKind, KnobKind, Params};
use idemlab_sim::lab::{self, Lab};
use idemlab_sim::permalink::Query;

fn check_lab<L: Lab>() {
    let name = L::SLUG;
    let defaults = L::Params::defaults();
    knob::validate(&defaults).unwrap_or_else(|e| panic!("{name}: the schema's defaults do not validate: {e}"));
    let first = L::presets().first().unwrap_or_else(|| panic!("{name} has no preset"));
    assert!(
        L::preset_params(first) == defaults,
        "{name}: the first preset ({}) must be the schema's defaults, the lab's landing setup",
        first.slug
    );
    for pr in L::presets() {
        // A chip shortens its title or repeats it (Outbox's chips name the design list's
        // choices); the full title is its description. The rows at 1280 px are measured in
        // tests/e2e/stage.test.mjs.
        assert!(
            !pr.chip.is_empty() && pr.chip.chars().count() <= pr.title.chars().count(),
            "{name} preset {}: chip {:?} is empty or longer than its title",
            pr.slug,
            pr.chip
        );
        assert_eq!(
            L::presets().iter().filter(|o| o.chip == pr.chip).count(),
            1,
            "{name}: two presets share the chip {:?}",
            pr.chip
        );
        let mut p = defaults.clone();
        knob::apply_strict(&mut p, pr.knobs).unwrap_or_else(|e| panic!("{name} preset {}: {e}", pr.slug));
        knob::validate(&p).unwrap_or_else(|e| panic!("{name} preset {}: {e}", pr.slug));
        assert!(
            L::counters(&L::run(&p).unwrap_or_else(|e| panic!("{name} preset {}: {e}", pr.slug)))
                .iter()
                .any(|c| c.id == pr.key_counter),
            "{name} preset {}: its key counter {} is not among the counters",
            pr.slug,
            pr.key_counter
        );
    }
    for k in L::Params::knobs() {
        let (min, max) = k.kind.bounds();
        let id = format!("{name}.{}", k.key);
        assert!((min..=max).contains(&k.default), "{id}: default {} outside {min}..{max}", k.default);
        assert_eq!((k.get)(&defaults), k.default, "{id}: defaults() does not carry the knob's default");
        assert_eq!(k.parse(&k.show(max)), Ok(max), "{id}: the strict reader refuses the schema's max");
        assert_eq!(k.parse(&k.show(min)), Ok(min), "{id}: the strict reader refuses the schema's min");
        if let KnobKind::Int { .. } | KnobKind::Percent = k.kind {
            assert!(k.parse(&(max + 1).to_string()).is_err(), "{id}: the strict reader accepts max + 1");
            // The permalink clamps what the CLI refuses, with a warning.
            let mut q = Query::parse(&format!("area={name}&{}={}", k.key, max + 1));
            let read = lab::read_link::<L>(&mut q);
            let got = (k.get)(&read.params);
            let undone_for_a_relation =
                q.warnings.iter().any(|w| w.starts_with(&format!("{}=", k.key)) && w.contains("does not fit"));
            assert!(
                got == max || undone_for_a_relation,
                "{id}: the permalink neither clamps to the schema's max nor says why not (got {got})"
            );
            assert!(!q.warnings.is_empty(), "{id}: clamping gave no warning");
            // validate() refuses a value past the bound.
            let mut p = defaults.clone();
            (k.set)(&mut p, max + 1);
            assert!(knob::validate(&p).is_err(), "{id}: validate() accepts max + 1");
            if min > 0 {
                let mut p = defaults.clone();
                (k.set)(&mut p, min - 1);
                assert!(knob::validate(&p).is_err(), "{id}: validate() accepts min - 1");
            }
        }
        // Every knob round-trips through the permalink.
        let mut p = defaults.clone();
        (k.set)(&mut p, max);
        if knob::validate(&p).is_ok() {
            let mut q = Query::default();
            q.set("area", name);
            lab::write_link(&mut q, None, &p);
            let mut back = Query::parse(&q.to_search());
            assert!(lab::read_link::<L>(&mut back).params == p, "{id}: the permalink does not round-trip");
        }
    }
}

/// Every field of lab `L` (a schedule, a handler's text) reads back what it
/// writes, and a list past its declared bounds is dropped with a warning.
fn check_fields<L: Lab>() {
    let name = L::SLUG;
    for f in L::Params::fields() {
        let id = format!("{name}.{}", f.key);
        assert!(L::Params::knob(f.key).is_none() && !L::EXTRA_KEYS.contains(&f.key), "{id}: declared twice");
        let raw = match f.kind {
            FieldKind::List { min, max, len_max } => {
                assert!(min <= max && len_max > 0, "{id}: empty bounds");
                for bad in [format!("{}", max + 1), vec![min.to_string(); len_max + 1].join(",")] {
                    let mut q = Query::parse(&format!("area={name}&{}={bad}", f.key));
                    let read = lab::read_link::<L>(&mut q);
                    assert_eq!((f.get)(&read.params), None, "{id}: {bad} was read");
                    assert!(
                        q.warnings.iter().any(|w| w.starts_with(&format!("{}=", f.key))),
                        "{id}: no warning for {bad}"
                    );
                }
                vec![max.to_string(); len_max].join(",")
            }
            FieldKind::Text => "BEGIN;".to_string(),
        };
        let mut q = Query::parse(&format!("area={name}&{}={raw}", f.key));
        let read = lab::read_link::<L>(&mut q);
        assert!((f.get)(&read.params).is_some(), "{id}: {raw} was not read ({:?})", q.warnings);
        let mut out = Query::default();
        out.set("area", name);
        lab::write_link(&mut out, None, &read.params);
        assert_eq!(out.get(f.key), Some(raw.as_str()), "{id}: the link does not write back what it read");
    }
}

#[test]
fn every_field_of_every_lab_reads_back_what_it_writes_within_its_bounds() {
    struct Check;
    impl idemlab_sim::labs::LabVisitor for Check {
        type Out = ();
        fn lab<L: Lab + 'static>(self) {
            check_fields::<L>();
        }
    }
    let mut fields = 0;
    for area in idemlab_sim::labs::Area::LABS {
        area.visit(Check).expect("a lab area visits its engine");
        struct Count;
        impl idemlab_sim::labs::LabVisitor for Count {
            type Out = usize;
            fn lab<L: Lab + 'static>(self) -> usize {
                L::Params::fields().len()
            }
        }
        fields += area.visit(Count).expect("a lab area visits its engine");
    }
    assert!(fields >= 2, "the Races schedule and handler are fields");
}

#[test]
fn every_knob_of_every_lab_has_one_bound_and_one_default_everywhere() {
    struct Check;
    impl idemlab_sim::labs::LabVisitor for Check {
        type Out = ();
        fn lab<L: Lab + 'static>(self) {
            check_lab::<L>();
        }
    }
    for area in idemlab_sim::labs::Area::LABS {
        area.visit(Check).expect("a lab area visits its engine");
    }
}
