//! The `idemlab retry` subcommand, run as a learner would.

use std::process::Command;

fn idemlab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn occ_prints_one_point_per_strategy_as_json() {
    let (ok, out, err) =
        idemlab(&["retry", "--workload", "occ", "--strategy", "all", "--clients", "20", "--runs", "5", "--seed", "3"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 5);
    for p in points {
        assert!(p["calls_mean"].as_f64().unwrap() >= 20.0, "{p}");
    }
}

#[test]
fn occ_csv_has_a_header_and_a_row_per_point() {
    let (ok, out, err) = idemlab(&[
        "retry",
        "--workload",
        "occ",
        "--strategy",
        "full",
        "--clients",
        "30",
        "--runs",
        "3",
        "--sweep",
        "--csv",
    ]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "clients,strategy,runs,calls_mean,time_ms_mean");
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[3].starts_with("30,full,3,"));
}

#[test]
fn fleet_json_is_the_same_for_the_same_seed() {
    let args = [
        "retry",
        "--workload",
        "fleet",
        "--strategy",
        "exponential",
        "--duration",
        "10",
        "--seed",
        "9",
        "--budget",
        "10",
    ];
    let (ok, a, err) = idemlab(&args);
    assert!(ok, "{err}");
    let (_, b, _) = idemlab(&args);
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert!(v["amplification"].as_f64().unwrap() >= 1.0 || v["totals"]["requests"].as_u64().unwrap() > 0);
}

#[test]
fn fleet_csv_has_one_row_per_bucket() {
    let (ok, out, err) = idemlab(&["retry", "--workload", "fleet", "--duration", "10", "--outage", "none", "--csv"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1 + 120);
    assert!(out.starts_with("t_s,first_tries,retries,"));
}

#[test]
fn bad_flags_are_errors_with_a_reason() {
    for args in [
        vec!["retry", "--workload", "nope"],
        vec!["retry", "--strategy", "fast"],
        vec!["retry", "--workload", "fleet", "--outage", "30"],
        vec!["retry", "--workload", "fleet", "--error-rate", "150"],
        vec!["retry", "--clients", "0"],
    ] {
        let (ok, _, err) = idemlab(&args);
        assert!(!ok, "{args:?} was accepted");
        assert!(err.contains("idemlab retry:"), "{args:?}: {err}");
    }
}
