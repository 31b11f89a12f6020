//! The `idemlab keys` command: counters as JSON, presets, knobs and refusals.

use std::process::Command;

fn idemlab(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn the_no_key_preset_prints_double_charges_as_json() {
    let (code, v, err) = idemlab(&["keys", "--preset", "no-key", "--ops", "200", "--seed", "3"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["preset"], "no-key");
    assert_eq!(v["key_counter"], "double_charges");
    assert_eq!(v["counters"]["intended"], 200);
    assert!(v["counters"]["double_charges"].as_u64().unwrap() > 0, "{v}");
    assert!(v["counters"]["double_charge_rate"].as_f64().unwrap() > 0.0);
    assert!(v["trace_hash"].is_string(), "{v}");
}

#[test]
fn the_correct_preset_charges_exactly_the_intended_operations() {
    let (code, v, err) = idemlab(&["keys", "--preset", "correct", "--ops", "300", "--seed", "9"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["counters"]["charges"], 300);
    assert_eq!(v["counters"]["double_charges"], 0);
    assert_eq!(v["counters"]["silent_losses"], 0);
}

#[test]
fn knobs_override_the_preset_and_the_same_arguments_give_the_same_output() {
    let args = ["keys", "--preset", "reused-key", "--fingerprint", "on", "--ops", "40", "--seed", "5"];
    let (code, v, err) = idemlab(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["counters"]["mismatches_422"], 20);
    assert_eq!(v["counters"]["silent_losses"], 0);
    assert_eq!(idemlab(&args).1, v);
}

#[test]
fn provider_keys_off_with_a_crash_in_the_window_double_charges_and_on_replays_at_the_provider() {
    let base = ["keys", "--preset", "crash-window", "--ops", "200", "--crash-after", "20"];
    let (code, off, err) = idemlab(&[&base[..], &["--provider-keys", "off"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(off["counters"]["crashes_in_window"].as_u64().unwrap() > 0, "{off}");
    assert!(off["counters"]["double_charges"].as_u64().unwrap() > 0, "{off}");
    let (code, on, err) = idemlab(&[&base[..], &["--provider-keys", "on"]].concat());
    assert_eq!(code, 0, "{err}");
    assert_eq!(on["counters"]["double_charges"], 0, "{on}");
    assert!(on["counters"]["provider_replays"].as_u64().unwrap() > 0, "{on}");
}

#[test]
fn identical_payloads_under_a_reused_key_are_lost_with_the_fingerprint_on() {
    let args = ["keys", "--policy", "reused", "--fingerprint", "on", "--same-payload", "100", "--ops", "40"];
    let (code, v, err) = idemlab(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["counters"]["silent_losses"], 20, "{v}");
    assert_eq!(v["counters"]["mismatches_422"], 0, "{v}");
}

#[test]
fn a_provider_timeout_is_counted_and_its_outcome_is_unknown_to_the_client() {
    let args =
        ["keys", "--preset", "provider-timeout", "--provider-timeout", "30", "--on-5xx", "store", "--ops", "200"];
    let (code, v, err) = idemlab(&args);
    assert_eq!(code, 0, "{err}");
    assert!(v["counters"]["provider_timeouts"].as_u64().unwrap() > 0, "{v}");
    assert!(v["counters"]["gave_up_but_charged"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn bad_arguments_are_refused_with_a_message() {
    for bad in [
        vec!["keys", "--preset", "nope"],
        vec!["keys", "--ops", "0"],
        vec!["keys", "--response-loss", "140"],
        vec!["keys", "--store", "tape"],
        vec!["keys", "--frobnicate", "1"],
        vec!["keys", "--crash-after", "0.1"],
        vec!["keys", "--provider-keys", "maybe"],
        vec!["keys", "--lock-timeout-ms", "-5"],
        vec!["keys", "--same-payload", "101"],
        vec!["keys", "--base-ms", "500", "--cap-ms", "100"],
    ] {
        let (code, _, err) = idemlab(&bad);
        assert_eq!(code, 2, "{bad:?}");
        assert!(err.starts_with("idemlab keys:"), "{bad:?}: {err}");
    }
}
