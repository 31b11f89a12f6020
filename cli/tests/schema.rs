//! The CLI reads the same knob schema as the page and the permalink: for
//! every knob of every lab subcommand, `--help` names its bounds and
//! default, the largest value runs, and one past it is refused.

use idemlab_sim::knob::{KnobKind, Params};
use idemlab_sim::lab::Lab;
use idemlab_sim::labs::{Area, LabVisitor};
use std::process::Command;

fn idemlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Checks lab `L`'s subcommand `cmd`; `small` are `(flag, value)` pairs that
/// keep each run short (or pick the lab's workload). A subcommand that takes
/// no knob flags (`knob_flags` false) must name every value of each knob in
/// its help instead.
fn check<L: Lab>(cmd: &str, knob_flags: bool, small: &[(String, String)]) {
    let (code, help, _) = idemlab(&[cmd, "--help"]);
    assert_eq!(code, 0);
    for k in L::Params::knobs() {
        if !knob_flags {
            if let KnobKind::Choice(list) = k.kind {
                for (slug, _) in list {
                    assert!(help.contains(slug), "{cmd} --help does not name {slug}");
                }
            }
            continue;
        }
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("--{} ", k.flag)) && l.contains("; default "))
            .unwrap_or_else(|| panic!("{cmd} --help has no line for --{}", k.flag));
        let (min, max) = k.kind.bounds();
        if let KnobKind::Int { .. } = k.kind {
            assert!(line.contains(&format!("{min}..{max}")), "{cmd} --{}: {line}", k.flag);
        }
        assert!(line.contains("default "), "{cmd} --{}: {line}", k.flag);
        if let KnobKind::Int { .. } | KnobKind::Percent = k.kind {
            let flag = format!("--{}", k.flag);
            let too_big = (max + 1).to_string();
            let mut args = vec![cmd, flag.as_str(), too_big.as_str()];
            for (f, v) in small.iter().filter(|(f, _)| *f != flag) {
                args.extend_from_slice(&[f, v]);
            }
            let (code, _, err) = idemlab(&args);
            assert_eq!(code, 2, "{cmd} {flag} {too_big} was accepted");
            assert!(err.contains(k.flag), "{cmd} {flag}: the refusal does not name the flag: {err}");
        }
    }
}

#[test]
fn every_lab_subcommand_reads_its_flags_bounds_and_defaults_from_the_schema() {
    struct Check(String, bool, Vec<(String, String)>);
    impl LabVisitor for Check {
        type Out = ();
        fn lab<L: Lab + 'static>(self) {
            check::<L>(&self.0, self.1, &self.2);
        }
    }
    let (code, out, err) = idemlab(&["labs"]);
    assert_eq!(code, 0, "{err}");
    let registry: serde_json::Value = serde_json::from_str(&out).expect("idemlab labs prints JSON");
    let labs = registry["labs"].as_array().expect("labs");
    assert_eq!(labs.len(), Area::LABS.len());
    for (entry, area) in labs.iter().zip(Area::LABS) {
        let slug = entry["slug"].as_str().expect("slug");
        assert_eq!(slug, area.slug());
        let quick = entry["quick"]
            .as_array()
            .expect("quick")
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
            .collect();
        let knob_flags = entry["knob_flags"].as_bool().expect("knob_flags");
        area.visit(Check(slug.to_string(), knob_flags, quick));
        // The old names still answer.
        for alias in entry["aliases"].as_array().expect("aliases") {
            let (code, _, err) = idemlab(&[alias.as_str().unwrap(), "--help"]);
            assert_eq!(code, 0, "idemlab {alias} --help: {err}");
        }
    }
}
