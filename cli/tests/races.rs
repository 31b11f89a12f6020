//! `idemlab race` as scripts call it: list, run and explore print JSON.

use std::process::Command;

fn idemlab(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_idemlab")).args(args).output().expect("run idemlab");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn race_list_prints_every_scenario_id() {
    let (code, v, err) = idemlab(&["race", "list"]);
    assert_eq!(code, 0, "{err}");
    let ids: Vec<&str> = v.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"select-then-insert") && ids.contains(&"on-conflict") && ids.contains(&"volatile-store"));
}

#[test]
fn race_run_prints_the_trace_and_the_double_charge() {
    let (code, v, err) = idemlab(&["race", "run", "select-then-insert", "--schedule", "1,1,1,2,1,2,2,2"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["outcome"]["charges"], 2);
    assert_eq!(v["double_charge"], true);
    assert!(v["trace"].as_array().unwrap().len() > 8);
}

#[test]
fn race_run_refuses_a_step_by_a_waiting_transaction() {
    let (code, _, err) = idemlab(&["race", "run", "on-conflict", "--schedule", "1,2,2"]);
    assert_eq!(code, 2);
    assert!(err.contains("waiting for T1"), "{err}");
}

#[test]
fn race_explore_prints_classes_with_counts_and_examples() {
    let (code, v, err) = idemlab(&["race", "explore", "select-then-insert"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["summary"], "double charge in 68 of 70 interleavings");
    let classes = v["classes"].as_array().unwrap();
    assert_eq!(classes.iter().map(|c| c["count"].as_u64().unwrap()).sum::<u64>(), 70);
    assert!(classes.iter().all(|c| !c["example"].as_array().unwrap().is_empty()));
    let (_, fix, _) = idemlab(&["race", "explore", "on-conflict"]);
    assert_eq!(fix["double_charge_schedules"], 0);
    assert!(fix.get("double_charges").is_none(), "one name per meaning: double_charges counts extra charges");
}
