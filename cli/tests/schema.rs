//! The CLI reads the same knob schema as the page and the permalink: for
//! every knob of every lab subcommand, `--help` names its bounds and
//! default, the largest value runs, and one past it is refused.

use idemlab_sim::knob::{KnobKind, Params};
use idemlab_sim::lab::Lab;
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
/// keep each run short (or pick the lab's workload).
fn check<L: Lab>(cmd: &str, small: &[(&str, &str)]) {
    let (code, help, _) = idemlab(&[cmd, "--help"]);
    assert_eq!(code, 0);
    for k in L::Params::knobs() {
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
    check::<idemlab_sim::keys::KeysLab>("keys", &[("--ops", "5")]);
    check::<idemlab_sim::delivery::DeliveryLab>("delivery", &[("--messages", "5")]);
    check::<idemlab_sim::outbox::OutboxLab>("outbox", &[("--commands", "5")]);
    check::<idemlab_sim::retries::RetriesLab>(
        "retry",
        &[("--workload", "fleet"), ("--duration", "10"), ("--clients", "10")],
    );
}
