//! The CLI as scripts and course authors call it: JSON out, errors with exit status 2.

use std::process::Command;

fn idemlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_subcommand() {
    let (code, out, _) = idemlab(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("idemlab about"), "{out}");
    assert!(out.contains("(also: delivery)"), "{out}");
    assert!(out.contains("idemlab golden"));
}

#[test]
fn delivery_prints_the_lab_envelope_and_is_deterministic() {
    let args = ["delivery", "--messages", "300", "--ack-loss", "30", "--seed", "9"];
    let (code, out, err) = idemlab(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["lab"], "about");
    assert_eq!(v["params"]["messages"], 300);
    assert_eq!(v["params"]["ack-loss"], 30);
    assert_eq!(v["params"]["dedup"], false, "every default is filled in");
    assert_eq!(v["seed"], "9");
    assert!(v["trace_hash"].is_string());
    assert_eq!(v["counters"]["intended"], 300);
    assert!(v["counters"]["duplicate_effects"].as_u64().unwrap() > 0);
    assert!(v["permalink"].as_str().unwrap().contains("area=about"));
    assert_eq!(idemlab(&args).1, out, "the same arguments must print the same run");
}

#[test]
fn dedup_removes_duplicate_effects_and_the_old_switches_still_read() {
    let (_, out, _) = idemlab(&["delivery", "--messages", "300", "--ack-loss", "30", "--dedup"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["counters"]["duplicate_effects"], 0);
    assert!(v["counters"]["dedup_hits"].as_u64().unwrap() > 0);
    let (_, same, _) = idemlab(&["delivery", "--messages", "300", "--ack-loss", "30", "--dedup", "on"]);
    assert_eq!(same, out, "--dedup is --dedup on");
    let (code, out, err) = idemlab(&["delivery", "--no-retry", "--messages", "200"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["params"]["retry"], false);
    assert!(v["counters"]["never_applied"].as_u64().unwrap() > 0);
}

#[test]
fn delivery_link_in_idemlab_url_gives_the_same_run_as_the_subcommand() {
    let (_, out, _) = idemlab(&["delivery", "--preset", "effectively-once", "--messages", "50"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let link = v["permalink"].as_str().unwrap();
    let (code, again, err) = idemlab(&["url", link]);
    assert_eq!(code, 0, "{err}");
    let w: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(w["trace_hash"], v["trace_hash"]);
    assert_eq!(w["counters"], v["counters"]);
}

#[test]
fn bad_input_is_an_error_with_a_message_not_a_panic() {
    for args in [
        &["delivery", "--messages", "0"][..],
        &["delivery", "--ack-loss", "140"],
        &["delivery", "--ack-loss", "0.3"],
        &["delivery", "--messages", "1001"],
        &["delivery", "--seed", "banana"],
        &["delivery", "--bogus"],
        &["no-such-command"],
    ] {
        let (code, _, err) = idemlab(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.is_empty());
    }
}
