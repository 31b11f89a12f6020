//! The `idemlab outbox` command, run as a process.

use std::process::Command;

fn outbox(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).arg("outbox").args(args).output().expect("run idemlab");
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (code, json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mode_1_with_crashes_prints_lost_events_as_json() {
    let (code, v, _) = outbox(&["--mode", "1", "--commands", "100", "--seed", "3", "--crash", "20"]);
    assert_eq!(code, 0);
    assert_eq!(v["mode"]["number"], 1);
    assert!(v["counters"]["events_lost"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["counters"]["commands"], 100);
}

#[test]
fn mode_4_prints_dedup_hits_and_no_duplicate_effects() {
    let (code, v, _) = outbox(&["--mode", "4", "--commands", "100", "--relay-crash", "20", "--consumer-crash", "10"]);
    assert_eq!(code, 0);
    assert_eq!(v["counters"]["duplicate_effects"], 0);
    assert!(v["counters"]["inbox_dedup_hits"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn the_same_arguments_print_the_same_trace_hash() {
    let args = ["--mode", "3", "--seed", "77", "--ack-lost", "10"];
    assert_eq!(outbox(&args).1["trace_hash"], outbox(&args).1["trace_hash"]);
}

#[test]
fn a_bad_mode_or_knob_exits_2_with_a_reason() {
    let (code, _, err) = outbox(&["--mode", "6"]);
    assert_eq!(code, 2);
    assert!(err.contains("use 1 to 5"), "{err}");
    let (code, _, err) = outbox(&["--commands", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("commands"), "{err}");
}
