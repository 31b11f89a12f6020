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
fn occ_prints_the_common_envelope_and_accepts_every_value_it_prints() {
    let (ok, out, err) = idemlab(&["retry", "--strategy", "full", "--clients", "20", "--runs", "3", "--seed", "4"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["lab"], "retries");
    assert!(v["trace_hash"].is_string() && v["seed"].is_string(), "{v}");
    assert!(v["counters"]["calls_full"].as_f64().unwrap() >= 20.0, "{v}");
    assert_eq!(v["points"][0]["strategy"], "full");
    // Every printed parameter, given back under its own name, gives the same run.
    let mut again = vec!["retry".to_string()];
    for (k, val) in v["params"].as_object().unwrap() {
        match val {
            serde_json::Value::Bool(true) => again.push(format!("--{k}")),
            serde_json::Value::Bool(false) => {}
            serde_json::Value::String(s) => again.extend([format!("--{k}"), s.clone()]),
            other => again.extend([format!("--{k}"), other.to_string()]),
        }
    }
    let words: Vec<&str> = again.iter().map(String::as_str).collect();
    let (ok, out2, err) = idemlab(&words);
    assert!(ok, "{words:?}: {err}");
    assert_eq!(out, out2);
}

#[test]
fn fleet_prints_the_labs_envelope_the_same_for_the_same_seed() {
    let args = [
        "retry",
        "--workload",
        "fleet",
        "--strategy",
        "exponential",
        "--duration",
        "10",
        "--outage-from",
        "2",
        "--outage-to",
        "4",
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
    assert_eq!(v["lab"], "retries");
    assert_eq!(v["params"]["strategy"], "exponential");
    assert!(v["trace_hash"].is_string() && v["seed"] == "9", "{v}");
    assert!(v["counters"]["requests"].as_u64().unwrap() > 0);
    assert!(v["counters"]["peak_after_outage"].as_f64().is_some());
}

#[test]
fn fleet_reproduces_a_presets_permalink() {
    let (ok, out, err) = idemlab(&["retry", "--workload", "fleet", "--preset", "herd"]);
    assert!(ok, "{err}");
    let cli: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (ok, out, err) = idemlab(&["url", cli["permalink"].as_str().unwrap()]);
    assert!(ok, "{err}");
    let url: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(cli["trace_hash"], url["trace_hash"]);
    assert_eq!(cli["counters"], url["counters"]);
}

#[test]
fn fleet_csv_is_one_envelope_row_and_buckets_are_one_row_per_bucket() {
    let (ok, out, err) = idemlab(&[
        "retry",
        "--workload",
        "fleet",
        "--duration",
        "10",
        "--outage-to",
        "0",
        "--outage-from",
        "0",
        "--csv",
    ]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.starts_with("lab,preset,view,strategy,"), "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("retries,outage,fleet,full,"), "{out}");
    let (ok, out, err) = idemlab(&[
        "retry",
        "--workload",
        "fleet",
        "--duration",
        "10",
        "--outage-to",
        "0",
        "--outage-from",
        "0",
        "--buckets",
    ]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1 + 120);
    assert!(out.starts_with("t_s,first_tries,retries,"));
}

#[test]
fn bad_flags_are_errors_with_a_reason() {
    for args in [
        vec!["retry", "--workload", "nope"],
        vec!["retry", "--strategy", "fast"],
        vec!["retry", "--strategy", "full_jitter"],
        vec!["retry", "--workload", "fleet", "--outage-from", "30", "--outage-to", "10"],
        vec!["retry", "--workload", "fleet", "--error-rate", "150"],
        vec!["retry", "--workload", "fleet", "--preset", "nope"],
        vec!["retry", "--clients", "0"],
    ] {
        let (ok, _, err) = idemlab(&args);
        assert!(!ok, "{args:?} was accepted");
        assert!(err.contains("idemlab retry:"), "{args:?}: {err}");
    }
}

fn fleet_counters(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["retry", "--workload", "fleet", "--preset", "cap"];
    args.extend_from_slice(extra);
    let (ok, out, err) = idemlab(&args);
    assert!(ok, "{args:?}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["counters"].clone()
}

#[test]
fn a_request_without_a_key_retried_after_timeouts_shows_work_done_twice() {
    let unkeyed = fleet_counters(&["--request", "no-key"]);
    let keyed = fleet_counters(&["--request", "key"]);
    let careful = fleet_counters(&["--request", "no-key-careful"]);
    assert!(unkeyed["duplicates"].as_u64().unwrap() > 1_000, "{unkeyed}");
    assert_eq!(keyed["duplicates"], 0, "{keyed}");
    assert_eq!(careful["duplicates"], 0, "{careful}");
    // The careful client does not retry its timeouts, so fewer retries reach the queue.
    assert!(careful["retries"].as_u64().unwrap() < keyed["retries"].as_u64().unwrap());
    // The preset of the lesson is the same run.
    let (ok, out, err) = idemlab(&["retry", "--workload", "fleet", "--preset", "no-key"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["counters"]["duplicates"], unkeyed["duplicates"]);
}

#[test]
fn retry_after_in_delay_seconds_must_be_whole_seconds() {
    let (ok, _, err) = idemlab(&["retry", "--workload", "fleet", "--retry-after-ms", "1500"]);
    assert!(!ok);
    assert!(err.contains("whole seconds") && err.contains("RFC 9110"), "{err}");
    let (ok, _, err) = idemlab(&[
        "retry",
        "--workload",
        "fleet",
        "--duration",
        "10",
        "--outage-to",
        "0",
        "--outage-from",
        "0",
        "--retry-after-ms",
        "2000",
    ]);
    assert!(ok, "{err}");
}

#[test]
fn per_client_budgets_and_the_shared_one_are_a_flag_apart() {
    let per_client = fleet_counters(&["--budget", "20", "--min-retries-per-s", "10"]);
    let shared = fleet_counters(&["--budget", "20", "--min-retries-per-s", "10", "--budget-scope", "shared"]);
    // A thousand floors of 10 retries a second refuse nothing; one floor does.
    assert_eq!(per_client["budget_refusals"], 0, "{per_client}");
    assert!(shared["budget_refusals"].as_u64().unwrap() > 0, "{shared}");
}
