//! What `--help` says matches what the command prints and accepts.

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
fn race_list_help_says_objects_and_race_list_prints_objects_with_those_fields() {
    let (code, help, err) = idemlab(&["race", "list", "--help"]);
    assert_eq!(code, 0, "{err}");
    assert!(help.contains("object {id, number, title, sql}"), "{help}");
    let (code, out, err) = idemlab(&["race", "list"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    // The list may sit at the top or under a named key of the envelope.
    let list = v.as_array().or_else(|| v.get("scenarios").and_then(|s| s.as_array())).expect("a list of scenarios");
    assert!(!list.is_empty());
    for s in list {
        for field in ["id", "number", "title", "sql"] {
            assert!(s.get(field).is_some(), "{field} missing from {s}");
        }
    }
}

#[test]
fn race_run_help_names_lane_three_and_lane_three_is_accepted() {
    let (_, help, _) = idemlab(&["race", "run", "--help"]);
    assert!(help.contains("3 = the retry T3"), "{help}");
    let (code, out, err) = idemlab(&["race", "run", "volatile-store", "--schedule", "1,1,1,2,3,3,3", "--lenient"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("T3") || out.contains("\"schedule\""), "{out}");
}

#[test]
fn race_help_names_the_server_checks_cap_from_the_constant_the_page_shows() {
    let (code, help, err) = idemlab(&["race", "--help"]);
    assert_eq!(code, 0, "{err}");
    let cap = idemlab_sim::races::thousands(idemlab_sim::races::PG_SCHEDULES_MAX);
    assert!(help.contains(&format!("up to {cap} schedules")), "{help}");
    assert!(idemlab_sim::races::server_check_hint().contains(&format!("up to {cap};")));
}
