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
    assert!(out.contains("idemlab delivery"));
    assert!(out.contains("idemlab golden"));
}

#[test]
fn delivery_prints_counters_as_json_and_is_deterministic() {
    let args = ["delivery", "--messages", "300", "--ack-loss", "30", "--seed", "9"];
    let (code, out, err) = idemlab(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["counters"]["intended"], 300);
    assert!(v["counters"]["duplicate_effects"].as_u64().unwrap() > 0);
    assert_eq!(idemlab(&args).1, out, "the same arguments must print the same run");
}

#[test]
fn dedup_removes_duplicate_effects() {
    let (_, out, _) = idemlab(&["delivery", "--messages", "300", "--ack-loss", "30", "--dedup"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["counters"]["duplicate_effects"], 0);
    assert!(v["counters"]["duplicates_skipped"].as_u64().unwrap() > 0);
}

#[test]
fn bad_input_is_an_error_with_a_message_not_a_panic() {
    for args in [
        &["delivery", "--messages", "0"][..],
        &["delivery", "--ack-loss", "140"],
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
