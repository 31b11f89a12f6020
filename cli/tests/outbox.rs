//! The `idemlab outbox` command, run as a process: the generic lab
//! subcommand, whose flags come from the Outbox knob schema.

use std::process::Command;

fn outbox(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).arg("outbox").args(args).output().expect("run idemlab");
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (code, json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mode_1_with_crashes_prints_lost_events_as_json() {
    let (code, v, err) = outbox(&["--design", "1", "--commands", "100", "--seed", "3", "--crash", "20"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["lab"], "outbox");
    assert_eq!(v["params"]["design"], "1");
    assert!(v["counters"]["events_lost"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["counters"]["commands"], 100);
}

#[test]
fn mode_4_prints_dedup_hits_and_no_duplicate_effects() {
    let (code, v, err) = outbox(&["--mode", "4", "--commands", "100", "--relay-crash", "20", "--consumer-crash", "10"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["counters"]["duplicate_effects"], 0);
    assert!(v["counters"]["dedup_hits"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn a_preset_runs_by_name_and_its_permalink_names_it() {
    let (code, v, err) = outbox(&["--preset", "lost"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["preset"], "lost");
    assert!(v["permalink"].as_str().unwrap().contains("preset=lost"), "{v}");
    assert!(v["counters"]["events_lost"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn the_same_arguments_print_the_same_trace_hash() {
    let args = ["--design", "3", "--seed", "77", "--ack-lost", "10"];
    assert_eq!(outbox(&args).1["trace_hash"], outbox(&args).1["trace_hash"]);
    assert_ne!(outbox(&args).1["trace_hash"], outbox(&["--mode", "3", "--seed", "78"]).1["trace_hash"]);
}

#[test]
fn a_bad_mode_or_knob_exits_2_with_a_reason() {
    let (code, _, err) = outbox(&["--mode", "6"]);
    assert_eq!(code, 2);
    assert!(err.contains("is not one of 1, 2, 3, 4, 5"), "{err}");
    let (code, _, err) = outbox(&["--commands", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("commands"), "{err}");
    let (code, _, err) = outbox(&["--crash", "0.2"]);
    assert_eq!(code, 2);
    assert!(err.contains("whole percentage"), "{err}");
}

#[test]
fn help_lists_every_knob_flag_with_its_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(["outbox", "--help"]).output().expect("run idemlab");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for flag in ["--design", "--commands", "--relay-crash", "--consumer-crash", "--seed"] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn the_inbox_variants_lose_or_duplicate_when_the_consumer_crashes_before_its_commit() {
    let fate = |inbox: &str| {
        let (code, v, err) = outbox(&["--inbox", inbox, "--consumer-crash-before", "20", "--commands", "100"]);
        assert_eq!(code, 0, "{err}");
        (v["counters"]["effects_lost"].as_u64().unwrap(), v["counters"]["duplicate_effects"].as_u64().unwrap())
    };
    assert_eq!(fate("atomic"), (0, 0));
    assert!(fate("mark-first").0 > 0);
    assert!(fate("apply-first").1 > 0);
}

#[test]
fn a_longer_offset_flush_resends_more_after_tailing_relay_crashes() {
    let dups = |flush: &str| {
        let args = [
            "--mode",
            "5",
            "--commands",
            "100",
            "--relay-crash",
            "10",
            "--consumer-crash",
            "0",
            "--offset-flush",
            flush,
        ];
        let (code, v, err) = outbox(&args);
        assert_eq!(code, 0, "{err}");
        assert_eq!(v["params"]["offset-flush"], flush.parse::<u64>().unwrap());
        v["counters"]["duplicate_deliveries"].as_u64().unwrap()
    };
    assert!(dups("2000") > dups("0"));
}

#[test]
fn the_old_mode_key_and_flag_read_as_the_design() {
    let (_, new, _) = outbox(&["--design", "1", "--seed", "5"]);
    let (code, old, err) = outbox(&["--mode", "1", "--seed", "5"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(old["trace_hash"], new["trace_hash"]);
    let url = |link: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(["url", link]).output().expect("run idemlab");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let old = url("?area=outbox&mode=1&seed=5");
    assert_eq!(old["trace_hash"], new["trace_hash"]);
    assert!(old["permalink"].as_str().unwrap().contains("design=1"), "{old}");
    assert!(old["warnings"][0].as_str().unwrap().contains("mode= is now called design="), "{old}");
    // A link with both keeps the new one.
    let both = url("?area=outbox&mode=2&design=1&seed=5");
    assert_eq!(both["trace_hash"], new["trace_hash"]);
}
